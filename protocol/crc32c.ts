// Owns CRC-32C (Castagnoli), the checksum of Kafka record batches and of
// floe's WAL entries. Uses the SIMD implementation from @node-rs/crc32 when
// its prebuilt binary loads; otherwise a slice-by-8 TypeScript fallback that
// gives the same results (tested against the same vectors).

import { createRequire } from 'node:module';

const POLY_REFLECTED = 0x82f63b78;

const TABLES: Int32Array[] = (() => {
  const t: Int32Array[] = [];
  for (let k = 0; k < 8; k++) t.push(new Int32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ POLY_REFLECTED : c >>> 1;
    t[0]![n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[0]![n]!;
    for (let k = 1; k < 8; k++) {
      c = t[0]![c & 0xff]! ^ (c >>> 8);
      t[k]![n] = c;
    }
  }
  return t;
})();

/** Pure TypeScript CRC-32C over `buf[start, end)`, continuing from `seed` (a previous result). */
export function crc32cSoftware(buf: Uint8Array, start = 0, end = buf.length, seed = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
  let crc = ~seed;
  let i = start;
  while (end - i >= 8) {
    const a = crc ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
    crc = t7[a & 0xff]! ^ t6[(a >>> 8) & 0xff]! ^ t5[(a >>> 16) & 0xff]! ^ t4[a >>> 24]!
      ^ t3[buf[i + 4]!]! ^ t2[buf[i + 5]!]! ^ t1[buf[i + 6]!]! ^ t0[buf[i + 7]!]!;
    i += 8;
  }
  while (i < end) crc = t0[(crc ^ buf[i++]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

type NativeCrc = (input: Buffer, initialState?: number) => number;

function loadNative(): NativeCrc | undefined {
  if (process.env.FLOE_CRC32C === 'software') return undefined;
  try {
    const require = createRequire(import.meta.url);
    const mod = require('@node-rs/crc32') as { crc32c?: NativeCrc };
    const fn = mod.crc32c;
    // Trust the binding only if it agrees with the published check value.
    if (fn !== undefined && fn(Buffer.from('123456789')) === 0xe3069283) return fn;
  } catch {
    // No prebuilt binary for this platform: the software path is correct, only slower.
  }
  return undefined;
}

const native = loadNative();

/** Which implementation is in use, for metrics and the benchmark report. */
export const crc32cImplementation: 'native' | 'software' = native ? 'native' : 'software';

/** Native calls cost a fixed overhead; tiny inputs are faster in TypeScript. */
const NATIVE_BYTES_MIN = 64;

export function crc32c(buf: Buffer, start = 0, end = buf.length, seed = 0): number {
  if (native !== undefined && end - start >= NATIVE_BYTES_MIN) {
    const view = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
    return native(view, seed) >>> 0;
  }
  return crc32cSoftware(buf, start, end, seed);
}
