// Differential check against a real Apache Kafka (4.3.1, started by the
// test): the same exact requests, on the wire at fixed versions, go to a
// fresh Apache Kafka and a fresh floe broker, and the error codes (and a few
// fields) that come back must be the same, except the differences listed in
// ALLOWED with their reason. Mistakes a client can make with the admin,
// produce, fetch and offset APIs: bad topic names, invalid partition counts
// and configs, validate_only, offsets out of range, unknown topics.

import { WireClient } from '../../protocol/wire-client.ts';
import {
  CreatePartitionsApi, CreateTopicsApi, DeleteRecordsApi, DeleteTopicsApi, DescribeConfigsApi, FetchApi, ListOffsetsApi, ProduceApi,
} from '../../protocol/generated/index.ts';
import { defaultCreatableTopic } from '../../protocol/generated/CreateTopicsRequest.ts';
import { defaultFetchPartition, defaultFetchRequest } from '../../protocol/generated/FetchRequest.ts';
import { buildRecordBatch } from '../../protocol/records/record.ts';
import { errorName } from '../../protocol/errors.ts';
import { differentialSuite, type Answer, type Scenario } from './harness.ts';

/** Scenario names whose answers may differ, and why. */
const ALLOWED: Record<string, string> = {
  'create with replication factor 3 on one broker': 'floe is diskless: object storage replicates, so any replication factor is accepted and reported as 1',
};


const topic = (name: string, numPartitions = 1, configs: [string, string][] = [], replicationFactor = 1) => ({
  ...defaultCreatableTopic(), name, numPartitions, replicationFactor, configs: configs.map(([n, value]) => ({ name: n, value })),
});
const create = async (c: WireClient, t: ReturnType<typeof topic>, validateOnly = false): Promise<Answer> => {
  const r = await c.request(CreateTopicsApi, 5, { topics: [t], timeoutMs: 10_000, validateOnly });
  return { error: errorName(r.topics[0]!.errorCode) };
};

/** The codes a client retries: a topic just created may not take writes yet (Apache Kafka's leader is still starting). */
const RETRIABLE_PRODUCE = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'NOT_LEADER_OR_FOLLOWER', 'LEADER_NOT_AVAILABLE']);

