// Owns one partition on its leader: validating produced batches, assigning
// offsets by rewriting baseOffset, idempotent-producer checks, appending to
// the partition's stream (client batches, and transaction markers from the
// coordinator), the high watermark (end of durable data), the last stable
// offset (through its PartitionTransactions) and waking long-polling
// fetches when they move. Invariants are asserted here:
// offsets are contiguous and the high watermark never passes the log end.
// Idempotent-producer state survives a move of the partition: the leader
// snapshots it below the high watermark every few seconds while appends go
// on, and the next leader starts from the snapshot and replays the log
// after it (and at least the tail), so a producer's retry after a failover
// is known however much was written since its last batch.

import { splitRecordBatches, checkRecordBatch, type RecordBatchHeader } from '../../protocol/records/record-batch-header.ts';
import { readRecords } from '../../protocol/records/record.ts';
import { recompressBatch } from '../../protocol/records/batch-recompression.ts';
import { KafkaDecodeError } from '../../protocol/primitives/decode-error.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { StreamFencedError, StreamNotFoundError, type StreamStore } from '../../s3stream/stream-store.ts';
import { ProducerStateTable } from './producer-state.ts';
import { discardProducerSnapshot, loadProducerSnapshot, storeProducerSnapshot, type SnapshotOutcome } from './producer-state-snapshots.ts';
import { PartitionTransactions } from './partition-transactions.ts';
import { buildTransactionMarker, markerType, type MarkerType } from '../../protocol/records/control-record.ts';
import type { MetadataStore } from '../../s3stream/metadata/metadata-store.ts';
import type { AbortedRange, FetchSource } from './fetch-source.ts';

export interface AppendOptions {
  /** 0, 1 or -1 (all). */
  acks: number;
  logAppendTime: boolean;
  maxMessageBytes: number;
  /** message.timestamp.before.max.ms / after.max.ms: how far a CreateTime record may be from now (LONG_MAX: no bound). */
  timestampBeforeMaxMs?: bigint;
  timestampAfterMaxMs?: bigint;
  /** compression.type other than producer: batches are stored re-encoded with this codec (and level). */
  recompress?: { codec: number; level: number | undefined };
}

const LONG_MAX = 9223372036854775807n;

export interface AppendResult {
  errorCode: number;
  errorMessage: string | null;
  baseOffset: number;
  /** -1 unless the topic uses LogAppendTime. */
  logAppendTimeMs: number;
  /** Resolves when the appended data is durable (already resolved for duplicates and errors). */
  durable: Promise<void>;
}

/** How much of a partition's tail is re-read (besides what follows its producer snapshot) to rebuild producer and transaction state on load. */
export const PRODUCER_STATE_REBUILD_BYTES = 16 * 1024 * 1024;
/**
 * By default (sequence.gap.grace.ms), for this long after a broker starts leading a partition, a batch ahead of
 * the next expected sequence is answered NOT_LEADER_OR_FOLLOWER (not written,
 * retriable), not OUT_OF_ORDER_SEQUENCE_NUMBER: the missing batches may be in
 * flight to, or just refused by, the old leader, and the client re-sends
 * them here. librdkafka sends the later batch to the new leader before it
 * hears of the earlier one's refusal (seen in a campaign: refused by one
 * broker, 2 ms later the next batch out of order at the other), and it
 * answers such an out-of-order batch with an epoch bump that re-sends every
 * unacknowledged record, so one whose write was in doubt is written twice.
 * A librdkafka request times out after 30 s (request.timeout.ms).
 */
export const SEQUENCE_GAP_GRACE_MS = 30_000;
/** A leader snapshots its producer state at most this often, when the high watermark has moved. */
export const PRODUCER_SNAPSHOT_INTERVAL_MS = 2000;

/**
 * The Kafka error for an exception met while serving a partition: its
 * stream was forgotten or fenced because leadership moved (the client asks
 * the new leader), else object storage failed (retriable, for that
 * partition only).
 */
export function partitionFailure(e: unknown): number {
  return e instanceof StreamNotFoundError || e instanceof StreamFencedError ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.KAFKA_STORAGE_ERROR;
}

const fail = (errorCode: number, errorMessage: string): AppendResult => ({ errorCode, errorMessage, baseOffset: -1, logAppendTimeMs: -1, durable: Promise.resolve() });

