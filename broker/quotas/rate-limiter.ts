// Owns measuring clients against their byte-rate quotas the way Kafka does:
// bytes per (quota kind, user, client id) over quota.window.num windows of
// quota.window.size.seconds, and the throttle time that brings the rate back
// to the quota — (rate - quota) / quota * the measured span. Bounded: at
// most SENSORS_MAX clients tracked (the least recently seen are dropped).
// Must not know about connections: the caller mutes the channel.

export const SENSORS_MAX = 10_000;

interface Sensor {
  /** Bytes per window, oldest first; windows[i] covers [start + i*windowMs, ...). */
  windows: number[];
  start: number;
}

export class RateLimiter {
  private readonly windowMs: number;
  private readonly windowNum: number;
  private readonly sensors = new Map<string, Sensor>();
  readonly stats = { throttled: 0, throttleMsTotal: 0 };

  constructor(windowNum: number, windowMs: number) {
    this.windowNum = windowNum;
    this.windowMs = windowMs;
  }

  get tracked(): number {
    return this.sensors.size;
  }

  /** Records `bytes` for the client; returns how long it must wait (ms) to be back within `quotaBytesPerSec`. */
  record(kind: string, user: string, clientId: string, bytes: number, quotaBytesPerSec: number, now = Date.now()): number {
    const key = `${kind}\u0000${user}\u0000${clientId}`;
    let s = this.sensors.get(key);
    if (s === undefined) {
      if (this.sensors.size >= SENSORS_MAX) this.sensors.delete(this.sensors.keys().next().value!);
      s = { windows: [0], start: now - (now % this.windowMs) };
    } else {
      this.sensors.delete(key);
    }
    this.sensors.set(key, s);
    // Advance to the window holding `now`, dropping windows older than the span.
    const current = now - (now % this.windowMs);
    while (s.start + (s.windows.length - 1) * this.windowMs < current) s.windows.push(0);
    while (s.windows.length > this.windowNum) {
      s.windows.shift();
      s.start += this.windowMs;
    }
    s.windows[s.windows.length - 1]! += bytes;
    const total = s.windows.reduce((a, b) => a + b, 0);
    // Kafka measures over the elapsed part of the current window plus the full earlier ones.
    const spanMs = Math.max((s.windows.length - 1) * this.windowMs + (now - current), this.windowMs);
    const rate = (total * 1000) / spanMs;
    if (rate <= quotaBytesPerSec) return 0;
    // Never longer than the whole measured span (Kafka's bound on one throttle).
    const throttleMs = Math.min(Math.round(((rate - quotaBytesPerSec) / quotaBytesPerSec) * spanMs), this.windowNum * this.windowMs);
    this.stats.throttled++;
    this.stats.throttleMsTotal += throttleMs;
    return throttleMs;
  }
}
