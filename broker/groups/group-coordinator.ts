// Owns consumer groups and their committed offsets on this broker. Offsets
// are as durable as records: every commit is appended (acks=all) to the
// internal __consumer_offsets topic, partition hash(group) like Kafka, before
// it is acknowledged, and the topic is replayed at start. Group membership
// is persisted there too, as a snapshot per group (each completed classic
// generation; each change of a KIP-848 group), so that after a restart,
// kill -9 included, members carry on with their ids and assignments.
// The topic is compacted (cleanup.policy=compact, as in Kafka): every
// record is keyed (an offset, a group, a pending transaction) and removals
// are tombstones, so the log cleaner keeps each partition to its live keys
// and a new coordinator replays little.

import { GroupConsumption } from './group-consumption.ts';
import { ConsumerGroup, type ClassicGroupSnapshot, type GroupLimits } from './consumer-group.ts';
import { ConsumerProtocolGroup, type ConsumerProtocolGroupSnapshot, type ConsumerProtocolLimits, type TopicCatalog } from './consumer-protocol-group.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { buildRecordBatch, readRecords } from '../../protocol/records/record.ts';
import type { Broker } from '../broker.ts';
import type { PartitionLog } from '../partition/partition-log.ts';
import type { BrokerRegistration } from '../cluster/cluster-view.ts';

export const OFFSETS_TOPIC = '__consumer_offsets';
/** Kafka's offset.metadata.max.bytes default. */
export const OFFSET_METADATA_BYTES_MAX = 4096;
/** Bound on groups tracked in memory; a JoinGroup for one more gets COORDINATOR_NOT_AVAILABLE. */
export const GROUPS_MAX = 100_000;

export interface CommittedOffset {
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
  commitTimestampMs: number;
}

export interface OffsetCommitEntry {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
}

interface OffsetKey { g: string; t: string; p: number }
/** Key of a group's membership snapshot; offset keys have no `type`. */
interface GroupKey { g: string; type: 'group' }
/** Key of the offsets a transaction committed for a group, pending until the transaction ends (null value). */
interface TxnOffsetsKey { g: string; type: 'txn'; pid: string }
interface TxnOffsetsValue { offsets: { t: string; p: number; v: OffsetValue }[] }
type GroupSnapshot = ClassicGroupSnapshot | ConsumerProtocolGroupSnapshot;
interface OffsetValue { o: string; e: number; m: string | null; ts: number }

/** Appends to __consumer_offsets: acknowledged only once durable, no size limit of user topics. */
const INTERNAL_APPEND = { acks: -1, logAppendTime: false, maxMessageBytes: Number.MAX_SAFE_INTEGER } as const;

function offsetRecord(groupId: string, topic: string, partition: number, v: OffsetValue | null): { key: string; value: string | null } {
  return { key: JSON.stringify({ g: groupId, t: topic, p: partition } satisfies OffsetKey), value: v === null ? null : JSON.stringify(v) };
}

const groupRecordKey = (groupId: string): string => JSON.stringify({ g: groupId, type: 'group' } satisfies GroupKey);
const txnRecordKey = (groupId: string, producerId: bigint): string => JSON.stringify({ g: groupId, type: 'txn', pid: producerId.toString() } satisfies TxnOffsetsKey);

/** Java's String.hashCode, so a group maps to the partition Kafka would pick. */
function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** The group's offsets partition is not led by this broker (any more): answered as NOT_COORDINATOR. */
export class NotCoordinatorError extends Error {
  readonly code = 'FLOE_ERR_NOT_COORDINATOR';
  readonly errorCode = ErrorCode.NOT_COORDINATOR;
  constructor(groupId: string) {
    super(`this broker is not the coordinator of group ${groupId}`);
    this.name = 'NotCoordinatorError';
  }
}

