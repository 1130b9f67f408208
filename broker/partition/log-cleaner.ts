// Owns Kafka's log cleaner for one partition of a compacted topic
// (cleanup.policy=compact): when the part of the log written since the last
// cleaning is a large enough share of the cleanable log (every uploaded
// region but the newest, older than min.compaction.lag.ms), it maps each key
// to its latest offset there and rewrites those regions keeping only the
// latest record per key, with offsets preserved (the log gets gaps),
// tombstones dropped once older than delete.retention.ms; and, whatever the
// ratio, once dirty records are older than max.compaction.lag.ms (KIP-354:
// then the newest region is cleaned too, as Kafka rolls its active segment
// for it; a region's age is its upload time). Only the log below the last
// stable offset is cleaned: there every transaction has ended, its batches
// of aborted transactions are removed and those of committed ones compacted
// like any other; a COMMIT marker goes once its transaction has no record
// left and it is older than delete.retention.ms (ABORT markers stay). The
// rewrite itself
// (objects, the fenced index swap) belongs to the stream store.

import { splitRecordBatches } from '../../protocol/records/record-batch-header.ts';
import { buildRecordBatch, readRecords } from '../../protocol/records/record.ts';
import type { StreamStore } from '../../s3stream/stream-store.ts';
import type { MetadataStore } from '../../s3stream/metadata/metadata-store.ts';
import type { Chunk } from '../../s3stream/stream-set-object.ts';
import { partitionRecordsPrefix, type AbortedTransaction } from './partition-transactions.ts';
import type { RecordBatchHeader } from '../../protocol/records/record-batch-header.ts';
import { markerType } from '../../protocol/records/control-record.ts';

export interface CleanerPolicy {
  minCleanableDirtyRatio: number;
  minCompactionLagMs: number;
  /** max.compaction.lag.ms: dirty records older than this are cleaned whatever the dirty ratio. */
  maxCompactionLagMs: number;
  deleteRetentionMs: number;
  /** Keys mapped per run at most (Kafka's log.cleaner.dedupe.buffer.size, counted in keys). */
  keysMax: number;
  /** Input bytes rewritten into one object region. */
  targetBytes: number;
  /** log.cleaner.io.max.bytes.per.second: called with each amount read or written. */
  paced?: (bytes: number) => Promise<void>;
}

export interface CleanerResult {
  cleaned: boolean;
  bytesIn: number;
  bytesOut: number;
  recordsRemoved: number;
  dirtyRatio: number;
}

/** Where the last cleaning of the stream ended (a key of the partition's own metadata, removed with it). */
const checkpointKey = (streamId: number): string => `${partitionRecordsPrefix(streamId)}cleaner`;

/** What the partition's leader knows of its transactions: where the stable log ends, and the aborted ones. */
export interface CleanerTransactions {
  lastStableOffset: number;
  abortedBetween(from: number, to: number): readonly AbortedTransaction[];
}

