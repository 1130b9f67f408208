// DescribeTopicPartitions paging, and graceful shutdown: SIGTERM answers
// in-flight requests, uploads what the WAL holds and exits 0; after a restart
// the data is served from objects.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerProcess } from '../support/broker-process.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import { CreateTopicsApi, DescribeTopicPartitionsApi, FetchApi, ProduceApi } from '../../protocol/generated/index.ts';
import { defaultCreatableTopic } from '../../protocol/generated/CreateTopicsRequest.ts';
import { defaultFetchRequest, defaultFetchPartition } from '../../protocol/generated/FetchRequest.ts';
import { buildRecordBatch } from '../../protocol/records/record.ts';

let broker: BrokerProcess;
beforeAll(async () => {
  // A long upload interval: at SIGTERM the data is still only in the WAL.
  broker = await BrokerProcess.start({ args: ['--upload-interval-ms', '600000', '--offsets-topic-num-partitions', '1'] });
});
afterAll(async () => { await broker.destroy(); });

it('DescribeTopicPartitions pages with a cursor', async () => {
  const c = await WireClient.connect('127.0.0.1', broker.port);
  await c.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: 'paged-a', numPartitions: 3, replicationFactor: 1 }, { ...defaultCreatableTopic(), name: 'paged-b', numPartitions: 2, replicationFactor: 1 }], timeoutMs: 5000, validateOnly: false });
  const first = await c.request(DescribeTopicPartitionsApi, 0, { topics: [{ name: 'paged-a' }, { name: 'paged-b' }, { name: 'paged-none' }], responsePartitionLimit: 4, cursor: null });
  expect(first.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)])).toEqual([['paged-a', [0, 1, 2]], ['paged-b', [0]]]);
  expect(first.nextCursor).toEqual({ topicName: 'paged-b', partitionIndex: 1 });
  const second = await c.request(DescribeTopicPartitionsApi, 0, { topics: [{ name: 'paged-a' }, { name: 'paged-b' }, { name: 'paged-none' }], responsePartitionLimit: 4, cursor: first.nextCursor });
  expect(second.topics.map((t) => [t.name, t.errorCode, t.partitions.map((p) => p.partitionIndex)])).toEqual([['paged-b', 0, [1]], ['paged-none', 3, []]]);
  expect(second.nextCursor).toBeNull();
  c.close();
});

it('SIGTERM: exit 0 after uploading; the data is there after a restart', async () => {
  const c = await WireClient.connect('127.0.0.1', broker.port);
  for (let i = 0; i < 20; i++) {
    const r = await c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'paged-a', partitionData: [{ index: 0, records: buildRecordBatch([{ value: `v${i}` }]) }] }] });
    expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
  }
  c.close();
  const objectsDir = join(broker.dataDir, 'objects', 'data');
  expect(existsSync(objectsDir) ? readdirSync(objectsDir).length : 0).toBe(0);
  expect(await broker.stop()).toBe(0);
  expect(broker.log).toContain('"msg":"stopped"');
  // With a 10-minute upload interval, only the shutdown can have uploaded the data.
  expect(readdirSync(objectsDir).length).toBeGreaterThan(0);
  await broker.startAgain();
  const c2 = await WireClient.connect('127.0.0.1', broker.port);
  const f = await c2.request(FetchApi, 11, {
    ...defaultFetchRequest(), maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20,
    topics: [{ topic: 'paged-a', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ ...defaultFetchPartition(), partition: 0, partitionMaxBytes: 1 << 20 }] }],
  });
  expect(f.responses[0]!.partitions[0]!.highWatermark).toBe(20n);
  c2.close();
});
