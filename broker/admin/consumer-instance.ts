// Owns one consumer that the admin layer runs for a caller who speaks no
// Kafka (REST Proxy v2's consumer instances): a member of a consumer group
// through the KIP-848 protocol (ConsumerGroupHeartbeat to the coordinator,
// which assigns the partitions, so it shares a group with Java, librdkafka
// and franz-go consumers using group.protocol=consumer), or a consumer of
// partitions assigned by hand; its positions, what it delivered, and its
// commits. Everything goes through ClusterAdmin; it formats nothing for an
// interface and must not hold a record after handing it out.

import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors.ts';
import { adminError, isAdminError, type AdminError, type ClusterAdmin, type PartitionPosition, type ReadRecord } from './cluster-admin.ts';

export type OffsetReset = 'earliest' | 'latest' | 'none';

export interface ConsumerInstanceOptions {
  group: string;
  name: string;
  autoOffsetReset: OffsetReset;
  autoCommit: boolean;
}

/** What a consumer reads: topics by name or pattern through its group, or partitions assigned by hand. */
export type ConsumerTarget = { kind: 'topics'; topics: string[] } | { kind: 'pattern'; pattern: string } | { kind: 'assigned'; partitions: { topic: string; partition: number }[] };

/** The topic catalogue, by id (assignments name topics by id). */
export interface TopicNames {
  nameOf(topicId: string): string | undefined;
  idOf(name: string): string | undefined;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
const REBALANCE_TIMEOUT_MS = 30_000;
/** A heartbeat that fails (coordinator moving, broker gone) is sent again after this long. */
const HEARTBEAT_RETRY_MS = 500;

export class ConsumerInstance {
  readonly group: string;
  readonly name: string;
  readonly autoOffsetReset: OffsetReset;
  readonly autoCommit: boolean;
  readonly memberId = randomUUID();
  lastUsedAt = Date.now();
  private readonly admin: ClusterAdmin;
  private readonly topics: TopicNames;
  private target: ConsumerTarget | undefined;
  private memberEpoch = 0;
  private joined = false;
  /** The partitions this consumer reads now: its group's assignment, or those assigned by hand. */
  private assigned = new Map<string, { topic: string; partition: number }>();
  /** The next offset to read, per assigned partition that has one yet. */
  private readonly positions = new Map<string, number>();
  /** Partitions whose position fell out of their log: they go to the reset point, whatever was committed. */
  private readonly outOfRange = new Set<string>();
  /** What was committed last, per partition (auto-commit sends only what moved). */
  private readonly committed = new Map<string, number>();
  /** Why the group refuses this member, for the next poll to report. */
  private groupError: AdminError | undefined;
  /** Polls waiting for a first assignment (a subscribed consumer's poll waits for one, up to its timeout). */
  private readonly assignmentWaiters: (() => void)[] = [];
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatInFlight: Promise<void> | undefined;
  private closed = false;

  constructor(admin: ClusterAdmin, topics: TopicNames, options: ConsumerInstanceOptions) {
    this.admin = admin;
    this.topics = topics;
    this.group = options.group;
    this.name = options.name;
    this.autoOffsetReset = options.autoOffsetReset;
    this.autoCommit = options.autoCommit;
  }

  get subscription(): ConsumerTarget | undefined {
    return this.target;
  }

  /** The partitions this consumer reads now. */
  assignment(): { topic: string; partition: number }[] {
    return [...this.assigned.values()].sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  }

  /**
   * Subscribes to topics or a pattern (joining the group), or takes
   * partitions by hand; a consumer has one kind of target at a time, as in
   * Kafka (`false`: it already has another kind).
   */
  async setTarget(target: ConsumerTarget): Promise<boolean> {
    if (this.target !== undefined && this.target.kind !== target.kind) return false;
    this.target = target;
    if (target.kind === 'assigned') {
      this.replaceAssignment(new Map(target.partitions.map((p) => [key(p.topic, p.partition), p])));
      return true;
    }
    this.groupError = undefined;
    await this.heartbeatNow();
    return true;
  }