export async function cleanPartition(streams: StreamStore, metadata: MetadataStore, streamId: number, policy: CleanerPolicy, txns: CleanerTransactions, now = Date.now()): Promise<CleanerResult> {
  const none = (dirtyRatio: number): CleanerResult => ({ cleaned: false, bytesIn: 0, bytesOut: 0, recordsRemoved: 0, dirtyRatio });
  const regions = await streams.uploadedRegions(streamId);
  const checkpoint = ((await metadata.get(checkpointKey(streamId)))?.value as { cleanedTo: number } | undefined)?.cleanedTo ?? 0;
  const overdue = (r: (typeof regions)[number]): boolean => r.endOffset > checkpoint && r.uploadedAt !== undefined && now - r.uploadedAt >= policy.maxCompactionLagMs;
  // The newest region is the active part of the log: not cleaned, unless it holds records past max.compaction.lag.ms.
  const newest = regions.at(-1);
  const candidates = newest !== undefined && overdue(newest) ? regions : regions.slice(0, -1);
  const cleanable: typeof regions = [];
  for (const r of candidates) {
    if (r.uploadedAt !== undefined && now - r.uploadedAt < policy.minCompactionLagMs) break;
    // A transaction still open there: how it ends is not known yet (Kafka cleans below the LSO only).
    if (r.endOffset > txns.lastStableOffset) break;
    cleanable.push(r);
  }
  if (cleanable.length === 0) return none(0);
  const total = cleanable.reduce((n, r) => n + r.bytes, 0);
  const dirty = cleanable.filter((r) => r.baseOffset >= checkpoint).reduce((n, r) => n + r.bytes, 0);
  const dirtyRatio = total === 0 ? 0 : dirty / total;
  if (dirty === 0 || (dirtyRatio < policy.minCleanableDirtyRatio && !cleanable.some(overdue))) return none(dirtyRatio);

  // The latest offset of every key in the cleanable log (up to the bound: then only what was mapped is cleaned).
  const from = cleanable[0]!.baseOffset;
  let until = cleanable.at(-1)!.endOffset;
  const aborted = txns.abortedBetween(from, until);
  const isAborted = (b: RecordBatchHeader): boolean => b.isTransactional && !b.isControl
    && aborted.some((a) => a.producerId === b.producerId && Number(b.baseOffset) >= a.firstOffset && Number(b.baseOffset) < a.lastOffset);
  const latest = new Map<string, number>();
  let cur = from;
  scan: while (cur < until) {
    const chunks = await streams.read(streamId, cur, 4 << 20, until);
    if (chunks.length === 0) break;
    await policy.paced?.(chunks.reduce((n, c) => n + c.length, 0));
    for (const chunk of chunks) {
      for (const b of splitRecordBatches(chunk)) {
        if (Number(b.lastOffset) < cur) continue;
        if (!b.isControl && !isAborted(b)) {
          for (const r of readRecords(b)) {
            if (r.key === null) continue;
            latest.set(r.key.toString('latin1'), Number(r.offset));
          }
          if (latest.size > policy.keysMax) {
            // Clean only the regions wholly before this batch.
            until = Math.max(from, ...cleanable.filter((x) => x.endOffset <= Number(b.baseOffset)).map((x) => x.endOffset));
            break scan;
          }
        }
        cur = Number(b.lastOffset) + 1;
      }
    }
  }
  if (until <= from) return none(dirtyRatio);

  let recordsRemoved = 0;
  // A COMMIT marker goes, as in Kafka, once none of its transaction's records is left and it is older than
  // delete.retention.ms; only for a transaction wholly in this run's range (after the producer's previous marker
  // here), so no record of it can be left in a region not read.
  const previousMarker = new Set<bigint>();
  const keptSinceMarker = new Set<bigint>();
  const transform = (c: Chunk): Chunk => {
    const kept: Buffer[] = [];
    for (const b of splitRecordBatches(c.data)) {
      const bytes = c.data.subarray(b.start, b.start + b.sizeBytes);
      if (b.isControl) {
        const p = b.producerId;
        // ABORT markers stay: a read_committed consumer stops skipping an aborted transaction at its marker, and the
        // partition's aborted list (Fetch's aborted_transactions) is not swapped atomically with the log here.
        const commit = markerType(b) === 'commit';
        if (commit && previousMarker.has(p) && !keptSinceMarker.has(p) && now - Number(b.maxTimestamp) > policy.deleteRetentionMs) recordsRemoved += b.recordCount;
        else kept.push(bytes);
        previousMarker.add(p);
        keptSinceMarker.delete(p);
        continue;
      }
      if (isAborted(b)) {
        recordsRemoved += b.recordCount;
        continue;
      }
      const records = readRecords(b);
      const survivors = records.filter((r) => {
        if (r.key === null) return true;
        if (latest.get(r.key.toString('latin1')) !== Number(r.offset)) return false;
        return !(r.value === null && now - Number(r.timestamp) > policy.deleteRetentionMs);
      });
      recordsRemoved += records.length - survivors.length;
      if (b.isTransactional && survivors.length > 0) keptSinceMarker.add(b.producerId);
      if (survivors.length === records.length) kept.push(bytes);
      else if (survivors.length > 0) {
        kept.push(buildRecordBatch(survivors.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, offsetDelta: Number(r.offset - b.baseOffset) })), {
          baseOffset: b.baseOffset, lastOffsetDelta: b.lastOffsetDelta, compression: b.compression, producerId: b.producerId, producerEpoch: b.producerEpoch,
          baseSequence: b.baseSequence, partitionLeaderEpoch: b.partitionLeaderEpoch, transactional: b.isTransactional,
        }));
      }
    }
    return { baseOffset: c.baseOffset, endOffset: c.endOffset, data: Buffer.concat(kept) };
  };
  const r = await streams.rewriteRegions(streamId, from, until, transform, policy.targetBytes, policy.paced);
  if (r.rewrittenTo > checkpoint) await metadata.commit([{ op: 'put', key: checkpointKey(streamId), value: { cleanedTo: r.rewrittenTo } }]);
  return { cleaned: r.bytesIn > 0, bytesIn: r.bytesIn, bytesOut: r.bytesOut, recordsRemoved, dirtyRatio };
}
