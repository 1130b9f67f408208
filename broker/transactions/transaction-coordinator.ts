// Owns Kafka's transaction coordinator on this broker: per transactional id
// its producer id and epoch, timeout, state (Empty, Ongoing, PrepareCommit,
// PrepareAbort, CompleteCommit, CompleteAbort) and the partitions and
// groups of the open transaction. Every state change is appended (acks=all)
// to __transaction_state, partition hash(transactional id) as in Kafka, and
// replayed when this broker comes to lead that partition; a transaction
// found half-completed is completed then. Completing writes the COMMIT or
// ABORT marker to every partition of the transaction and ends its pending
// group offsets. Transactions past their timeout are aborted, with the
// producer fenced. It does not validate produce batches (PartitionLog does)
// and answers wire requests only through the handlers.
//
// In a fleet the coordinator of a transactional id is the leader of its
// __transaction_state partition; markers reach partitions led elsewhere
// through WriteTxnMarkers (TransactionMarkers).

import { ErrorCode } from '../../protocol/errors.ts';
import { buildRecordBatch, readRecords } from '../../protocol/records/record.ts';
import type { Broker } from '../broker.ts';
import { partitionFailure, type PartitionLog } from '../partition/partition-log.ts';
import type { BrokerRegistration } from '../cluster/cluster-view.ts';
import { OFFSETS_TOPIC } from '../groups/group-coordinator.ts';
import { TransactionMarkers, TransactionMarkersNotWrittenError, type MarkerTarget } from './transaction-markers.ts';
import { AddPartitionsToTxnApi } from '../../protocol/generated/index.ts';
import { defaultAddPartitionsToTxnRequest } from '../../protocol/generated/AddPartitionsToTxnRequest.ts';
import { BrokerUnreachableError } from '../cluster/broker-links.ts';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';
/** Bound on transactional ids tracked; InitProducerId for one more gets COORDINATOR_NOT_AVAILABLE. */
export const TRANSACTIONAL_IDS_MAX = 100_000;
/** Epochs are int16; at the last one a producer gets a new producer id (as Kafka does). */
const EPOCH_MAX = 32766;
/** How long completing a transaction keeps trying to write its markers (leaders may be moving) before it is retried later. */
const PARTITION_WAIT_MS = 30_000;

export type TransactionState = 'Empty' | 'Ongoing' | 'PrepareCommit' | 'PrepareAbort' | 'CompleteCommit' | 'CompleteAbort';

interface TransactionMetadata {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  timeoutMs: number;
  state: TransactionState;
  /** topic → partitions of the open (or completing) transaction. */
  partitions: Map<string, Set<number>>;
  /** Groups whose offsets the transaction commits (AddOffsetsToTxn). */
  groups: Set<string>;
  startMs: number;
  updateMs: number;
}

interface PersistedTransaction {
  pid: string; epoch: number; timeoutMs: number; state: TransactionState;
  partitions: [string, number[]][]; groups: string[]; startMs: number; updateMs: number;
}

const INTERNAL_APPEND = { acks: -1, logAppendTime: false, maxMessageBytes: Number.MAX_SAFE_INTEGER } as const;

