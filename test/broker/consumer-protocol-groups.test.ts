// The KIP-848 consumer group protocol: real @platformatic/kafka consumers
// with groupProtocol 'consumer' share a topic through joins, a leave and a
// SIGKILL; a librdkafka consumer (group.protocol=consumer) and a
// @platformatic/kafka one share a group; the protocol's rules (epochs, fencing, revocation before
// reassignment, static members, assignors, errors) checked on the wire.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { BrokerProcess } from '../support/broker-process.ts';
import { until } from '../support/until.ts';
import { startKip848Member, type Kip848Member } from '../support/kip848-consumer.ts';
import { startLibrdkafkaMember } from '../support/librdkafka-kip848-consumer.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import {
  ConsumerGroupDescribeApi, ConsumerGroupHeartbeatApi, DescribeGroupsApi, JoinGroupApi, ListGroupsApi, OffsetCommitApi, OffsetFetchApi,
} from '../../protocol/generated/index.ts';
import type { ConsumerGroupHeartbeatRequest } from '../../protocol/generated/ConsumerGroupHeartbeatRequest.ts';
import type { DescribedGroup } from '../../protocol/generated/ConsumerGroupDescribeResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';

const CHILD = join(import.meta.dirname, '../support/kip848-consumer.ts');

let broker: BrokerProcess;
let kafka: Kafka;
let wire: WireClient;
beforeAll(async () => {
  broker = await BrokerProcess.start({
    args: ['--group-consumer-heartbeat-interval-ms', '300', '--group-consumer-session-timeout-ms', '3000', '--offsets-topic-num-partitions', '4', '--group-initial-rebalance-delay-ms', '0'],
  });
  kafka = new Kafka({ clientId: 'kip848-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  wire = await WireClient.connect('127.0.0.1', broker.port);
});
afterAll(async () => { await broker.destroy(); });


async function describeGroup(groupId: string): Promise<DescribedGroup> {
  const r = await wire.request(ConsumerGroupDescribeApi, 0, { groupIds: [groupId], includeAuthorizedOperations: false });
  return r.groups[0]!;
}

const assignedCount = (m: DescribedGroup['members'][number]): number => m.assignment.topicPartitions.reduce((n, t) => n + t.partitions.length, 0);

/** Stable with `members` members that together own every one of `partitions` partitions, each once. */
async function stableWith(groupId: string, members: number, partitions: number): Promise<boolean> {
  const g = await describeGroup(groupId);
  if (g.errorCode !== 0 || g.groupState !== 'Stable' || g.members.length !== members) return false;
  const owned = g.members.flatMap((m) => m.assignment.topicPartitions.flatMap((t) => t.partitions));
  return owned.length === partitions && new Set(owned).size === partitions;
}

async function produce(topic: string, from: number, count: number): Promise<void> {
  const p = kafka.producer();
  await p.connect();
  await p.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` })) });
  await p.disconnect();
}

describe('KIP-848 consumer group with @platformatic/kafka consumers', () => {
  it('members join, leave and are SIGKILLed; partitions move and every record is consumed', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'modern', numPartitions: 6 }] });
    await produce('modern', 0, 300);
    const seen = new Map<string, number>();
    const note = (v: string): void => { seen.set(v, (seen.get(v) ?? 0) + 1); };

    const a = await startKip848Member(broker.bootstrap, 'm1', 'modern', note);
    const b = await startKip848Member(broker.bootstrap, 'm1', 'modern', note);
    const child = spawn(process.execPath, [CHILD, broker.bootstrap, 'm1', 'modern'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    child.stdout.on('data', (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) if (line.startsWith('MSG ')) note(line.slice(4));
    });
    const members: Kip848Member[] = [a, b];
    try {
      await until(() => stableWith('m1', 3, 6), 30_000, 'three members with two partitions each');
      const three = await describeGroup('m1');
      expect(three.assignorName).toBe('uniform');
      expect(three.members.map(assignedCount).sort()).toEqual([2, 2, 2]);
      expect(three.assignmentEpoch).toBe(three.groupEpoch);
      await produce('modern', 300, 300);
      await until(() => seen.size === 600, 30_000, 'the first 600 records');

      const d = await startKip848Member(broker.bootstrap, 'm1', 'modern', note);
      members.push(d);
      await until(() => stableWith('m1', 4, 6), 30_000, 'four members');
      expect((await describeGroup('m1')).members.map(assignedCount).sort()).toEqual([1, 1, 2, 2]);

      await b.close();
      members.splice(members.indexOf(b), 1);
      await until(() => stableWith('m1', 3, 6), 30_000, 'three members after a leave');

      child.kill('SIGKILL');
      // The killed member is removed when its session (3 s here) expires.
      await until(() => stableWith('m1', 2, 6), 30_000, 'two members after the SIGKILL');
      // ...and both have acted on their new assignments (re-reading committed offsets).
      await until(() => members.reduce((n, m) => n + m.positioned(), 0) === 6, 30_000, 'both members positioned on six partitions');
      const before = new Map(seen);
      await produce('modern', 600, 300);
      await until(() => seen.size === 900, 30_000, 'all 900 records');
      // Records produced once the group settled are processed exactly once.
      for (let i = 600; i < 900; i++) expect(seen.get(`v${i}`)! - (before.get(`v${i}`) ?? 0)).toBe(1);
      for (let i = 0; i < 900; i++) expect(seen.get(`v${i}`) ?? 0).toBeGreaterThanOrEqual(1);
      // The members' auto-commits, checked against their member epochs, reach the end of every partition.
      const committed = async (): Promise<number> => {
        const f = await wire.request(OffsetFetchApi, 8, { groupId: '', topics: [], groups: [{ groupId: 'm1', memberId: null, memberEpoch: -1, topics: null }], requireStable: false });
        return f.groups[0]!.topics.flatMap((t) => t.partitions).reduce((n, p) => n + Number(p.committedOffset), 0);
      };
      await until(async () => (await committed()) === 900, 10_000, 'commits up to offset 900 in total');
    } finally {
      child.kill('SIGKILL');
      for (const m of members) await m.close().catch(() => undefined);
      await admin.disconnect();
    }
    // Everyone left: the group is empty.
    await until(async () => (await describeGroup('m1')).groupState === 'Empty', 10_000, 'an empty group');
  }, 120_000);
});

describe('KIP-848 with librdkafka (kafka-crab-js) next to @platformatic/kafka', () => {
  it('a librdkafka member and a platformatic member share a topic; when librdkafka leaves, the other takes everything', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'mixed', numPartitions: 6 }] });
    await admin.disconnect();
    await produce('mixed', 0, 300);
    const seen = new Map<string, number>();
    const note = (v: string): void => { seen.set(v, (seen.get(v) ?? 0) + 1); };
    const rd = await startLibrdkafkaMember(broker.bootstrap, 'mixed-g', 'mixed', note);
    const pf = await startKip848Member(broker.bootstrap, 'mixed-g', 'mixed', note);
    try {
      await until(() => stableWith('mixed-g', 2, 6), 30_000, 'a stable group of a librdkafka and a platformatic member');
      const g = await describeGroup('mixed-g');
      expect(g.members.map(assignedCount)).toEqual([3, 3]);
      expect(g.members.map((m) => m.clientId).sort()).toEqual(['kip848-member', 'librdkafka-kip848']);
      await until(() => seen.size === 300, 30_000, 'the first 300 records');

      await rd.close();
      await until(() => stableWith('mixed-g', 1, 6), 30_000, 'the platformatic member owning all six partitions');
      await until(() => pf.positioned() === 6, 30_000, 'the platformatic member positioned on all six partitions');
      const before = new Map(seen);
      const repositioningsBefore = pf.repositionings();
      await produce('mixed', 300, 300);
      await until(() => seen.size === 600, 30_000, 'all 600 records');
      // Each new record once. The client re-reads from its committed offsets whenever it sets its positions
      // again (a late assignment change), which repeats what it had read but not committed: only then may a
      // record come twice. A repeat without that would be the broker's.
      const repeated = Array.from({ length: 300 }, (_, k) => `v${300 + k}`).filter((v) => seen.get(v)! - (before.get(v) ?? 0) !== 1);
      if (pf.repositionings() === repositioningsBefore) expect(repeated).toEqual([]);
      for (const v of repeated) expect(seen.get(v)! - (before.get(v) ?? 0)).toBeGreaterThanOrEqual(1);
    } finally {
      await rd.close().catch(() => undefined);
      await pf.close().catch(() => undefined);
    }
  }, 90_000);
});

function heartbeat(over: Partial<ConsumerGroupHeartbeatRequest>): ConsumerGroupHeartbeatRequest {
  return {
    groupId: 'w1', memberId: '', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 5000,
    subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: null, ...over,
  };
}

describe('KIP-848 protocol rules on the wire', () => {
  let topicId = '';
  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'wired', numPartitions: 4 }] });
    const md = await admin.fetchTopicMetadata({ topics: ['wired'] });
    expect(md.topics[0]!.partitions).toHaveLength(4);
    await admin.disconnect();
    const d = await wire.request(ConsumerGroupHeartbeatApi, 0, heartbeat({ groupId: 'probe', subscribedTopicNames: ['wired'] }));
    topicId = d.assignment!.topicPartitions[0]!.topicId;
    await wire.request(ConsumerGroupHeartbeatApi, 0, heartbeat({ groupId: 'probe', memberId: d.memberId!, memberEpoch: -1 }));
  });

  it('revokes before it reassigns: a joiner gets partitions only after their owner gives them up', async () => {
    const hb = (over: Partial<ConsumerGroupHeartbeatRequest>) => wire.request(ConsumerGroupHeartbeatApi, 0, heartbeat({ groupId: 'w-revoke', ...over }));
    const a0 = await hb({ subscribedTopicNames: ['wired'], topicPartitions: [] });
    expect(a0.errorCode).toBe(0);
    expect(a0.memberEpoch).toBe(1);
    expect(a0.assignment!.topicPartitions).toEqual([{ topicId, partitions: [0, 1, 2, 3] }]);
    const aId = a0.memberId!;

    const b0 = await hb({ subscribedTopicNames: ['wired'], topicPartitions: [] });
    expect(b0.memberEpoch).toBe(2);
    // A still owns everything: B gets the new epoch but no partitions yet.
    expect(b0.assignment!.topicPartitions).toEqual([]);
    const bId = b0.memberId!;

    // A is told to keep only its target; its epoch stays until it confirms.
    const a1 = await hb({ memberId: aId, memberEpoch: 1, topicPartitions: [{ topicId, partitions: [0, 1, 2, 3] }] });
    expect(a1.memberEpoch).toBe(1);
    const kept = a1.assignment!.topicPartitions[0]!.partitions;
    expect(kept).toHaveLength(2);
    expect((await describeGroup('w-revoke')).groupState).toBe('Reconciling');

    // B asks again: the two partitions are still unreleased.
    const b1 = await hb({ memberId: bId, memberEpoch: 2, topicPartitions: [] });
    expect(b1.assignment).toBeNull();

    // A confirms the revocation and moves to epoch 2; then B receives the rest.
    const a2 = await hb({ memberId: aId, memberEpoch: 1, topicPartitions: [{ topicId, partitions: kept }] });
    expect(a2.memberEpoch).toBe(2);
    const b2 = await hb({ memberId: bId, memberEpoch: 2, topicPartitions: [] });
    const given = b2.assignment!.topicPartitions[0]!.partitions;
    expect([...kept, ...given].sort()).toEqual([0, 1, 2, 3]);
    await hb({ memberId: bId, memberEpoch: 2, topicPartitions: [{ topicId, partitions: given }] });
    expect((await describeGroup('w-revoke')).groupState).toBe('Stable');

    // Epoch rules: a future epoch is fenced, an unknown member is unknown.
    expect((await hb({ memberId: aId, memberEpoch: 7 })).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    expect((await hb({ memberId: 'nobody', memberEpoch: 2 })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);

    // Offset commits carry the member epoch: a stale one is refused, the current one accepted.
    const commit = (memberId: string, epoch: number) => wire.request(OffsetCommitApi, 9, {
      groupId: 'w-revoke', generationIdOrMemberEpoch: epoch, memberId, groupInstanceId: null, retentionTimeMs: -1n,
      topics: [{ name: 'wired', partitions: [{ partitionIndex: given[0]!, committedOffset: 0n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
    });
    expect((await commit(bId, 1)).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect((await commit(bId, 2)).topics[0]!.partitions[0]!.errorCode).toBe(0);
    expect((await commit(bId, 3)).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    // KIP-1251: A, now at epoch 2, may still commit with epoch 1 what it has owned since epoch 1 (a
    // commit that crossed the heartbeat that moved it on), per partition; not what was never its own.
    const commitAt1 = await wire.request(OffsetCommitApi, 9, {
      groupId: 'w-revoke', generationIdOrMemberEpoch: 1, memberId: aId, groupInstanceId: null, retentionTimeMs: -1n,
      topics: [{ name: 'wired', partitions: [kept[0]!, given[0]!].map((partitionIndex) => ({ partitionIndex, committedOffset: 0n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null })) }],
    });
    expect(commitAt1.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.STALE_MEMBER_EPOCH]);
    expect((await commit('', -1)).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const f = await wire.request(OffsetFetchApi, 9, { groupId: '', topics: [], groups: [{ groupId: 'w-revoke', memberId: bId, memberEpoch: 1, topics: null }], requireStable: false });
    expect(f.groups[0]!.errorCode).toBe(ErrorCode.STALE_MEMBER_EPOCH);

    // Classic APIs see a consumer-protocol group for what it is.
    const join = await wire.request(JoinGroupApi, 5, {
      groupId: 'w-revoke', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], reason: null,
    });
    expect(join.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const dg = await wire.request(DescribeGroupsApi, 5, { groups: ['w-revoke'], includeAuthorizedOperations: false });
    expect(dg.groups[0]!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    const lg = await wire.request(ListGroupsApi, 5, { statesFilter: [], typesFilter: ['consumer'] });
    expect(lg.groups.find((g) => g.groupId === 'w-revoke')).toMatchObject({ groupType: 'consumer', groupState: 'Stable' });

    for (const id of [aId, bId]) expect((await hb({ memberId: id, memberEpoch: -1 })).memberEpoch).toBe(-1);
    expect((await describeGroup('w-revoke')).groupState).toBe('Empty');
  });

  it('a static member that leaves with epoch -2 and returns keeps its partitions without a new group epoch', async () => {
    const hb = (over: Partial<ConsumerGroupHeartbeatRequest>) => wire.request(ConsumerGroupHeartbeatApi, 0, heartbeat({ groupId: 'w-static', ...over }));
    const s0 = await hb({ instanceId: 'inst-1', subscribedTopicNames: ['wired'], topicPartitions: [] });
    const o0 = await hb({ subscribedTopicNames: ['wired'], topicPartitions: [] });
    // Settle: the static member revokes half, the other takes it.
    const s1 = await hb({ memberId: s0.memberId!, memberEpoch: s0.memberEpoch, topicPartitions: s0.assignment!.topicPartitions });
    const mine = s1.assignment!.topicPartitions;
    await hb({ memberId: s0.memberId!, memberEpoch: s0.memberEpoch, topicPartitions: mine });
    await hb({ memberId: o0.memberId!, memberEpoch: o0.memberEpoch, topicPartitions: [] });
    const before = await describeGroup('w-static');

    expect((await hb({ memberId: s0.memberId!, memberEpoch: -2, instanceId: 'inst-1' })).memberEpoch).toBe(-2);
    // Another process with the same instance id while the member is active would be refused; now it takes over.
    const back = await hb({ instanceId: 'inst-1', subscribedTopicNames: ['wired'], topicPartitions: [] });
    expect(back.errorCode).toBe(0);
    expect(back.memberId).not.toBe(s0.memberId);
    expect(back.assignment!.topicPartitions).toEqual(mine);
    const after = await describeGroup('w-static');
    expect(after.groupEpoch).toBe(before.groupEpoch);
    const again = await hb({ instanceId: 'inst-1', subscribedTopicNames: ['wired'], topicPartitions: [] });
    expect(again.errorCode).toBe(ErrorCode.UNRELEASED_INSTANCE_ID);
  });

  it('range assignor on request; bad requests get Kafka errors', async () => {
    const hb = (over: Partial<ConsumerGroupHeartbeatRequest>) => wire.request(ConsumerGroupHeartbeatApi, 0, heartbeat({ groupId: 'w-range', ...over }));
    const r = await hb({ subscribedTopicNames: ['wired'], serverAssignor: 'range', topicPartitions: [] });
    expect(r.errorCode).toBe(0);
    expect((await describeGroup('w-range')).assignorName).toBe('range');
    expect((await hb({ subscribedTopicNames: ['wired'], serverAssignor: 'sticky-ish' })).errorCode).toBe(ErrorCode.UNSUPPORTED_ASSIGNOR);
    expect((await hb({ subscribedTopicNames: ['wired'], rebalanceTimeoutMs: -1 })).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await hb({ subscribedTopicNames: null })).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await hb({ groupId: '', subscribedTopicNames: ['wired'] })).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    const v1 = await wire.request(ConsumerGroupHeartbeatApi, 1, heartbeat({ groupId: 'w-range', subscribedTopicRegex: '(unclosed', subscribedTopicNames: null, memberId: 'x' }));
    expect(v1.errorCode).toBe(ErrorCode.INVALID_REGULAR_EXPRESSION);
    // v1: the member names itself; a regex subscription matches whole topic names.
    const byRegex = await wire.request(ConsumerGroupHeartbeatApi, 1, heartbeat({ groupId: 'w-regex', memberId: 'self-named', subscribedTopicRegex: 'wir.d', topicPartitions: [] }));
    expect(byRegex.memberId).toBe('self-named');
    expect(byRegex.assignment!.topicPartitions).toEqual([{ topicId, partitions: [0, 1, 2, 3] }]);
    const none = await wire.request(ConsumerGroupHeartbeatApi, 1, heartbeat({ groupId: 'w-regex2', memberId: 'm', subscribedTopicRegex: 'wir', topicPartitions: [] }));
    expect(none.assignment!.topicPartitions).toEqual([]);
    // A classic group with members cannot be joined with the new protocol.
    const cj = await wire.request(JoinGroupApi, 5, {
      groupId: 'w-classic', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: 'c-1', protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], reason: null,
    });
    expect(cj.errorCode).toBe(0);
    expect((await wire.request(ConsumerGroupHeartbeatApi, 0, heartbeat({ groupId: 'w-classic', subscribedTopicNames: ['wired'] }))).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect((await describeGroup('w-classic')).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });
});