export class GroupCoordinator {
  private readonly broker: Broker;
  private readonly groups = new Map<string, ConsumerGroup>();
  /** Groups of the KIP-848 consumer protocol; a group id is in at most one of the two maps. */
  private readonly consumerGroups = new Map<string, ConsumerProtocolGroup>();
  private readonly consumerLimits: ConsumerProtocolLimits;
  private readonly catalog: TopicCatalog;
  /** The last snapshot written per group, so unchanged state is not written again. */
  private readonly written = new Map<string, string>();
  /** Per group, the chain of snapshot writes in order. */
  private readonly writes = new Map<string, Promise<void>>();
  private readonly offsets = new Map<string, Map<string, CommittedOffset>>();
  /** Records consumed per group and topic, from the commits this broker took (for the usage report). */
  readonly consumption = new GroupConsumption();
  /** Per group, per producer id: offsets committed in a transaction, visible once it commits (TxnOffsetCommit). */
  private readonly pendingTxnOffsets = new Map<string, Map<string, Map<string, { t: string; p: number; v: OffsetValue }>>>();
  private readonly limits: GroupLimits;
  private readonly partitions: number;
  /** offsets.topic.segment.bytes: the offsets topic's segment.bytes, as Kafka gives it. */
  private readonly segmentBytes: number;

  constructor(broker: Broker, limits: GroupLimits, consumerLimits: ConsumerProtocolLimits, offsetsTopicPartitions: number, offsetsSegmentBytes: number) {
    this.broker = broker;
    this.limits = limits;
    this.consumerLimits = consumerLimits;
    this.partitions = offsetsTopicPartitions;
    this.segmentBytes = offsetsSegmentBytes;
    const topics = broker.topics;
    this.catalog = {
      byName: (name) => {
        const t = topics.get(name);
        return t === undefined ? undefined : { id: t.id, partitions: t.streams.length };
      },
      byId: (id) => {
        const t = topics.getById(id);
        return t === undefined ? undefined : { name: t.name, partitions: t.streams.length };
      },
      names: () => topics.all().map((t) => t.name).filter((n) => n !== OFFSETS_TOPIC),
    };
  }

  /** Creates the offsets topic if no broker has yet; its partitions load as this broker comes to lead them. */
  async load(): Promise<void> {
    const existing = this.broker.topics.get(OFFSETS_TOPIC);
    if (existing === undefined) {
      await this.broker.createTopic(OFFSETS_TOPIC, this.partitions, { 'cleanup.policy': 'compact', 'segment.bytes': String(this.segmentBytes) });
    } else if (existing.configs['cleanup.policy'] !== 'compact') {
      // Made before the cleaner kept it bounded (floe checkpointed it itself then): compacted from now on.
      await this.broker.topics.setConfigs(OFFSETS_TOPIC, { ...existing.configs, 'cleanup.policy': 'compact' });
    }
  }

  /** Offsets partitions whose groups this broker coordinates (loaded), and those loading. */
  private readonly loaded = new Set<number>();
  private readonly loading = new Set<number>();

  /**
   * Why this broker cannot coordinate the group now, as Kafka answers it:
   * NOT_COORDINATOR when another broker leads its offsets partition (the
   * client looks the coordinator up again), COORDINATOR_LOAD_IN_PROGRESS while
   * the partition is being replayed; undefined when it can.
   */
  coordinatorError(groupId: string): number | undefined {
    const topic = this.broker.topics.get(OFFSETS_TOPIC);
    if (topic === undefined) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const p = this.offsetsPartition(groupId);
    if (this.loaded.has(p)) {
      if (this.broker.partition(topic, p)?.serving === true) return undefined;
      // Fenced under a new epoch, not yet reopened by the leadership sync: a commit now would only fail.
      // A client told the load is in progress waits and retries here; told NOT_COORDINATOR, it looks again.
      return this.broker.member.view.liveLeader(topic.streams[p]!)?.nodeId === this.broker.member.view.nodeId
        ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NOT_COORDINATOR;
    }
    return this.loading.has(p) ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NOT_COORDINATOR;
  }

  /** The live broker leading the group's offsets partition: its coordinator (FindCoordinator). */
  coordinatorOf(groupId: string): BrokerRegistration | undefined {
    const topic = this.broker.topics.get(OFFSETS_TOPIC);
    if (topic === undefined) return undefined;
    return this.broker.member.view.liveLeader(topic.streams[this.offsetsPartition(groupId)]!);
  }

