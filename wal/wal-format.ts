// Owns the on-disk format of WAL segments: a 32-byte header (magic, format
// version, the segment's first log position) then entries framed as
// [payload length u32][CRC-32C of payload u32][payload]. Scanning stops at
// the first entry that is torn or fails its CRC; nothing past it is trusted.

import { crc32c } from '../protocol/crc32c.ts';

export const SEGMENT_MAGIC = Buffer.from('FLOEWAL\n');
export const SEGMENT_FORMAT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 32;
export const ENTRY_HEADER_BYTES = 8;
/** A single entry larger than this is a bug or corruption, never a real append. */
export const ENTRY_BYTES_MAX = 256 * 1024 * 1024;

export function segmentFileName(startPosition: number): string {
  return `${String(startPosition).padStart(20, '0')}.wal`;
}

export function parseSegmentFileName(name: string): number | undefined {
  const m = /^(\d{20})\.wal$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

export function encodeSegmentHeader(startPosition: number): Buffer {
  const h = Buffer.alloc(SEGMENT_HEADER_BYTES);
  SEGMENT_MAGIC.copy(h, 0);
  h.writeUInt32BE(SEGMENT_FORMAT_VERSION, 8);
  h.writeBigUInt64BE(BigInt(startPosition), 12);
  h.writeUInt32BE(crc32c(h, 0, 20), 20);
  return h;
}

export function decodeSegmentHeader(h: Buffer): number | undefined {
  if (h.length < SEGMENT_HEADER_BYTES || !h.subarray(0, 8).equals(SEGMENT_MAGIC)) return undefined;
  if (h.readUInt32BE(8) !== SEGMENT_FORMAT_VERSION) return undefined;
  if (h.readUInt32BE(20) !== crc32c(h, 0, 20)) return undefined;
  return Number(h.readBigUInt64BE(12));
}

/** Frame header for a payload made of one or more buffers. */
export function encodeEntryHeader(payload: readonly Buffer[]): Buffer {
  let len = 0;
  let crc = 0;
  for (const p of payload) {
    len += p.length;
    crc = crc32c(p, 0, p.length, crc);
  }
  const h = Buffer.allocUnsafe(ENTRY_HEADER_BYTES);
  h.writeUInt32BE(len, 0);
  h.writeUInt32BE(crc, 4);
  return h;
}

export interface ScannedEntry {
  /** Offset of the entry's frame inside the scanned buffer. */
  offset: number;
  payload: Buffer;
}

/**
 * Scans entries from `buf` (the bytes after a segment header). Returns the
 * intact entries and the byte count they cover: everything after that is a
 * torn or corrupt tail.
 */
export function scanEntries(buf: Buffer): { entries: ScannedEntry[]; validBytes: number } {
  const entries: ScannedEntry[] = [];
  let pos = 0;
  while (buf.length - pos >= ENTRY_HEADER_BYTES) {
    const len = buf.readUInt32BE(pos);
    const crc = buf.readUInt32BE(pos + 4);
    // Zero-length entries are never written: a zero-filled tail (len 0, crc 0) must not read as entries.
    if (len === 0 || len > ENTRY_BYTES_MAX || pos + ENTRY_HEADER_BYTES + len > buf.length) break;
    const start = pos + ENTRY_HEADER_BYTES;
    if (crc32c(buf, start, start + len) !== crc) break;
    entries.push({ offset: pos, payload: buf.subarray(start, start + len) });
    pos = start + len;
  }
  return { entries, validBytes: pos };
}
