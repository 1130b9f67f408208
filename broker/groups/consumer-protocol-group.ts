// Owns one group of the KIP-848 consumer group protocol: members and their
// subscriptions, the group epoch, the target assignment computed by a
// server-side assignor, and each member's reconciliation towards its target
// (revoke first, then take partitions only once their previous owner has
// released them), with session and rebalance timeouts and static members;
// a snapshot of all of it for the coordinator to persist, and restore.
// Committed offsets live in GroupCoordinator; the wire lives in the handler.

import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors.ts';
import { ASSIGNORS, ASSIGNOR_NAMES, type AssignorName, type TopicPartitionSet } from './assignors.ts';

export interface TopicCatalog {
  byName(name: string): { id: string; partitions: number } | undefined;
  byId(id: string): { name: string; partitions: number } | undefined;
  /** Topics a regex subscription may match (internal topics excluded). */
  names(): string[];
}

export interface ConsumerProtocolLimits {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxSize: number;
}

export interface ConsumerHeartbeat {
  apiVersion: number;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  owned: TopicPartitionSet | null;
  clientId: string;
  clientHost: string;
}

export interface ConsumerHeartbeatResult {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: TopicPartitionSet | null;
}

type PartitionList = [string, number[]][];

/** Everything a restarted coordinator needs to carry on without a rebalance. */
export interface ConsumerProtocolGroupSnapshot {
  kind: 'consumer';
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: AssignorName;
  metadataKey: string;
  target: [string, PartitionList][];
  members: {
    memberId: string; instanceId: string | null; rackId: string | null; clientId: string; clientHost: string; rebalanceTimeoutMs: number;
    subscribedTopicNames: string[]; subscribedTopicRegex: string | null; serverAssignor: string | null;
    memberEpoch: number; previousMemberEpoch: number; assigned: PartitionList; pendingRevocation: PartitionList; state: Member['state'];
    /** `${topicId}:${partition}` → epoch; absent in snapshots written before KIP-1251 was followed. */
    assignedAt?: [string, number][];
  }[];
}

/** A subscription regex as Kafka applies it: to the whole topic name (RE2J's matches()). */
const topicRegex = (source: string): RegExp => new RegExp(`^(?:${source})$`, 'u');

const toList = (a: TopicPartitionSet): PartitionList => [...a].map(([t, ps]) => [t, [...ps].sort((x, y) => x - y)]);
const fromList = (l: PartitionList): TopicPartitionSet => new Map(l.map(([t, ps]) => [t, new Set(ps)]));

export type ConsumerProtocolGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable';

/** Epoch a static member sends when it leaves and means to come back. */
const STATIC_LEAVE_EPOCH = -2;
const LEAVE_EPOCH = -1;

interface Member {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  regex: RegExp | null;
  serverAssignor: string | null;
  memberEpoch: number;
  previousMemberEpoch: number;
  /** What the member may use now. */
  assigned: TopicPartitionSet;
  /**
   * The member epoch at which each partition of `assigned` became the member's (KIP-1251): a
   * commit sent with an older epoch is still the owner's as long as it is not older than that.
   */
  assignedAt: Map<string, number>;
  /** What it was asked to give up and has not yet confirmed. */
  pendingRevocation: TopicPartitionSet;
  state: 'stable' | 'unrevoked' | 'unreleased';
  lastSent: string | undefined;
  sessionTimer: NodeJS.Timeout | undefined;
  revocationTimer: NodeJS.Timeout | undefined;
}

export interface DescribedConsumerMember {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  memberEpoch: number;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  assignment: TopicPartitionSet;
  targetAssignment: TopicPartitionSet;
}

function size(a: TopicPartitionSet): number {
  let n = 0;
  for (const s of a.values()) n += s.size;
  return n;
}

function difference(a: TopicPartitionSet, b: TopicPartitionSet): TopicPartitionSet {
  const out: TopicPartitionSet = new Map();
  for (const [t, ps] of a) {
    const other = b.get(t);
    const left = [...ps].filter((p) => other?.has(p) !== true);
    if (left.length > 0) out.set(t, new Set(left));
  }
  return out;
}

