// Owns a bytes-per-second bound shared by a sequence of reads and writes (the
// log cleaner's log.cleaner.io.max.bytes.per.second): after each amount of
// I/O it waits until the average since the first stays under the rate, as
// Kafka's Throttler does. Must not be used by the produce or fetch path.

export class IoThrottle {
  private readonly bytesPerSecond: number;
  private startedAt = -1;
  private spent = 0;
  /** Milliseconds waited, for the metrics. */
  waitedMs = 0;

  constructor(bytesPerSecond: number) {
    this.bytesPerSecond = bytesPerSecond;
  }

  get unlimited(): boolean {
    return !Number.isFinite(this.bytesPerSecond) || this.bytesPerSecond >= Number.MAX_VALUE;
  }

  /** Counts `bytes` of I/O; resolves once the rate allows the next. */
  async spend(bytes: number): Promise<void> {
    if (this.unlimited || bytes <= 0) return;
    const now = performance.now();
    // An idle second forgets the past: the bound is on bursts, not on a long average.
    if (this.startedAt < 0 || now - this.startedAt > 1000 && this.spent / this.bytesPerSecond * 1000 < now - this.startedAt - 1000) {
      this.startedAt = now;
      this.spent = 0;
    }
    this.spent += bytes;
    const due = this.startedAt + this.spent / this.bytesPerSecond * 1000;
    const wait = due - now;
    if (wait <= 0) return;
    this.waitedMs += wait;
    await new Promise((r) => setTimeout(r, wait));
  }
}
