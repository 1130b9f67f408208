// Owns the records inside a v2 batch: iterating them (decompressing first
// when needed) and building batches from plain records. Fetch never calls
// this, nor does produce but for topics that look inside records (compacted
// ones need keys, validating ones keys and values); the group coordinator,
// compaction, tests and the benchmark's load generator do.

import { Reader } from '../primitives/reader.ts';
import { Writer } from '../primitives/writer.ts';
import { KafkaDecodeError } from '../primitives/decode-error.ts';
import { crc32c } from '../crc32c.ts';
import { compress, decompress } from './compression.ts';
import {
  ATTRIBUTES, CRC, RECORD_BATCH_HEADER_BYTES, LOG_OVERHEAD_BYTES, RecordBatchHeader,
} from './record-batch-header.ts';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface KafkaRecord {
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** Upper bound on records decoded from one batch, against hostile record counts. */
const RECORDS_PER_BATCH_MAX = 1_000_000;

function nullableVarBytes(r: Reader): Buffer | null {
  const len = r.varint();
  if (len < -1) throw new KafkaDecodeError(`invalid record field length ${len}`);
  return len === -1 ? null : r.raw(len);
}

/**
 * Each record's key and value only (views into the batch, or into its
 * decompressed records): what a produce-path check needs, without the
 * offsets, timestamps and headers readRecords decodes.
 */
export function readKeysAndValues(batch: RecordBatchHeader): { key: Buffer | null; value: Buffer | null }[] {
  const count = batch.recordCount;
  if (count < 0 || count > RECORDS_PER_BATCH_MAX) throw new KafkaDecodeError(`invalid record count ${count}`);
  const r = new Reader(decompress(batch.compression, batch.recordsSection()));
  const out: { key: Buffer | null; value: Buffer | null }[] = [];
  for (let i = 0; i < count; i++) {
    const length = r.varint();
    if (length < 0) throw new KafkaDecodeError(`invalid record length ${length}`);
    r.need(length);
    const end = r.pos + length;
    const rec = new Reader(r.buf, r.pos, end);
    r.pos = end;
    rec.int8();
    rec.varlong();
    rec.varint();
    const key = nullableVarBytes(rec);
    out.push({ key, value: nullableVarBytes(rec) });
  }
  return out;
}

/** Decodes every record of a batch, decompressing its records section if needed. */
export function readRecords(batch: RecordBatchHeader): KafkaRecord[] {
  const count = batch.recordCount;
  if (count < 0 || count > RECORDS_PER_BATCH_MAX) throw new KafkaDecodeError(`invalid record count ${count}`);
  const data = decompress(batch.compression, batch.recordsSection());
  const r = new Reader(data);
  const baseOffset = batch.baseOffset;
  const baseTimestamp = batch.baseTimestamp;
  const logAppend = batch.isLogAppendTime;
  const out: KafkaRecord[] = [];
  for (let i = 0; i < count; i++) {
    const length = r.varint();
    if (length < 0) throw new KafkaDecodeError(`invalid record length ${length}`);
    r.need(length);
    const rec = new Reader(r.buf, r.pos, r.pos + length);
    r.pos += length;
    rec.int8(); // record attributes: unused in v2
    const timestampDelta = rec.varlong();
    const offsetDelta = rec.varint();
    const key = nullableVarBytes(rec);
    const value = nullableVarBytes(rec);
    const headerCount = rec.varint();
    if (headerCount < 0 || headerCount > rec.remaining) throw new KafkaDecodeError(`invalid header count ${headerCount}`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const keyLen = rec.varint();
      if (keyLen < 0) throw new KafkaDecodeError('null record header key');
      const hkey = rec.raw(keyLen).toString('utf8');
      headers.push({ key: hkey, value: nullableVarBytes(rec) });
    }
    if (rec.remaining !== 0) throw new KafkaDecodeError(`record has ${rec.remaining} trailing bytes`);
    out.push({
      offset: baseOffset + BigInt(offsetDelta),
      timestamp: logAppend ? batch.maxTimestamp : baseTimestamp + timestampDelta,
      key,
      value,
      headers,
    });
  }
  return out;
}

export interface RecordInput {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: { key: string; value: Buffer | string | null }[];
  /** The record's offset delta in its batch (default: its index): a cleaned batch keeps the originals. */
  offsetDelta?: number;
  timestamp?: bigint;
}

export interface BatchOptions {
  baseOffset?: bigint;
  compression?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  /** The batch's last offset delta (default: records - 1): a cleaned batch keeps the original, gaps and all. */
  lastOffsetDelta?: number;
  /** A control batch (transaction markers): Kafka sets it only on batches the coordinator writes. */
  control?: boolean;
  partitionLeaderEpoch?: number;
  /** Used for records without their own timestamp. */
  timestamp?: bigint;
}

const toBuf = (v: Buffer | string | null | undefined): Buffer | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? Buffer.from(v) : v;

function writeVarBytes(w: Writer, b: Buffer | null): void {
  if (b === null) {
    w.varint(-1);
  } else {
    w.varint(b.length);
    w.raw(b);
  }
}

/** Builds one v2 batch, as a producer would, with a correct CRC. */
export function buildRecordBatch(records: readonly RecordInput[], opts: BatchOptions = {}): Buffer {
  // An empty batch keeps a producer's sequence and its offsets when every record of it went elsewhere.
  if (records.length === 0 && opts.lastOffsetDelta === undefined) throw new Error('a record batch needs at least one record, or the offsets it stands for');
  const now = opts.timestamp ?? BigInt(Date.now());
  const stamps = records.map((r) => r.timestamp ?? now);
  const baseTimestamp = stamps.reduce((a, b) => (b < a ? b : a), stamps[0] ?? now);
  const maxTimestamp = stamps.reduce((a, b) => (b > a ? b : a), stamps[0] ?? now);

  const body = new Writer(records.length * 64);
  records.forEach((rec, i) => {
    const one = new Writer(64);
    one.int8(0);
    one.varlong(stamps[i]! - baseTimestamp);
    one.varint(rec.offsetDelta ?? i);
    writeVarBytes(one, toBuf(rec.key));
    writeVarBytes(one, toBuf(rec.value));
    const headers = rec.headers ?? [];
    one.varint(headers.length);
    for (const h of headers) {
      const k = Buffer.from(h.key);
      one.varint(k.length);
      one.raw(k);
      writeVarBytes(one, toBuf(h.value));
    }
    body.varint(one.length);
    body.rawChunks(one.chunksView());
  });
  const codec = records.length === 0 ? 0 : opts.compression ?? 0;
  const section = compress(codec, body.toBuffer());

  const size = RECORD_BATCH_HEADER_BYTES + section.length;
  const out = Buffer.alloc(size);
  out.writeBigInt64BE(opts.baseOffset ?? 0n, 0);
  out.writeInt32BE(size - LOG_OVERHEAD_BYTES, 8);
  out.writeInt32BE(opts.partitionLeaderEpoch ?? -1, 12);
  out.writeInt8(2, 16);
  out.writeInt16BE(codec | (opts.transactional ? 0x10 : 0) | (opts.control ? 0x20 : 0), ATTRIBUTES);
  out.writeInt32BE(opts.lastOffsetDelta ?? records.length - 1, 23);
  out.writeBigInt64BE(baseTimestamp, 27);
  out.writeBigInt64BE(maxTimestamp, 35);
  out.writeBigInt64BE(opts.producerId ?? -1n, 43);
  out.writeInt16BE(opts.producerEpoch ?? -1, 51);
  out.writeInt32BE(opts.baseSequence ?? -1, 53);
  out.writeInt32BE(records.length, 57);
  section.copy(out, RECORD_BATCH_HEADER_BYTES);
  out.writeUInt32BE(crc32c(out, ATTRIBUTES, size), CRC);
  return out;
}
