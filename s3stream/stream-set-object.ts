// Owns the layout of a stream-set object: for each stream, a region of
// framed chunks ([baseOffset u64][endOffset u64][length u32][bytes]), then a
// footer index (stream id, first offset, end offset, position, length per
// region), the footer's length and a magic. One PUT carries the pending data
// of many streams, so PUT count follows time and size, not stream count.

import { crc32c } from '../protocol/crc32c.ts';

export const CHUNK_HEADER_BYTES = 20;
const FOOTER_ENTRY_BYTES = 8 + 8 + 8 + 8 + 4;
const TRAILER_BYTES = 4 + 4 + 8;
const MAGIC = Buffer.from('FLOESSO1');

export interface Chunk {
  baseOffset: number;
  /** Exclusive. */
  endOffset: number;
  data: Buffer;
}

export interface RegionIndexEntry {
  streamId: number;
  baseOffset: number;
  endOffset: number;
  position: number;
  length: number;
}

export function chunkHeader(c: Chunk): Buffer {
  const h = Buffer.allocUnsafe(CHUNK_HEADER_BYTES);
  h.writeBigUInt64BE(BigInt(c.baseOffset), 0);
  h.writeBigUInt64BE(BigInt(c.endOffset), 8);
  h.writeUInt32BE(c.data.length, 16);
  return h;
}

/** Builds an object from per-stream chunk lists; returns the buffers to PUT and the index. */
export function buildStreamSetObject(streams: ReadonlyMap<number, readonly Chunk[]>): { body: Buffer[]; index: RegionIndexEntry[]; sizeBytes: number } {
  const body: Buffer[] = [];
  const index: RegionIndexEntry[] = [];
  let pos = 0;
  for (const [streamId, chunks] of [...streams].sort((a, b) => a[0] - b[0])) {
    if (chunks.length === 0) continue;
    const start = pos;
    for (const c of chunks) {
      body.push(chunkHeader(c), c.data);
      pos += CHUNK_HEADER_BYTES + c.data.length;
    }
    index.push({ streamId, baseOffset: chunks[0]!.baseOffset, endOffset: chunks[chunks.length - 1]!.endOffset, position: start, length: pos - start });
  }
  const footer = Buffer.alloc(index.length * FOOTER_ENTRY_BYTES + TRAILER_BYTES);
  index.forEach((e, i) => {
    const o = i * FOOTER_ENTRY_BYTES;
    footer.writeBigUInt64BE(BigInt(e.streamId), o);
    footer.writeBigUInt64BE(BigInt(e.baseOffset), o + 8);
    footer.writeBigUInt64BE(BigInt(e.endOffset), o + 16);
    footer.writeBigUInt64BE(BigInt(e.position), o + 24);
    footer.writeUInt32BE(e.length, o + 32);
  });
  const entriesBytes = index.length * FOOTER_ENTRY_BYTES;
  footer.writeUInt32BE(index.length, entriesBytes);
  footer.writeUInt32BE(crc32c(footer, 0, entriesBytes), entriesBytes + 4);
  MAGIC.copy(footer, entriesBytes + 8);
  body.push(footer);
  return { body, index, sizeBytes: pos + footer.length };
}

/** Reads the footer index of a whole object (used by compaction and repair tools). */
export function readStreamSetFooter(obj: Buffer): RegionIndexEntry[] {
  if (obj.length < TRAILER_BYTES || !obj.subarray(obj.length - 8).equals(MAGIC)) throw new Error('not a stream-set object');
  const count = obj.readUInt32BE(obj.length - TRAILER_BYTES);
  const start = obj.length - TRAILER_BYTES - count * FOOTER_ENTRY_BYTES;
  if (start < 0) throw new Error('stream-set footer larger than the object');
  if (crc32c(obj, start, obj.length - TRAILER_BYTES) !== obj.readUInt32BE(obj.length - 12)) throw new Error('stream-set footer CRC mismatch');
  const out: RegionIndexEntry[] = [];
  for (let i = 0; i < count; i++) {
    const o = start + i * FOOTER_ENTRY_BYTES;
    out.push({
      streamId: Number(obj.readBigUInt64BE(o)), baseOffset: Number(obj.readBigUInt64BE(o + 8)), endOffset: Number(obj.readBigUInt64BE(o + 16)),
      position: Number(obj.readBigUInt64BE(o + 24)), length: obj.readUInt32BE(o + 32),
    });
  }
  return out;
}

/** Splits a region (as read by range GET) back into chunks; the data are views of `region`. */
export function parseRegion(region: Buffer): Chunk[] {
  const out: Chunk[] = [];
  let pos = 0;
  while (pos < region.length) {
    if (region.length - pos < CHUNK_HEADER_BYTES) throw new Error('truncated chunk header in object region');
    const baseOffset = Number(region.readBigUInt64BE(pos));
    const endOffset = Number(region.readBigUInt64BE(pos + 8));
    const len = region.readUInt32BE(pos + 16);
    const start = pos + CHUNK_HEADER_BYTES;
    if (start + len > region.length) throw new Error('truncated chunk in object region');
    out.push({ baseOffset, endOffset, data: region.subarray(start, start + len) });
    pos = start + len;
  }
  return out;
}
