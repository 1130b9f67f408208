import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildRecordBatch, readKeysAndValues, readRecords } from '../../protocol/records/record.ts';
import {
  CompressionCodec, RecordBatchHeader, checkRecordBatch, splitRecordBatches,
} from '../../protocol/records/record-batch-header.ts';
import { KafkaDecodeError } from '../../protocol/primitives/decode-error.ts';

const records = [
  { key: 'k1', value: 'hello', headers: [{ key: 'h', value: 'v' }] },
  { key: null, value: null },
  { key: 'k3', value: Buffer.alloc(3000, 'x'), timestamp: 1_700_000_000_123n },
];

describe('RecordBatch v2', () => {
  for (const [name, codec] of Object.entries(CompressionCodec)) {
    it(`${name}: builds a valid batch whose records read back`, () => {
      const buf = buildRecordBatch(records, { compression: codec, baseOffset: 0n, producerId: 7n, producerEpoch: 1, baseSequence: 5, timestamp: 1_700_000_000_000n });
      const [b] = splitRecordBatches(buf);
      expect(b).toBeDefined();
      expect(checkRecordBatch(b!)).toBeUndefined();
      expect(b!.compression).toBe(codec);
      expect(b!.recordCount).toBe(3);
      expect(b!.lastOffsetDelta).toBe(2);
      expect(b!.producerId).toBe(7n);
      expect(b!.baseSequence).toBe(5);
      expect(b!.baseTimestamp).toBe(1_700_000_000_000n);
      expect(b!.maxTimestamp).toBe(1_700_000_000_123n);
      const got = readRecords(b!);
      expect(got.map((r) => r.key?.toString() ?? null)).toEqual(['k1', null, 'k3']);
      expect(got[0]!.value!.toString()).toBe('hello');
      expect(got[0]!.headers[0]!.key).toBe('h');
      expect(got[1]!.value).toBeNull();
      expect(got[2]!.value!.length).toBe(3000);
      expect(got[2]!.timestamp).toBe(1_700_000_000_123n);
      // The produce path's light read gives the same keys and values.
      expect(readKeysAndValues(b!).map((kv) => [kv.key?.toString('hex') ?? null, kv.value?.toString('hex') ?? null]))
        .toEqual(got.map((r) => [r.key?.toString('hex') ?? null, r.value?.toString('hex') ?? null]));
    });
  }

  it('rewriting baseOffset and leader epoch keeps the CRC valid and shifts record offsets', () => {
    const buf = buildRecordBatch(records);
    const b = new RecordBatchHeader(buf);
    b.setBaseOffset(1000n);
    b.setPartitionLeaderEpoch(4);
    expect(b.verifyCrc()).toBe(true);
    expect(b.lastOffset).toBe(1002n);
    expect(readRecords(b).map((r) => r.offset)).toEqual([1000n, 1001n, 1002n]);
  });

  it('LogAppendTime rewrite sets the timestamp type and a valid CRC', () => {
    const b = new RecordBatchHeader(buildRecordBatch(records));
    b.setLogAppendTime(42n);
    expect(b.isLogAppendTime).toBe(true);
    expect(b.verifyCrc()).toBe(true);
    expect(readRecords(b).every((r) => r.timestamp === 42n)).toBe(true);
  });

  it('any flipped bit inside the CRC-covered bytes is detected', () => {
    const clean = buildRecordBatch(records);
    fc.assert(fc.property(fc.integer({ min: 21, max: clean.length - 1 }), fc.integer({ min: 0, max: 7 }), (pos, bit) => {
      const buf = Buffer.from(clean);
      buf[pos]! ^= 1 << bit;
      expect(checkRecordBatch(new RecordBatchHeader(buf))).not.toBeUndefined();
    }));
  });

  it('splits concatenated batches and rejects a truncated one', () => {
    const a = buildRecordBatch(records.slice(0, 1));
    const c = buildRecordBatch(records.slice(1), { compression: CompressionCodec.gzip });
    const both = Buffer.concat([a, c]);
    expect(splitRecordBatches(both).map((b) => b.sizeBytes)).toEqual([a.length, c.length]);
    for (const cut of [1, 11, 12, 60, c.length - 1]) {
      expect(() => splitRecordBatches(both.subarray(0, a.length + cut))).toThrow(KafkaDecodeError);
    }
    expect(splitRecordBatches(Buffer.alloc(0))).toEqual([]);
  });

  it('rejects magic other than 2', () => {
    const buf = buildRecordBatch(records);
    buf[16] = 1;
    expect(checkRecordBatch(new RecordBatchHeader(buf))).toBe('unsupported-magic');
  });

  it('corrupt compressed data is a decode error', () => {
    for (const codec of [1, 2, 3, 4]) {
      const buf = buildRecordBatch(records, { compression: codec });
      buf.fill(0xaa, 61, Math.min(buf.length, 90));
      expect(() => readRecords(new RecordBatchHeader(buf))).toThrow(KafkaDecodeError);
    }
  });
});
