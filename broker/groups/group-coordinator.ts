// Owns consumer groups and their committed offsets on this broker. Offsets
// are as durable as records: every commit is appended (acks=all) to the
// internal __consumer_offsets topic, partition hash(group) like Kafka, before
// it is acknowledged, and the topic is replayed at start. Group membership
// itself is not persisted: after a restart members rejoin (UNKNOWN_MEMBER_ID).

import { ConsumerGroup, type GroupLimits } from './consumer-group.ts';
import { buildRecordBatch, readRecords } from '../../protocol/records/record.ts';
import type { Broker } from '../broker.ts';
import type { PartitionLog } from '../partition/partition-log.ts';

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
interface OffsetValue { o: string; e: number; m: string | null; ts: number }

/** Java's String.hashCode, so a group maps to the partition Kafka would pick. */
function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class GroupCoordinator {
  private readonly broker: Broker;
  private readonly groups = new Map<string, ConsumerGroup>();
  private readonly offsets = new Map<string, Map<string, CommittedOffset>>();
  private readonly limits: GroupLimits;
  private readonly partitions: number;

  constructor(broker: Broker, limits: GroupLimits, offsetsTopicPartitions: number) {
    this.broker = broker;
    this.limits = limits;
    this.partitions = offsetsTopicPartitions;
  }

  /** Creates the offsets topic if needed and replays it. */
  async load(): Promise<void> {
    let topic = this.broker.topics.get(OFFSETS_TOPIC);
    if (topic === undefined) {
      topic = await this.broker.createTopic(OFFSETS_TOPIC, this.partitions, { 'cleanup.policy': 'delete' }) ?? this.broker.topics.get(OFFSETS_TOPIC)!;
    }
    let loaded = 0;
    for (let p = 0; p < topic.streams.length; p++) {
      for await (const b of this.broker.partition(topic, p)!.batches()) {
        for (const r of readRecords(b)) {
          if (r.key === null) continue;
          this.apply(JSON.parse(r.key.toString()) as OffsetKey, r.value === null ? null : JSON.parse(r.value.toString()) as OffsetValue);
          loaded++;
        }
      }
    }
    this.broker.log.info({ groups: this.offsets.size, records: loaded }, 'committed offsets loaded');
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

  /** The group, created empty on first use. */
  groupOrCreate(groupId: string): ConsumerGroup | undefined {
    let g = this.groups.get(groupId);
    if (g === undefined) {
      if (this.groups.size >= GROUPS_MAX) return undefined;
      g = new ConsumerGroup(groupId, this.limits);
      this.groups.set(groupId, g);
    }
    return g;
  }

  /** Groups known from membership or committed offsets. */
  groupIds(): string[] {
    return [...new Set([...this.groups.keys(), ...this.offsets.keys()])].sort();
  }

  private offsetsLog(groupId: string): PartitionLog {
    const topic = this.broker.topics.get(OFFSETS_TOPIC)!;
    const p = Math.abs(javaStringHash(groupId)) % topic.streams.length;
    return this.broker.partition(topic, p)!;
  }

  /** Appends the commits durably, then makes them visible. */
  async commit(groupId: string, entries: readonly OffsetCommitEntry[], tombstones: readonly { topic: string; partition: number }[] = []): Promise<void> {
    if (entries.length === 0 && tombstones.length === 0) return;
    const now = Date.now();
    const records = [
      ...entries.map((e) => ({
        key: JSON.stringify({ g: groupId, t: e.topic, p: e.partition } satisfies OffsetKey),
        value: JSON.stringify({ o: e.offset.toString(), e: e.leaderEpoch, m: e.metadata, ts: now } satisfies OffsetValue),
      })),
      ...tombstones.map((t) => ({ key: JSON.stringify({ g: groupId, t: t.topic, p: t.partition } satisfies OffsetKey), value: null })),
    ];
    const log = this.offsetsLog(groupId);
    await log.ready;
    const res = log.append(buildRecordBatch(records), { acks: -1, logAppendTime: false, maxMessageBytes: Number.MAX_SAFE_INTEGER });
    if (res.errorCode !== 0) throw new Error(`offset commit append failed: ${res.errorMessage}`);
    await res.durable;
    for (const e of entries) this.apply({ g: groupId, t: e.topic, p: e.partition }, { o: e.offset.toString(), e: e.leaderEpoch, m: e.metadata, ts: now });
    for (const t of tombstones) this.apply({ g: groupId, t: t.topic, p: t.partition }, null);
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
    this.offsets.delete(groupId);
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
      const g = this.groups.get(groupId);
      if (g !== undefined && g.size > 0) continue;
      const newest = Math.max(...[...offsets.values()].map((o) => o.commitTimestampMs));
      if (now - newest <= retentionMs) continue;
      await this.deleteGroup(groupId);
      expired++;
    }
    return expired;
  }

  close(): void {
    for (const g of this.groups.values()) g.close();
  }
}
