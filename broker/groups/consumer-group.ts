// Owns one consumer group of the classic protocol: members, generations,
// the rebalance state machine (Empty -> PreparingRebalance ->
// CompletingRebalance -> Stable), protocol selection, session and rebalance
// timeouts, static membership (group.instance.id) and the leader's
// assignment handed out in SyncGroup; a snapshot of each completed
// generation for the coordinator to persist, and restore from one.
// Committed offsets live in GroupCoordinator, not here.

import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors.ts';
import { Reader } from '../../protocol/primitives/reader.ts';
import { KafkaDecodeError } from '../../protocol/primitives/decode-error.ts';
import { readConsumerProtocolSubscription } from '../../protocol/generated/ConsumerProtocolSubscription.ts';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

export interface GroupLimits {
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  maxSize: number;
}

export interface JoinRequest {
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
  clientId: string;
  clientHost: string;
  /** JoinGroup v4+: a new dynamic member first gets MEMBER_ID_REQUIRED with its id. */
  requireKnownMemberId: boolean;
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: { name: string; metadata: Buffer }[];
  assignment: Buffer;
  joinWaiter: ((r: JoinResult) => void) | undefined;
  syncWaiter: ((r: SyncResult) => void) | undefined;
  sessionTimer: NodeJS.Timeout | undefined;
}

const EMPTY = Buffer.alloc(0);

/** A completed generation as persisted in __consumer_offsets (buffers in base64). */
export interface ClassicGroupSnapshot {
  kind: 'classic';
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  members: {
    memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string;
    sessionTimeoutMs: number; rebalanceTimeoutMs: number; protocols: { name: string; metadata: string }[]; assignment: string;
  }[];
}

export class ConsumerGroup {
  readonly groupId: string;
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  private readonly members = new Map<string, Member>();
  private readonly pendingMemberIds = new Set<string>();
  private readonly limits: GroupLimits;
  private rebalanceTimer: NodeJS.Timeout | undefined;
  private initialDelayPending = false;
  /** Called when a generation completes (Stable) or the group empties: the moments Kafka persists group metadata. */
  onSettled: (() => void) | undefined;

  constructor(groupId: string, limits: GroupLimits) {
    this.groupId = groupId;
    this.limits = limits;
  }

  snapshot(): ClassicGroupSnapshot {
    return {
      kind: 'classic', generationId: this.generationId, protocolType: this.protocolType, protocolName: this.protocolName, leaderId: this.leaderId,
      members: this.state !== 'Stable' ? [] : [...this.members.values()].map((m) => ({
        memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
        sessionTimeoutMs: m.sessionTimeoutMs, rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        protocols: m.protocols.map((p) => ({ name: p.name, metadata: p.metadata.toString('base64') })), assignment: m.assignment.toString('base64'),
      })),
    };
  }

