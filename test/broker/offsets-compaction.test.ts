// __consumer_offsets stays bounded: once a partition has taken
// offsets.topic.segment.bytes it is rewritten to the latest value of every
// live key and trimmed; after a kill -9 the latest commits, the deleted
// group's absence and a group's membership all come back from what is left.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import {
  CreateTopicsApi, DeleteGroupsApi, DescribeGroupsApi, JoinGroupApi, ListOffsetsApi, OffsetCommitApi, OffsetFetchApi, SyncGroupApi,
} from '../../protocol/generated/index.ts';
import { defaultCreatableTopic } from '../../protocol/generated/CreateTopicsRequest.ts';

let broker: BrokerProcess;
beforeAll(async () => {
  broker = await BrokerProcess.start({ args: ['--offsets-topic-num-partitions', '1', '--offsets-topic-segment-bytes', '8192', '--group-initial-rebalance-delay-ms', '0'] });
});
afterAll(async () => { await broker.destroy(); });

async function offsetsRange(c: WireClient): Promise<{ start: bigint; end: bigint }> {
  const at = async (timestamp: bigint): Promise<bigint> => (await c.request(ListOffsetsApi, 7, {
    replicaId: -1, isolationLevel: 0, timeoutMs: 1000, topics: [{ name: '__consumer_offsets', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }],
  })).topics[0]!.partitions[0]!.offset;
  return { start: await at(-2n), end: await at(-1n) };
}

describe('__consumer_offsets compaction', () => {
  it('keeps the partition to its live keys, and a restart restores exactly the latest state', async () => {
    let c = await WireClient.connect('127.0.0.1', broker.port);
    await c.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: 'data', numPartitions: 3, replicationFactor: 1 }], timeoutMs: 5000, validateOnly: false });
    const commit = async (group: string, offset: bigint): Promise<void> => {
      const r = await c.request(OffsetCommitApi, 8, {
        groupId: group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n,
        topics: [{ name: 'data', partitions: [0, 1, 2].map((p) => ({ partitionIndex: p, committedOffset: offset + BigInt(p), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: `m${offset}` })) }],
      });
      expect(r.topics[0]!.partitions.every((p) => p.errorCode === 0)).toBe(true);
    };
    // A group with membership, persisted as a snapshot record.
    const join = await c.request(JoinGroupApi, 5, {
      groupId: 'members', sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: '', groupInstanceId: 'static-1', protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from('sub') }], reason: null,
    });
    await c.request(SyncGroupApi, 3, {
      groupId: 'members', generationId: join.generationId, memberId: join.memberId, groupInstanceId: 'static-1', protocolType: null, protocolName: null,
      assignments: [{ memberId: join.memberId, assignment: Buffer.from('all of it') }],
    });
    await commit('doomed', 5n);
    for (let i = 0; i < 300; i++) await commit('busy', BigInt(i));
    const del = await c.request(DeleteGroupsApi, 2, { groupsNames: ['doomed'] });
    expect(del.results[0]!.errorCode).toBe(0);
    for (let i = 300; i < 400; i++) await commit('busy', BigInt(i));

    // 400 commits of 3 records each were written; checkpoints trimmed all but the live keys and the last few commits.
    const range = await offsetsRange(c);
    expect(range.start).toBeGreaterThan(0n);
    expect(range.end).toBeGreaterThan(1200n);
    expect(range.end - range.start).toBeLessThan(300n);
    c.close();

    await broker.kill9();
    await broker.startAgain();
    c = await WireClient.connect('127.0.0.1', broker.port);
    const fetched = await c.request(OffsetFetchApi, 8, {
      groupId: '', topics: [], requireStable: false,
      groups: ['busy', 'doomed'].map((groupId) => ({ groupId, memberId: null, memberEpoch: -1, topics: [{ name: 'data', partitionIndexes: [0, 1, 2] }] })),
    });
    expect(fetched.groups[0]!.topics[0]!.partitions.map((p) => [p.committedOffset, p.metadata])).toEqual([[399n, 'm399'], [400n, 'm399'], [401n, 'm399']]);
    expect(fetched.groups[1]!.topics[0]!.partitions.map((p) => p.committedOffset)).toEqual([-1n, -1n, -1n]);
    const d = (await c.request(DescribeGroupsApi, 5, { groups: ['members'], includeAuthorizedOperations: false })).groups[0]!;
    expect(d.groupState).toBe('Stable');
    expect(d.members.map((m) => [m.memberId, Buffer.from(m.memberAssignment).toString()])).toEqual([[join.memberId, 'all of it']]);
    c.close();
  }, 60_000);
});

describe('__consumer_offsets compaction before offsets.topic.segment.bytes', () => {
  it('checkpoints a partition that took more than three times its live data (and 1 MiB), though far below the 100 MiB default', async () => {
    const b = await BrokerProcess.start({ args: ['--offsets-topic-num-partitions', '1'] });
    const c = await WireClient.connect('127.0.0.1', b.port);
    try {
      await c.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: 'data', numPartitions: 3, replicationFactor: 1 }], timeoutMs: 5000, validateOnly: false });
      // ~12 KiB per commit (three offsets with 4000-byte metadata): 100 commits are about 1.2 MiB of one group's 12 KiB of live data.
      for (let i = 0; i < 100; i++) {
        const r = await c.request(OffsetCommitApi, 8, {
          groupId: 'big', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n,
          topics: [{ name: 'data', partitions: [0, 1, 2].map((p) => ({ partitionIndex: p, committedOffset: BigInt(i), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: `${i}`.padEnd(4000, '.') })) }],
        });
        expect(r.topics[0]!.partitions.every((p) => p.errorCode === 0)).toBe(true);
      }
      const deadline = Date.now() + 20_000;
      let range = await offsetsRange(c);
      while (range.start === 0n && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        range = await offsetsRange(c);
      }
      // 300 commit records, plus the checkpoint's own; everything before the checkpoint trimmed.
      expect(range.end).toBeGreaterThanOrEqual(303n);
      expect(range.start).toBeGreaterThan(0n);
      expect(range.end - range.start).toBeLessThan(150n);
      const fetched = await c.request(OffsetFetchApi, 8, {
        groupId: '', topics: [], requireStable: false,
        groups: [{ groupId: 'big', memberId: null, memberEpoch: -1, topics: [{ name: 'data', partitionIndexes: [0, 1, 2] }] }],
      });
      expect(fetched.groups[0]!.topics[0]!.partitions.map((p) => p.committedOffset)).toEqual([99n, 99n, 99n]);
    } finally {
      c.close();
      await b.destroy();
    }
  }, 60_000);
});
