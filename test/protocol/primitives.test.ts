import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Reader } from '../../protocol/primitives/reader.ts';
import { Writer, recordsBuffer, recordsByteLength } from '../../protocol/primitives/writer.ts';
import { KafkaDecodeError } from '../../protocol/primitives/decode-error.ts';

const roundTrip = <T>(write: (w: Writer, v: T) => void, read: (r: Reader) => T, v: T): { value: T; bytes: Buffer } => {
  const w = new Writer(8);
  write(w, v);
  const bytes = w.toBuffer();
  const r = new Reader(bytes);
  const value = read(r);
  expect(r.remaining).toBe(0);
  return { value, bytes };
};

describe('varints', () => {
  it('unsigned varint has the LEB128 bytes Kafka uses', () => {
    expect(roundTrip((w, v) => w.uvarint(v), (r) => r.uvarint(), 300).bytes).toEqual(Buffer.from([0xac, 0x02]));
    expect(roundTrip((w, v) => w.uvarint(v), (r) => r.uvarint(), 0xffffffff).bytes).toEqual(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
  });
  it('zigzag varint and varlong', () => {
    expect(roundTrip((w, v) => w.varint(v), (r) => r.varint(), -1).bytes).toEqual(Buffer.from([0x01]));
    expect(roundTrip((w, v) => w.varint(v), (r) => r.varint(), 1).bytes).toEqual(Buffer.from([0x02]));
    fc.assert(fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (v) => {
      expect(roundTrip((w, x) => w.varint(x), (r) => r.varint(), v).value).toBe(v);
    }));
    fc.assert(fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
      expect(roundTrip((w, x) => w.varlong(x), (r) => r.varlong(), v).value).toBe(v);
    }));
  });
  it('rejects over-long varints with a decode error', () => {
    expect(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).uvarint()).toThrow(KafkaDecodeError);
    expect(() => new Reader(Buffer.alloc(11, 0xff)).varlong()).toThrow(KafkaDecodeError);
  });
});

describe('strings, bytes, uuids', () => {
  it('compact and classic encodings, null included', () => {
    expect(roundTrip<string | null>((w, v) => w.nullableString(v), (r) => r.nullableString(), null).bytes).toEqual(Buffer.from([0xff, 0xff]));
    expect(roundTrip<string | null>((w, v) => w.compactNullableString(v), (r) => r.compactNullableString(), null).bytes).toEqual(Buffer.from([0]));
    expect(roundTrip((w, v) => w.compactString(v), (r) => r.compactString(), 'ab').bytes).toEqual(Buffer.from([3, 0x61, 0x62]));
    expect(roundTrip((w, v) => w.string(v), (r) => r.string(), 'é').bytes).toEqual(Buffer.from([0, 2, 0xc3, 0xa9]));
  });
  it('large byte fields are referenced, not copied', () => {
    const big = Buffer.alloc(100_000, 7);
    const w = new Writer();
    w.int32(1);
    w.bytes(big);
    const chunks = w.chunksView();
    expect(chunks.some((c) => c === big)).toBe(true);
    expect(w.length).toBe(4 + 4 + big.length);
  });
  it('decoded bytes alias the input', () => {
    const buf = Buffer.from([0, 0, 0, 2, 9, 9]);
    const b = new Reader(buf).bytes();
    buf[4] = 1;
    expect(b[0]).toBe(1);
  });
  it('uuid is 16 bytes, shown as base64url', () => {
    const id = Buffer.from('00112233445566778899aabbccddeeff', 'hex').toString('base64url');
    expect(roundTrip((w, v) => w.uuid(v), (r) => r.uuid(), id).bytes.toString('hex')).toBe('00112233445566778899aabbccddeeff');
  });
  it('truncated input is a decode error, never a RangeError', () => {
    expect(() => new Reader(Buffer.from([0, 5, 0x61])).string()).toThrow(KafkaDecodeError);
    expect(() => new Reader(Buffer.from([0, 0, 0])).int32()).toThrow(KafkaDecodeError);
    expect(() => new Reader(Buffer.from([0x7f, 0xff, 0xff, 0xff])).arrayLength(false)).toThrow(KafkaDecodeError);
  });
});

describe('records in several chunks', () => {
  it('encode to the same bytes as one buffer, with the large chunks referenced rather than copied', async () => {
    const { FetchResponseModule } = await import('../../protocol/generated/index.ts');
    const { defaultFetchResponse, defaultFetchableTopicResponse, defaultPartitionData, writeFetchResponse, readFetchResponse } = FetchResponseModule;
    const a = Buffer.alloc(3000, 1);
    const b = Buffer.alloc(5000, 2);
    const c = Buffer.alloc(100, 3);
    const response = (records: Buffer | Buffer[]) => ({
      ...defaultFetchResponse(),
      responses: [{ ...defaultFetchableTopicResponse(), topic: 't', partitions: [{ ...defaultPartitionData(), partitionIndex: 0, records }] }],
    });
    for (const v of [4, 12, 16]) {
      const whole = new Writer();
      writeFetchResponse(whole, v, response(Buffer.concat([a, b, c])));
      const parts = new Writer();
      writeFetchResponse(parts, v, response([a, b, c]));
      const chunks = parts.chunksView();
      expect(Buffer.concat(chunks)).toEqual(whole.toBuffer());
      expect(chunks.includes(a) && chunks.includes(b)).toBe(true);
      const decoded = readFetchResponse(new Reader(Buffer.concat(chunks)), v);
      expect(decoded.responses[0]!.partitions[0]!.records).toEqual(Buffer.concat([a, b, c]));
    }
    expect(recordsByteLength([a, b, c])).toBe(8100);
    expect(recordsBuffer([a, b, c])).toEqual(Buffer.concat([a, b, c]));
  });
});
