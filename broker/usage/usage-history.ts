// Owns the console's last hour: every interval, one sample of each topic's
// bytes in and out per second on this broker (from its counters) and each
// group's lag (asked of the fleet), kept in a ring of at most an hour's
// samples. Bounded: the SERIES_MAX busiest topics and most lagging groups
// per sample. A sample that fails (the fleet does not answer) is skipped,
// never waited for; it must not be on any request's path.

export interface HistorySample {
  at: number;
  /** Bytes per second since the previous sample, by topic. */
  topics: Record<string, { in: number; out: number }>;
  /** Records of lag, by group. */
  groups: Record<string, number>;
}

export interface UsageHistorySource {
  bytesByTopic(): Promise<{ produced: ReadonlyMap<string, number>; fetched: ReadonlyMap<string, number> }>;
  lagByGroup(): Promise<Map<string, number>>;
}

const HOUR_MS = 3_600_000;
/** Topics and groups kept per sample. */
export const SERIES_MAX = 50;

export class UsageHistory {
  readonly intervalMs: number;
  readonly capacity: number;
  private readonly samples: HistorySample[] = [];
  private previous: { at: number; produced: ReadonlyMap<string, number>; fetched: ReadonlyMap<string, number> } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sampling = false;
  failures = 0;

  private readonly source: UsageHistorySource;

  constructor(source: UsageHistorySource, intervalMs: number) {
    this.source = source;
    this.intervalMs = intervalMs;
    this.capacity = Math.max(2, Math.ceil(HOUR_MS / intervalMs));
  }

  start(): void {
    void this.sample();
    this.timer = setInterval(() => { void this.sample(); }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get size(): number {
    return this.samples.length;
  }

  all(): readonly HistorySample[] {
    return this.samples;
  }

  /** Takes one sample (the first only sets the counters' starting point). */
  async sample(now = Date.now()): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const [bytes, lag] = await Promise.all([this.source.bytesByTopic(), this.source.lagByGroup()]);
      const prev = this.previous;
      this.previous = { at: now, ...bytes };
      if (prev === undefined) return;
      const seconds = Math.max(0.001, (now - prev.at) / 1000);
      const rates = [...new Set([...bytes.produced.keys(), ...bytes.fetched.keys()])].map((topic) => ({
        topic,
        in: Math.max(0, ((bytes.produced.get(topic) ?? 0) - (prev.produced.get(topic) ?? 0)) / seconds),
        out: Math.max(0, ((bytes.fetched.get(topic) ?? 0) - (prev.fetched.get(topic) ?? 0)) / seconds),
      })).sort((a, b) => b.in + b.out - (a.in + a.out) || a.topic.localeCompare(b.topic)).slice(0, SERIES_MAX);
      const lags = [...lag].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, SERIES_MAX);
      this.samples.push({ at: now, topics: Object.fromEntries(rates.map((r) => [r.topic, { in: r.in, out: r.out }])), groups: Object.fromEntries(lags) });
      if (this.samples.length > this.capacity) this.samples.splice(0, this.samples.length - this.capacity);
    } catch {
      this.failures++;
    } finally {
      this.sampling = false;
    }
  }
}
