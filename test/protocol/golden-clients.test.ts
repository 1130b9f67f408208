// Golden tests on bytes nobody on this project wrote: requests captured live
// from librdkafka (kcat) and kafkajs, decoded by the generated codecs and
// checked field by field, then re-encoded to the exact bytes the client sent.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { CaptureServer, type CapturedRequest } from '../support/capture-server.ts';
import { runCommand } from '../support/run-command.ts';
import { apiByKey, ApiKey } from '../../protocol/generated/index.ts';
import { Writer } from '../../protocol/primitives/writer.ts';
import { writeRequestHeader } from '../../protocol/generated/RequestHeader.ts';
import { splitRecordBatches, checkRecordBatch } from '../../protocol/records/record-batch-header.ts';
import { readRecords } from '../../protocol/records/record.ts';
import type { ApiVersionsRequest } from '../../protocol/generated/ApiVersionsRequest.ts';
import type { MetadataRequest } from '../../protocol/generated/MetadataRequest.ts';
import type { ProduceRequest } from '../../protocol/generated/ProduceRequest.ts';
import type { FetchRequest } from '../../protocol/generated/FetchRequest.ts';
import type { ListOffsetsRequest } from '../../protocol/generated/ListOffsetsRequest.ts';
import type { JoinGroupRequest } from '../../protocol/generated/JoinGroupRequest.ts';
import { recordsBuffer } from '../../protocol/primitives/writer.ts';

/** Re-encoding what we decoded must give back the client's bytes exactly. */
function expectSameBytesReencoded(c: CapturedRequest): void {
  const api = apiByKey[c.apiKey]!;
  const w = new Writer();
  writeRequestHeader(w, api.requestHeaderVersion(c.apiVersion), {
    requestApiKey: c.apiKey, requestApiVersion: c.apiVersion, correlationId: c.correlationId, clientId: c.clientId,
  });
  api.writeRequest(w, c.apiVersion, c.body);
  expect(w.toBuffer().toString('hex')).toBe(c.frame.toString('hex'));
}

function must(c: CapturedRequest | undefined, what: string): CapturedRequest {
  if (c === undefined) throw new Error(`the client sent no ${what} request`);
  return c;
}

let server: CaptureServer;
beforeEach(async () => {
  server = new CaptureServer(1);
  await server.start();
});
afterEach(async () => {
  if (process.env.FLOE_GOLDEN_VERBOSE) console.log(server.captured.map((c) => `${apiByKey[c.apiKey]!.name} v${c.apiVersion}`).join(', '));
  await server.stop();
});

describe('librdkafka (kcat)', () => {
  it('flexible ApiVersions v3 and Metadata from kcat -L', async () => {
    const res = await runCommand('kcat', ['-b', `127.0.0.1:${server.port}`, '-L', '-t', 'golden-topic', '-m', '5'], { timeoutMs: 20_000 });
    expect(res.timedOut).toBe(false);

    const av = must(server.first(ApiKey.ApiVersions), 'ApiVersions');
    expect(av.apiVersion).toBe(3);
    expect(av.clientId).toBe('rdkafka');
    const avBody = av.body as ApiVersionsRequest;
    expect(avBody.clientSoftwareName).toBe('librdkafka');
    expect(avBody.clientSoftwareVersion).toMatch(/^2\.\d+\.\d+/);
    expectSameBytesReencoded(av);

    // librdkafka may first ask for brokers only (an empty topic list) when it
    // connects, depending on timing; the request under test is the one for -t.
    const mds = server.captured.filter((c) => c.apiKey === ApiKey.Metadata);
    expect(mds.length).toBeGreaterThan(0);
    for (const m of mds) {
      expect(m.apiVersion).toBeGreaterThanOrEqual(4);
      expectSameBytesReencoded(m);
    }
    const md = must(mds.find((m) => ((m.body as MetadataRequest).topics?.length ?? 0) > 0), 'Metadata for a topic');
    expect((md.body as MetadataRequest).topics?.map((t) => t.name)).toEqual(['golden-topic']);
    expect(res.stdout).toContain('golden-topic');
  });

  it('Produce carries the keyed records kcat was given, CRC intact', async () => {
    const res = await runCommand('kcat', ['-b', `127.0.0.1:${server.port}`, '-P', '-t', 'golden-topic', '-p', '0', '-K', ':', '-X', 'acks=all', '-z', 'gzip'],
      { input: `k1:${'first value '.repeat(40)}\nk2:second value\n`, timeoutMs: 20_000 });
    expect(res.code).toBe(0);
    const produce = must(server.first(ApiKey.Produce), 'Produce');
    const body = produce.body as ProduceRequest;
    expect(body.acks).toBe(-1);
    expect(body.transactionalId).toBeNull();
    expect(body.topicData).toHaveLength(1);
    expect(body.topicData[0]!.name).toBe('golden-topic');
    const part = body.topicData[0]!.partitionData[0]!;
    expect(part.index).toBe(0);
    const batches = splitRecordBatches(recordsBuffer(part.records!));
    expect(batches).toHaveLength(1);
    expect(checkRecordBatch(batches[0]!)).toBeUndefined();
    expect(batches[0]!.compression).toBe(1);
    const records = readRecords(batches[0]!);
    expect(records.map((r) => [r.key?.toString(), r.value?.toString()])).toEqual([['k1', 'first value '.repeat(40)], ['k2', 'second value']]);
    expectSameBytesReencoded(produce);
  });

  it('ListOffsets and Fetch from a kcat consumer', async () => {
    const res = await runCommand('kcat', ['-b', `127.0.0.1:${server.port}`, '-C', '-t', 'golden-topic', '-p', '0', '-o', 'beginning', '-e'], { timeoutMs: 20_000 });
    expect(res.timedOut).toBe(false);
    const fetch = must(server.first(ApiKey.Fetch), 'Fetch');
    const body = fetch.body as FetchRequest;
    expect(body.topics).toHaveLength(1);
    expect(body.topics[0]!.partitions[0]!.partition).toBe(0);
    expect(body.topics[0]!.partitions[0]!.fetchOffset).toBe(0n);
    expect(body.maxWaitMs).toBeGreaterThan(0);
    if (fetch.apiVersion >= 13) expect(body.topics[0]!.topicId).toBe('AAAAAAAAAAAAAAAAAAAAAQ');
    else expect(body.topics[0]!.topic).toBe('golden-topic');
    expectSameBytesReencoded(fetch);
    const lo = server.first(ApiKey.ListOffsets);
    if (lo !== undefined) {
      expect((lo.body as ListOffsetsRequest).topics[0]!.partitions[0]!.timestamp).toBe(-2n);
      expectSameBytesReencoded(lo);
    }
  });
});

