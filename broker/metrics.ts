// Owns the broker's counters and per-API request timings. Plain numbers for
// now; the HTTP /metrics endpoint (prom-client) is not built yet and will
// read these.

export class BrokerMetrics {
  connectionsOpen = 0;
  connectionsRefused = 0;
  badFrames = 0;
  unsupportedRequests = 0;
  handlerErrors = 0;
  produceThrottled = 0;
  bytesOut = 0;
  recordsProducedBytes = 0;
  recordsFetchedBytes = 0;
  readonly requests = new Map<string, { count: number; secondsTotal: number }>();

  observeRequest(api: string, version: number, seconds: number): void {
    const key = `${api}:v${version}`;
    const r = this.requests.get(key) ?? { count: 0, secondsTotal: 0 };
    r.count++;
    r.secondsTotal += seconds;
    this.requests.set(key, r);
  }
}