function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** A producer's request names a transaction that is not (or no longer) its own. */
function producerError(t: TransactionMetadata | undefined, producerId: bigint, producerEpoch: number): number | undefined {
  if (t === undefined || t.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
  if (producerEpoch !== t.producerEpoch) return ErrorCode.PRODUCER_FENCED;
  return undefined;
}

/**
 * A transaction's state could not be written: its __transaction_state
 * partition moved away (NOT_COORDINATOR: the client asks the new
 * coordinator, which replays what was written) or could not be written now
 * (COORDINATOR_NOT_AVAILABLE, retriable).
 */
class TransactionStateWriteError extends Error {
  readonly errorCode: number;
  /** `partitionError`: what the __transaction_state partition answered (NOT_LEADER_OR_FOLLOWER when it moved). */
  constructor(partitionError: number, message: string) {
    super(message);
    this.errorCode = partitionError === ErrorCode.NOT_LEADER_OR_FOLLOWER ? ErrorCode.NOT_COORDINATOR : ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
}

export class TransactionCoordinator {
  private readonly broker: Broker;
  private readonly numPartitions: number;
  private readonly transactions = new Map<string, TransactionMetadata>();
  /** producer id → transactional id, for the produce path's check. */
  private readonly byProducerId = new Map<bigint, string>();
  /** Per transactional id, the chain of its operations: one at a time, in arrival order. */
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly loaded = new Set<number>();
  private readonly loading = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  /** Per __transaction_state partition: bytes appended since its last checkpoint, and appends not yet applied. */
  private readonly bytesSinceCheckpoint = new Map<number, number>();
  private readonly persistsInFlight = new Map<number, number>();
  private readonly checkpointing = new Set<number>();
  /** Counters since start (floe_transactions and friends). */
  readonly stats = { committed: 0, aborted: 0, timedOut: 0, fenced: 0, markersWritten: 0, remoteVerifications: 0 };

  private readonly segmentBytes: number;
  readonly markers: TransactionMarkers;

  constructor(broker: Broker, numPartitions: number, segmentBytes: number) {
    this.broker = broker;
    this.markers = new TransactionMarkers(broker);
    this.numPartitions = numPartitions;
    this.segmentBytes = segmentBytes;
  }

  /** Creates __transaction_state if absent; starts the timeout check. */
  async load(): Promise<void> {
    if (this.broker.topics.get(TRANSACTION_STATE_TOPIC) === undefined) {
      await this.broker.createTopic(TRANSACTION_STATE_TOPIC, this.numPartitions, { 'cleanup.policy': 'delete' });
    }
    const every = this.broker.config.transactionAbortTimedOutTransactionCleanupIntervalMs;
    this.timer = setInterval(() => { void this.abortTimedOut().catch((e: unknown) => this.broker.log.warn({ err: (e as Error).message }, 'transaction timeout check failed')); }, every);
    this.timer.unref();
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  /** Why this broker cannot coordinate the transactional id now (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS), or undefined. */
  coordinatorError(transactionalId: string): number | undefined {
    if (this.broker.topics.get(TRANSACTION_STATE_TOPIC) === undefined) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const p = this.partitionOf(transactionalId);
    if (this.loaded.has(p)) return undefined;
    return this.loading.has(p) ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NOT_COORDINATOR;
  }

  /** The live broker leading the transactional id's __transaction_state partition (FindCoordinator). */
  coordinatorOf(transactionalId: string): BrokerRegistration | undefined {
    const topic = this.broker.topics.get(TRANSACTION_STATE_TOPIC);
    if (topic === undefined) return undefined;
    return this.broker.member.view.liveLeader(topic.streams[this.partitionOf(transactionalId)]!);
  }

  /** Another live broker coordinates the id: its state is there, checks go there (verifyWithCoordinator). */
  coordinatedElsewhere(transactionalId: string): boolean {
    const c = this.coordinatorOf(transactionalId);
    return c !== undefined && c.nodeId !== this.broker.member.view.nodeId;
  }

  private partitionOf(transactionalId: string): number {
    return Math.abs(javaStringHash(transactionalId)) % this.broker.topics.get(TRANSACTION_STATE_TOPIC)!.streams.length;
  }

  /** Leadership hook: a __transaction_state partition led here is replayed; half-completed transactions are completed. */
  async onLead(topic: string, partition: number, log: PartitionLog): Promise<void> {
    if (topic !== TRANSACTION_STATE_TOPIC) return;
    this.loading.add(partition);
    try {
      let bytes = 0;
      for await (const b of log.batches()) {
        bytes += b.sizeBytes;
        for (const r of readRecords(b)) {
          if (r.key === null) continue;
          const id = r.key.toString();
          if (r.value === null) {
            this.forget(id);
            continue;
          }
          const v = JSON.parse(r.value.toString()) as PersistedTransaction;
          this.remember({
            transactionalId: id, producerId: BigInt(v.pid), producerEpoch: v.epoch, timeoutMs: v.timeoutMs, state: v.state,
            partitions: new Map(v.partitions.map(([t, ps]) => [t, new Set(ps)])), groups: new Set(v.groups), startMs: v.startMs, updateMs: v.updateMs,
          });
        }
      }
      this.bytesSinceCheckpoint.set(partition, bytes);
      if (!log.closed) this.loaded.add(partition);
    } finally {
      this.loading.delete(partition);
    }
    // Completing writes markers to partitions that may still be opening: not awaited here.
    for (const t of [...this.transactions.values()]) {
      if (this.partitionOf(t.transactionalId) !== partition) continue;
      if (t.state === 'PrepareCommit' || t.state === 'PrepareAbort') {
        void this.completeIfPrepared(t.transactionalId).catch((e: unknown) => {
          this.broker.log.warn({ err: (e as Error).message, transactionalId: t.transactionalId }, 'completing a recovered transaction failed; the timeout check retries');
        });
      }
    }
  }

  onLose(topic: string, partition: number): void {
    if (topic !== TRANSACTION_STATE_TOPIC) return;
    this.loaded.delete(partition);
    for (const id of [...this.transactions.keys()]) if (this.partitionOf(id) === partition) this.forget(id);
  }

  private remember(t: TransactionMetadata): void {
    const old = this.transactions.get(t.transactionalId);
    if (old !== undefined && old.producerId !== t.producerId) this.byProducerId.delete(old.producerId);
    this.transactions.set(t.transactionalId, t);
    this.byProducerId.set(t.producerId, t.transactionalId);
  }

  private forget(id: string): void {
    const t = this.transactions.get(id);
    if (t === undefined) return;
    this.transactions.delete(id);
    if (this.byProducerId.get(t.producerId) === id) this.byProducerId.delete(t.producerId);
  }

  /** Runs `op` after every earlier operation on the same transactional id. */
  private serially<T>(id: string, op: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(id) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(op);
    this.chains.set(id, next);
    void next.catch(() => undefined).then(() => { if (this.chains.get(id) === next) this.chains.delete(id); });
    return next;
  }

  /**
   * Runs a client's operation on the id in turn, as the id's coordinator: if
   * this broker stopped coordinating it meanwhile (the partition moved while
   * earlier operations ran, and the id's state was forgotten) the client is
   * told so and asks the new coordinator, never judged against state this
   * broker no longer has (that answered INVALID_PRODUCER_ID_MAPPING, and
   * librdkafka gave the transaction up). A state write that fails, or
   * markers not written in time after the outcome is decided, is retriable:
   * the retried EndTxn finds the outcome prepared, then complete.
   */
  private coordinated<T>(id: string, failed: (errorCode: number) => T, op: () => Promise<T>): Promise<T> {
    return this.serially(id, async () => {
      const notHere = this.coordinatorError(id);
      if (notHere !== undefined) return failed(notHere);
      try {
        return await op();
      } catch (e) {
        if (e instanceof TransactionStateWriteError) return failed(e.errorCode);
        if (e instanceof TransactionMarkersNotWrittenError) return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE);
        throw e;
      }
    });
  }

  private static record(t: TransactionMetadata): { key: string; value: string } {
    const v: PersistedTransaction = {
      pid: t.producerId.toString(), epoch: t.producerEpoch, timeoutMs: t.timeoutMs, state: t.state,
      partitions: [...t.partitions].map(([topicName, ps]) => [topicName, [...ps]]), groups: [...t.groups], startMs: t.startMs, updateMs: t.updateMs,
    };
    return { key: t.transactionalId, value: JSON.stringify(v) };
  }

  /**
   * Appends the transaction's new state (acks=all) to its __transaction_state
   * partition and, once durable, makes it the current one.
   */
  private async persist(t: TransactionMetadata): Promise<void> {
    await this.append(t.transactionalId, [TransactionCoordinator.record(t)], () => this.remember(t));
  }

  private async append(transactionalId: string, records: { key: string; value: string | null }[], apply: () => void): Promise<void> {
    const p = this.partitionOf(transactionalId);
    const log = this.broker.partition(this.broker.topics.get(TRANSACTION_STATE_TOPIC)!, p);
    if (log === undefined || !this.loaded.has(p)) throw new TransactionStateWriteError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `__transaction_state partition of ${transactionalId} is not led here`);
    const batch = buildRecordBatch(records);
    const res = log.append(batch, INTERNAL_APPEND);
    if (res.errorCode !== ErrorCode.NONE) throw new TransactionStateWriteError(res.errorCode, `__transaction_state append failed: ${res.errorMessage}`);
    this.persistsInFlight.set(p, (this.persistsInFlight.get(p) ?? 0) + 1);
    try {
      try {
        await res.durable;
      } catch (e) {
        throw new TransactionStateWriteError(partitionFailure(e), `__transaction_state append failed: ${(e as Error).message}`);
      }
      // Lost meanwhile: the new coordinator replays the record; this broker keeps no state for ids it does not coordinate.
      if (!this.loaded.has(p)) throw new TransactionStateWriteError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `__transaction_state partition of ${transactionalId} moved away`);
      apply();
    } finally {
      this.persistsInFlight.set(p, this.persistsInFlight.get(p)! - 1);
    }
    this.wrote(p, log, batch.length);
  }

  /**
   * Keeps a __transaction_state partition bounded: past segment bytes, the
   * current state of every transactional id of the partition is appended and
   * everything before it trimmed (Kafka compacts this topic). Built and
   * appended in one step while no state change is between append and apply.
   */
  private wrote(p: number, log: PartitionLog, bytes: number): void {
    const total = (this.bytesSinceCheckpoint.get(p) ?? 0) + bytes;
    this.bytesSinceCheckpoint.set(p, total);
    if (total < this.segmentBytes || this.checkpointing.has(p) || (this.persistsInFlight.get(p) ?? 0) > 0) return;
    this.checkpointing.add(p);
    const records = [...this.transactions.values()].filter((t) => this.partitionOf(t.transactionalId) === p).map((t) => TransactionCoordinator.record(t));
    const batches: Buffer[] = [];
    for (let i = 0; i < records.length; i += 1000) batches.push(buildRecordBatch(records.slice(i, i + 1000)));
    let from = log.highWatermark;
    const results = batches.map((b) => log.append(b, INTERNAL_APPEND));
    void (async () => {
      for (const [i, res] of results.entries()) {
        if (res.errorCode !== ErrorCode.NONE) throw new Error(res.errorMessage ?? 'checkpoint append failed');
        if (i === 0) from = res.baseOffset;
        await res.durable;
      }
      await log.deleteRecordsBefore(from);
      this.bytesSinceCheckpoint.set(p, batches.reduce((n, b) => n + b.length, 0));
      this.broker.log.info({ partition: p, transactionalIds: records.length, from }, '__transaction_state partition checkpointed and trimmed');
    })().catch((e: unknown) => {
      this.broker.log.warn({ err: (e as Error).message, partition: p }, '__transaction_state checkpoint failed; will retry');
    }).finally(() => this.checkpointing.delete(p));
  }

  /**
   * InitProducerId with a transactional id: a producer id and a new epoch,
   * which fences every older instance; an open transaction of the id is
   * aborted first (its markers at the new epoch).
   */
  initProducerId(transactionalId: string, timeoutMs: number, reqProducerId: bigint, reqEpoch: number, apiVersion: number): Promise<{ errorCode: number; producerId: bigint; producerEpoch: number }> {
    const failed = (errorCode: number): { errorCode: number; producerId: bigint; producerEpoch: number } => ({ errorCode, producerId: -1n, producerEpoch: -1 });
    if (timeoutMs <= 0 || timeoutMs > this.broker.config.transactionMaxTimeoutMs) return Promise.resolve(failed(ErrorCode.INVALID_TRANSACTION_TIMEOUT));
    return this.coordinated(transactionalId, failed, async () => {
      let t = this.transactions.get(transactionalId);
      const now = Date.now();
      if (t === undefined) {
        if (this.transactions.size >= TRANSACTIONAL_IDS_MAX) return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE);
        t = { transactionalId, producerId: BigInt(await this.broker.producerIds.nextId()), producerEpoch: 0, timeoutMs, state: 'Empty', partitions: new Map(), groups: new Set(), startMs: now, updateMs: now };
        await this.persist(t);
        return { errorCode: ErrorCode.NONE, producerId: t.producerId, producerEpoch: t.producerEpoch };
      }
      // KIP-360: a producer re-initialising names its id and epoch; another instance's are fenced.
      if (reqProducerId >= 0n && (reqProducerId !== t.producerId || reqEpoch !== t.producerEpoch)) {
        return failed(apiVersion >= 4 ? ErrorCode.PRODUCER_FENCED : ErrorCode.INVALID_PRODUCER_EPOCH);
      }
      if (t.state === 'PrepareCommit' || t.state === 'PrepareAbort') return failed(ErrorCode.CONCURRENT_TRANSACTIONS);
      const next = { ...t, partitions: new Map(t.partitions), groups: new Set(t.groups) };
      if (next.producerEpoch >= EPOCH_MAX) {
        next.producerId = BigInt(await this.broker.producerIds.nextId());
        next.producerEpoch = 0;
      } else {
        next.producerEpoch++;
      }
      if (t.state === 'Ongoing') {
        // The old instance is fenced by the new epoch; its transaction is aborted with it.
        this.stats.fenced++;
        next.state = 'PrepareAbort';
        next.updateMs = now;
        await this.persist(next);
        await this.complete(next);
      }
      const ready: TransactionMetadata = { ...next, timeoutMs, state: 'Empty', partitions: new Map(), groups: new Set(), updateMs: Date.now() };
      await this.persist(ready);
      return { errorCode: ErrorCode.NONE, producerId: ready.producerId, producerEpoch: ready.producerEpoch };
    });
  }

  /** AddPartitionsToTxn (v0-3): an error code per partition. */
  addPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, topics: { name: string; partitions: number[] }[]): Promise<Map<string, Map<number, number>>> {
    const out = new Map(topics.map((tp) => [tp.name, new Map(tp.partitions.map((p) => [p, ErrorCode.NONE]))]));
    const all = (code: number): Map<string, Map<number, number>> => {
      for (const ps of out.values()) for (const p of ps.keys()) ps.set(p, code);
      return out;
    };
    return this.coordinated(transactionalId, all, async () => {
      const t = this.transactions.get(transactionalId);
      const bad = producerError(t, producerId, producerEpoch);
      if (bad !== undefined) return all(bad);
      if (t!.state === 'PrepareCommit' || t!.state === 'PrepareAbort') return all(ErrorCode.CONCURRENT_TRANSACTIONS);
      let unknown = false;
      for (const tp of topics) {
        const rec = this.broker.topics.get(tp.name);
        for (const p of tp.partitions) {
          if (rec === undefined || p < 0 || p >= rec.streams.length) {
            out.get(tp.name)!.set(p, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
            unknown = true;
          }
        }
      }
      if (unknown) {
        for (const ps of out.values()) for (const [p, code] of ps) if (code === ErrorCode.NONE) ps.set(p, ErrorCode.OPERATION_NOT_ATTEMPTED);
        return out;
      }
      await this.open(t!, (next) => {
        for (const tp of topics) {
          let set = next.partitions.get(tp.name);
          if (set === undefined) next.partitions.set(tp.name, set = new Set());
          for (const p of tp.partitions) set.add(p);
        }
      });
      return out;
    });
  }

  /** AddOffsetsToTxn: the group's offsets become part of the transaction. */
  addOffsets(transactionalId: string, producerId: bigint, producerEpoch: number, groupId: string): Promise<number> {
    return this.coordinated(transactionalId, (code) => code, async () => {
      const t = this.transactions.get(transactionalId);
      const bad = producerError(t, producerId, producerEpoch);
      if (bad !== undefined) return bad;
      if (t!.state === 'PrepareCommit' || t!.state === 'PrepareAbort') return ErrorCode.CONCURRENT_TRANSACTIONS;
      await this.open(t!, (next) => { next.groups.add(groupId); });
      return ErrorCode.NONE;
    });
  }

  /** Adds to the transaction (starting it if it was not open) and persists before answering. */
  private async open(t: TransactionMetadata, change: (next: TransactionMetadata) => void): Promise<void> {
    const now = Date.now();
    const fresh = t.state !== 'Ongoing';
    const next: TransactionMetadata = {
      ...t, state: 'Ongoing', partitions: fresh ? new Map() : new Map([...t.partitions].map(([k, v]) => [k, new Set(v)])),
      groups: fresh ? new Set() : new Set(t.groups), startMs: fresh ? now : t.startMs, updateMs: now,
    };
    change(next);
    await this.persist(next);
  }

  /** EndTxn: commits or aborts the open transaction; answers once every marker is written. */
  endTransaction(transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean): Promise<number> {
    return this.coordinated(transactionalId, (code) => code, async () => {
      const t = this.transactions.get(transactionalId);
      const bad = producerError(t, producerId, producerEpoch);
      if (bad !== undefined) return bad;
      switch (t!.state) {
        case 'Ongoing': {
          const next: TransactionMetadata = { ...t!, state: commit ? 'PrepareCommit' : 'PrepareAbort', updateMs: Date.now() };
          await this.persist(next);
          await this.complete(next);
          return ErrorCode.NONE;
        }
        // A retry of the end that already happened succeeds; the other end is a mistake.
        case 'CompleteCommit': return commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
        case 'CompleteAbort': return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE;
        case 'PrepareCommit':
        case 'PrepareAbort': return ErrorCode.CONCURRENT_TRANSACTIONS;
        case 'Empty': return ErrorCode.INVALID_TXN_STATE;
      }
    });
  }

  /**
   * Completes the id's transaction if it is prepared when its turn comes:
   * by then the EndTxn that prepared it may have completed it and the
   * producer begun the next one, whose partitions a marker of the old
   * outcome (same epoch) would end, so the state is read again, not taken
   * from a list made before the wait.
   */
  private completeIfPrepared(transactionalId: string): Promise<void> {
    return this.serially(transactionalId, async () => {
      const cur = this.transactions.get(transactionalId);
      if (cur !== undefined && (cur.state === 'PrepareCommit' || cur.state === 'PrepareAbort')) await this.complete(cur);
    });
  }

  /**
   * Writes the markers of a prepared transaction to each of its partitions
   * and ends its groups' pending offsets, then records it complete. Safe to
   * repeat (after a crash): a second marker ends nothing.
   */
  private async complete(t: TransactionMetadata): Promise<void> {
    const commit = t.state === 'PrepareCommit';
    const targets: MarkerTarget[] = [];
    for (const [topic, ps] of t.partitions) for (const partition of ps) targets.push({ topic, partition });
    // A group's offsets end with a marker on its offsets partition, where its coordinator is.
    for (const g of t.groups) targets.push({ topic: OFFSETS_TOPIC, partition: this.broker.groups.offsetsPartition(g) });
    await this.markers.writeAll(targets, { producerId: t.producerId, producerEpoch: t.producerEpoch, commit, coordinatorEpoch: 0 }, performance.now() + PARTITION_WAIT_MS);
    this.stats.markersWritten += targets.length;
    const done: TransactionMetadata = { ...t, state: commit ? 'CompleteCommit' : 'CompleteAbort', partitions: new Map(), groups: new Set(), updateMs: Date.now() };
    await this.persist(done);
    if (commit) this.stats.committed++;
    else this.stats.aborted++;
  }

  /**
   * The produce path's check of a transactional batch (KIP-890's
   * verification, done locally): the producer's transaction is open and
   * holds the partition, so a fenced or confused producer cannot leave a
   * transaction no coordinator will ever end.
   */
  verifyProduce(producerId: bigint, producerEpoch: number, topic: string, partition: number): number {
    const id = this.byProducerId.get(producerId);
    const t = id === undefined ? undefined : this.transactions.get(id);
    if (t === undefined || t.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (producerEpoch !== t.producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (t.state !== 'Ongoing' || t.partitions.get(topic)?.has(partition) !== true) return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  /**
   * AddPartitionsToTxn v4+ with verifyOnly (KIP-890 part 1), as a partition
   * leader or group coordinator on another broker asks: is each partition in
   * the producer's open transaction? A __consumer_offsets partition is, when
   * the transaction holds a group whose offsets live there.
   */
  verifyPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, topics: { name: string; partitions: number[] }[]): Map<string, Map<number, number>> {
    const out = new Map(topics.map((tp) => [tp.name, new Map(tp.partitions.map((p) => [p, ErrorCode.NONE]))]));
    const t = this.transactions.get(transactionalId);
    const bad = producerError(t, producerId, producerEpoch);
    for (const [topic, ps] of out) {
      for (const p of ps.keys()) {
        let code = bad === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : bad ?? ErrorCode.NONE;
        if (code === ErrorCode.NONE) {
          const held = topic === OFFSETS_TOPIC
            ? [...t!.groups].some((g) => this.broker.groups.offsetsPartition(g) === p)
            : t!.partitions.get(topic)?.has(p) === true;
          if (t!.state !== 'Ongoing' || !held) code = ErrorCode.INVALID_TXN_STATE;
        }
        ps.set(p, code);
      }
    }
    return out;
  }

  /**
   * Asks the id's coordinator on another broker whether a partition is in
   * the producer's transaction (AddPartitionsToTxn v4, verifyOnly). A
   * coordinator that cannot answer now is NOT_ENOUGH_REPLICAS to the
   * producer, as Kafka answers: retriable for every client.
   */
  async verifyWithCoordinator(transactionalId: string, producerId: bigint, producerEpoch: number, topic: string, partition: number): Promise<number> {
    const coordinator = this.coordinatorOf(transactionalId);
    if (coordinator === undefined) return ErrorCode.NOT_ENOUGH_REPLICAS;
    this.stats.remoteVerifications++;
    try {
      const res = await this.broker.links.request(coordinator.nodeId, AddPartitionsToTxnApi, 4, {
        ...defaultAddPartitionsToTxnRequest(),
        transactions: [{ transactionalId, producerId, producerEpoch, verifyOnly: true, topics: [{ name: topic, partitions: [partition] }] }],
      });
      const code = res.errorCode !== ErrorCode.NONE ? res.errorCode
        : res.resultsByTransaction[0]?.topicResults[0]?.resultsByPartition[0]?.partitionErrorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
      if (code === ErrorCode.COORDINATOR_NOT_AVAILABLE || code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return ErrorCode.NOT_ENOUGH_REPLICAS;
      return code;
    } catch (e) {
      if (e instanceof BrokerUnreachableError) return ErrorCode.NOT_ENOUGH_REPLICAS;
      throw e;
    }
  }

  /** The group-side check of TxnOffsetCommit: the producer's transaction is open and took the group. */
  verifyOffsetCommit(transactionalId: string, producerId: bigint, producerEpoch: number, groupId: string): number {
    const t = this.transactions.get(transactionalId);
    const bad = producerError(t, producerId, producerEpoch);
    if (bad !== undefined) return bad === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : bad;
    if (t!.state !== 'Ongoing' || !t!.groups.has(groupId)) return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  /** Aborts transactions open past their timeout (fencing their producer) and forgets expired transactional ids. */
  async abortTimedOut(now = Date.now()): Promise<void> {
    for (const t of [...this.transactions.values()]) {
      const id = t.transactionalId;
      if (this.coordinatorError(id) !== undefined) continue;
      if (t.state === 'Ongoing' && now - t.startMs > t.timeoutMs) {
        await this.serially(id, async () => {
          const cur = this.transactions.get(id);
          if (cur === undefined || cur.state !== 'Ongoing' || cur.startMs !== t.startMs) return;
          // Kafka bumps the epoch on a timeout abort: the producer's next request learns it was fenced.
          const next: TransactionMetadata = { ...cur, producerEpoch: Math.min(cur.producerEpoch + 1, EPOCH_MAX), state: 'PrepareAbort', updateMs: Date.now() };
          await this.persist(next);
          await this.complete(next);
          this.stats.timedOut++;
          this.broker.log.info({ transactionalId: id, producerId: cur.producerId.toString(), timeoutMs: cur.timeoutMs }, 'transaction aborted: past its timeout');
        });
      } else if (t.state === 'PrepareCommit' || t.state === 'PrepareAbort') {
        await this.completeIfPrepared(id).catch(() => undefined);
      } else if (t.state !== 'Ongoing' && now - t.updateMs > this.broker.config.transactionalIdExpirationMs) {
        await this.serially(id, async () => {
          const cur = this.transactions.get(id);
          if (cur === undefined || cur.state === 'Ongoing' || now - cur.updateMs <= this.broker.config.transactionalIdExpirationMs) return;
          await this.append(id, [{ key: id, value: null }], () => this.forget(id));
        });
      }
    }
  }

  /** What DescribeTransactions and the admin API show. */
  describe(transactionalId: string): { state: TransactionState; producerId: bigint; producerEpoch: number; timeoutMs: number; startMs: number; partitions: Map<string, Set<number>> } | undefined {
    const t = this.transactions.get(transactionalId);
    // Kafka reports a start time only while a transaction is open.
    return t === undefined ? undefined : { state: t.state, producerId: t.producerId, producerEpoch: t.producerEpoch, timeoutMs: t.timeoutMs, startMs: t.state === 'Ongoing' ? t.startMs : -1, partitions: t.partitions };
  }

  /** ListTransactions: the transactional ids coordinated here, filtered by state, producer id and (Ongoing) age. */
  list(states: readonly string[], producerIds: readonly bigint[], olderThanMs: number, now = Date.now()): { transactionalId: string; producerId: bigint; state: TransactionState }[] {
    return [...this.transactions.values()]
      .filter((t) => this.coordinatorError(t.transactionalId) === undefined)
      .filter((t) => states.length === 0 || states.includes(t.state))
      .filter((t) => producerIds.length === 0 || producerIds.includes(t.producerId))
      .filter((t) => olderThanMs < 0 || (t.state === 'Ongoing' && now - t.startMs >= olderThanMs))
      .map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, state: t.state }));
  }

  get size(): number {
    return this.transactions.size;
  }
}