  /** Drops the subscription or assignment: commits what was delivered (auto-commit), leaves the group. */
  async clearTarget(): Promise<void> {
    await this.commitDelivered();
    this.target = undefined;
    this.replaceAssignment(new Map());
    await this.leave();
  }

  /** Moves positions: to given offsets, or to the start or end of partitions. */
  async seek(offsets: PartitionPosition[]): Promise<AdminError | undefined> {
    for (const o of offsets) {
      if (!this.assigned.has(key(o.topic, o.partition))) return adminError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${o.partition} of ${o.topic} is not assigned to this consumer`);
    }
    for (const o of offsets) this.positions.set(key(o.topic, o.partition), o.offset);
    return undefined;
  }

  async seekTo(partitions: { topic: string; partition: number }[], which: 'beginning' | 'end'): Promise<AdminError | undefined> {
    const missing = partitions.find((p) => !this.assigned.has(key(p.topic, p.partition)));
    if (missing !== undefined) return adminError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${missing.partition} of ${missing.topic} is not assigned to this consumer`);
    const at = await this.admin.partitionOffsets([...new Set(partitions.map((p) => p.topic))], which === 'beginning' ? -2n : -1n);
    for (const p of partitions) {
      const o = at.get(p.topic)?.get(p.partition);
      if (o === undefined) return adminError(ErrorCode.LEADER_NOT_AVAILABLE, `partition ${p.partition} of ${p.topic} has no live leader`);
      this.positions.set(key(p.topic, p.partition), o);
    }
    return undefined;
  }

  /**
   * The next records of the assigned partitions, from each one's position
   * (its committed offset, else auto.offset.reset); waits up to `waitMs` for
   * some. Auto-commit first commits what the previous poll delivered.
   */
  async poll(waitMs: number, maxBytes: number, maxRecords: number): Promise<(ReadRecord & { topic: string })[] | AdminError> {
    this.lastUsedAt = Date.now();
    if (this.groupError !== undefined) return this.groupError;
    // As Kafka's auto-commit: a commit that fails (a rebalance, the coordinator moving) is tried again at the next poll, not reported.
    if (this.autoCommit) await this.commitDelivered();
    const missing = await this.resolvePositions();
    if (missing !== undefined) return missing;
    const positions: PartitionPosition[] = [];
    for (const [k, p] of this.assigned) {
      const offset = this.positions.get(k);
      if (offset !== undefined) positions.push({ ...p, offset });
    }
    if (positions.length === 0) {
      // Nothing assigned (yet): a poll waits as a consumer's does, for its assignment.
      if (waitMs > 0 && this.target !== undefined && this.target.kind !== 'assigned') await this.assignmentOrTimeout(waitMs);
      return [];
    }
    const r = await this.admin.fetch(positions, waitMs, maxBytes, maxRecords);
    for (const lost of r.errors.filter((e) => e.error.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE)) {
      // As Kafka's auto.offset.reset: the position goes back to the reset point (with none, the caller is told).
      if (this.autoOffsetReset === 'none') return lost.error;
      this.positions.delete(key(lost.topic, lost.partition));
      this.outOfRange.add(key(lost.topic, lost.partition));
    }
    const delivered: (ReadRecord & { topic: string })[] = [];
    for (const rec of r.records) {
      const k = key(rec.topic, rec.partition);
      // Only partitions still assigned, from where they were read (a seek in between wins).
      if (!this.assigned.has(k) || this.positions.get(k) === undefined || rec.offset < this.positions.get(k)!) continue;
      delivered.push(rec);
      this.positions.set(k, rec.offset + 1);
    }
    this.lastUsedAt = Date.now();
    return delivered;
  }

  /** Commits given offsets (the next offset to read), or, without any, every position (what was delivered). */
  async commit(offsets?: PartitionPosition[]): Promise<AdminError | undefined> {
    this.lastUsedAt = Date.now();
    const toCommit = offsets ?? this.deliveredPositions(false);
    const err = await this.admin.commitOffsets(this.group, this.membership(), toCommit);
    if (err === undefined) for (const o of toCommit) this.committed.set(key(o.topic, o.partition), o.offset);
    return err;
  }

