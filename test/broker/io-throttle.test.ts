// The log cleaner's I/O bound (log.cleaner.io.max.bytes.per.second), on a
// fake clock: spending more than the rate allows waits until the average is
// back under it; no limit never waits.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IoThrottle } from '../../broker/partition/io-throttle.ts';

describe('IoThrottle', () => {
  beforeEach(() => { vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] }); });
  afterEach(() => { vi.useRealTimers(); });

  it('holds a burst to the rate: 3,000 bytes at 1,000 B/s take three seconds', async () => {
    const t = new IoThrottle(1000);
    let done = 0;
    const spend = async (): Promise<void> => { await t.spend(1000); done++; };
    const first = spend();
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await first;
    expect(done).toBe(1);
    const next = Promise.all([spend(), spend()]);
    await vi.advanceTimersByTimeAsync(1999);
    expect(done).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    await next;
    expect(done).toBe(3);
    expect(t.waitedMs).toBeGreaterThan(0);
  });

  it('never waits without a limit (Kafka\'s default, Double.MAX_VALUE)', async () => {
    const t = new IoThrottle(1.7976931348623157e308);
    await t.spend(1e12);
    expect(t.waitedMs).toBe(0);
  });
});