  /** Leadership hook: an offsets partition now led here is replayed, and its groups coordinated here. */
  async onLead(topic: string, partition: number, log: PartitionLog): Promise<void> {
    if (topic !== OFFSETS_TOPIC) return;
    this.loading.add(partition);
    try {
      await this.loadPartition(partition, log);
      if (!log.closed) this.loaded.add(partition);
    } finally {
      this.loading.delete(partition);
    }
  }

  /** Leadership hook: an offsets partition led elsewhere now; its groups are forgotten here (their new coordinator replays them). */
  onLose(topic: string, partition: number): void {
    if (topic !== OFFSETS_TOPIC) return;
    this.loaded.delete(partition);
    const mine = (groupId: string): boolean => this.offsetsPartition(groupId) === partition;
    for (const [id, g] of [...this.groups]) if (mine(id)) { g.close(); this.groups.delete(id); }
    for (const [id, g] of [...this.consumerGroups]) if (mine(id)) { g.close(); this.consumerGroups.delete(id); }
    for (const id of [...this.offsets.keys()]) if (mine(id)) this.offsets.delete(id);
    for (const id of [...this.pendingTxnOffsets.keys()]) if (mine(id)) this.pendingTxnOffsets.delete(id);
    for (const id of [...this.written.keys()]) if (mine(id)) this.written.delete(id);
    this.broker.log.info({ partition }, 'groups of __consumer_offsets partition unloaded (led elsewhere now)');
  }

  /** Replays one offsets partition: committed offsets and the latest membership snapshot of each group. */
  private async loadPartition(p: number, log: PartitionLog): Promise<void> {
    let loaded = 0;
    const snapshots = new Map<string, GroupSnapshot>();
    for await (const b of log.batches()) {
      for (const r of readRecords(b)) {
        if (r.key === null) continue;
        const key = JSON.parse(r.key.toString()) as OffsetKey | GroupKey | TxnOffsetsKey;
        if ('type' in key && key.type === 'txn') {
          this.setPendingTxn(key.g, key.pid, r.value === null ? null : JSON.parse(r.value.toString()) as TxnOffsetsValue);
        } else if ('type' in key) {
          if (r.value === null) snapshots.delete(key.g);
          else snapshots.set(key.g, JSON.parse(r.value.toString()) as GroupSnapshot);
        } else {
          this.apply(key, r.value === null ? null : JSON.parse(r.value.toString()) as OffsetValue);
        }
        loaded++;
      }
    }
    let members = 0;
    let restored = 0;
    for (const [groupId, s] of snapshots) {
      this.written.set(groupId, JSON.stringify(s));
      if (s.members.length === 0) continue;
      if (s.kind === 'classic') this.groups.set(groupId, this.watch(ConsumerGroup.restore(groupId, this.limits, s)));
      else this.consumerGroups.set(groupId, this.watchConsumer(ConsumerProtocolGroup.restore(groupId, this.catalog, this.consumerLimits, s)));
      members += s.members.length;
      restored++;
    }
    if (loaded > 0) this.broker.log.info({ partition: p, records: loaded, restoredGroups: restored, members }, 'committed offsets and groups loaded');
  }

  private watch(g: ConsumerGroup): ConsumerGroup {
    g.onSettled = () => this.persist(g.groupId, g.snapshot());
    return g;
  }

  private watchConsumer(g: ConsumerProtocolGroup): ConsumerProtocolGroup {
    g.onChange = () => this.persist(g.groupId, g.snapshot());
    g.onMemberFenced = (memberId, reason, memberEpoch) => this.broker.log.info({ group: g.groupId, memberId, memberEpoch, reason }, 'consumer group member removed');
    return g;
  }

