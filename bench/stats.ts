// Owns the benchmark's latency and rate arithmetic: a bounded latency
// recorder (fixed-size reservoir, so a long run cannot grow memory) and
// percentile summaries.

export class LatencyRecorder {
  private readonly samples: Float64Array;
  private n = 0;
  private seen = 0;
  max = 0;

  constructor(capacity = 1_000_000) {
    this.samples = new Float64Array(capacity);
  }

  /** Records one latency in milliseconds (reservoir sampling past capacity). */
  record(ms: number): void {
    this.seen++;
    if (ms > this.max) this.max = ms;
    if (this.n < this.samples.length) {
      this.samples[this.n++] = ms;
    } else {
      const j = Math.floor(Math.random() * this.seen);
      if (j < this.samples.length) this.samples[j] = ms;
    }
  }

  get count(): number {
    return this.seen;
  }

  summary(): { count: number; p50: number; p99: number; p999: number; max: number } {
    const s = this.samples.slice(0, this.n).sort();
    const at = (q: number): number => (s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor(q * s.length))]!);
    return { count: this.seen, p50: at(0.5), p99: at(0.99), p999: at(0.999), max: this.max };
  }
}

export const fmt = (n: number, digits = 2): string => n.toFixed(digits);