export class PartitionLog implements FetchSource {
  readonly topic: string;
  readonly partition: number;
  readonly streamId: number;
  /** The epoch this broker leads the partition at (its stream's owner epoch). */
  readonly leaderEpoch: number;
  /** Set when leadership is lost: appends are refused from then on. */
  closed = false;
  private readonly store: StreamStore;
  private readonly producers = new ProducerStateTable();
  private readonly metadata: MetadataStore;
  private readonly onSnapshot: (outcome: SnapshotOutcome) => void;
  /** The offset of the last snapshot stored or loaded, when it was taken, and whether one is being stored. */
  private snapshotOffset = 0;
  private snapshotAt = performance.now();
  private snapshotting = false;
  readonly transactions: PartitionTransactions;
  private hwWaiters: (() => void)[] = [];
  /** Resolves once producer state is rebuilt from the log's tail; appends wait for it. */
  readonly ready: Promise<void>;
  /** performance.now() when this broker began leading the partition at this epoch. */
  private readonly leadingSince = performance.now();
  private readonly sequenceGapGraceMs: number;
  /**
   * Whether another leader (another broker, or this one before a restart) may have answered this partition's
   * producers: not so for a partition created here and never moved, whose gaps are Kafka's OUT_OF_ORDER at once.
   */
  private readonly hadPredecessor: boolean;

  constructor(topic: string, partition: number, streamId: number, store: StreamStore, leaderEpoch: number, metadata: MetadataStore, onSnapshot: (outcome: SnapshotOutcome) => void = () => undefined, sequenceGapGraceMs = SEQUENCE_GAP_GRACE_MS) {
    this.sequenceGapGraceMs = sequenceGapGraceMs;
    this.leaderEpoch = leaderEpoch;
    this.hadPredecessor = leaderEpoch > 0 || store.endOffset(streamId) > 0;
    this.metadata = metadata;
    this.onSnapshot = onSnapshot;
    this.topic = topic;
    this.partition = partition;
    this.streamId = streamId;
    this.store = store;
    this.transactions = new PartitionTransactions(metadata, streamId, () => this.logEndOffset);
    this.ready = this.rebuildProducerState();
  }

  /**
   * After a restart or a move, a producer may retry a batch that was written
   * but not acknowledged. Its sequence must be known or the retry is
   * appended twice: the last snapshot gives the state below its offset, the
   * log from there on (and at least its tail, for transactions) the rest.
   */
  private async rebuildProducerState(): Promise<void> {
    await this.transactions.load();
    const stored = await loadProducerSnapshot(this.metadata, this.streamId);
    // A snapshot past the log's end describes records this log no longer has (an unclean leader
    // election lost a dead local-wal broker's WAL): it cannot be trusted, the tail alone is read.
    const snapshot = stored !== undefined && stored.offset <= this.store.endOffset(this.streamId) ? stored : undefined;
    if (stored !== undefined && snapshot === undefined) await discardProducerSnapshot(this.metadata, this.streamId);
    if (snapshot !== undefined) {
      this.producers.restore(snapshot.producers);
      this.snapshotOffset = snapshot.offset;
    }
    for (const chunk of await this.store.readTail(this.streamId, PRODUCER_STATE_REBUILD_BYTES, snapshot?.offset)) {
      for (const b of splitRecordBatches(chunk)) {
        if (b.producerId < 0n) continue;
        const marker = markerType(b);
        const offset = Number(b.baseOffset);
        // Below the snapshot, the snapshot already holds the producer's state (replaying it again would repeat batches).
        if (offset >= this.snapshotOffset) {
          if (b.isControl) this.producers.markerAt(b.producerId, b.producerEpoch, offset);
          else this.producers.record(b.producerId, b.producerEpoch, b.baseSequence, b.baseSequence + b.lastOffsetDelta, offset, Number(b.maxTimestamp));
        }
        await this.transactions.replay(b.producerId, offset, marker, b.isTransactional);
      }
    }
  }