  /** Appends the group's snapshot (acks=all) if it changed; writes of one group stay in order. */
  private persist(groupId: string, s: GroupSnapshot | null): void {
    const json = JSON.stringify(s);
    if (this.written.get(groupId) === json) return;
    this.written.set(groupId, json);
    const write = async (): Promise<void> => {
      const log = this.offsetsLog(groupId);
      await log.ready;
      const batch = buildRecordBatch([{ key: groupRecordKey(groupId), value: s === null ? null : json }]);
      const res = log.append(batch, INTERNAL_APPEND);
      if (res.errorCode !== 0) throw new Error(res.errorMessage ?? 'append failed');
      await res.durable;
    };
    const next = (this.writes.get(groupId) ?? Promise.resolve()).then(write).catch((e: unknown) => {
      // A lost snapshot costs a rebalance after a restart, never data: log it and carry on.
      this.written.delete(groupId);
      this.broker.log.warn({ err: (e as Error).message, group: groupId }, 'group snapshot append failed');
    });
    this.writes.set(groupId, next);
    void next.then(() => {
      if (this.writes.get(groupId) === next) this.writes.delete(groupId);
    });
  }

  /** Resolves once every snapshot of the group written so far is durable. */
  flushed(groupId: string): Promise<void> {
    return this.writes.get(groupId) ?? Promise.resolve();
  }

  private apply(k: OffsetKey, v: OffsetValue | null): void {
    let g = this.offsets.get(k.g);
    if (v === null) {
      g?.delete(partitionKey(k.t, k.p));
      if (g !== undefined && g.size === 0) this.offsets.delete(k.g);
      return;
    }
    if (g === undefined) {
      g = new Map();
      this.offsets.set(k.g, g);
    }
    g.set(partitionKey(k.t, k.p), { offset: BigInt(v.o), leaderEpoch: v.e, metadata: v.m, commitTimestampMs: v.ts });
  }

  group(groupId: string): ConsumerGroup | undefined {
    return this.groups.get(groupId);
  }

  consumerGroup(groupId: string): ConsumerProtocolGroup | undefined {
    return this.consumerGroups.get(groupId);
  }

  /**
   * The KIP-848 group, created empty on first use; an error code when the id
   * belongs to a classic group with members, or too many groups exist.
   */
  consumerGroupOrCreate(groupId: string): ConsumerProtocolGroup | number {
    let g = this.consumerGroups.get(groupId);
    if (g !== undefined) return g;
    const classic = this.groups.get(groupId);
    if (classic !== undefined && classic.size > 0) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (this.groups.size + this.consumerGroups.size >= GROUPS_MAX) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (classic !== undefined) {
      classic.close();
      this.groups.delete(groupId);
    }
    g = this.watchConsumer(new ConsumerProtocolGroup(groupId, this.catalog, this.consumerLimits));
    this.consumerGroups.set(groupId, g);
    return g;
  }

  /** The group, created empty on first use; undefined when the id belongs to a consumer-protocol group with members or too many groups exist. */
  groupOrCreate(groupId: string): ConsumerGroup | undefined {
    let g = this.groups.get(groupId);
    if (g === undefined) {
      const modern = this.consumerGroups.get(groupId);
      if (modern !== undefined && modern.size > 0) return undefined;
      if (this.groups.size + this.consumerGroups.size >= GROUPS_MAX) return undefined;
      if (modern !== undefined) {
        modern.close();
        this.consumerGroups.delete(groupId);
      }
      g = this.watch(new ConsumerGroup(groupId, this.limits));
      this.groups.set(groupId, g);
    }
    return g;
  }

  /** Groups known from membership or committed offsets. */
  groupIds(): string[] {
    return [...new Set([...this.groups.keys(), ...this.consumerGroups.keys(), ...this.offsets.keys()])].sort();
  }

  /**
   * A transaction marker on an offsets partition (WriteTxnMarkers from the
   * transaction coordinator, on this broker or another): ends the producer's
   * pending offsets of every group of that partition. Safe to repeat.
   */
  async endTransactionInPartition(partition: number, producerId: bigint, commit: boolean): Promise<number> {
    if (!this.loaded.has(partition)) return this.loading.has(partition) ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NOT_LEADER_OR_FOLLOWER;
    const pid = producerId.toString();
    const groups = [...this.pendingTxnOffsets].filter(([g, byPid]) => byPid.has(pid) && this.offsetsPartition(g) === partition).map(([g]) => g);
    await Promise.all(groups.map((g) => this.endTransaction(g, producerId, commit)));
    return ErrorCode.NONE;
  }

