// Incremental fetch sessions (KIP-227) over the wire: a full fetch opens a
// session, incremental fetches return only partitions with news, forgotten
// partitions leave the session, and bad session ids and epochs get Kafka's
// errors. Sessionless fetches keep working.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import { CreateTopicsApi, FetchApi, ProduceApi } from '../../protocol/generated/index.ts';
import { defaultCreatableTopic } from '../../protocol/generated/CreateTopicsRequest.ts';
import { defaultFetchRequest, defaultFetchPartition, type FetchRequest } from '../../protocol/generated/FetchRequest.ts';
import { buildRecordBatch } from '../../protocol/records/record.ts';
import { ErrorCode } from '../../protocol/errors.ts';

let broker: BrokerProcess;
let c: WireClient;
beforeAll(async () => {
  broker = await BrokerProcess.start({ args: ['--offsets-topic-num-partitions', '1'] });
  c = await WireClient.connect('127.0.0.1', broker.port);
  await c.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: 'sess', numPartitions: 3, replicationFactor: 1 }], timeoutMs: 5000, validateOnly: false });
  for (let p = 0; p < 3; p++) {
    await c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'sess', partitionData: [{ index: p, records: buildRecordBatch([{ value: `p${p}-a` }]) }] }] });
  }
});
afterAll(async () => {
  c.close();
  await broker.destroy();
});

const fetchReq = (sessionId: number, sessionEpoch: number, parts: { p: number; offset: bigint }[], forgotten: number[] = []): FetchRequest => ({
  ...defaultFetchRequest(), maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, sessionId, sessionEpoch,
  topics: parts.length === 0 ? [] : [{ topic: 'sess', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: parts.map(({ p, offset }) => ({ ...defaultFetchPartition(), partition: p, fetchOffset: offset, partitionMaxBytes: 1 << 20 })) }],
  forgottenTopicsData: forgotten.length === 0 ? [] : [{ topic: 'sess', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: forgotten }],
});
const partitionsOf = (r: { responses: { partitions: { partitionIndex: number }[] }[] }): number[] => r.responses.flatMap((t) => t.partitions.map((p) => p.partitionIndex)).sort();

it('full fetch opens a session; incremental fetches carry only news', async () => {
  const full = await c.request(FetchApi, 11, fetchReq(0, 0, [0, 1, 2].map((p) => ({ p, offset: 0n }))));
  expect(full.errorCode).toBe(0);
  expect(full.sessionId).toBeGreaterThan(0);
  expect(partitionsOf(full)).toEqual([0, 1, 2]);
  const id = full.sessionId;

  // The client consumed one record from each partition and sends its new positions; nothing is new: an empty response.
  const inc1 = await c.request(FetchApi, 11, fetchReq(id, 1, [0, 1, 2].map((p) => ({ p, offset: 1n }))));
  expect(inc1.errorCode).toBe(0);
  expect(inc1.sessionId).toBe(id);
  expect(partitionsOf(inc1)).toEqual([]);

  // New data on partition 2: only partition 2 comes back, though the request names no partition.
  await c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'sess', partitionData: [{ index: 2, records: buildRecordBatch([{ value: 'p2-b' }]) }] }] });
  const inc2 = await c.request(FetchApi, 11, fetchReq(id, 2, []));
  expect(partitionsOf(inc2)).toEqual([2]);
  expect(inc2.responses[0]!.partitions[0]!.highWatermark).toBe(2n);

  // Forgetting partition 2: new data there is no longer reported.
  await c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'sess', partitionData: [{ index: 2, records: buildRecordBatch([{ value: 'p2-c' }]) }] }] });
  const inc3 = await c.request(FetchApi, 11, fetchReq(id, 3, [], [2]));
  expect(partitionsOf(inc3)).toEqual([]);

  // A wrong epoch and an unknown session get Kafka's errors.
  expect((await c.request(FetchApi, 11, fetchReq(id, 7, []))).errorCode).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
  expect((await c.request(FetchApi, 11, fetchReq(123456, 1, []))).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);

  // Closing the session (epoch -1) answers as a sessionless full fetch.
  const closed = await c.request(FetchApi, 11, fetchReq(id, -1, [{ p: 0, offset: 0n }]));
  expect(closed.sessionId).toBe(0);
  expect(partitionsOf(closed)).toEqual([0]);
  expect((await c.request(FetchApi, 11, fetchReq(id, 4, []))).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
});

it('sessionless fetches return every requested partition', async () => {
  const r = await c.request(FetchApi, 11, fetchReq(0, -1, [0, 1].map((p) => ({ p, offset: 0n }))));
  expect(r.sessionId).toBe(0);
  expect(partitionsOf(r)).toEqual([0, 1]);
});
