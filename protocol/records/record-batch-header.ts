// Owns the RecordBatch v2 header: a zero-copy view over the bytes a producer
// sent, CRC-32C verification over exactly the bytes Kafka covers (attributes
// to the end of the batch), in-place rewrites of the fields outside the CRC
// (baseOffset, partitionLeaderEpoch), and splitting a `records` buffer into
// batches. It never decompresses or looks at individual records.

import { crc32c } from '../crc32c.ts';
import { KafkaDecodeError } from '../primitives/decode-error.ts';

// Byte offsets inside a v2 batch.
export const BASE_OFFSET = 0;
export const BATCH_LENGTH = 8;
export const PARTITION_LEADER_EPOCH = 12;
export const MAGIC = 16;
export const CRC = 17;
export const ATTRIBUTES = 21;
export const LAST_OFFSET_DELTA = 23;
export const BASE_TIMESTAMP = 27;
export const MAX_TIMESTAMP = 35;
export const PRODUCER_ID = 43;
export const PRODUCER_EPOCH = 51;
export const BASE_SEQUENCE = 53;
export const RECORDS_COUNT = 57;
/** Size of the v2 header; records (possibly compressed) follow. */
export const RECORD_BATCH_HEADER_BYTES = 61;
/** baseOffset and batchLength precede the bytes that batchLength counts. */
export const LOG_OVERHEAD_BYTES = 12;

export const CompressionCodec = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionCodecName = keyof typeof CompressionCodec;

const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_BIT = 0x08;
const TRANSACTIONAL_BIT = 0x10;
const CONTROL_BIT = 0x20;

export class RecordBatchHeader {
  /** The buffer holding the batch; the view aliases it. */
  readonly buf: Buffer;
  /** Where the batch starts in `buf`. */
  readonly start: number;

  constructor(buf: Buffer, start = 0) {
    this.buf = buf;
    this.start = start;
  }

  get baseOffset(): bigint { return this.buf.readBigInt64BE(this.start + BASE_OFFSET); }
  get batchLength(): number { return this.buf.readInt32BE(this.start + BATCH_LENGTH); }
  /** Total bytes of the batch including the offset and length prefix. */
  get sizeBytes(): number { return this.batchLength + LOG_OVERHEAD_BYTES; }
  get partitionLeaderEpoch(): number { return this.buf.readInt32BE(this.start + PARTITION_LEADER_EPOCH); }
  get magic(): number { return this.buf.readInt8(this.start + MAGIC); }
  get crc(): number { return this.buf.readUInt32BE(this.start + CRC); }
  get attributes(): number { return this.buf.readInt16BE(this.start + ATTRIBUTES); }
  get compression(): number { return this.attributes & COMPRESSION_MASK; }
  get isLogAppendTime(): boolean { return (this.attributes & TIMESTAMP_TYPE_BIT) !== 0; }
  get isTransactional(): boolean { return (this.attributes & TRANSACTIONAL_BIT) !== 0; }
  get isControl(): boolean { return (this.attributes & CONTROL_BIT) !== 0; }
  get lastOffsetDelta(): number { return this.buf.readInt32BE(this.start + LAST_OFFSET_DELTA); }
  get baseTimestamp(): bigint { return this.buf.readBigInt64BE(this.start + BASE_TIMESTAMP); }
  get maxTimestamp(): bigint { return this.buf.readBigInt64BE(this.start + MAX_TIMESTAMP); }
  get producerId(): bigint { return this.buf.readBigInt64BE(this.start + PRODUCER_ID); }
  get producerEpoch(): number { return this.buf.readInt16BE(this.start + PRODUCER_EPOCH); }
  get baseSequence(): number { return this.buf.readInt32BE(this.start + BASE_SEQUENCE); }
  get recordCount(): number { return this.buf.readInt32BE(this.start + RECORDS_COUNT); }
  get lastOffset(): bigint { return this.baseOffset + BigInt(this.lastOffsetDelta); }

  /** The batch bytes (a view, not a copy). */
  bytes(): Buffer {
    return this.buf.subarray(this.start, this.start + this.sizeBytes);
  }

  /** The records section after the header, compressed as the producer sent it. */
  recordsSection(): Buffer {
    return this.buf.subarray(this.start + RECORD_BATCH_HEADER_BYTES, this.start + this.sizeBytes);
  }

  computeCrc(): number {
    return crc32c(this.buf, this.start + ATTRIBUTES, this.start + this.sizeBytes);
  }

  verifyCrc(): boolean {
    return this.computeCrc() === this.crc;
  }

  /** baseOffset is outside the CRC: rewriting it keeps the batch valid. */
  setBaseOffset(offset: bigint): void {
    this.buf.writeBigInt64BE(offset, this.start + BASE_OFFSET);
  }

  /** partitionLeaderEpoch is outside the CRC too. */
  setPartitionLeaderEpoch(epoch: number): void {
    this.buf.writeInt32BE(epoch, this.start + PARTITION_LEADER_EPOCH);
  }

  /**
   * For topics with message.timestamp.type=LogAppendTime: Kafka sets the
   * timestamp-type bit and maxTimestamp, which are inside the CRC, so the CRC
   * is recomputed. Only the header is touched; records stay as sent.
   */
  setLogAppendTime(timestampMs: bigint): void {
    const attrs = this.attributes | TIMESTAMP_TYPE_BIT;
    this.buf.writeInt16BE(attrs, this.start + ATTRIBUTES);
    this.buf.writeBigInt64BE(timestampMs, this.start + MAX_TIMESTAMP);
    this.buf.writeUInt32BE(this.computeCrc(), this.start + CRC);
  }
}

/** Why a batch was rejected; mapped to a Kafka error code by the broker. */
export type BatchProblem =
  | 'truncated'
  | 'unsupported-magic'
  | 'bad-length'
  | 'crc-mismatch'
  | 'bad-record-count'
  | 'bad-compression';

/**
 * Splits a `records` buffer into batch views. Throws KafkaDecodeError for a
 * truncated last batch or a length field that cannot be right: a broker must
 * reject the whole partition's data, never store half of it.
 */
export function splitRecordBatches(records: Buffer): RecordBatchHeader[] {
  const out: RecordBatchHeader[] = [];
  let pos = 0;
  while (pos < records.length) {
    if (records.length - pos < LOG_OVERHEAD_BYTES) throw new KafkaDecodeError(`truncated batch header at ${pos}`);
    const batchLength = records.readInt32BE(pos + BATCH_LENGTH);
    const size = batchLength + LOG_OVERHEAD_BYTES;
    if (batchLength < RECORD_BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES) {
      throw new KafkaDecodeError(`batch length ${batchLength} at ${pos} is smaller than a v2 header`);
    }
    if (pos + size > records.length) throw new KafkaDecodeError(`truncated batch at ${pos}: needs ${size} bytes, has ${records.length - pos}`);
    out.push(new RecordBatchHeader(records, pos));
    pos += size;
  }
  return out;
}

/** Checks what a broker must check before accepting a batch; undefined when it is fine. */
export function checkRecordBatch(b: RecordBatchHeader): BatchProblem | undefined {
  if (b.magic !== 2) return 'unsupported-magic';
  if (b.lastOffsetDelta < 0 || b.recordCount < 0) return 'bad-record-count';
  // Uncompressed: every record takes at least 7 bytes, so the count bounds the length.
  if (b.compression === 0 && b.recordCount > b.recordsSection().length) return 'bad-record-count';
  if (b.compression > 4) return 'bad-compression';
  if (!b.verifyCrc()) return 'crc-mismatch';
  return undefined;
}