  /** The group's committed offsets of partitions. */
  async committedOffsets(partitions: { topic: string; partition: number }[]): Promise<Map<string, Map<number, number>> | AdminError> {
    this.lastUsedAt = Date.now();
    return this.admin.committedOffsets(this.group, partitions);
  }

  /** Commits what was delivered (auto-commit) and leaves the group; the instance is done. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.commitDelivered();
    this.closed = true;
    clearTimeout(this.heartbeatTimer);
    await this.leave();
  }

  private membership(): { memberId: string; memberEpoch: number } | undefined {
    return this.target !== undefined && this.target.kind !== 'assigned' && this.joined ? { memberId: this.memberId, memberEpoch: this.memberEpoch } : undefined;
  }

  private deliveredPositions(onlyMoved: boolean): PartitionPosition[] {
    const out: PartitionPosition[] = [];
    for (const [k, p] of this.assigned) {
      const offset = this.positions.get(k);
      if (offset !== undefined && (!onlyMoved || this.committed.get(k) !== offset)) out.push({ ...p, offset });
    }
    return out;
  }

  private async commitDelivered(): Promise<AdminError | undefined> {
    if (!this.autoCommit || this.closed) return undefined;
    const moved = this.deliveredPositions(true);
    return moved.length === 0 ? undefined : this.commit(moved);
  }

  /** Positions of newly assigned partitions: the group's committed offset, else the reset point. */
  private async resolvePositions(): Promise<AdminError | undefined> {
    const without = [...this.assigned].filter(([k]) => !this.positions.has(k)).map(([, p]) => p);
    if (without.length === 0) return undefined;
    const committed = await this.admin.committedOffsets(this.group, without);
    if (isAdminError(committed)) return committed;
    const committedAt = (p: { topic: string; partition: number }): number | undefined => (this.outOfRange.has(key(p.topic, p.partition)) ? undefined : committed.get(p.topic)?.get(p.partition));
    const toReset = without.filter((p) => committedAt(p) === undefined);
    if (toReset.length > 0 && this.autoOffsetReset === 'none') {
      return adminError(ErrorCode.OFFSET_OUT_OF_RANGE, `no committed offset for partition ${toReset[0]!.partition} of ${toReset[0]!.topic} and auto.offset.reset is none`);
    }
    const reset = toReset.length === 0 ? new Map<string, Map<number, number>>() : await this.admin.partitionOffsets([...new Set(toReset.map((p) => p.topic))], this.autoOffsetReset === 'earliest' ? -2n : -1n);
    for (const p of without) {
      const k = key(p.topic, p.partition);
      if (!this.assigned.has(k)) continue;
      const at = committedAt(p) ?? reset.get(p.topic)?.get(p.partition);
      // A partition whose leader did not answer is read from once it does.
      if (at !== undefined) {
        this.positions.set(k, at);
        this.outOfRange.delete(k);
      }
      const c = committed.get(p.topic)?.get(p.partition);
      if (c !== undefined) this.committed.set(k, c);
    }
    return undefined;
  }

  private replaceAssignment(next: Map<string, { topic: string; partition: number }>): void {
    for (const k of this.assigned.keys()) {
      if (!next.has(k)) {
        this.positions.delete(k);
        this.outOfRange.delete(k);
        this.committed.delete(k);
      }
    }
    this.assigned = next;
    this.assignmentWaiters.splice(0).forEach((w) => w());
  }