  offsetsPartition(groupId: string): number {
    return Math.abs(javaStringHash(groupId)) % this.broker.topics.get(OFFSETS_TOPIC)!.streams.length;
  }

  /** The offsets partition of a group, led here; NotCoordinatorError when it is not (any more). */
  private offsetsLog(groupId: string): PartitionLog {
    const log = this.broker.partition(this.broker.topics.get(OFFSETS_TOPIC)!, this.offsetsPartition(groupId));
    if (log === undefined) throw new NotCoordinatorError(groupId);
    return log;
  }

  /** Appends the commits durably, then makes them visible. */
  async commit(groupId: string, entries: readonly OffsetCommitEntry[], tombstones: readonly { topic: string; partition: number }[] = []): Promise<void> {
    if (entries.length === 0 && tombstones.length === 0) return;
    const now = Date.now();
    const value = (e: OffsetCommitEntry): OffsetValue => ({ o: e.offset.toString(), e: e.leaderEpoch, m: e.metadata, ts: now });
    const records = [
      ...entries.map((e) => offsetRecord(groupId, e.topic, e.partition, value(e))),
      ...tombstones.map((t) => offsetRecord(groupId, t.topic, t.partition, null)),
    ];
    await this.appendRecords(groupId, records, () => {
      for (const e of entries) {
        this.consumption.committed(groupId, e.topic, this.committed(groupId, e.topic, e.partition)?.offset, e.offset);
        this.apply({ g: groupId, t: e.topic, p: e.partition }, value(e));
      }
      for (const t of tombstones) this.apply({ g: groupId, t: t.topic, p: t.partition }, null);
    });
  }

  private setPendingTxn(groupId: string, pid: string, v: TxnOffsetsValue | null): void {
    let byPid = this.pendingTxnOffsets.get(groupId);
    if (v === null) {
      byPid?.delete(pid);
      if (byPid !== undefined && byPid.size === 0) this.pendingTxnOffsets.delete(groupId);
      return;
    }
    if (byPid === undefined) this.pendingTxnOffsets.set(groupId, byPid = new Map());
    byPid.set(pid, new Map(v.offsets.map((o) => [partitionKey(o.t, o.p), o])));
  }

  /**
   * TxnOffsetCommit: the offsets join the producer's pending ones for the
   * group, durably, and stay invisible until its transaction commits.
   */
  async commitInTransaction(groupId: string, producerId: bigint, entries: readonly OffsetCommitEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const now = Date.now();
    const pid = producerId.toString();
    const merged = new Map(this.pendingTxnOffsets.get(groupId)?.get(pid) ?? []);
    for (const e of entries) merged.set(partitionKey(e.topic, e.partition), { t: e.topic, p: e.partition, v: { o: e.offset.toString(), e: e.leaderEpoch, m: e.metadata, ts: now } });
    const value: TxnOffsetsValue = { offsets: [...merged.values()] };
    await this.appendRecords(groupId, [{ key: txnRecordKey(groupId, producerId), value: JSON.stringify(value) }], () => this.setPendingTxn(groupId, pid, value));
  }

  /**
   * The producer's transaction ended (the transaction coordinator's marker
   * for this group): on commit its pending offsets become the committed
   * ones, in the same batch that ends them; on abort they are dropped.
   */
  async endTransaction(groupId: string, producerId: bigint, commit: boolean): Promise<void> {
    const pid = producerId.toString();
    const pending = this.pendingTxnOffsets.get(groupId)?.get(pid);
    if (pending === undefined) return;
    const records = [
      ...(commit ? [...pending.values()].map((o) => offsetRecord(groupId, o.t, o.p, o.v)) : []),
      { key: txnRecordKey(groupId, producerId), value: null },
    ];
    await this.appendRecords(groupId, records, () => {
      if (commit) {
        for (const o of pending.values()) {
          this.consumption.committed(groupId, o.t, this.committed(groupId, o.t, o.p)?.offset, BigInt(o.v.o));
          this.apply({ g: groupId, t: o.t, p: o.p }, o.v);
        }
      }
      this.setPendingTxn(groupId, pid, null);
    });
  }

