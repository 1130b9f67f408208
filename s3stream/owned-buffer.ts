// Owns how long-lived data gets its memory: buffers kept in the tail and
// block caches must have an ArrayBuffer of their own. Node 24 serves every
// allocation under 32 KiB from a shared 64 KiB pool, so a small cached slice
// would pin its whole pool slab (and every short-lived neighbour in it) for
// as long as it is cached: memory several times what the caches account.

/** A copy of `b` in an ArrayBuffer of exactly its size. */
export function ownedCopy(b: Buffer): Buffer {
  const out = Buffer.allocUnsafeSlow(b.length);
  b.copy(out);
  return out;
}

/** `b` itself when it owns its whole ArrayBuffer; otherwise an owned copy. */
export function owned(b: Buffer): Buffer {
  return b.byteOffset === 0 && b.length === b.buffer.byteLength ? b : ownedCopy(b);
}
