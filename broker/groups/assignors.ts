// Owns the server-side partition assignors of the KIP-848 consumer group
// protocol: "uniform" (balanced and sticky) and "range" (contiguous ranges
// per topic). Pure functions of members, subscriptions and partition counts;
// they must not know about epochs, reconciliation or the wire.

/** Partitions by topic id. */
export type TopicPartitionSet = Map<string, Set<number>>;

export interface AssignorMember {
  memberId: string;
  /** Ids of the existing topics the member subscribes to. */
  topicIds: ReadonlySet<string>;
  /** The member's previous target, so uniform can keep what it may. */
  previous: TopicPartitionSet;
}

export type Assignor = (members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>) => Map<string, TopicPartitionSet>;

export const ASSIGNOR_NAMES = ['uniform', 'range'] as const;
export type AssignorName = typeof ASSIGNOR_NAMES[number];

function emptyResult(members: readonly AssignorMember[]): Map<string, TopicPartitionSet> {
  return new Map(members.map((m) => [m.memberId, new Map<string, Set<number>>()]));
}

function add(a: TopicPartitionSet, topicId: string, partition: number): void {
  let s = a.get(topicId);
  if (s === undefined) {
    s = new Set();
    a.set(topicId, s);
  }
  s.add(partition);
}

const byId = (a: { memberId: string }, b: { memberId: string }): number => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0);

/** Per topic, subscribers sorted by member id get contiguous ranges; the first P mod M get one more. */
export const rangeAssignor: Assignor = (members, partitionCounts) => {
  const out = emptyResult(members);
  for (const topicId of [...partitionCounts.keys()].sort()) {
    const subscribers = members.filter((m) => m.topicIds.has(topicId)).sort(byId);
    if (subscribers.length === 0) continue;
    const count = partitionCounts.get(topicId)!;
    const each = Math.floor(count / subscribers.length);
    const extra = count % subscribers.length;
    let next = 0;
    subscribers.forEach((m, i) => {
      const n = each + (i < extra ? 1 : 0);
      for (let p = next; p < next + n; p++) add(out.get(m.memberId)!, topicId, p);
      next += n;
    });
  }
  return out;
};

/**
 * Balanced and sticky: members end within one partition of each other
 * wherever their subscriptions allow it, and partitions stay with their
 * previous owner while that owner is within its share (partitions it can
 * take, each divided by how many members could take it), so a join or leave
 * moves as few partitions as balance requires.
 */
export const uniformAssignor: Assignor = (members, partitionCounts) => {
  const out = emptyResult(members);
  const sorted = [...members].sort(byId);
  const partitions: { topicId: string; partition: number; eligible: AssignorMember[] }[] = [];
  for (const topicId of [...partitionCounts.keys()].sort()) {
    const eligible = sorted.filter((m) => m.topicIds.has(topicId));
    if (eligible.length === 0) continue;
    for (let p = 0; p < partitionCounts.get(topicId)!; p++) partitions.push({ topicId, partition: p, eligible });
  }
  const share = new Map<string, number>(sorted.map((m) => [m.memberId, 0]));
  for (const p of partitions) for (const m of p.eligible) share.set(m.memberId, share.get(m.memberId)! + 1 / p.eligible.length);
  // Floating error must not turn an exact share of 3 into a ceiling of 4.
  const floorOf = (id: string): number => Math.floor(share.get(id)! + 1e-9);
  const ceilOf = (id: string): number => Math.ceil(share.get(id)! - 1e-9);
  let extras = partitions.length - sorted.reduce((n, m) => n + floorOf(m.memberId), 0);
  const count = new Map<string, number>(sorted.map((m) => [m.memberId, 0]));
  const owner = new Map<string, string>();
  const key = (topicId: string, partition: number): string => `${topicId}:${partition}`;
  const give = (m: AssignorMember, topicId: string, partition: number): void => {
    add(out.get(m.memberId)!, topicId, partition);
    count.set(m.memberId, count.get(m.memberId)! + 1);
    owner.set(key(topicId, partition), m.memberId);
  };
  const previousOwner = (topicId: string, partition: number, eligible: AssignorMember[]): AssignorMember | undefined =>
    eligible.find((m) => m.previous.get(topicId)?.has(partition) === true);

  // Sticky, up to each member's floor; then one more for as many as the extras allow.
  for (const p of partitions) {
    const prev = previousOwner(p.topicId, p.partition, p.eligible);
    if (prev !== undefined && count.get(prev.memberId)! < floorOf(prev.memberId)) give(prev, p.topicId, p.partition);
  }
  for (const p of partitions) {
    if (owner.has(key(p.topicId, p.partition)) || extras === 0) continue;
    const prev = previousOwner(p.topicId, p.partition, p.eligible);
    if (prev !== undefined && count.get(prev.memberId)! < ceilOf(prev.memberId)) {
      give(prev, p.topicId, p.partition);
      extras--;
    }
  }
  // The rest: members below their floor first, then the least loaded.
  for (const p of partitions) {
    if (owner.has(key(p.topicId, p.partition))) continue;
    let best: AssignorMember | undefined;
    let bestRank = Number.POSITIVE_INFINITY;
    for (const m of p.eligible) {
      const c = count.get(m.memberId)!;
      const rank = (c < floorOf(m.memberId) ? 0 : 1_000_000) + c;
      if (rank < bestRank) {
        best = m;
        bestRank = rank;
      }
    }
    give(best!, p.topicId, p.partition);
  }
  // Shares of members with different subscriptions can be uneven: move a
  // partition while some member that could take it has two fewer.
  for (let moved = true, rounds = 0; moved && rounds < partitions.length; rounds++) {
    moved = false;
    for (const p of partitions) {
      const from = owner.get(key(p.topicId, p.partition))!;
      let to: AssignorMember | undefined;
      for (const m of p.eligible) if (count.get(m.memberId)! <= count.get(from)! - 2 && (to === undefined || count.get(m.memberId)! < count.get(to.memberId)!)) to = m;
      if (to === undefined) continue;
      out.get(from)!.get(p.topicId)!.delete(p.partition);
      count.set(from, count.get(from)! - 1);
      give(to, p.topicId, p.partition);
      moved = true;
    }
  }
  for (const a of out.values()) for (const [t, ps] of a) if (ps.size === 0) a.delete(t);
  return out;
};

export const ASSIGNORS: Record<AssignorName, Assignor> = { uniform: uniformAssignor, range: rangeAssignor };
