// The broker's HTTP side against a broker process on the S3 backend:
// /metrics counters move by exactly what was produced and fetched, /readyz
// turns unready while the object store is down and ready when it returns,
// and the admin API shows topics, groups and config.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.ts';
import { S3TestServer, S3_TEST_BUCKET, S3_TEST_CREDENTIALS } from '../support/s3-server.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import { CreateTopicsApi, FetchApi, ProduceApi } from '../../protocol/generated/index.ts';
import { defaultCreatableTopic } from '../../protocol/generated/CreateTopicsRequest.ts';
import { defaultFetchRequest, defaultFetchPartition } from '../../protocol/generated/FetchRequest.ts';
import { buildRecordBatch } from '../../protocol/records/record.ts';
import { recordsByteLength } from '../../protocol/primitives/writer.ts';

let s3: S3TestServer;
let broker: BrokerProcess;
beforeAll(async () => {
  s3 = new S3TestServer();
  await s3.start();
  broker = await BrokerProcess.start({
    env: { FLOE_S3_ENDPOINT: s3.endpoint, FLOE_S3_BUCKET: S3_TEST_BUCKET, AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey },
  });
});
afterAll(async () => {
  await broker.destroy();
  await s3.destroy();
});

const http = (path: string): Promise<Response> => fetch(`http://127.0.0.1:${broker.httpPort}${path}`);

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await http('/metrics')).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (want.every((w) => line.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

it('health and readiness', async () => {
  expect((await http('/healthz')).status).toBe(200);
  const ready = await http('/readyz');
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({ ready: true, checks: { metadataStore: 'ok', objectStore: 'ok', wal: 'ok' } });
});

it('/metrics counters move by the amounts produced and fetched', async () => {
  const c = await WireClient.connect('127.0.0.1', broker.port);
  await c.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: 'metered', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000, validateOnly: false });
  const producedBefore = await metric('floe_produce_bytes_total', { topic: 'metered' });
  const requestsBefore = await metric('floe_request_seconds_count', { api: 'Produce', version: '9' });
  let bytes = 0;
  for (let i = 0; i < 5; i++) {
    const batch = buildRecordBatch(Array.from({ length: 10 }, (_, j) => ({ value: `value-${i}-${j}` })));
    bytes += batch.length;
    const r = await c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'metered', partitionData: [{ index: 0, records: batch }] }] });
    expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
  }
  expect(await metric('floe_produce_bytes_total', { topic: 'metered' }) - producedBefore).toBe(bytes);
  expect(await metric('floe_request_seconds_count', { api: 'Produce', version: '9' }) - requestsBefore).toBe(5);
  expect(await metric('floe_partition_high_watermark', { topic: 'metered', partition: '0' })).toBe(50);

  const fetchedBefore = await metric('floe_fetch_bytes_total', { topic: 'metered' });
  const f = await c.request(FetchApi, 11, {
    ...defaultFetchRequest(), maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20,
    topics: [{ topic: 'metered', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ ...defaultFetchPartition(), partition: 0, partitionMaxBytes: 1 << 20 }] }],
  });
  const fetched = recordsByteLength(f.responses[0]!.partitions[0]!.records!);
  expect(fetched).toBe(bytes);
  expect(await metric('floe_fetch_bytes_total', { topic: 'metered' }) - fetchedBefore).toBe(fetched);
  c.close();
});

it('/readyz is unready while the object store is down and ready again when it returns', async () => {
  await s3.stop();
  const down = await http('/readyz');
  expect(down.status).toBe(503);
  const body = await down.json() as { checks: { objectStore: string; metadataStore: string } };
  expect(body.checks.metadataStore).toBe('ok');
  expect(body.checks.objectStore).not.toBe('ok');
  await s3.start();
  const deadline = Date.now() + 10_000;
  let status = 0;
  while (Date.now() < deadline && status !== 200) {
    status = (await http('/readyz')).status;
    if (status !== 200) await new Promise((r) => setTimeout(r, 100));
  }
  expect(status).toBe(200);
});

it('admin API: topics, partitions, config, object store', async () => {
  const topics = await (await http('/admin/topics')).json() as { name: string }[];
  expect(topics.map((t) => t.name)).toContain('metered');
  const t = await (await http('/admin/topics/metered')).json() as { partitions: { highWatermark: number }[] };
  expect(t.partitions[0]!.highWatermark).toBe(50);
  expect((await http('/admin/topics/nope')).status).toBe(404);
  const config = await (await http('/admin/config')).json() as Record<string, string>;
  expect(config['floe.object.store']).toBe(`s3://${S3_TEST_BUCKET}/`);
  expect(JSON.stringify(config)).not.toContain(S3_TEST_CREDENTIALS.secretAccessKey);
  const os = await (await http('/admin/object-store')).json() as { kind: string; uploads: number };
  expect(os.kind).toBe('s3');
});
