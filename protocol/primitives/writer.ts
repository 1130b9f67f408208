// Owns writing Kafka primitive types into a list of buffer chunks.
// Output is never re-copied while it grows: a full chunk is sealed and a new
// one started, and large byte fields (record batches) are referenced, not
// copied, so a Fetch response can go to the socket with writev.

import { KafkaEncodeError } from './decode-error.ts';
import type { RawTaggedField } from './reader.ts';

const CHUNK_BYTES_MIN = 4096;
/** Below Node's pool threshold (4 KiB), so small responses allocate from the shared pool, not a new ArrayBuffer each. */
const INITIAL_BYTES_DEFAULT = 2048;
/** Byte fields at least this long are referenced as their own chunk instead of copied. */
const ZERO_COPY_BYTES_MIN = 512;

/**
 * A `records` field: one buffer, or several written back to back (record
 * batches from different tail chunks of a partition), so a Fetch response
 * never concatenates them. Decoding always yields one Buffer.
 */
export type Records = Buffer | readonly Buffer[];

export function recordsByteLength(r: Records): number {
  if (Buffer.isBuffer(r)) return r.length;
  let n = 0;
  for (const b of r) n += b.length;
  return n;
}

/** The records as one buffer (a copy only when they are in several chunks). */
export function recordsBuffer(r: Records): Buffer {
  if (Buffer.isBuffer(r)) return r;
  return r.length === 1 ? r[0]! : Buffer.concat(r);
}

export interface Reservation {
  buf: Buffer;
  offset: number;
}

export class Writer {
  private readonly chunks: Buffer[] = [];
  private buf: Buffer;
  private pos = 0;
  private start = 0;
  private sealedBytes = 0;

  constructor(initialBytes = INITIAL_BYTES_DEFAULT) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.sealedBytes + (this.pos - this.start);
  }

  private seal(): void {
    if (this.pos > this.start) {
      this.chunks.push(this.buf.subarray(this.start, this.pos));
      this.sealedBytes += this.pos - this.start;
    }
    this.start = this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.seal();
    this.buf = Buffer.allocUnsafe(Math.max(n, CHUNK_BYTES_MIN, this.buf.length * 2));
    this.pos = 0;
    this.start = 0;
  }

  /** Reserves 4 bytes (e.g. a frame size) to be filled in later with `patchInt32`. */
  reserveInt32(): Reservation {
    this.ensure(4);
    const r = { buf: this.buf, offset: this.pos };
    this.pos += 4;
    return r;
  }

  static patchInt32(r: Reservation, value: number): void {
    r.buf.writeInt32BE(value, r.offset);
  }

  int8(v: number): void {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
  }

  bool(v: boolean): void {
    this.int8(v ? 1 : 0);
  }

  int16(v: number): void {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
  }

  uint16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }

  int32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
  }

  uint32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
  }

  int64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
  }

  float64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  uvarint(v: number): void {
    if (v < 0 || v > 0xffffffff || !Number.isInteger(v)) throw new KafkaEncodeError(`uvarint out of range: ${v}`);
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  varint(v: number): void {
    this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  varlong(v: bigint): void {
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    this.ensure(10);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  uuid(v: string): void {
    if (v.length !== 22) throw new KafkaEncodeError(`uuid must be 22 base64url characters, got ${JSON.stringify(v)}`);
    this.ensure(16);
    const n = this.buf.write(v, this.pos, 16, 'base64url');
    if (n !== 16) throw new KafkaEncodeError(`invalid uuid ${JSON.stringify(v)}`);
    this.pos += 16;
  }

  private utf8(s: string, len: number): void {
    this.ensure(len);
    this.buf.write(s, this.pos, len, 'utf8');
    this.pos += len;
  }

  string(s: string): void {
    const len = Buffer.byteLength(s, 'utf8');
    if (len > 0x7fff) throw new KafkaEncodeError(`string of ${len} bytes exceeds int16 length`);
    this.int16(len);
    this.utf8(s, len);
  }

  nullableString(s: string | null): void {
    if (s === null) this.int16(-1);
    else this.string(s);
  }

  compactString(s: string): void {
    const len = Buffer.byteLength(s, 'utf8');
    this.uvarint(len + 1);
    this.utf8(s, len);
  }

  compactNullableString(s: string | null): void {
    if (s === null) this.uvarint(0);
    else this.compactString(s);
  }

  /** Appends bytes as they are; large buffers become their own chunk instead of a copy. */
  raw(b: Buffer): void {
    if (b.length >= ZERO_COPY_BYTES_MIN) {
      this.seal();
      this.chunks.push(b);
      this.sealedBytes += b.length;
      return;
    }
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  /** Appends several chunks (e.g. from a nested Writer), referencing the large ones. */
  rawChunks(chunks: readonly Buffer[]): void {
    for (const c of chunks) this.raw(c);
  }

  bytes(b: Records): void {
    this.int32(recordsByteLength(b));
    this.rawRecords(b);
  }

  nullableBytes(b: Records | null): void {
    if (b === null) this.int32(-1);
    else this.bytes(b);
  }

  compactBytes(b: Records): void {
    this.uvarint(recordsByteLength(b) + 1);
    this.rawRecords(b);
  }

  private rawRecords(b: Records): void {
    if (Buffer.isBuffer(b)) this.raw(b);
    else for (const c of b) this.raw(c);
  }

  compactNullableBytes(b: Records | null): void {
    if (b === null) this.uvarint(0);
    else this.compactBytes(b);
  }

  arrayLength(compact: boolean, n: number | null): void {
    if (compact) this.uvarint(n === null ? 0 : n + 1);
    else this.int32(n === null ? -1 : n);
  }

  /** Writes one tagged field: tag, size, then what `body` writes. */
  taggedField(tag: number, body: (w: Writer) => void): void {
    const sub = new Writer(64);
    body(sub);
    this.uvarint(tag);
    this.uvarint(sub.length);
    this.rawChunks(sub.chunksView());
  }

  rawTaggedField(f: RawTaggedField): void {
    this.uvarint(f.tag);
    this.uvarint(f.data.length);
    this.raw(f.data);
  }

  /** The chunks written so far; the Writer must not be written to afterwards. */
  chunksView(): Buffer[] {
    this.seal();
    return this.chunks;
  }

  toBuffer(): Buffer {
    const chunks = this.chunksView();
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.sealedBytes);
  }
}