describe('kafkajs', () => {
  it('Produce with acks=all and a keyed record with headers', async () => {
    const kafka = new Kafka({ clientId: 'golden-kafkajs', brokers: [`127.0.0.1:${server.port}`], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: 'golden-topic', acks: -1, messages: [{ key: 'key-a', value: 'value-a', headers: { trace: 'abc' }, partition: 0 }] });
    await producer.disconnect();

    const produce = must(server.first(ApiKey.Produce), 'Produce');
    expect(produce.clientId).toBe('golden-kafkajs');
    const body = produce.body as ProduceRequest;
    expect(body.acks).toBe(-1);
    expect(body.timeoutMs).toBe(30000);
    const part = body.topicData[0]!.partitionData[0]!;
    const [batch] = splitRecordBatches(recordsBuffer(part.records!));
    expect(checkRecordBatch(batch!)).toBeUndefined();
    const [rec] = readRecords(batch!);
    expect(rec!.key!.toString()).toBe('key-a');
    expect(rec!.value!.toString()).toBe('value-a');
    expect(rec!.headers).toEqual([{ key: 'trace', value: Buffer.from('abc') }]);
    expectSameBytesReencoded(produce);
    expectSameBytesReencoded(must(server.first(ApiKey.ApiVersions), 'ApiVersions'));
    expectSameBytesReencoded(must(server.first(ApiKey.Metadata), 'Metadata'));
  });

  it('JoinGroup and Fetch from a kafkajs group consumer', async () => {
    const kafka = new Kafka({ clientId: 'golden-kafkajs', brokers: [`127.0.0.1:${server.port}`], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: 'golden-group', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'golden-topic', fromBeginning: true });
    await consumer.run({ eachMessage: async () => {} });
    const deadline = Date.now() + 15_000;
    while (server.first(ApiKey.Fetch) === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await consumer.disconnect();

    const join = must(server.first(ApiKey.JoinGroup), 'JoinGroup');
    const jb = join.body as JoinGroupRequest;
    expect(jb.groupId).toBe('golden-group');
    expect(jb.protocolType).toBe('consumer');
    expect(jb.protocols.length).toBeGreaterThan(0);
    expectSameBytesReencoded(join);

    const fetch = must(server.first(ApiKey.Fetch), 'Fetch');
    const fb = fetch.body as FetchRequest;
    expect(fb.maxWaitMs).toBe(100);
    expect(fb.topics[0]!.topic).toBe('golden-topic');
    expect(fb.topics[0]!.partitions[0]!.fetchOffset).toBe(0n);
    expectSameBytesReencoded(fetch);
  });
});
