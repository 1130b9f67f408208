// Bad input gets Kafka's answer, never a crash: malformed and oversized
// frames close only their own connection; an unknown API or version closes
// it too after the answers before it, as Kafka does, except ApiVersions,
// answered UNSUPPORTED_VERSION with the supported ranges; corrupt and truncated
// batches get CORRUPT_MESSAGE for their partition while others proceed;
// unknown topics get UNKNOWN_TOPIC_OR_PARTITION.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import { ApiVersionsApi, CreateTopicsApi, FetchApi, MetadataApi, ProduceApi } from '../../protocol/generated/index.ts';
import { defaultCreatableTopic } from '../../protocol/generated/CreateTopicsRequest.ts';
import { defaultFetchRequest, defaultFetchPartition } from '../../protocol/generated/FetchRequest.ts';
import { buildRecordBatch } from '../../protocol/records/record.ts';
import { ErrorCode } from '../../protocol/errors.ts';

let broker: BrokerProcess;
const clients: WireClient[] = [];
const client = async (): Promise<WireClient> => {
  const c = await WireClient.connect('127.0.0.1', broker.port);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  broker = await BrokerProcess.start({ args: ['--socket-request-max-bytes', '65536', '--auto-create-topics-enable', 'false'] });
  const c = await client();
  const res = await c.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: 'bad-input', numPartitions: 2, replicationFactor: 1 }], timeoutMs: 5000, validateOnly: false });
  expect(res.topics[0]!.errorCode).toBe(0);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await broker.destroy();
});