  /** Whether a transaction has offsets pending for this partition of the group (OffsetFetch require_stable). */
  hasPendingTxnOffsets(groupId: string, topic: string, partition: number): boolean {
    for (const offsets of this.pendingTxnOffsets.get(groupId)?.values() ?? []) if (offsets.has(partitionKey(topic, partition))) return true;
    return false;
  }

  /** Appends records to the group's offsets partition, durably, then applies them. */
  private async appendRecords(groupId: string, records: { key: string; value: string | null }[], apply: () => void): Promise<void> {
    const log = this.offsetsLog(groupId);
    await log.ready;
    const res = log.append(buildRecordBatch(records), INTERNAL_APPEND);
    if (res.errorCode !== 0) throw new Error(`__consumer_offsets append failed: ${res.errorMessage}`);
    await res.durable;
    apply();
  }

  committed(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(groupId)?.get(partitionKey(topic, partition));
  }

  /** Every committed offset of a group, by topic. */
  allCommitted(groupId: string): Map<string, { partition: number; committed: CommittedOffset }[]> {
    const out = new Map<string, { partition: number; committed: CommittedOffset }[]>();
    for (const [k, c] of this.offsets.get(groupId) ?? []) {
      const [topic, p] = k.split('\u0000') as [string, string];
      out.set(topic, [...(out.get(topic) ?? []), { partition: Number(p), committed: c }]);
    }
    return out;
  }

  /** Removes an empty group and its offsets (DeleteGroups). */
  async deleteGroup(groupId: string): Promise<void> {
    const tombstones = [...this.allCommitted(groupId)].flatMap(([topic, ps]) => ps.map((p) => ({ topic, partition: p.partition })));
    await this.commit(groupId, [], tombstones);
    this.groups.get(groupId)?.close();
    this.groups.delete(groupId);
    this.consumerGroups.get(groupId)?.close();
    this.consumerGroups.delete(groupId);
    if (this.written.has(groupId)) this.persist(groupId, null);
    await this.flushed(groupId);
    this.written.delete(groupId);
    this.offsets.delete(groupId);
    this.consumption.forget(groupId);
  }

  /** Removes every group's committed offsets of a deleted topic. */
  async removeTopic(topic: string): Promise<void> {
    for (const groupId of [...this.offsets.keys()]) {
      const parts = this.allCommitted(groupId).get(topic);
      if (parts !== undefined) await this.commit(groupId, [], parts.map((p) => ({ topic, partition: p.partition })));
    }
  }

  /**
   * offsets.retention.minutes: offsets of a group with no members expire
   * once its newest commit is older than the retention (Kafka counts from
   * when the group became empty; the newest commit is at most that).
   */
  async expireOffsets(retentionMs: number, now = Date.now()): Promise<number> {
    let expired = 0;
    for (const [groupId, offsets] of [...this.offsets]) {
      if ((this.groups.get(groupId)?.size ?? 0) > 0 || (this.consumerGroups.get(groupId)?.size ?? 0) > 0) continue;
      const newest = Math.max(...[...offsets.values()].map((o) => o.commitTimestampMs));
      if (now - newest <= retentionMs) continue;
      await this.deleteGroup(groupId);
      expired++;
    }
    return expired;
  }

  close(): void {
    for (const g of this.groups.values()) g.close();
    for (const g of this.consumerGroups.values()) g.close();
  }

  /** Members of a group of either protocol. */
  memberCount(groupId: string): number {
    return this.groups.get(groupId)?.size ?? this.consumerGroups.get(groupId)?.size ?? 0;
  }

  /** The state Kafka reports for a group of either protocol, and its type. */
  describeState(groupId: string): { state: string; type: 'classic' | 'consumer'; protocolType: string } {
    const modern = this.consumerGroups.get(groupId);
    if (modern !== undefined) return { state: modern.state, type: 'consumer', protocolType: 'consumer' };
    const g = this.groups.get(groupId);
    return { state: g?.state ?? 'Empty', type: 'classic', protocolType: g?.protocolType ?? 'consumer' };
  }
}
