// Cached data must not pin Node's shared 64 KiB allocation pool.

import { describe, expect, it } from 'vitest';
import { owned, ownedCopy } from '../../s3stream/owned-buffer.ts';

describe('owned buffers', () => {
  it('a small Buffer.from copy shares a pool slab; ownedCopy has an ArrayBuffer of exactly its size', () => {
    const small = Buffer.from(Buffer.alloc(4300, 7));
    // The premise (Node 24): small allocations are slices of a larger pool slab.
    expect(small.buffer.byteLength).toBeGreaterThan(small.length);
    const copy = ownedCopy(small);
    expect(copy.buffer.byteLength).toBe(small.length);
    expect(copy.byteOffset).toBe(0);
    expect(copy.equals(small)).toBe(true);
  });

  it('owned() keeps a buffer that owns its memory and copies a slice', () => {
    const whole = Buffer.allocUnsafeSlow(100_000);
    expect(owned(whole)).toBe(whole);
    const slice = whole.subarray(10, 5000);
    const o = owned(slice);
    expect(o).not.toBe(slice);
    expect(o.buffer.byteLength).toBe(slice.length);
    expect(o.equals(slice)).toBe(true);
  });
});
