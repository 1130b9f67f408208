// The object-index cache: answers only inside the runs of entries it was
// given, refuses a page loaded across an invalidation, stays within its
// entry bound (least recently used pages first).

import { describe, expect, it } from 'vitest';
import { ObjectIndexCache, type IndexEntry } from '../../s3stream/object-index-cache.ts';

/** Consecutive regions of `size` offsets from `base`, in object `o`. */
function run(base: number, count: number, size: number, o = 'obj'): IndexEntry[] {
  return Array.from({ length: count }, (_, i) => ({ base: base + i * size, value: { o, p: i * 100, l: 100, e: base + (i + 1) * size } }));
}

describe('ObjectIndexCache', () => {
  it('finds the region holding an offset, or the next one across a gap, only inside a cached run', () => {
    const c = new ObjectIndexCache(100);
    const entries = run(100, 5, 10);
    // A gap (a cleaned or compacted range): region [130, 140) is missing, the next starts at 140.
    const withGap = entries.filter((e) => e.base !== 130);
    c.add(7, withGap, c.generation(7));
    expect(c.lookup(7, 100)?.e).toBe(110);
    expect(c.lookup(7, 119)?.e).toBe(120);
    expect(c.lookup(7, 135)?.e).toBe(150);
    expect(c.lookup(7, 149)?.e).toBe(150);
    // Outside the run: a miss, never a guess (older regions, or regions uploaded since).
    expect(c.lookup(7, 99)).toBeUndefined();
    expect(c.lookup(7, 150)).toBeUndefined();
    expect(c.lookup(8, 100)).toBeUndefined();
    expect(c.stats).toMatchObject({ entries: 4, hits: 4, misses: 3 });
  });

  it('drops a stream on invalidate, and does not keep a page loaded before it', () => {
    const c = new ObjectIndexCache(100);
    c.add(1, run(0, 3, 10), c.generation(1));
    const before = c.generation(1);
    c.invalidate(1);
    expect(c.lookup(1, 5)).toBeUndefined();
    c.add(1, run(0, 3, 10, 'stale'), before);
    expect(c.lookup(1, 5)).toBeUndefined();
    c.add(1, run(0, 3, 10, 'fresh'), c.generation(1));
    expect(c.lookup(1, 5)?.o).toBe('fresh');
    expect(c.stats.entries).toBe(3);
  });

  it('keeps at most its bound of entries, evicting the least recently used page', () => {
    const c = new ObjectIndexCache(10);
    c.add(1, run(0, 4, 10), c.generation(1));
    c.add(2, run(0, 4, 10), c.generation(2));
    expect(c.lookup(1, 0)).toBeDefined(); // stream 1 is now the more recently used
    c.add(3, run(0, 4, 10), c.generation(3));
    expect(c.stats.entries).toBe(8);
    expect(c.lookup(2, 0)).toBeUndefined();
    expect(c.lookup(1, 0)).toBeDefined();
    expect(c.lookup(3, 0)).toBeDefined();
    // A page larger than the whole bound is not kept at all.
    c.add(4, run(0, 11, 10), c.generation(4));
    expect(c.lookup(4, 0)).toBeUndefined();
    expect(c.stats.entries).toBeLessThanOrEqual(10);
  });
});
