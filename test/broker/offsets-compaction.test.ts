// __consumer_offsets stays bounded the Kafka way: it is a compacted topic
// (every record keyed, removals are tombstones) and the log cleaner keeps
// each partition to its live keys; after a kill -9 the latest commits, the
// deleted group's absence and a group's membership all come back from what
// is left.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import {
  CreateTopicsApi, DeleteGroupsApi, DescribeConfigsApi, DescribeGroupsApi, FetchApi, JoinGroupApi, OffsetCommitApi, OffsetFetchApi, SyncGroupApi,
} from '../../protocol/generated/index.ts';
import { defaultCreatableTopic } from '../../protocol/generated/CreateTopicsRequest.ts';
import { defaultFetchPartition, defaultFetchRequest } from '../../protocol/generated/FetchRequest.ts';
import { splitRecordBatches } from '../../protocol/records/record-batch-header.ts';
import { recordsBuffer } from '../../protocol/primitives/writer.ts';
import { until } from '../support/until.ts';

let broker: BrokerProcess;
beforeAll(async () => {
  // Small uploads (so the newest region, never cleaned, holds few records) and a cleaner that looks often.
  broker = await BrokerProcess.start({ args: ['--offsets-topic-num-partitions', '1', '--group-initial-rebalance-delay-ms', '0', '--upload-interval-ms', '20', '--log-cleaner-backoff-ms', '200'] });
});
afterAll(async () => { await broker.destroy(); });

/** How many records partition 0 of __consumer_offsets holds now, read from its start. */
async function offsetsRecords(c: WireClient): Promise<number> {
  let n = 0;
  let offset = 0n;
  for (;;) {
    const f = await c.request(FetchApi, 12, { ...defaultFetchRequest(), maxWaitMs: 0, minBytes: 0, maxBytes: 8 << 20,
      topics: [{ topic: '__consumer_offsets', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ ...defaultFetchPartition(), partition: 0, fetchOffset: offset, partitionMaxBytes: 8 << 20 }] }] });
    const p = f.responses[0]!.partitions[0]!;
    const batches = p.records === null ? [] : splitRecordBatches(recordsBuffer(p.records));
    if (batches.length === 0) return n;
    for (const b of batches) n += b.recordCount;
    offset = batches.at(-1)!.lastOffset + 1n;
    if (offset >= p.highWatermark) return n;
  }
}

describe('__consumer_offsets compaction', () => {
  it('is a compacted topic the cleaner keeps to its live keys, and a restart restores exactly the latest state', async () => {
    let c = await WireClient.connect('127.0.0.1', broker.port);
    const policy = (await c.request(DescribeConfigsApi, 4, { resources: [{ resourceType: 2, resourceName: '__consumer_offsets', configurationKeys: ['cleanup.policy'] }], includeSynonyms: false, includeDocumentation: false })).results[0]!.configs[0]!;
    expect(policy.value).toBe('compact');
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

    // 400 commits of 3 records each were written (1,200 records and more); the cleaner leaves about the live keys
    // (busy's 3, doomed's tombstones, the members group) and the newest region's few.
    await until(async () => (await offsetsRecords(c)) < 100, 30_000, 'the cleaner to compact __consumer_offsets', 200, async () => `records ${await offsetsRecords(c)}`);
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
  }, 90_000);
});
