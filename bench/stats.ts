// Owns the benchmark's latency arithmetic: an HDR histogram (fixed memory,
// 3 significant digits, microsecond resolution up to an hour), so a long run
// cannot grow memory and percentiles are exact to the histogram's precision.

import { build, type Histogram } from 'hdr-histogram-js';

export class LatencyRecorder {
  private readonly h: Histogram;

  /** maxMs and digits size the histogram: per-second charts use a small one (60 s, 2 digits). */
  constructor(maxMs = 3_600_000, digits: 1 | 2 | 3 | 4 | 5 = 3) {
    this.h = build({ lowestDiscernibleValue: 1, highestTrackableValue: maxMs * 1000, numberOfSignificantValueDigits: digits });
  }

  /** Records one latency in milliseconds. */
  record(ms: number): void {
    this.h.recordValue(Math.min(this.h.highestTrackableValue, Math.max(1, Math.round(ms * 1000))));
  }

  get count(): number {
    return this.h.totalCount;
  }

  summary(): { count: number; p50: number; p99: number; p999: number; max: number } {
    const at = (q: number): number => (this.h.totalCount === 0 ? 0 : this.h.getValueAtPercentile(q) / 1000);
    return { count: this.h.totalCount, p50: at(50), p99: at(99), p999: at(99.9), max: this.h.totalCount === 0 ? 0 : this.h.maxValue / 1000 };
  }
}

export const fmt = (n: number, digits = 2): string => n.toFixed(digits);
