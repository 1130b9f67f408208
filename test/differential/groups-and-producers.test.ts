// Differential scenarios for consumer groups and producers: a classic group
// through join, sync, heartbeat, commit, fetch, describe, list, offset delete,
// leave and delete, with the mistakes a client can make on the way; a KIP-848
// member (ConsumerGroupHeartbeat); an idempotent producer's duplicates and
// gaps; a transactional id's first mistakes. Asked of a fresh Apache Kafka and
// a fresh floe; answers must be the same but for ALLOWED.

import {
  ConsumerGroupDescribeApi, ConsumerGroupHeartbeatApi, CreateTopicsApi, DeleteGroupsApi, DescribeGroupsApi, EndTxnApi, FindCoordinatorApi, HeartbeatApi,
  InitProducerIdApi, JoinGroupApi, LeaveGroupApi, ListGroupsApi, OffsetCommitApi, OffsetDeleteApi, OffsetFetchApi, ProduceApi, SyncGroupApi, AddPartitionsToTxnApi,
} from '../../protocol/generated/index.ts';
import { defaultCreatableTopic } from '../../protocol/generated/CreateTopicsRequest.ts';
import { defaultJoinGroupRequest } from '../../protocol/generated/JoinGroupRequest.ts';
import { defaultConsumerGroupHeartbeatRequest } from '../../protocol/generated/ConsumerGroupHeartbeatRequest.ts';
import { buildRecordBatch } from '../../protocol/records/record.ts';
import { errorName } from '../../protocol/errors.ts';
import type { WireClient } from '../../protocol/wire-client.ts';
import { differentialSuite, type Scenario } from './harness.ts';

const ALLOWED: Record<string, string> = {};

/** ConsumerProtocolSubscription v0: what a Java consumer puts in JoinGroup's protocol metadata. */
function subscription(topics: string[]): Buffer {
  const parts = [Buffer.from([0, 0]), Buffer.alloc(4)];
  parts[1]!.writeInt32BE(topics.length);
  for (const t of topics) {
    const len = Buffer.alloc(2);
    len.writeInt16BE(Buffer.byteLength(t));
    parts.push(len, Buffer.from(t));
  }
  const noUserData = Buffer.alloc(4);
  noUserData.writeInt32BE(-1);
  parts.push(noUserData);
  return Buffer.concat(parts);
}

const GROUP = 'classic';
/** What a client retries before it has an answer. */
const RETRIABLE = new Set(['COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS', 'NOT_COORDINATOR']);
/** Shared between the scenarios of one run (each broker gets its own run). */
interface Member { id: string; generation: number }
const state = new WeakMap<WireClient, Member>();

const join = (c: WireClient, memberId: string, groupId = GROUP, sessionTimeoutMs = 30_000) => c.request(JoinGroupApi, 9, {
  ...defaultJoinGroupRequest(), groupId, sessionTimeoutMs, rebalanceTimeoutMs: 30_000, memberId, groupInstanceId: null, protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: subscription(['groups-topic']) }], reason: null,
});
const heartbeat = async (c: WireClient, generationId: number, memberId: string) =>
  errorName((await c.request(HeartbeatApi, 4, { groupId: GROUP, generationId, memberId, groupInstanceId: null })).errorCode);