function intersection(a: TopicPartitionSet, b: TopicPartitionSet): TopicPartitionSet {
  const out: TopicPartitionSet = new Map();
  for (const [t, ps] of a) {
    const other = b.get(t);
    if (other === undefined) continue;
    const both = [...ps].filter((p) => other.has(p));
    if (both.length > 0) out.set(t, new Set(both));
  }
  return out;
}

/** A stable string form, to tell whether an assignment changed since it was last sent. */
export function assignmentKey(a: TopicPartitionSet): string {
  return [...a].filter(([, ps]) => ps.size > 0).sort(([x], [y]) => (x < y ? -1 : 1))
    .map(([t, ps]) => `${t}:${[...ps].sort((x, y) => x - y).join(',')}`).join(';');
}

export class ConsumerProtocolGroup {
  readonly groupId: string;
  groupEpoch = 0;
  assignmentEpoch = 0;
  assignorName: AssignorName = 'uniform';
  private readonly members = new Map<string, Member>();
  private target = new Map<string, TopicPartitionSet>();
  private metadataKey = '';
  private readonly catalog: TopicCatalog;
  private readonly limits: ConsumerProtocolLimits;
  /** Called after anything a snapshot holds may have changed (the coordinator persists when it did). */
  onChange: (() => void) | undefined;
  /** Told when a member is removed for a reason other than its own leave (the coordinator logs it, as Kafka does). */
  onMemberFenced: ((memberId: string, reason: 'session timeout' | 'rebalance timeout' | 'rejoined', memberEpoch: number) => void) | undefined;

  constructor(groupId: string, catalog: TopicCatalog, limits: ConsumerProtocolLimits) {
    this.groupId = groupId;
    this.catalog = catalog;
    this.limits = limits;
  }