  private assignmentOrTimeout(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        // A poll that timed out leaves nothing behind.
        const i = this.assignmentWaiters.indexOf(done);
        if (i >= 0) this.assignmentWaiters.splice(i, 1);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.assignmentWaiters.push(done);
    });
  }

  private async heartbeatNow(): Promise<void> {
    clearTimeout(this.heartbeatTimer);
    // One heartbeat at a time: the member epoch of one is the input of the next.
    while (this.heartbeatInFlight !== undefined) await this.heartbeatInFlight;
    this.heartbeatInFlight = this.heartbeat().finally(() => { this.heartbeatInFlight = undefined; });
    await this.heartbeatInFlight;
  }

  private schedule(ms: number): void {
    clearTimeout(this.heartbeatTimer);
    if (this.closed || this.target === undefined || this.target.kind === 'assigned') return;
    this.heartbeatTimer = setTimeout(() => { void this.heartbeatNow(); }, ms);
    this.heartbeatTimer.unref();
  }

  private async heartbeat(): Promise<void> {
    const target = this.target;
    if (this.closed || target === undefined || target.kind === 'assigned') return;
    const owned = new Map<string, number[]>();
    for (const p of this.assigned.values()) {
      const id = this.topics.idOf(p.topic);
      if (id !== undefined) owned.set(id, [...(owned.get(id) ?? []), p.partition]);
    }
    const r = await this.admin.consumerGroupHeartbeat({
      groupId: this.group, memberId: this.memberId, memberEpoch: this.memberEpoch, instanceId: null, rackId: null, rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
      subscribedTopicNames: target.kind === 'topics' ? target.topics : null, subscribedTopicRegex: target.kind === 'pattern' ? target.pattern : null,
      serverAssignor: null, topicPartitions: [...owned].map(([topicId, partitions]) => ({ topicId, partitions })),
    });
    if (this.closed || this.target === undefined || this.target.kind === 'assigned') return;
    if (isAdminError(r)) {
      this.schedule(HEARTBEAT_RETRY_MS);
      return;
    }
    switch (r.errorCode) {
      case ErrorCode.NONE:
        break;
      case ErrorCode.UNKNOWN_MEMBER_ID:
      case ErrorCode.FENCED_MEMBER_EPOCH:
        // Fenced: its partitions went to others; it joins again from epoch 0 (as Kafka's consumer does).
        this.joined = false;
        this.memberEpoch = 0;
        this.replaceAssignment(new Map());
        this.schedule(0);
        return;
      case ErrorCode.NOT_COORDINATOR:
      case ErrorCode.COORDINATOR_NOT_AVAILABLE:
      case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
        this.schedule(HEARTBEAT_RETRY_MS);
        return;
      default:
        // Not retriable (a classic group of that name, authorization, a bad regex): the next poll says why.
        this.groupError = adminError(r.errorCode, r.errorMessage ?? `the group refused this member: ${String(r.errorCode)}`);
        return;
    }
    this.joined = true;
    this.memberEpoch = r.memberEpoch;
    let changed = false;
    if (r.assignment !== null) {
      const next = new Map<string, { topic: string; partition: number }>();
      for (const tp of r.assignment.topicPartitions) {
        const topic = this.topics.nameOf(tp.topicId);
        if (topic === undefined) continue;
        for (const partition of tp.partitions) next.set(key(topic, partition), { topic, partition });
      }
      changed = next.size !== this.assigned.size || [...next.keys()].some((k) => !this.assigned.has(k));
      if (changed) {
        // Partitions taken away: what was delivered from them is committed before they are given up.
        const revoked = [...this.assigned].filter(([k]) => !next.has(k)).map(([k, p]) => ({ ...p, offset: this.positions.get(k) })).filter((p): p is PartitionPosition => p.offset !== undefined);
        if (this.autoCommit && revoked.length > 0) await this.admin.commitOffsets(this.group, this.membership(), revoked);
        this.replaceAssignment(next);
      }
    }
    // A new assignment is acknowledged at once (the group waits for it); otherwise at the group's interval.
    this.schedule(changed ? 0 : r.heartbeatIntervalMs);
  }

  private async leave(): Promise<void> {
    clearTimeout(this.heartbeatTimer);
    while (this.heartbeatInFlight !== undefined) await this.heartbeatInFlight;
    if (!this.joined) return;
    this.joined = false;
    await this.admin.consumerGroupHeartbeat({
      groupId: this.group, memberId: this.memberId, memberEpoch: -1, instanceId: null, rackId: null, rebalanceTimeoutMs: -1,
      subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: null,
    });
    this.memberEpoch = 0;
  }
}