  /** The last completed generation after a restart: members keep their ids and assignments while they heartbeat within their sessions. */
  static restore(groupId: string, limits: GroupLimits, s: ClassicGroupSnapshot): ConsumerGroup {
    const g = new ConsumerGroup(groupId, limits);
    g.generationId = s.generationId;
    if (s.members.length === 0) return g;
    g.state = 'Stable';
    g.protocolType = s.protocolType;
    g.protocolName = s.protocolName;
    g.leaderId = s.leaderId;
    for (const x of s.members) {
      const m: Member = {
        memberId: x.memberId, groupInstanceId: x.groupInstanceId, clientId: x.clientId, clientHost: x.clientHost,
        sessionTimeoutMs: x.sessionTimeoutMs, rebalanceTimeoutMs: x.rebalanceTimeoutMs,
        protocols: x.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata, 'base64') })), assignment: Buffer.from(x.assignment, 'base64'),
        joinWaiter: undefined, syncWaiter: undefined, sessionTimer: undefined,
      };
      g.members.set(m.memberId, m);
      g.touch(m);
    }
    return g;
  }

  get size(): number {
    return this.members.size;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  describeMembers(): { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; metadata: Buffer; assignment: Buffer }[] {
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
      metadata: m.protocols.find((p) => p.name === this.protocolName)?.metadata ?? EMPTY, assignment: m.assignment,
    }));
  }

  private fail(errorCode: number, memberId = ''): JoinResult {
    return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] };
  }

  join(req: JoinRequest): Promise<JoinResult> | JoinResult {
    if (req.sessionTimeoutMs < this.limits.minSessionTimeoutMs || req.sessionTimeoutMs > this.limits.maxSessionTimeoutMs) {
      return this.fail(ErrorCode.INVALID_SESSION_TIMEOUT, req.memberId);
    }
    if (req.protocols.length === 0 || req.protocolType === '') return this.fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId);
    if (this.members.size > 0) {
      const others = [...this.members.values()].filter((m) => m.memberId !== req.memberId);
      const common = req.protocols.some((p) => others.every((m) => m.protocols.some((q) => q.name === p.name)));
      if (req.protocolType !== this.protocolType || (others.length > 0 && !common)) return this.fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId);
    }

    let member: Member | undefined;
    if (req.memberId === '') {
      if (req.groupInstanceId !== null) {
        const existing = [...this.members.values()].find((m) => m.groupInstanceId === req.groupInstanceId);
        const newId = `${req.groupInstanceId}-${randomUUID()}`;
        if (existing !== undefined) {
          // A static member coming back under a new member id: the old id is fenced.
          this.members.delete(existing.memberId);
          existing.joinWaiter?.(this.fail(ErrorCode.FENCED_INSTANCE_ID, existing.memberId));
          existing.syncWaiter?.({ errorCode: ErrorCode.FENCED_INSTANCE_ID, protocolType: null, protocolName: null, assignment: EMPTY });
          existing.joinWaiter = undefined;
          existing.syncWaiter = undefined;
          const wasLeader = this.leaderId === existing.memberId;
          existing.memberId = newId;
          this.members.set(newId, existing);
          if (wasLeader) this.leaderId = newId;
          this.updateMember(existing, req);
          if (this.state === 'Stable' && this.sameProtocols(existing, req)) {
            // Static membership: same partitions back, no rebalance.
            this.touch(existing);
            this.onSettled?.();
            return this.joinResult(existing, ErrorCode.NONE);
          }
          member = existing;
        } else {
          if (this.members.size >= this.limits.maxSize) return this.fail(ErrorCode.GROUP_MAX_SIZE_REACHED);
          member = this.addMember(newId, req);
        }
      } else if (req.requireKnownMemberId) {
        const newId = `${req.clientId}-${randomUUID()}`;
        this.pendingMemberIds.add(newId);
        return this.fail(ErrorCode.MEMBER_ID_REQUIRED, newId);
      } else {
        if (this.members.size >= this.limits.maxSize) return this.fail(ErrorCode.GROUP_MAX_SIZE_REACHED);
        member = this.addMember(`${req.clientId}-${randomUUID()}`, req);
      }
    } else if (this.pendingMemberIds.has(req.memberId)) {
      this.pendingMemberIds.delete(req.memberId);
      if (this.members.size >= this.limits.maxSize) return this.fail(ErrorCode.GROUP_MAX_SIZE_REACHED, req.memberId);
      member = this.addMember(req.memberId, req);
    } else {
      member = this.members.get(req.memberId);
      if (member === undefined) return this.fail(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId);
      if (req.groupInstanceId !== null && member.groupInstanceId !== req.groupInstanceId) return this.fail(ErrorCode.FENCED_INSTANCE_ID, req.memberId);
      if (this.state === 'CompletingRebalance' && this.sameProtocols(member, req)) {
        // A duplicate join while the leader assigns: answer with the generation being completed.
        this.updateMember(member, req);
        return this.joinResult(member, ErrorCode.NONE);
      }
      if (this.state === 'Stable' && member.memberId !== this.leaderId && this.sameProtocols(member, req)) {
        this.updateMember(member, req);
        this.touch(member);
        return this.joinResult(member, ErrorCode.NONE);
      }
      this.updateMember(member, req);
    }
    const m = member;
    const result = new Promise<JoinResult>((resolve) => { m.joinWaiter = resolve; });
    this.prepareRebalance();
    this.maybeCompleteJoin();
    return result;
  }

  private sameProtocols(m: Member, req: JoinRequest): boolean {
    return m.protocols.length === req.protocols.length
      && m.protocols.every((p, i) => p.name === req.protocols[i]!.name && p.metadata.equals(req.protocols[i]!.metadata));
  }

  private addMember(memberId: string, req: JoinRequest): Member {
    const m: Member = {
      memberId, groupInstanceId: req.groupInstanceId, clientId: req.clientId, clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs, rebalanceTimeoutMs: req.rebalanceTimeoutMs, protocols: req.protocols,
      assignment: EMPTY, joinWaiter: undefined, syncWaiter: undefined, sessionTimer: undefined,
    };
    if (this.members.size === 0) this.protocolType = req.protocolType;
    this.members.set(memberId, m);
    return m;
  }

  private updateMember(m: Member, req: JoinRequest): void {
    m.protocols = req.protocols;
    m.sessionTimeoutMs = req.sessionTimeoutMs;
    m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    m.clientId = req.clientId;
    m.clientHost = req.clientHost;
  }

  private joinResult(m: Member, errorCode: number): JoinResult {
    return {
      errorCode, generationId: this.generationId, protocolType: this.protocolType, protocolName: this.protocolName,
      leader: this.leaderId ?? '', memberId: m.memberId,
      members: m.memberId === this.leaderId
        ? [...this.members.values()].map((x) => ({ memberId: x.memberId, groupInstanceId: x.groupInstanceId, metadata: x.protocols.find((p) => p.name === this.protocolName)?.metadata ?? EMPTY }))
        : [],
    };
  }

  private prepareRebalance(): void {
    if (this.state === 'PreparingRebalance') return;
    if (this.state === 'CompletingRebalance') {
      for (const m of this.members.values()) {
        m.syncWaiter?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, protocolType: this.protocolType, protocolName: this.protocolName, assignment: EMPTY });
        m.syncWaiter = undefined;
      }
    }
    const wasEmpty = this.state === 'Empty';
    this.state = 'PreparingRebalance';
    const rebalanceTimeoutMs = Math.max(0, ...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
    // A new group waits group.initial.rebalance.delay.ms so that members starting together join one generation.
    this.initialDelayPending = wasEmpty && this.limits.initialRebalanceDelayMs > 0;
    clearTimeout(this.rebalanceTimer);
    if (this.initialDelayPending) {
      this.rebalanceTimer = setTimeout(() => {
        this.initialDelayPending = false;
        if (this.allJoined()) this.completeJoin();
        else this.rebalanceTimer = setTimeout(() => this.completeJoin(), rebalanceTimeoutMs);
      }, Math.min(this.limits.initialRebalanceDelayMs, rebalanceTimeoutMs));
    } else {
      // Rebalance timeout: members that have not rejoined by then are dropped.
      this.rebalanceTimer = setTimeout(() => this.completeJoin(), rebalanceTimeoutMs);
    }
  }

  private allJoined(): boolean {
    return [...this.members.values()].every((m) => m.joinWaiter !== undefined);
  }

  private maybeCompleteJoin(): void {
    if (this.state === 'PreparingRebalance' && !this.initialDelayPending && this.allJoined()) this.completeJoin();
  }

  private completeJoin(): void {
    clearTimeout(this.rebalanceTimer);
    this.rebalanceTimer = undefined;
    for (const m of [...this.members.values()]) {
      if (m.joinWaiter === undefined) this.removeMember(m);
    }
    if (this.members.size === 0) {
      this.toEmpty();
      return;
    }
    this.generationId++;
    this.protocolName = this.selectProtocol();
    if (this.leaderId === null || !this.members.has(this.leaderId)) this.leaderId = this.members.keys().next().value as string;
    this.state = 'CompletingRebalance';
    for (const m of this.members.values()) {
      const w = m.joinWaiter!;
      m.joinWaiter = undefined;
      m.assignment = EMPTY;
      this.touch(m);
      w(this.joinResult(m, ErrorCode.NONE));
    }
  }

  /** Each member votes for its most preferred protocol that every member supports. */
  private selectProtocol(): string {
    const all = [...this.members.values()];
    const candidates = all[0]!.protocols.map((p) => p.name).filter((n) => all.every((m) => m.protocols.some((p) => p.name === n)));
    const votes = new Map<string, number>();
    for (const m of all) {
      const choice = m.protocols.find((p) => candidates.includes(p.name))?.name;
      if (choice !== undefined) votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    return [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? candidates[0]!;
  }

  private touch(m: Member): void {
    clearTimeout(m.sessionTimer);
    m.sessionTimer = setTimeout(() => this.expire(m), m.sessionTimeoutMs);
  }

  private expire(m: Member): void {
    if (this.members.get(m.memberId) !== m) return;
    // A member waiting in a rebalance is bounded by the rebalance timeout, not its session.
    if (m.joinWaiter !== undefined) return;
    this.removeMember(m);
    this.afterMemberLeft();
  }

  private removeMember(m: Member): void {
    clearTimeout(m.sessionTimer);
    this.members.delete(m.memberId);
    m.joinWaiter?.(this.fail(ErrorCode.UNKNOWN_MEMBER_ID, m.memberId));
    m.syncWaiter?.({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, protocolType: null, protocolName: null, assignment: EMPTY });
    m.joinWaiter = undefined;
    m.syncWaiter = undefined;
    if (this.leaderId === m.memberId) this.leaderId = null;
  }

  private afterMemberLeft(): void {
    if (this.members.size === 0) this.toEmpty();
    else {
      this.prepareRebalance();
      this.maybeCompleteJoin();
    }
  }

  private toEmpty(): void {
    clearTimeout(this.rebalanceTimer);
    this.state = 'Empty';
    this.generationId++;
    // As Kafka: an empty group keeps its protocol type (DescribeGroups shows it); the next first member sets it anew.
    this.protocolName = null;
    this.leaderId = null;
    this.onSettled?.();
  }

  sync(memberId: string, generationId: number, assignments: { memberId: string; assignment: Buffer }[]): Promise<SyncResult> | SyncResult {
    const m = this.members.get(memberId);
    const err = (errorCode: number): SyncResult => ({ errorCode, protocolType: this.protocolType, protocolName: this.protocolName, assignment: EMPTY });
    if (m === undefined) return err(ErrorCode.UNKNOWN_MEMBER_ID);
    if (generationId !== this.generationId) return err(ErrorCode.ILLEGAL_GENERATION);
    if (this.state === 'PreparingRebalance' || this.state === 'Empty') return err(ErrorCode.REBALANCE_IN_PROGRESS);
    this.touch(m);
    const ok = (x: Member): SyncResult => ({ errorCode: ErrorCode.NONE, protocolType: this.protocolType, protocolName: this.protocolName, assignment: x.assignment });
    if (this.state === 'Stable') return ok(m);
    if (memberId === this.leaderId) {
      const given = new Map(assignments.map((a) => [a.memberId, a.assignment]));
      this.state = 'Stable';
      for (const x of this.members.values()) {
        x.assignment = given.get(x.memberId) ?? EMPTY;
        x.syncWaiter?.(ok(x));
        x.syncWaiter = undefined;
      }
      this.onSettled?.();
      return ok(m);
    }
    return new Promise((resolve) => { m.syncWaiter = resolve; });
  }

  heartbeat(memberId: string, generationId: number, groupInstanceId: string | null): number {
    const m = this.members.get(memberId);
    if (m === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (groupInstanceId !== null && m.groupInstanceId !== groupInstanceId) return ErrorCode.FENCED_INSTANCE_ID;
    if (generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.touch(m);
    if (this.state === 'PreparingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  leave(memberId: string, groupInstanceId: string | null): number {
    const m = memberId !== '' ? this.members.get(memberId) : [...this.members.values()].find((x) => x.groupInstanceId === groupInstanceId);
    if (m === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (groupInstanceId !== null && m.groupInstanceId !== groupInstanceId) return ErrorCode.FENCED_INSTANCE_ID;
    this.removeMember(m);
    this.afterMemberLeft();
    return ErrorCode.NONE;
  }

  /** For OffsetCommit from a group member: the error, or NONE. */
  checkCommitter(memberId: string, generationId: number): number {
    if (generationId < 0 && memberId === '') return this.members.size === 0 ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
    const m = this.members.get(memberId);
    if (m === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (this.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    this.touch(m);
    return ErrorCode.NONE;
  }

  /**
   * Topics the members subscribe to, from their "consumer" protocol metadata
   * (a version int16, then ConsumerProtocolSubscription). Unparseable metadata
   * counts as subscribed to everything, the safe answer for OffsetDelete.
   */
  subscribedTopics(): Set<string> | 'all' {
    const topics = new Set<string>();
    if (this.protocolType !== 'consumer') return this.members.size === 0 ? topics : 'all';
    for (const m of this.members.values()) {
      const meta = m.protocols.find((p) => p.name === this.protocolName)?.metadata;
      if (meta === undefined || meta.length < 2) return 'all';
      try {
        const r = new Reader(meta);
        const version = Math.min(r.int16(), 3);
        for (const t of readConsumerProtocolSubscription(r, version).topics) topics.add(t);
      } catch (e) {
        if (e instanceof KafkaDecodeError) return 'all';
        throw e;
      }
    }
    return topics;
  }

  /**
   * The group is unloaded (its offsets partition is led elsewhere now): timers
   * stop, and members waiting in a JoinGroup or SyncGroup are answered
   * NOT_COORDINATOR at once, as Kafka does, so they look for the new
   * coordinator instead of waiting out their request timeout.
   */
  close(): void {
    clearTimeout(this.rebalanceTimer);
    for (const m of this.members.values()) {
      clearTimeout(m.sessionTimer);
      m.joinWaiter?.(this.fail(ErrorCode.NOT_COORDINATOR, m.memberId));
      m.syncWaiter?.({ errorCode: ErrorCode.NOT_COORDINATOR, protocolType: null, protocolName: null, assignment: EMPTY });
      m.joinWaiter = undefined;
      m.syncWaiter = undefined;
    }
  }
}