const commit = async (c: WireClient, generation: number, memberId: string, topic: string, offset: bigint) => {
  const r = await c.request(OffsetCommitApi, 8, { groupId: GROUP, generationIdOrMemberEpoch: generation, memberId, groupInstanceId: null, retentionTimeMs: -1n,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: 'm' }] }] });
  return r.topics.map((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex} ${errorName(p.errorCode)}`).join(',')).join(';');
};
const fetchOffsets = async (c: WireClient) => {
  const r = await c.request(OffsetFetchApi, 8, { groupId: '', topics: null, groups: [{ groupId: GROUP, memberId: null, memberEpoch: -1, topics: [{ name: 'groups-topic', partitionIndexes: [0, 1] }] }], requireStable: false });
  const g = r.groups[0]!;
  return `${errorName(g.errorCode)} ${g.topics.map((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}@${p.committedOffset} "${p.metadata}" ${errorName(p.errorCode)}`).join(',')).join(';')}`;
};
const describeGroup = async (c: WireClient, groupId = GROUP) => {
  const g = (await c.request(DescribeGroupsApi, 5, { groups: [groupId], includeAuthorizedOperations: false })).groups[0]!;
  return `${errorName(g.errorCode)} ${g.groupState} ${g.protocolType} ${g.protocolData} members ${g.members.length}`;
};

const SCENARIOS: [string, Scenario][] = [
  ['a topic for the groups', async ({ client: c }) => {
    const r = await c.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: 'groups-topic', numPartitions: 2, replicationFactor: 1 }], timeoutMs: 10_000, validateOnly: false });
    return { error: errorName(r.topics[0]!.errorCode) };
  }],
  ['find the coordinator of a group, and of a transactional id (as a client: asking again while it is not available)', async ({ client: c }) => {
    // Apache Kafka creates __consumer_offsets and __transaction_state on the first FindCoordinator and answers
    // COORDINATOR_NOT_AVAILABLE until their leaders are up; floe has them from the start. A client asks again.
    const find = async (keyType: number, key: string) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const r = await c.request(FindCoordinatorApi, 4, { key: '', keyType, coordinatorKeys: [key] });
        const code = errorName(r.coordinators[0]!.errorCode);
        if (!RETRIABLE.has(code) || Date.now() > deadline) return code;
        await new Promise((res) => setTimeout(res, 200));
      }
    };
    const ready = async (fn: () => Promise<number>) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const code = errorName(await fn());
        if (!RETRIABLE.has(code) || Date.now() > deadline) return code;
        await new Promise((res) => setTimeout(res, 200));
      }
    };
    return {
      group: await find(0, GROUP), transaction: await find(1, 'tx-diff'),
      // The coordinators answer once loaded: a group's (described) and the transactions' (an idempotent producer id).
      groupLoaded: await ready(async () => (await c.request(DescribeGroupsApi, 5, { groups: [GROUP], includeAuthorizedOperations: false })).groups[0]!.errorCode),
      transactionsLoaded: await ready(async () => (await c.request(InitProducerIdApi, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })).errorCode),
    };
  }],
  ['join: an empty member id is told MEMBER_ID_REQUIRED with one to use', async ({ client: c }) => {
    const r = await join(c, '');
    state.set(c, { id: r.memberId, generation: -1 });
    return { error: errorName(r.errorCode), memberIdGiven: r.memberId.length > 0, generation: r.generationId };
  }],
  ['join with the member id: generation 1, the leader, range', async ({ client: c }) => {
    const m = state.get(c)!;
    const r = await join(c, m.id);
    m.generation = r.generationId;
    return { error: errorName(r.errorCode), generation: r.generationId, leaderIsSelf: r.leader === m.id, protocol: `${r.protocolType}/${r.protocolName}`, members: r.members.length };
  }],
  ['join mistakes: no group id, a session timeout out of range, another protocol type', async ({ client: c }) => {
    const other = await c.request(JoinGroupApi, 9, { ...defaultJoinGroupRequest(), groupId: GROUP, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: '', groupInstanceId: null,
      protocolType: 'connect', protocols: [{ name: 'x', metadata: Buffer.alloc(0) }], reason: null });
    return {
      noGroupId: errorName((await join(c, '', '')).errorCode),
      shortSession: errorName((await join(c, '', 'short-session', 1)).errorCode),
      otherProtocolType: errorName(other.errorCode),
    };
  }],
  ['sync: the leader\'s assignment comes back', async ({ client: c }) => {
    const m = state.get(c)!;
    const assignment = Buffer.from('assignment-bytes');
    const r = await c.request(SyncGroupApi, 5, { groupId: GROUP, generationId: m.generation, memberId: m.id, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: m.id, assignment }] });
    const wrong = await c.request(SyncGroupApi, 5, { groupId: GROUP, generationId: m.generation, memberId: m.id, groupInstanceId: null, protocolType: 'consumer', protocolName: 'roundrobin', assignments: [] });
    return { error: errorName(r.errorCode), assignment: r.assignment.toString(), wrongProtocol: errorName(wrong.errorCode) };
  }],
  ['heartbeat: right, wrong generation, unknown member', async ({ client: c }) => {
    const m = state.get(c)!;
    return { ok: await heartbeat(c, m.generation, m.id), wrongGeneration: await heartbeat(c, m.generation + 5, m.id), unknownMember: await heartbeat(c, m.generation, 'nobody') };
  }],
  ['offset commit: a member\'s, a wrong generation\'s, an unknown topic\'s', async ({ client: c }) => {
    const m = state.get(c)!;
    return {
      ok: await commit(c, m.generation, m.id, 'groups-topic', 5n),
      wrongGeneration: await commit(c, m.generation + 1, m.id, 'groups-topic', 6n),
      unknownMember: await commit(c, m.generation, 'nobody', 'groups-topic', 6n),
      unknownTopic: await commit(c, m.generation, m.id, 'no-such-topic', 1n),
    };
  }],
  ['offset fetch: the committed partition and one never committed', async ({ client: c }) => ({ fetched: await fetchOffsets(c) })],
  ['describe and list the stable group', async ({ client: c }) => {
    const l = await c.request(ListGroupsApi, 5, { statesFilter: [], typesFilter: [] });
    return { described: await describeGroup(c), unknown: await describeGroup(c, 'no-such-group'), listed: l.groups.filter((g) => g.groupId === GROUP).map((g) => `${g.groupId} ${g.protocolType} ${g.groupState} ${g.groupType}`) };
  }],
  ['offset delete while subscribed, delete groups while not empty', async ({ client: c }) => {
    const d = await c.request(OffsetDeleteApi, 0, { groupId: GROUP, topics: [{ name: 'groups-topic', partitions: [{ partitionIndex: 0 }] }] });
    const g = await c.request(DeleteGroupsApi, 2, { groupsNames: [GROUP, 'no-such-group'] });
    return { offsetDelete: `${errorName(d.errorCode)} ${d.topics.map((t) => t.partitions.map((p) => errorName(p.errorCode)).join(',')).join(';')}`, deleteGroups: g.results.map((x) => `${x.groupId} ${errorName(x.errorCode)}`) };
  }],
  ['leave, then the empty group is deleted with its offsets', async ({ client: c }) => {
    const m = state.get(c)!;
    const leave = await c.request(LeaveGroupApi, 5, { groupId: GROUP, memberId: '', members: [{ memberId: m.id, groupInstanceId: null, reason: 'done' }] });
    const described = await describeGroup(c);
    const offsetDelete = await c.request(OffsetDeleteApi, 0, { groupId: GROUP, topics: [{ name: 'groups-topic', partitions: [{ partitionIndex: 0 }] }] });
    const afterOffsetDelete = await fetchOffsets(c);
    await commit(c, -1, '', 'groups-topic', 7n);
    const del = await c.request(DeleteGroupsApi, 2, { groupsNames: [GROUP] });
    return {
      leave: `${errorName(leave.errorCode)} ${leave.members.map((x) => errorName(x.errorCode)).join(',')}`, described,
      offsetDelete: `${errorName(offsetDelete.errorCode)} ${offsetDelete.topics.map((t) => t.partitions.map((p) => errorName(p.errorCode)).join(',')).join(';')}`,
      afterOffsetDelete, deleted: del.results.map((x) => `${x.groupId} ${errorName(x.errorCode)}`), afterDelete: await fetchOffsets(c), describedAfter: await describeGroup(c),
    };
  }],
  ['KIP-848: a member joins, is fenced at a wrong epoch, describes, leaves', async ({ client: c }) => {
    const hb = (memberId: string, memberEpoch: number, topics: string[] | null) => c.request(ConsumerGroupHeartbeatApi, 1, {
      ...defaultConsumerGroupHeartbeatRequest(), groupId: 'kip848', memberId, memberEpoch, rebalanceTimeoutMs: 30_000, subscribedTopicNames: topics, serverAssignor: null, topicPartitions: topics === null ? null : [],
    });
    const memberId = 'AAAAAAAAAAAAAAAAAAAAAA';
    // As a client: its group's __consumer_offsets partition may still be loading in Apache Kafka.
    const deadline = Date.now() + 60_000;
    let joined = await hb(memberId, 0, ['groups-topic']);
    while (RETRIABLE.has(errorName(joined.errorCode)) && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 200));
      joined = await hb(memberId, 0, ['groups-topic']);
    }
    const assigned = (joined.assignment?.topicPartitions ?? []).flatMap((t) => t.partitions).sort();
    const fenced = await hb(memberId, joined.memberEpoch + 3, null);
    const d = (await c.request(ConsumerGroupDescribeApi, 0, { groupIds: ['kip848', 'no-such-group'], includeAuthorizedOperations: false })).groups;
    const left = await hb(memberId, -1, null);
    return {
      // Only the epoch's order matters to a client; Apache Kafka 4.3 bumps the group epoch twice on a first join
      // (the member, then the subscribed topics' metadata), floe once.
      joined: `${errorName(joined.errorCode)} epoch ${joined.memberEpoch > 0 ? 'above 0' : joined.memberEpoch} interval ${joined.heartbeatIntervalMs} partitions ${assigned.join(',')}`,
      fenced: errorName(fenced.errorCode),
      described: d.map((g) => `${g.groupId} ${errorName(g.errorCode)} ${g.groupState} ${g.assignorName} members ${g.members.length}`),
      left: `${errorName(left.errorCode)} epoch ${left.memberEpoch}`,
    };
  }],
  ['an idempotent producer: a duplicate, a gap, an old epoch', async ({ client: c }) => {
    const init = await c.request(InitProducerIdApi, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    const send = async (baseSequence: number, producerEpoch: number) => {
      const r = await c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'groups-topic', partitionData: [{ index: 1,
        records: buildRecordBatch([{ key: 'k', value: 'v' }, { key: 'k', value: 'w' }], { producerId: init.producerId, producerEpoch, baseSequence }) }] }] });
      const p = r.responses[0]!.partitionResponses[0]!;
      return `${errorName(p.errorCode)} ${p.baseOffset}`;
    };
    return {
      init: `${errorName(init.errorCode)} epoch ${init.producerEpoch}`,
      first: await send(0, init.producerEpoch), duplicate: await send(0, init.producerEpoch), next: await send(2, init.producerEpoch),
      gap: await send(9, init.producerEpoch), higherEpochAtZero: await send(0, init.producerEpoch + 1), olderEpoch: await send(4, init.producerEpoch),
    };
  }],
  ['a transactional id: timeouts out of range, operations before InitProducerId, an empty commit', async ({ client: c }) => {
    // As a client: asked again while the id's coordinator is not loaded yet (Apache Kafka loads each __transaction_state
    // partition on its own, after the topic's creation; floe never answers these).
    const asClient = async <T extends { errorCode?: number }>(send: () => Promise<T>, code: (r: T) => number = (r) => r.errorCode ?? 0): Promise<T> => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const r = await send();
        if (!RETRIABLE.has(errorName(code(r))) || Date.now() > deadline) return r;
        await new Promise((res) => setTimeout(res, 200));
      }
    };
    const init = (transactionalId: string, transactionTimeoutMs: number) => asClient(() => c.request(InitProducerIdApi, 4, { transactionalId, transactionTimeoutMs, producerId: -1n, producerEpoch: -1 }));
    const tooLong = await init('tx-diff', 3_600_000);
    const add = await asClient(() => c.request(AddPartitionsToTxnApi, 3, { transactions: [], v3AndBelowTransactionalId: 'tx-never', v3AndBelowProducerId: 1000n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: 'groups-topic', partitions: [0] }] }),
      (r) => r.resultsByTopicV3AndBelow[0]?.resultsByPartition[0]?.partitionErrorCode ?? r.errorCode);
    const endUnknown = await asClient(() => c.request(EndTxnApi, 3, { transactionalId: 'tx-never', producerId: 1000n, producerEpoch: 0, committed: true }));
    const ok = await init('tx-diff', 60_000);
    const emptyCommit = await asClient(() => c.request(EndTxnApi, 3, { transactionalId: 'tx-diff', producerId: ok.producerId, producerEpoch: ok.producerEpoch, committed: true }));
    const wrongEpoch = await asClient(() => c.request(EndTxnApi, 3, { transactionalId: 'tx-diff', producerId: ok.producerId, producerEpoch: ok.producerEpoch + 1, committed: false }));
    const unadded = await c.request(ProduceApi, 9, { transactionalId: 'tx-diff', acks: -1, timeoutMs: 10_000, topicData: [{ name: 'groups-topic', partitionData: [{ index: 0,
      records: buildRecordBatch([{ key: 'k', value: 'v' }], { producerId: ok.producerId, producerEpoch: ok.producerEpoch, baseSequence: 0, transactional: true }) }] }] });
    return {
      tooLong: errorName(tooLong.errorCode), addUnknown: add.resultsByTopicV3AndBelow.map((t) => t.resultsByPartition.map((p) => errorName(p.partitionErrorCode)).join(',')).join(';'),
      endUnknown: errorName(endUnknown.errorCode), init: `${errorName(ok.errorCode)} epoch ${ok.producerEpoch}`, emptyCommit: errorName(emptyCommit.errorCode),
      wrongEpoch: errorName(wrongEpoch.errorCode), produceWithoutAdd: errorName(unadded.responses[0]!.partitionResponses[0]!.errorCode),
    };
  }],
];

/** Differences this suite found, fixed in floe (each scenario failed before its fix). */
const FIXED: Record<string, string> = {
  "sync: the leader's assignment comes back": 'a SyncGroup naming another protocol was accepted',
  'leave, then the empty group is deleted with its offsets': 'an empty group lost its protocol type',
  'an idempotent producer: a duplicate, a gap, an old epoch': 'a gap on a partition never led by another broker was answered NOT_LEADER_OR_FOLLOWER',
};

differentialSuite('Consumer groups and producers, asked of Apache Kafka and of floe', 'groups-and-producers.md', SCENARIOS, ALLOWED, FIXED);