/** Produce to a partition that exists, retrying what a client would retry (bounded); the first other answer counts. */
async function produceReady(c: WireClient, name: string, index: number, records: Parameters<typeof buildRecordBatch>[0]): Promise<{ errorCode: number; baseOffset: bigint }> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = await c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name, partitionData: [{ index, records: buildRecordBatch(records) }] }] });
    const p = r.responses[0]!.partitionResponses[0]!;
    if (!RETRIABLE_PRODUCE.has(errorName(p.errorCode)) || Date.now() > deadline) return p;
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** In order: each may rely on the ones before (the `base` topic with 10 records in partition 0). */
const SCENARIOS: [string, Scenario][] = [
  ['create a valid topic', ({ client: c }) => create(c, topic('base', 3))],
  ['create it again', ({ client: c }) => create(c, topic('base', 3))],
  ['create with an invalid name', ({ client: c }) => create(c, topic('bad name!'))],
  ['create with a name of 250 characters', ({ client: c }) => create(c, topic('a'.repeat(250)))],
  ['create with the name "."', ({ client: c }) => create(c, topic('.'))],
  ['create with 0 partitions', ({ client: c }) => create(c, topic('zero', 0))],
  ['create with an unknown config', ({ client: c }) => create(c, topic('unknown-config', 1, [['no.such.config', '1']]))],
  ['create with an invalid retention.ms', ({ client: c }) => create(c, topic('bad-retention', 1, [['retention.ms', 'abc']]))],
  ['create with an invalid cleanup.policy', ({ client: c }) => create(c, topic('bad-policy', 1, [['cleanup.policy', 'archive']]))],
  ['create with replication factor 3 on one broker', ({ client: c }) => create(c, topic('rf3', 1, [], 3))],
  ['validate_only does not create', async ({ client: c }) => ({ ...(await create(c, topic('only-validated'), true)), ...(await create(c, topic('only-validated'))) })],
  ['produce 10 records to base-0', async ({ client: c }) => {
    const p = await produceReady(c, 'base', 0, Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
    return { error: errorName(p.errorCode), baseOffset: p.baseOffset };
  }],
  ['produce to a partition out of range', async ({ client: c }) => {
    const r = await c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'base', partitionData: [{ index: 7, records: buildRecordBatch([{ value: 'x' }]) }] }] });
    const p = r.responses[0]!.partitionResponses[0]!;
    return { error: errorName(p.errorCode), baseOffset: p.baseOffset };
  }],
  ['produce a keyless record to a compacted topic, then a keyed one', async ({ client: c }) => {
    await create(c, topic('compacted', 1, [['cleanup.policy', 'compact']]));
    const send = async (key: string | null): Promise<string> => {
      const p = await produceReady(c, 'compacted', 0, [{ key, value: 'x' }]);
      return `${errorName(p.errorCode)} ${p.baseOffset}`;
    };
    return { keyless: await send(null), keyed: await send('k') };
  }],
  ['create partitions: fewer than now', async ({ client: c }) => ({ error: errorName((await c.request(CreatePartitionsApi, 3, { topics: [{ name: 'base', count: 2, assignments: null }], timeoutMs: 10_000, validateOnly: false })).results[0]!.errorCode) })],
  ['create partitions: as many as now', async ({ client: c }) => ({ error: errorName((await c.request(CreatePartitionsApi, 3, { topics: [{ name: 'base', count: 3, assignments: null }], timeoutMs: 10_000, validateOnly: false })).results[0]!.errorCode) })],
  ['create partitions: unknown topic', async ({ client: c }) => ({ error: errorName((await c.request(CreatePartitionsApi, 3, { topics: [{ name: 'nope', count: 4, assignments: null }], timeoutMs: 10_000, validateOnly: false })).results[0]!.errorCode) })],
  ['delete records beyond the high watermark', async ({ client: c }) => {
    const r = await c.request(DeleteRecordsApi, 2, { topics: [{ name: 'base', partitions: [{ partitionIndex: 0, offset: 11n }] }], timeoutMs: 10_000 });
    return { error: errorName(r.topics[0]!.partitions[0]!.errorCode) };
  }],
  ['delete records of an unknown partition', async ({ client: c }) => {
    const r = await c.request(DeleteRecordsApi, 2, { topics: [{ name: 'base', partitions: [{ partitionIndex: 9, offset: 1n }] }], timeoutMs: 10_000 });
    return { error: errorName(r.topics[0]!.partitions[0]!.errorCode) };
  }],
  ['delete records up to 4', async ({ client: c }) => {
    const r = await c.request(DeleteRecordsApi, 2, { topics: [{ name: 'base', partitions: [{ partitionIndex: 0, offset: 4n }] }], timeoutMs: 10_000 });
    return { error: errorName(r.topics[0]!.partitions[0]!.errorCode), lowWatermark: r.topics[0]!.partitions[0]!.lowWatermark };
  }],
  ['list offsets: earliest and latest of base-0, an unknown topic', async ({ client: c }) => {
    const r = await c.request(ListOffsetsApi, 7, { replicaId: -1, isolationLevel: 0, timeoutMs: 5000, topics: [
      { name: 'base', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n, maxNumOffsets: 1 }, { partitionIndex: 1, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] },
      { name: 'nope', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] },
    ] });
    return { answers: r.topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}: ${errorName(p.errorCode)} ${p.offset}`)) };
  }],
  ['fetch beyond the end of base-0', async ({ client: c }) => {
    const r = await c.request(FetchApi, 12, { ...defaultFetchRequest(), maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20,
      topics: [{ topic: 'base', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ ...defaultFetchPartition(), partition: 0, fetchOffset: 50n, partitionMaxBytes: 1 << 20 }] }] });
    return { error: errorName(r.responses[0]!.partitions[0]!.errorCode) };
  }],
  ['describe configs of an unknown topic', async ({ client: c }) => {
    const r = await c.request(DescribeConfigsApi, 4, { resources: [{ resourceType: 2, resourceName: 'nope', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
    return { error: errorName(r.results[0]!.errorCode) };
  }],
  ['describe configs of a topic: values, sources, flags', async ({ client: c }) => {
    await create(c, topic('configured', 1, [['retention.ms', '3600000']]));
    const r = await c.request(DescribeConfigsApi, 4, { resources: [{ resourceType: 2, resourceName: 'configured', configurationKeys: ['retention.ms', 'cleanup.policy', 'max.message.bytes', 'segment.bytes', 'min.cleanable.dirty.ratio', 'delete.retention.ms', 'message.timestamp.type'] }], includeSynonyms: false, includeDocumentation: false });
    return { error: errorName(r.results[0]!.errorCode), configs: r.results[0]!.configs.map((e) => `${e.name}=${e.value} source ${e.configSource} readOnly ${e.readOnly} sensitive ${e.isSensitive}`).sort() };
  }],
  ['delete an unknown topic', async ({ client: c }) => {
    const r = await c.request(DeleteTopicsApi, 5, { topics: [], topicNames: ['nope'], timeoutMs: 10_000 });
    return { error: errorName(r.responses[0]!.errorCode) };
  }],
];

/** Differences this suite found, fixed in floe (each scenario failed before its fix). */
const FIXED: Record<string, string> = {
  'list offsets: earliest and latest of base-0, an unknown topic': 'unknown topics are answered first, as Kafka orders them',
  'produce to a partition out of range': "a failed produce's base offset is -1",
  'produce a keyless record to a compacted topic, then a keyed one': 'keyless records on a compacted topic were accepted',
};

differentialSuite('The same requests to Apache Kafka and to floe: admin, produce, fetch and offset mistakes', 'admin-errors.md', SCENARIOS, ALLOWED, FIXED);