async function stillServes(): Promise<void> {
  const c = await client();
  const res = await c.request(ApiVersionsApi, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
  expect(res.errorCode).toBe(0);
}

const frame = (body: Buffer): Buffer => {
  const b = Buffer.alloc(4 + body.length);
  b.writeInt32BE(body.length, 0);
  body.copy(b, 4);
  return b;
};

describe('frames', () => {
  it('a frame over socket.request.max.bytes closes that connection only', async () => {
    const bystander = await client();
    const c = await client();
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(10_000_000, 0);
    await c.raw(prefix);
    await c.closed;
    expect(c.isClosed).toBe(true);
    expect(bystander.isClosed).toBe(false);
    await bystander.request(ApiVersionsApi, 0, { clientSoftwareName: '', clientSoftwareVersion: '' });
    await stillServes();
  });

  it('a frame too short for a header closes the connection', async () => {
    const c = await client();
    await c.raw(frame(Buffer.from([0, 18])));
    await c.closed;
    await stillServes();
  });

  it('a request body that does not parse closes the connection', async () => {
    const c = await client();
    // Metadata v12 header, then a compact array claiming 1000 topics with no bytes behind it.
    const body = Buffer.from([0, 3, 0, 12, 0, 0, 0, 7, 0, 1, 0x61, 0, 0xe9, 0x07]);
    await c.raw(frame(body));
    await c.closed;
    await stillServes();
  });

  it('random garbage frames never take the broker down', async () => {
    for (let i = 0; i < 50; i++) {
      const c = await client();
      const len = 8 + Math.floor(Math.random() * 200);
      const body = Buffer.alloc(len);
      for (let j = 0; j < len; j++) body[j] = Math.floor(Math.random() * 256);
      body.writeInt16BE(Math.floor(Math.random() * 70), 0);
      body.writeInt16BE(Math.floor(Math.random() * 15), 2);
      body.writeInt32BE(7, 4);
      void c.raw(frame(body), 7).catch(() => undefined);
      c.close();
    }
    await stillServes();
  });
});

describe('APIs and versions', () => {
  it('an unknown API key closes the connection (as Kafka), after answering what came before it', async () => {
    const c = await client();
    const body = Buffer.alloc(10);
    body.writeInt16BE(999, 0);
    body.writeInt16BE(0, 2);
    body.writeInt32BE(42, 4);
    body.writeInt16BE(-1, 8);
    // Pipelined: the request before the unknown one is still answered.
    const before = c.request(ApiVersionsApi, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
    const unknown = c.raw(frame(body), 42);
    expect((await before).errorCode).toBe(0);
    await expect(unknown).rejects.toThrow(/connection closed/);
    await c.closed;
    await stillServes();
  });

  it('a known API at a version it does not serve closes the connection too', async () => {
    const c = await client();
    const body = Buffer.alloc(10);
    body.writeInt16BE(3, 0);
    body.writeInt16BE(99, 2);
    body.writeInt32BE(44, 4);
    body.writeInt16BE(-1, 8);
    await expect(c.raw(frame(body), 44)).rejects.toThrow(/connection closed/);
    await stillServes();
  });

  it('ApiVersions at an unknown version gets a v0 answer with UNSUPPORTED_VERSION and the supported ranges', async () => {
    const c = await client();
    const body = Buffer.alloc(10);
    body.writeInt16BE(18, 0);
    body.writeInt16BE(99, 2);
    body.writeInt32BE(43, 4);
    body.writeInt16BE(-1, 8);
    const res = await c.raw(frame(body), 43);
    expect(res!.readInt16BE(4)).toBe(ErrorCode.UNSUPPORTED_VERSION);
    const apiCount = res!.readInt32BE(6);
    expect(apiCount).toBeGreaterThan(3);
  });

  it('ApiVersions advertises only what is served, Produce from v3', async () => {
    const c = await client();
    const res = await c.request(ApiVersionsApi, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
    const produce = res.apiKeys.find((k) => k.apiKey === 0)!;
    expect(produce.minVersion).toBe(3);
    expect(res.apiKeys.find((k) => k.apiKey === 999)).toBeUndefined();
  });
});

describe('record batches', () => {
  it('a corrupt CRC fails its partition with CORRUPT_MESSAGE, the other partition is written', async () => {
    const c = await client();
    const good = buildRecordBatch([{ key: 'k', value: 'good' }]);
    const bad = buildRecordBatch([{ key: 'k', value: 'bad' }]);
    bad[bad.length - 1]! ^= 0xff;
    const res = await c.request(ProduceApi, 9, {
      transactionalId: null, acks: -1, timeoutMs: 5000,
      topicData: [{ name: 'bad-input', partitionData: [{ index: 0, records: bad }, { index: 1, records: good }] }],
    });
    const parts = res.responses[0]!.partitionResponses;
    expect(parts.find((p) => p.index === 0)!.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(parts.find((p) => p.index === 1)!.errorCode).toBe(ErrorCode.NONE);
  });

  it('a truncated batch gets CORRUPT_MESSAGE', async () => {
    const c = await client();
    const batch = buildRecordBatch([{ key: 'k', value: 'value' }]);
    const res = await c.request(ProduceApi, 9, {
      transactionalId: null, acks: 1, timeoutMs: 5000,
      topicData: [{ name: 'bad-input', partitionData: [{ index: 0, records: batch.subarray(0, batch.length - 5) }] }],
    });
    expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
  });

  it('magic 1 gets UNSUPPORTED_FOR_MESSAGE_FORMAT', async () => {
    const c = await client();
    const batch = buildRecordBatch([{ value: 'v' }]);
    batch[16] = 1;
    const res = await c.request(ProduceApi, 9, {
      transactionalId: null, acks: 1, timeoutMs: 5000,
      topicData: [{ name: 'bad-input', partitionData: [{ index: 0, records: batch }] }],
    });
    expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
  });

  it('invalid acks gets INVALID_REQUIRED_ACKS', async () => {
    const c = await client();
    const res = await c.request(ProduceApi, 9, {
      transactionalId: null, acks: 2, timeoutMs: 5000,
      topicData: [{ name: 'bad-input', partitionData: [{ index: 0, records: buildRecordBatch([{ value: 'v' }]) }] }],
    });
    expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.INVALID_REQUIRED_ACKS);
  });
});

describe('unknown topics and partitions', () => {
  it('produce, fetch and metadata answer UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const c = await client();
    const produce = await c.request(ProduceApi, 9, {
      transactionalId: null, acks: 1, timeoutMs: 5000,
      topicData: [{ name: 'nope', partitionData: [{ index: 0, records: buildRecordBatch([{ value: 'v' }]) }] }, { name: 'bad-input', partitionData: [{ index: 7, records: buildRecordBatch([{ value: 'v' }]) }] }],
    });
    expect(produce.responses.map((t) => t.partitionResponses[0]!.errorCode)).toEqual([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    const fetch = await c.request(FetchApi, 11, {
      ...defaultFetchRequest(), maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20,
      topics: [{ topic: 'nope', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ ...defaultFetchPartition(), partition: 0, partitionMaxBytes: 1 << 20 }] }],
    });
    expect(fetch.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const md = await c.request(MetadataApi, 12, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'nope' }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    expect(md.topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('fetch beyond the log end gets OFFSET_OUT_OF_RANGE', async () => {
    const c = await client();
    const fetch = await c.request(FetchApi, 11, {
      ...defaultFetchRequest(), maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20,
      topics: [{ topic: 'bad-input', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ ...defaultFetchPartition(), partition: 1, fetchOffset: 1000n, partitionMaxBytes: 1 << 20 }] }],
    });
    expect(fetch.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  });
});