  snapshot(): ConsumerProtocolGroupSnapshot {
    return {
      kind: 'consumer', groupEpoch: this.groupEpoch, assignmentEpoch: this.assignmentEpoch, assignorName: this.assignorName, metadataKey: this.metadataKey,
      target: [...this.target].map(([id, a]) => [id, toList(a)]),
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId, instanceId: m.instanceId, rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost, rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        subscribedTopicNames: m.subscribedTopicNames, subscribedTopicRegex: m.subscribedTopicRegex, serverAssignor: m.serverAssignor,
        memberEpoch: m.memberEpoch, previousMemberEpoch: m.previousMemberEpoch, assigned: toList(m.assigned), pendingRevocation: toList(m.pendingRevocation), state: m.state,
        assignedAt: [...m.assignedAt],
      })),
    };
  }

  /** The group as persisted; every member's session (and pending revocation) starts over from now. */
  static restore(groupId: string, catalog: TopicCatalog, limits: ConsumerProtocolLimits, s: ConsumerProtocolGroupSnapshot): ConsumerProtocolGroup {
    const g = new ConsumerProtocolGroup(groupId, catalog, limits);
    g.groupEpoch = s.groupEpoch;
    g.assignmentEpoch = s.assignmentEpoch;
    g.assignorName = s.assignorName;
    g.metadataKey = s.metadataKey;
    g.target = new Map(s.target.map(([id, l]) => [id, fromList(l)]));
    for (const x of s.members) {
      const m: Member = {
        ...x, regex: x.subscribedTopicRegex === null ? null : topicRegex(x.subscribedTopicRegex),
        assigned: fromList(x.assigned), pendingRevocation: fromList(x.pendingRevocation), lastSent: undefined, sessionTimer: undefined, revocationTimer: undefined,
        // Without recorded epochs, only the current epoch may commit (the strict rule).
        assignedAt: new Map(x.assignedAt ?? [...fromList(x.assigned)].flatMap(([t, ps]) => [...ps].map((p): [string, number] => [`${t}:${p}`, x.memberEpoch]))),
      };
      g.members.set(m.memberId, m);
      g.touch(m);
      if (m.state === 'unrevoked') g.startRevocationTimer(m);
    }
    return g;
  }

  get size(): number {
    return this.members.size;
  }

  get state(): ConsumerProtocolGroupState {
    if (this.members.size === 0) return 'Empty';
    if (this.assignmentEpoch < this.groupEpoch) return 'Assigning';
    for (const m of this.members.values()) {
      if (m.memberEpoch === STATIC_LEAVE_EPOCH) continue;
      if (m.memberEpoch !== this.assignmentEpoch || m.state !== 'stable') return 'Reconciling';
    }
    return 'Stable';
  }

  private fail(errorCode: number, errorMessage: string | null = null): ConsumerHeartbeatResult {
    return { errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
  }

  heartbeat(req: ConsumerHeartbeat): ConsumerHeartbeatResult {
    if (req.serverAssignor !== null && !(ASSIGNOR_NAMES as readonly string[]).includes(req.serverAssignor)) {
      return this.fail(ErrorCode.UNSUPPORTED_ASSIGNOR, `Assignor ${req.serverAssignor} is not supported. Supported assignors: ${ASSIGNOR_NAMES.join(', ')}.`);
    }
    let regex: RegExp | null | undefined;
    if (req.subscribedTopicRegex !== null && req.subscribedTopicRegex !== '') {
      try {
        regex = topicRegex(req.subscribedTopicRegex);
      } catch {
        return this.fail(ErrorCode.INVALID_REGULAR_EXPRESSION, `SubscribedTopicRegex ${req.subscribedTopicRegex} is not a valid regular expression.`);
      }
    } else if (req.subscribedTopicRegex === '') {
      regex = null;
    }

    if (req.memberEpoch === LEAVE_EPOCH || req.memberEpoch === STATIC_LEAVE_EPOCH) return this.leave(req);

    let member: Member;
    let joined = false;
    let changed = false;
    if (req.memberEpoch === 0) {
      const joinedOr = this.join(req);
      if ('errorCode' in joinedOr) return joinedOr;
      member = joinedOr.member;
      joined = true;
      // A returning static member takes its predecessor's place: no new group epoch.
      changed = !joinedOr.returning;
    } else {
      const m = this.members.get(req.memberId);
      if (m === undefined) return this.fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${this.groupId}.`);
      if (req.memberEpoch !== m.memberEpoch) {
        // A member that missed our last response may retry with its previous epoch, if it owns nothing it should not.
        const retried = req.memberEpoch === m.previousMemberEpoch && req.owned !== null && size(difference(req.owned, m.assigned)) === 0;
        if (!retried) return this.fail(ErrorCode.FENCED_MEMBER_EPOCH, `The member epoch ${req.memberEpoch} does not match the member's epoch ${m.memberEpoch}.`);
      }
      member = m;
    }

    if (req.rebalanceTimeoutMs !== -1) member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    if (req.rackId !== null) member.rackId = req.rackId;
    if (req.subscribedTopicNames !== null) {
      const names = [...new Set(req.subscribedTopicNames)].sort();
      if (names.join('\u0000') !== member.subscribedTopicNames.join('\u0000')) changed = true;
      member.subscribedTopicNames = names;
    }
    if (regex !== undefined && (req.subscribedTopicRegex === '' ? null : req.subscribedTopicRegex) !== member.subscribedTopicRegex) {
      member.subscribedTopicRegex = req.subscribedTopicRegex === '' ? null : req.subscribedTopicRegex;
      member.regex = regex;
      changed = true;
    }
    if (req.serverAssignor !== null && req.serverAssignor !== member.serverAssignor) {
      member.serverAssignor = req.serverAssignor;
      changed = true;
    }
    member.clientId = req.clientId;
    member.clientHost = req.clientHost;
    this.touch(member);

    this.refreshTarget(changed);
    this.reconcile(member, req.owned);

    const key = assignmentKey(member.assigned);
    const ownedDiffers = req.owned !== null && assignmentKey(req.owned) !== key;
    const send = joined || ownedDiffers || member.lastSent !== key;
    member.lastSent = key;
    this.onChange?.();
    return {
      errorCode: ErrorCode.NONE, errorMessage: null, memberId: member.memberId, memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: this.limits.heartbeatIntervalMs, assignment: send ? member.assigned : null,
    };
  }

  private join(req: ConsumerHeartbeat): { member: Member; returning: boolean } | ConsumerHeartbeatResult {
    if (req.rebalanceTimeoutMs === -1) return this.fail(ErrorCode.INVALID_REQUEST, 'RebalanceTimeoutMs must be provided in first request.');
    if (req.owned !== null && size(req.owned) > 0) return this.fail(ErrorCode.INVALID_REQUEST, 'TopicPartitions must be empty when (re-)joining.');
    if (req.subscribedTopicNames === null && (req.subscribedTopicRegex === null || req.subscribedTopicRegex === '')) {
      return this.fail(ErrorCode.INVALID_REQUEST, 'SubscribedTopicNames or SubscribedTopicRegex must be set in first request.');
    }
    // v0: the coordinator names members; v1 (KIP-1082): the member names itself.
    if (req.apiVersion >= 1 && req.memberId === '') return this.fail(ErrorCode.INVALID_REQUEST, 'MemberId can\'t be empty.');
    const memberId = req.apiVersion >= 1 ? req.memberId : randomUUID();

    let inherited: Member | undefined;
    if (req.instanceId !== null) {
      const holder = [...this.members.values()].find((m) => m.instanceId === req.instanceId);
      if (holder !== undefined && holder.memberEpoch !== STATIC_LEAVE_EPOCH && holder.memberId !== memberId) {
        return this.fail(ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${holder.memberId} with instance id ${req.instanceId} is still active.`);
      }
      inherited = holder;
    }
    const again = this.members.get(memberId);
    if (again !== undefined && again !== inherited) {
      // A member that lost its state rejoins under its own id: it starts over.
      this.onMemberFenced?.(again.memberId, 'rejoined', again.memberEpoch);
      this.remove(again);
    }
    if (inherited === undefined && this.members.size >= this.limits.maxSize) {
      return this.fail(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${this.limits.maxSize} members.`);
    }

    const member: Member = {
      memberId, instanceId: req.instanceId, rackId: req.rackId, clientId: req.clientId, clientHost: req.clientHost,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs, subscribedTopicNames: [], subscribedTopicRegex: null, regex: null, serverAssignor: null,
      memberEpoch: 0, previousMemberEpoch: 0, assigned: new Map(), assignedAt: new Map(), pendingRevocation: new Map(), state: 'stable',
      lastSent: undefined, sessionTimer: undefined, revocationTimer: undefined,
    };
    if (inherited !== undefined) {
      // The static member comes back: it takes over its predecessor's place without a rebalance.
      this.clearTimers(inherited);
      this.members.delete(inherited.memberId);
      member.memberEpoch = inherited.previousMemberEpoch;
      member.previousMemberEpoch = inherited.previousMemberEpoch;
      member.assigned = inherited.assigned;
      member.assignedAt = inherited.assignedAt;
      member.pendingRevocation = inherited.pendingRevocation;
      member.state = inherited.state;
      member.subscribedTopicNames = inherited.subscribedTopicNames;
      member.subscribedTopicRegex = inherited.subscribedTopicRegex;
      member.regex = inherited.regex;
      member.serverAssignor = inherited.serverAssignor;
      const t = this.target.get(inherited.memberId);
      this.target.delete(inherited.memberId);
      if (t !== undefined) this.target.set(memberId, t);
    }
    this.members.set(memberId, member);
    return { member, returning: inherited !== undefined };
  }

  private leave(req: ConsumerHeartbeat): ConsumerHeartbeatResult {
    let m = this.members.get(req.memberId);
    if (m === undefined && req.instanceId !== null) m = [...this.members.values()].find((x) => x.instanceId === req.instanceId);
    if (m === undefined) return this.fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${this.groupId}.`);
    if (req.memberEpoch === STATIC_LEAVE_EPOCH && m.instanceId !== null) {
      // Keeps its partitions until it returns or its session expires.
      if (m.memberEpoch !== STATIC_LEAVE_EPOCH) m.previousMemberEpoch = m.memberEpoch;
      m.memberEpoch = STATIC_LEAVE_EPOCH;
      this.touch(m);
    } else {
      this.remove(m);
    }
    this.onChange?.();
    return { errorCode: ErrorCode.NONE, errorMessage: null, memberId: m.memberId, memberEpoch: req.memberEpoch, heartbeatIntervalMs: 0, assignment: null };
  }

  private touch(m: Member): void {
    if (m.sessionTimer !== undefined) clearTimeout(m.sessionTimer);
    m.sessionTimer = setTimeout(() => {
      if (this.members.get(m.memberId) !== m) return;
      this.onMemberFenced?.(m.memberId, 'session timeout', m.memberEpoch);
      this.remove(m);
      this.onChange?.();
    }, this.limits.sessionTimeoutMs);
    m.sessionTimer.unref();
  }

  private clearTimers(m: Member): void {
    if (m.sessionTimer !== undefined) clearTimeout(m.sessionTimer);
    if (m.revocationTimer !== undefined) clearTimeout(m.revocationTimer);
    m.sessionTimer = undefined;
    m.revocationTimer = undefined;
  }

  /** Fences a member: it leaves, and everything it owned can move. */
  private remove(m: Member): void {
    this.clearTimers(m);
    this.members.delete(m.memberId);
    this.target.delete(m.memberId);
    this.refreshTarget(true);
  }

  private subscribedTopicIds(m: Member): Set<string> {
    const ids = new Set<string>();
    for (const name of m.subscribedTopicNames) {
      const t = this.catalog.byName(name);
      if (t !== undefined) ids.add(t.id);
    }
    if (m.regex !== null) {
      for (const name of this.catalog.names()) if (m.regex.test(name)) ids.add(this.catalog.byName(name)!.id);
    }
    return ids;
  }

  /**
   * Bumps the group epoch and recomputes the target when membership or
   * subscriptions changed, or when a subscribed topic appeared, vanished or
   * grew partitions since the last assignment.
   */
  private refreshTarget(changed: boolean): void {
    const topicIds = new Map<Member, Set<string>>();
    const counts = new Map<string, number>();
    for (const m of this.members.values()) {
      const ids = this.subscribedTopicIds(m);
      topicIds.set(m, ids);
      for (const id of ids) counts.set(id, this.catalog.byId(id)!.partitions);
    }
    const metadataKey = [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, n]) => `${id}:${n}`).join(',');
    if (!changed && metadataKey === this.metadataKey) return;
    this.metadataKey = metadataKey;
    this.groupEpoch++;
    this.assignorName = this.selectAssignor();
    const members = [...this.members.values()].map((m) => ({ memberId: m.memberId, topicIds: topicIds.get(m)!, previous: this.target.get(m.memberId) ?? new Map() }));
    this.target = ASSIGNORS[this.assignorName](members, counts);
    this.assignmentEpoch = this.groupEpoch;
  }

  /** The assignor most members ask for; uniform when none asks. */
  private selectAssignor(): AssignorName {
    const votes = new Map<AssignorName, number>();
    for (const m of this.members.values()) {
      if (m.serverAssignor !== null) votes.set(m.serverAssignor as AssignorName, (votes.get(m.serverAssignor as AssignorName) ?? 0) + 1);
    }
    let best: AssignorName = 'uniform';
    let bestVotes = 0;
    for (const name of ASSIGNOR_NAMES) {
      const v = votes.get(name) ?? 0;
      if (v > bestVotes) {
        best = name;
        bestVotes = v;
      }
    }
    return best;
  }

  /** Partitions some other member still holds (in use or awaiting revocation). */
  private heldByOthers(self: Member): TopicPartitionSet {
    const held: TopicPartitionSet = new Map();
    for (const m of this.members.values()) {
      if (m === self) continue;
      for (const part of [m.assigned, m.pendingRevocation]) {
        for (const [t, ps] of part) {
          let s = held.get(t);
          if (s === undefined) held.set(t, s = new Set());
          for (const p of ps) s.add(p);
        }
      }
    }
    return held;
  }

  /**
   * Moves a member one step towards its target: first it must give up what
   * the target no longer holds (its epoch stays until it confirms); then it
   * takes the new epoch and every target partition no other member holds.
   */
  private reconcile(m: Member, owned: TopicPartitionSet | null): void {
    if (m.state === 'unrevoked') {
      if (owned === null || size(intersection(owned, m.pendingRevocation)) > 0) return;
      m.pendingRevocation = new Map();
      if (m.revocationTimer !== undefined) clearTimeout(m.revocationTimer);
      m.revocationTimer = undefined;
      m.state = 'stable';
    }
    if (m.memberEpoch === this.assignmentEpoch && m.state === 'stable') return;
    const target = this.target.get(m.memberId) ?? new Map<string, Set<number>>();
    const revoke = difference(m.assigned, target);
    if (size(revoke) > 0) {
      this.setAssigned(m, intersection(m.assigned, target));
      m.pendingRevocation = revoke;
      m.state = 'unrevoked';
      this.startRevocationTimer(m);
      return;
    }
    if (m.memberEpoch !== this.assignmentEpoch) {
      m.previousMemberEpoch = m.memberEpoch;
      m.memberEpoch = this.assignmentEpoch;
    }
    this.setAssigned(m, difference(target, this.heldByOthers(m)));
    m.state = size(m.assigned) === size(target) ? 'stable' : 'unreleased';
  }

  /** Rebalance timeout: a member that does not give up its revoked partitions in time is fenced. */
  private startRevocationTimer(m: Member): void {
    m.revocationTimer = setTimeout(() => {
      if (this.members.get(m.memberId) !== m || m.state !== 'unrevoked') return;
      this.onMemberFenced?.(m.memberId, 'rebalance timeout', m.memberEpoch);
      this.remove(m);
      this.onChange?.();
    }, m.rebalanceTimeoutMs);
    m.revocationTimer.unref();
  }

  /** Replaces what a member may use, recording when each partition became its own. */
  private setAssigned(m: Member, next: TopicPartitionSet): void {
    const at = new Map<string, number>();
    for (const [t, ps] of next) for (const p of ps) at.set(`${t}:${p}`, m.assignedAt.get(`${t}:${p}`) ?? m.memberEpoch);
    m.assigned = next;
    m.assignedAt = at;
  }

  /**
   * OffsetCommit from a member: an error for the whole request, or a check per partition.
   * With the current epoch everything goes; with an older one (a commit that crossed a
   * heartbeat that moved the member on), KIP-1251's rule per partition: the member owns it
   * and has owned it since that epoch or before, otherwise STALE_MEMBER_EPOCH.
   */
  checkCommit(memberId: string, memberEpoch: number, apiVersion: number): number | ((topic: string, partition: number) => number) {
    if (memberEpoch < 0 && memberId === '') return this.members.size === 0 ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
    const m = this.members.get(memberId);
    if (m === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (memberEpoch === m.memberEpoch) return ErrorCode.NONE;
    if (apiVersion < 9) return ErrorCode.ILLEGAL_GENERATION;
    if (memberEpoch > m.memberEpoch) return ErrorCode.STALE_MEMBER_EPOCH;
    return (topic, partition) => {
      const id = this.catalog.byName(topic)?.id;
      const since = id === undefined ? undefined : m.assignedAt.get(`${id}:${partition}`);
      return since !== undefined && since <= memberEpoch ? ErrorCode.NONE : ErrorCode.STALE_MEMBER_EPOCH;
    };
  }

  /** OffsetFetch v9+ from a member: it must be known and current. */
  checkFetch(memberId: string, memberEpoch: number): number {
    const m = this.members.get(memberId);
    if (m === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    return memberEpoch === m.memberEpoch ? ErrorCode.NONE : ErrorCode.STALE_MEMBER_EPOCH;
  }

  subscribedTopics(): Set<string> {
    const names = new Set<string>();
    for (const m of this.members.values()) for (const id of this.subscribedTopicIds(m)) names.add(this.catalog.byId(id)!.name);
    return names;
  }

  describeMembers(): DescribedConsumerMember[] {
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId, instanceId: m.instanceId, rackId: m.rackId, memberEpoch: m.memberEpoch, clientId: m.clientId, clientHost: m.clientHost,
      subscribedTopicNames: m.subscribedTopicNames, subscribedTopicRegex: m.subscribedTopicRegex,
      assignment: m.assigned, targetAssignment: this.target.get(m.memberId) ?? new Map(),
    }));
  }

  close(): void {
    for (const m of this.members.values()) this.clearTimers(m);
  }
}