  /** Stores a snapshot below the high watermark when the last is old enough and behind; one at a time, never throws. */
  private maybeSnapshot(): void {
    if (this.snapshotting || this.closed || performance.now() - this.snapshotAt < PRODUCER_SNAPSHOT_INTERVAL_MS) return;
    const offset = this.highWatermark;
    if (offset <= this.snapshotOffset || this.producers.size === 0) return;
    this.snapshotting = true;
    this.snapshotAt = performance.now();
    void storeProducerSnapshot(this.metadata, this.streamId, { offset, producers: this.producers.snapshot(offset) }).then((outcome) => {
      this.snapshotting = false;
      if (outcome !== 'failed') this.snapshotOffset = offset;
      this.onSnapshot(outcome);
    });
  }

  get logStartOffset(): number {
    return this.store.startOffset(this.streamId);
  }

  get logEndOffset(): number {
    return this.store.endOffset(this.streamId);
  }

  get highWatermark(): number {
    const hw = this.store.durableEndOffset(this.streamId);
    if (hw > this.logEndOffset) throw new Error(`invariant: high watermark ${hw} past log end ${this.logEndOffset}`);
    return hw;
  }

  /** The last stable offset: read_committed consumers read below it (no open transaction starts before it). */
  get lastStableOffset(): number {
    return this.transactions.lastStableOffset(this.highWatermark);
  }

  /** The producers with state here (DescribeProducers), with where their open transaction began (-1 if none). */
  activeProducers(): { producerId: bigint; epoch: number; lastSequence: number; lastTimestamp: number; currentTxnStartOffset: number }[] {
    return this.producers.entries().map((p) => ({ ...p, currentTxnStartOffset: this.transactions.firstOffsetOf(p.producerId) }));
  }

  abortedBetween(from: number, to: number): AbortedRange[] {
    return this.transactions.abortedBetween(from, to);
  }

  /** Registers a one-shot callback for the next high-watermark move. */
  onHighWatermarkChange(fn: () => void): () => void {
    this.hwWaiters.push(fn);
    return () => { this.hwWaiters = this.hwWaiters.filter((w) => w !== fn); };
  }

  private notifyHighWatermark(): void {
    const ws = this.hwWaiters;
    this.hwWaiters = [];
    for (const w of ws) w();
    this.maybeSnapshot();
  }

  /**
   * Validates and appends the `records` of one partition of a Produce
   * request. Offsets are rewritten in place in the request's buffer (the
   * stream store keeps its own copy); records are never decoded.
   */
  /** False once closed on a hand-over or fenced (its stream forgotten because another epoch took it over). */
  get serving(): boolean {
    return !this.closed && this.store.has(this.streamId);
  }

  /**
   * Whether this broker still leads the partition by the metadata store (an
   * answer only the current leader may give, such as an out-of-order
   * sequence, is checked first); false when the store cannot say.
   */
  async confirmLeadership(): Promise<boolean> {
    try {
      return await this.store.stillOwned(this.streamId);
    } catch {
      return false;
    }
  }

