// Group membership survives a broker kill -9: a classic group comes back
// Stable in the same generation with the same members and assignments, and
// KIP-848 consumers (@platformatic/kafka) carry on in the same group epoch
// without a rebalance, consuming what is produced after the restart once.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { BrokerProcess } from '../support/broker-process.ts';
import { until } from '../support/until.ts';
import { startKip848Member, type Kip848Member } from '../support/kip848-consumer.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import { ConsumerGroupDescribeApi, DescribeGroupsApi, HeartbeatApi, JoinGroupApi, OffsetCommitApi, SyncGroupApi } from '../../protocol/generated/index.ts';
import type { JoinGroupResponse } from '../../protocol/generated/JoinGroupResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';

let broker: BrokerProcess;
let kafka: Kafka;
beforeAll(async () => {
  broker = await BrokerProcess.start({
    args: ['--group-initial-rebalance-delay-ms', '500', '--group-consumer-heartbeat-interval-ms', '300', '--group-consumer-session-timeout-ms', '20000', '--offsets-topic-num-partitions', '2'],
  });
  kafka = new Kafka({ clientId: 'persist-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'kept', numPartitions: 4 }] });
  await admin.disconnect();
});
afterAll(async () => { await broker.destroy(); });


describe('group membership after kill -9', () => {
  it('a classic group is Stable again in the same generation; its members heartbeat and commit without rejoining', async () => {
    let wire = await WireClient.connect('127.0.0.1', broker.port);
    const join = (memberId: string): Promise<JoinGroupResponse> => wire.request(JoinGroupApi, 5, {
      groupId: 'classic-kept', sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId, groupInstanceId: null, protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from('subscription') }], reason: null,
    });
    const ids = [(await join('')).memberId, (await join('')).memberId];
    const joined = await Promise.all(ids.map(join));
    expect(joined.map((j) => j.errorCode)).toEqual([0, 0]);
    const generation = joined[0]!.generationId;
    const leader = joined.find((j) => j.members.length > 0)!;
    const assignments = ids.map((memberId, i) => ({ memberId, assignment: Buffer.from(`partitions-of-${i}`) }));
    const synced = await Promise.all(ids.map((id) => wire.request(SyncGroupApi, 3, {
      groupId: 'classic-kept', generationId: generation, memberId: id, groupInstanceId: null, protocolType: null, protocolName: null,
      assignments: id === leader.memberId ? assignments : [],
    })));
    expect(synced.map((s) => Buffer.from(s.assignment).toString())).toEqual(['partitions-of-0', 'partitions-of-1']);
    wire.close();

    await broker.kill9();
    await broker.startAgain();
    wire = await WireClient.connect('127.0.0.1', broker.port);
    const d = (await wire.request(DescribeGroupsApi, 5, { groups: ['classic-kept'], includeAuthorizedOperations: false })).groups[0]!;
    expect(d.groupState).toBe('Stable');
    expect(d.protocolData).toBe('range');
    expect(d.members.map((m) => m.memberId).sort()).toEqual([...ids].sort());
    expect(d.members.map((m) => Buffer.from(m.memberAssignment).toString()).sort()).toEqual(['partitions-of-0', 'partitions-of-1']);
    for (const id of ids) {
      const hb = await wire.request(HeartbeatApi, 4, { groupId: 'classic-kept', generationId: generation, memberId: id, groupInstanceId: null });
      expect(hb.errorCode).toBe(ErrorCode.NONE);
    }
    const commit = await wire.request(OffsetCommitApi, 8, {
      groupId: 'classic-kept', generationIdOrMemberEpoch: generation, memberId: ids[0]!, groupInstanceId: null, retentionTimeMs: -1n,
      topics: [{ name: 'kept', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
    });
    expect(commit.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    wire.close();
  }, 60_000);

  it('KIP-848 consumers keep their member ids and the group epoch; records produced after the restart are consumed once', async () => {
    const seen = new Map<string, number>();
    const note = (v: string): void => { seen.set(v, (seen.get(v) ?? 0) + 1); };
    const members: Kip848Member[] = [];
    const wire = async (): Promise<WireClient> => WireClient.connect('127.0.0.1', broker.port);
    const describeGroup = async () => {
      const c = await wire();
      try {
        return (await c.request(ConsumerGroupDescribeApi, 0, { groupIds: ['modern-kept'], includeAuthorizedOperations: false })).groups[0]!;
      } finally {
        c.close();
      }
    };
    const produce = async (from: number, count: number): Promise<void> => {
      const p = kafka.producer();
      await p.connect();
      await p.send({ topic: 'kept', acks: -1, messages: Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` })) });
      await p.disconnect();
    };
    try {
      members.push(await startKip848Member(broker.bootstrap, 'modern-kept', 'kept', note));
      members.push(await startKip848Member(broker.bootstrap, 'modern-kept', 'kept', note));
      await until(async () => {
        const g = await describeGroup();
        return g.groupState === 'Stable' && g.members.length === 2 && g.members.every((m) => m.assignment.topicPartitions.length === 1 && m.assignment.topicPartitions[0]!.partitions.length === 2);
      }, 30_000, 'a stable group of two');
      await produce(0, 200);
      await until(() => seen.size === 200, 30_000, 'the first 200 records');
      // Let the autocommit (100 ms) of the last records land before the crash.
      await new Promise((r) => setTimeout(r, 1000));
      const before = await describeGroup();

      await broker.kill9();
      await broker.startAgain();
      const after = await describeGroup();
      expect(after.groupState).toBe('Stable');
      expect(after.groupEpoch).toBe(before.groupEpoch);
      expect(after.members.map((m) => m.memberId).sort()).toEqual(before.members.map((m) => m.memberId).sort());
      expect(after.members.map((m) => m.memberEpoch)).toEqual(before.members.map((m) => m.memberEpoch));

      await produce(200, 200);
      await until(() => seen.size === 400, 30_000, 'the records produced after the restart');
      for (let i = 200; i < 400; i++) expect(seen.get(`v${i}`)).toBe(1);
      // The members carried on: same ids, same epoch, no rebalance.
      const later = await describeGroup();
      expect(later.groupEpoch).toBe(before.groupEpoch);
      expect(later.members.map((m) => m.memberId).sort()).toEqual(before.members.map((m) => m.memberId).sort());
    } finally {
      for (const m of members) await m.close().catch(() => undefined);
    }
  }, 90_000);
});
