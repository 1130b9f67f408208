// Owns reading Kafka primitive types from one Buffer with explicit bounds.
// Every read checks the remaining length first and throws KafkaDecodeError,
// so truncated or hostile input never surfaces as a RangeError. Byte-ish
// values (bytes, records) are returned as subarrays of the input: no copy,
// which means they alias the frame they came from.

import { KafkaDecodeError } from './decode-error.ts';

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

/** A tagged field the decoder did not recognise, kept so re-encoding loses nothing. */
export interface RawTaggedField {
  tag: number;
  data: Buffer;
}

export class Reader {
  readonly buf: Buffer;
  pos: number;
  end: number;

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new KafkaDecodeError(`need ${n} bytes at offset ${this.pos}, have ${this.end - this.pos}`);
    }
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }

  uint8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  uint16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  int64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  float64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  /** Unsigned LEB128, at most 5 bytes, fits an unsigned 32-bit value. */
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.uint8();
      if (i === 4 && b > 0x0f) throw new KafkaDecodeError('unsigned varint overflows 32 bits');
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
    throw new KafkaDecodeError('unsigned varint longer than 5 bytes');
  }

  /** Zigzag signed varint (int32 range). */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Zigzag signed varlong (int64 range), at most 10 bytes. */
  varlong(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.uint8();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        result = BigInt.asUintN(64, result);
        return (result >> 1n) ^ -(result & 1n);
      }
      shift += 7n;
    }
    throw new KafkaDecodeError('varlong longer than 10 bytes');
  }

  uuid(): string {
    this.need(16);
    const s = this.buf.toString('base64url', this.pos, this.pos + 16);
    this.pos += 16;
    return s;
  }

  private utf8(len: number): string {
    this.need(len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  raw(len: number): Buffer {
    this.need(len);
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }

  string(): string {
    const len = this.int16();
    if (len < 0) throw new KafkaDecodeError('null string in non-nullable field');
    return this.utf8(len);
  }

  nullableString(): string | null {
    const len = this.int16();
    if (len === -1) return null;
    if (len < 0) throw new KafkaDecodeError(`invalid string length ${len}`);
    return this.utf8(len);
  }

  compactString(): string {
    const len = this.uvarint() - 1;
    if (len < 0) throw new KafkaDecodeError('null compact string in non-nullable field');
    return this.utf8(len);
  }

  compactNullableString(): string | null {
    const len = this.uvarint() - 1;
    if (len === -1) return null;
    return this.utf8(len);
  }

  bytes(): Buffer {
    const len = this.int32();
    if (len < 0) throw new KafkaDecodeError('null bytes in non-nullable field');
    return this.raw(len);
  }

  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len === -1) return null;
    if (len < 0) throw new KafkaDecodeError(`invalid bytes length ${len}`);
    return this.raw(len);
  }

  compactBytes(): Buffer {
    const len = this.uvarint() - 1;
    if (len < 0) throw new KafkaDecodeError('null compact bytes in non-nullable field');
    return this.raw(len);
  }

  compactNullableBytes(): Buffer | null {
    const len = this.uvarint() - 1;
    if (len === -1) return null;
    return this.raw(len);
  }

  /**
   * Array length: -1 means null. The count is checked against the bytes left
   * (every element takes at least `minElementBytes`) so a hostile length cannot
   * make us allocate or loop far past the frame.
   */
  arrayLength(compact: boolean, minElementBytes = 1): number {
    const n = compact ? this.uvarint() - 1 : this.int32();
    if (n < -1) throw new KafkaDecodeError(`invalid array length ${n}`);
    if (n > 0 && n * minElementBytes > this.end - this.pos) {
      throw new KafkaDecodeError(`array of ${n} elements exceeds the ${this.end - this.pos} bytes left`);
    }
    return n;
  }

  /** Reads a tagged-field section, handing known tags to `onTag`; unknown ones are returned raw. */
  taggedFields(onTag: (tag: number, r: Reader) => boolean): RawTaggedField[] | undefined {
    const count = this.uvarint();
    let unknown: RawTaggedField[] | undefined;
    let lastTag = -1;
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint();
      if (tag <= lastTag) throw new KafkaDecodeError(`tagged fields out of order: ${tag} after ${lastTag}`);
      lastTag = tag;
      const size = this.uvarint();
      this.need(size);
      const end = this.pos + size;
      const sub = new Reader(this.buf, this.pos, end);
      if (onTag(tag, sub)) {
        if (sub.pos !== end) throw new KafkaDecodeError(`tagged field ${tag} has ${end - sub.pos} trailing bytes`);
      } else {
        (unknown ??= []).push({ tag, data: this.buf.subarray(this.pos, end) });
      }
      this.pos = end;
    }
    return unknown;
  }
}