  append(data: Buffer, opts: AppendOptions): AppendResult {
    // Closed on hand-over, or its stream forgotten because another broker took it over (fenced).
    if (!this.serving) {
      this.closed = true;
      return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER, `this broker no longer leads ${this.topic}-${this.partition}`);
    }
    let batches: RecordBatchHeader[];
    try {
      batches = splitRecordBatches(data);
    } catch (e) {
      if (e instanceof KafkaDecodeError) return fail(ErrorCode.CORRUPT_MESSAGE, e.message);
      throw e;
    }
    if (batches.length === 0) return fail(ErrorCode.CORRUPT_MESSAGE, 'no record batch in the request');
    for (const b of batches) {
      const problem = checkRecordBatch(b);
      if (problem === 'unsupported-magic') return fail(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `record batch magic ${b.magic} is not supported; floe accepts magic 2 only`);
      if (problem !== undefined) return fail(ErrorCode.CORRUPT_MESSAGE, `record batch rejected: ${problem}`);
      if (b.sizeBytes > opts.maxMessageBytes) return fail(ErrorCode.MESSAGE_TOO_LARGE, `batch of ${b.sizeBytes} bytes exceeds max.message.bytes ${opts.maxMessageBytes}`);
      if (b.isControl) return fail(ErrorCode.INVALID_RECORD, 'control batches are written by the transaction coordinator, not by producers');
      if (b.isTransactional && b.producerId < 0n) return fail(ErrorCode.INVALID_RECORD, 'a transactional batch needs a producer id');
      if (!opts.logAppendTime) {
        let late: string | undefined;
        try {
          late = timestampProblem(b, opts.timestampBeforeMaxMs ?? LONG_MAX, opts.timestampAfterMaxMs ?? LONG_MAX);
        } catch (e) {
          if (e instanceof KafkaDecodeError) return fail(ErrorCode.CORRUPT_MESSAGE, e.message);
          throw e;
        }
        if (late !== undefined) return fail(ErrorCode.INVALID_TIMESTAMP, late);
      }
    }
    if (opts.recompress !== undefined && batches.some((b) => b.compression !== opts.recompress!.codec)) {
      // Kafka re-encodes for the topic's codec on the broker; only the topics that ask for it pay.
      const { codec, level } = opts.recompress;
      try {
        data = Buffer.concat(batches.map((b) => recompressBatch(b, codec, level)));
      } catch (e) {
        if (e instanceof KafkaDecodeError) return fail(ErrorCode.CORRUPT_MESSAGE, e.message);
        throw e;
      }
      batches = splitRecordBatches(data);
      for (const b of batches) {
        if (b.sizeBytes > opts.maxMessageBytes) return fail(ErrorCode.MESSAGE_TOO_LARGE, `batch of ${b.sizeBytes} bytes once compressed for the topic exceeds max.message.bytes ${opts.maxMessageBytes}`);
      }
    }
    // Idempotence: all batches of one request come from one producer in practice; check each in order.
    const first = batches[0]!;
    const pid = first.producerId;
    if (pid >= 0n) {
      if (batches.length > 1) return fail(ErrorCode.INVALID_RECORD, 'an idempotent produce request carries one batch per partition');
      const lastSeq = first.baseSequence + first.lastOffsetDelta;
      const check = this.producers.check(pid, first.producerEpoch, first.baseSequence, lastSeq);
      if (check.kind === 'duplicate') {
        // Kafka answers a retried batch with its first copy's offset once that copy is replicated; here, once it is durable.
        return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: check.baseOffset, logAppendTimeMs: -1, durable: check.durable };
      }
      if (check.kind === 'error') {
        if (check.gap === true && this.hadPredecessor && performance.now() - this.leadingSince < this.sequenceGapGraceMs) {
          return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER, `leader of ${this.topic}-${this.partition} for less than ${this.sequenceGapGraceMs} ms and batches before this one are missing (${check.message}): re-send them first`);
        }
        return fail(check.errorCode, check.message);
      }
    }
    const base = this.store.endOffset(this.streamId);
    let next = base;
    const now = opts.logAppendTime ? Date.now() : -1;
    for (const b of batches) {
      b.setBaseOffset(BigInt(next));
      b.setPartitionLeaderEpoch(this.leaderEpoch);
      if (opts.logAppendTime) b.setLogAppendTime(BigInt(now));
      next += b.lastOffsetDelta + 1;
    }
    // The first batch of a transaction here opens it (the last stable offset stops there) before it is acknowledged.
    const opened = first.isTransactional ? this.transactions.begin(pid, base) : undefined;
    const written = this.store.append(this.streamId, base, next, data).then(() => this.notifyHighWatermark());
    const durable = opened === undefined ? written : Promise.all([written, opened]).then(() => undefined);
    if (pid >= 0n) this.producers.record(pid, first.producerEpoch, first.baseSequence, first.baseSequence + first.lastOffsetDelta, base, Number(first.maxTimestamp), durable);
    return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: base, logAppendTimeMs: now, durable };
  }

  /**
   * Writes a transaction marker of `producerId` (from the transaction
   * coordinator) and ends its transaction here; resolves once the marker is
   * durable and the end is recorded. A producer with no transaction open
   * here still gets the marker (a retried completion is harmless).
   */
  async appendMarker(producerId: bigint, producerEpoch: number, type: MarkerType, coordinatorEpoch: number): Promise<void> {
    if (this.closed || !this.store.has(this.streamId)) {
      this.closed = true;
      throw new StreamNotFoundError(this.streamId);
    }
    await this.ready;
    const data = buildTransactionMarker(producerId, producerEpoch, type, coordinatorEpoch);
    const [b] = splitRecordBatches(data);
    const base = this.store.endOffset(this.streamId);
    b!.setBaseOffset(BigInt(base));
    b!.setPartitionLeaderEpoch(this.leaderEpoch);
    this.producers.markerAt(producerId, producerEpoch, base);
    await this.store.append(this.streamId, base, base + 1, data);
    this.notifyHighWatermark();
    await this.transactions.end(producerId, type, base);
    // The last stable offset may have moved: long-polling read_committed fetches look again.
    this.notifyHighWatermark();
  }

  /** Whole batches from `offset` up to `upTo` (the high watermark, or the last stable offset for read_committed), first batch always, then up to maxBytes. */
  read(offset: number, maxBytes: number, upTo = this.highWatermark, stopBy?: number): Promise<Buffer[]> {
    return this.store.read(this.streamId, offset, maxBytes, upTo, stopBy);
  }

  /**
   * Every batch from the log start to the high watermark, once each, in
   * offset order (for the few features that scan: timestamp lookups, the
   * group coordinator's replay). Batches are views into the read buffers.
   */
  async *batches(): AsyncGenerator<RecordBatchHeader> {
    let cur = this.logStartOffset;
    const hw = this.highWatermark;
    while (cur < hw) {
      const chunks = await this.store.read(this.streamId, cur, 4 << 20, hw);
      if (chunks.length === 0) return;
      for (const chunk of chunks) {
        for (const b of splitRecordBatches(chunk)) {
          if (Number(b.lastOffset) < cur) continue;
          yield b;
          cur = Number(b.lastOffset) + 1;
        }
      }
    }
  }

  /** First record with a timestamp >= ts, or -1 (ListOffsets by timestamp). Scans batch headers; no time index yet. */
  async offsetForTimestamp(ts: number): Promise<{ offset: number; timestamp: number }> {
    const start = this.logStartOffset;
    for await (const b of this.batches()) {
      if (Number(b.maxTimestamp) < ts) continue;
      for (const r of readRecords(b)) {
        if (Number(r.offset) >= start && Number(r.timestamp) >= ts) return { offset: Number(r.offset), timestamp: Number(r.timestamp) };
      }
    }
    return { offset: -1, timestamp: -1 };
  }

  /** Offset and timestamp of the record with the largest timestamp (ListOffsets MAX_TIMESTAMP). */
  async maxTimestamp(): Promise<{ offset: number; timestamp: number }> {
    let best = { offset: -1, timestamp: -1 };
    const start = this.logStartOffset;
    for await (const b of this.batches()) {
      if (Number(b.maxTimestamp) <= best.timestamp) continue;
      for (const r of readRecords(b)) {
        if (Number(r.offset) >= start && Number(r.timestamp) > best.timestamp) best = { offset: Number(r.offset), timestamp: Number(r.timestamp) };
      }
    }
    return best;
  }

  async deleteRecordsBefore(offset: number): Promise<void> {
    await this.store.trim(this.streamId, offset);
    await this.transactions.trimBefore(this.logStartOffset);
  }
}

/**
 * Kafka's check of CreateTime timestamps against message.timestamp.before/after.max.ms.
 * The future bound reads the batch's maxTimestamp (no decompression); the past
 * bound, when set, reads each record, as it needs the smallest.
 */
function timestampProblem(b: RecordBatchHeader, beforeMaxMs: bigint, afterMaxMs: bigint): string | undefined {
  if (afterMaxMs === LONG_MAX && beforeMaxMs === LONG_MAX) return undefined;
  const now = BigInt(Date.now());
  const range = `The timestamp should be within [${beforeMaxMs === LONG_MAX ? '-inf' : now - beforeMaxMs}, ${afterMaxMs === LONG_MAX ? '+inf' : now + afterMaxMs}]`;
  if (afterMaxMs !== LONG_MAX && b.maxTimestamp > now + afterMaxMs) return `Timestamp ${b.maxTimestamp} of a record in the batch is out of range. ${range}`;
  if (beforeMaxMs === LONG_MAX) return undefined;
  for (const r of readRecords(b)) {
    if (r.timestamp >= 0n && r.timestamp < now - beforeMaxMs) return `Timestamp ${r.timestamp} of message with offset delta ${r.offset} is out of range. ${range}`;
  }
  return undefined;
}
