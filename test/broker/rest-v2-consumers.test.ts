// REST Proxy v2's consumer instances on a broker process, driven by plain
// HTTP requests in Confluent's shapes: a consumer subscribes, polls, commits
// (the commit is the group's: kafkajs's admin reads it); an instance shares
// its group with a KIP-848 member of another client (@platformatic/kafka),
// each reading its own partitions, and hands them over when deleted;
// partitions assigned by hand, seeks; bad input gets Confluent's error codes;
// idle instances expire and leave their group; the number of instances is
// bounded.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { Kafka, logLevel } from 'kafkajs';
import { BrokerProcess } from '../support/broker-process.ts';
import { brokerMetric } from '../support/broker-metrics.ts';
import { startKip848Member, type Kip848Member } from '../support/kip848-consumer.ts';
import { until } from '../support/until.ts';

const V2 = 'application/vnd.kafka.v2+json';
let broker: BrokerProcess;
let kafka: Kafka;

/** One HTTP request (a GET may carry a body, as REST Proxy's GET /offsets needs). */
function call(b: BrokerProcess, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown; type: string }> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1', port: b.httpPort, method, path,
      headers: { ...(payload !== undefined ? { 'content-type': V2, 'content-length': Buffer.byteLength(payload) } : {}), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, json: text === '' ? undefined : JSON.parse(text) as unknown, type: String(res.headers['content-type'] ?? '') });
      });
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

type V2Record = { topic: string; key: unknown; value: unknown; partition: number; offset: number };

/** Polls an instance until `enough` says its records are enough (each poll waits at most 500 ms on the broker). */
async function pollUntil(b: BrokerProcess, uri: string, format: string, enough: (all: V2Record[]) => boolean, what: string): Promise<V2Record[]> {
  const all: V2Record[] = [];
  await until(async () => {
    const r = await call(b, 'GET', `${uri}/records?timeout=500`, undefined, { accept: `application/vnd.kafka.${format}.v2+json` });
    expect(r.status).toBe(200);
    all.push(...r.json as V2Record[]);
    return enough(all);
  }, 60_000, what);
  return all;
}

async function produce(topic: string, messages: { partition: number; value: string | Buffer; key?: string }[]): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();
}

beforeAll(async () => {
  broker = await BrokerProcess.start({ args: ['--group-initial-rebalance-delay-ms', '0', '--group-consumer-heartbeat-interval-ms', '500'] });
  kafka = new Kafka({ clientId: 'rest-v2-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'v2-t', numPartitions: 4 }, { topic: 'v2-shared', numPartitions: 4 }, { topic: 'v2-bytes', numPartitions: 1 }] });
  await admin.disconnect();
});
afterAll(async () => { await broker?.destroy(); });

describe('REST Proxy v2 consumer instances', () => {
  it('subscribes, polls every record in order per partition, commits through its group (kafkajs reads the commit), and an instance name is unique in its group', async () => {
    await produce('v2-t', Array.from({ length: 40 }, (_, i) => ({ partition: i % 4, value: JSON.stringify({ n: i }) })));
    const created = await call(broker, 'POST', '/consumers/v2-readers', { name: 'c1', format: 'json', 'auto.offset.reset': 'earliest', 'auto.commit.enable': 'false' });
    expect(created.status).toBe(200);
    const { instance_id: id, base_uri: baseUri } = created.json as { instance_id: string; base_uri: string };
    expect(id).toBe('c1');
    expect(baseUri).toBe(`http://127.0.0.1:${broker.httpPort}/consumers/v2-readers/instances/c1`);
    const uri = new URL(baseUri).pathname;
    expect(await call(broker, 'POST', '/consumers/v2-readers', { name: 'c1', format: 'json' })).toMatchObject({ status: 409, json: { error_code: 40902 } });

    expect((await call(broker, 'POST', `${uri}/subscription`, { topics: ['v2-t'] })).status).toBe(204);
    expect((await call(broker, 'GET', `${uri}/subscription`)).json).toEqual({ topics: ['v2-t'] });
    const got = await pollUntil(broker, uri, 'json', (all) => all.length >= 40, '40 records polled');
    expect(got).toHaveLength(40);
    for (let p = 0; p < 4; p++) {
      const mine = got.filter((r) => r.partition === p);
      expect(mine.map((r) => r.offset)).toEqual([...Array(10).keys()]);
      expect(mine.map((r) => (r.value as { n: number }).n)).toEqual(Array.from({ length: 10 }, (_, i) => i * 4 + p));
      expect(mine.every((r) => r.topic === 'v2-t' && r.key === null)).toBe(true);
    }
    expect((await call(broker, 'GET', `${uri}/assignments`)).json).toEqual({ partitions: [0, 1, 2, 3].map((partition) => ({ topic: 'v2-t', partition })) });

    // No auto-commit: nothing committed until asked; then exactly what was delivered.
    const partitions = [0, 1, 2, 3].map((partition) => ({ topic: 'v2-t', partition }));
    expect((await call(broker, 'GET', `${uri}/offsets`, { partitions })).json).toEqual({ offsets: [] });
    expect((await call(broker, 'POST', `${uri}/offsets`)).status).toBe(200);
    expect((await call(broker, 'GET', `${uri}/offsets`, { partitions })).json).toEqual({ offsets: partitions.map((p) => ({ ...p, offset: 10, metadata: '' })) });
    // Confluent's v2 commit names the last record processed.
    expect((await call(broker, 'POST', `${uri}/offsets`, { offsets: [{ topic: 'v2-t', partition: 2, offset: 6 }] })).status).toBe(200);
    const admin = kafka.admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId: 'v2-readers', topics: ['v2-t'] });
    await admin.disconnect();
    expect(committed[0]!.partitions.sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset))).toEqual([10, 10, 7, 10]);

    expect((await call(broker, 'DELETE', uri)).status).toBe(204);
    expect(await call(broker, 'GET', `${uri}/records`)).toMatchObject({ status: 404, json: { error_code: 40403, message: 'Consumer instance not found.' } });
  });

  it('shares its group with a KIP-848 member of another client: each reads its own partitions; deleted, it hands its partitions over', async () => {
    const created = await call(broker, 'POST', '/consumers/v2-shared-group', { name: 'rest', format: 'binary', 'auto.offset.reset': 'earliest' });
    const uri = new URL((created.json as { base_uri: string }).base_uri).pathname;
    expect((await call(broker, 'POST', `${uri}/subscription`, { topics: ['v2-shared'] })).status).toBe(204);
    await until(async () => ((await call(broker, 'GET', `${uri}/assignments`)).json as { partitions: unknown[] }).partitions.length === 4, 30_000, 'the only member has all four partitions');

    const memberSaw: { value: string; partition: number }[] = [];
    let member: Kip848Member | undefined = await startKip848Member(broker.bootstrap, 'v2-shared-group', 'v2-shared', (value, partition) => { memberSaw.push({ value, partition }); });
    try {
      // The group splits the partitions between the two members.
      let restPartitions: number[] = [];
      await until(async () => {
        restPartitions = ((await call(broker, 'GET', `${uri}/assignments`)).json as { partitions: { partition: number }[] }).partitions.map((p) => p.partition);
        await call(broker, 'GET', `${uri}/records?timeout=0`);
        return restPartitions.length === 2 && member!.positioned() === 2;
      }, 30_000, 'two partitions each');
      await produce('v2-shared', Array.from({ length: 40 }, (_, i) => ({ partition: i % 4, value: `s${i}` })));
      const restSaw = await pollUntil(broker, uri, 'binary', (all) => all.length >= 20, 'the REST member reads its 20');
      await until(() => memberSaw.length >= 20, 30_000, 'the KIP-848 member reads its 20');
      expect(new Set(restSaw.map((r) => r.partition))).toEqual(new Set(restPartitions));
      expect(new Set(memberSaw.map((r) => r.partition))).toEqual(new Set([0, 1, 2, 3].filter((p) => !restPartitions.includes(p))));
      const values = [...restSaw.map((r) => Buffer.from(r.value as string, 'base64').toString()), ...memberSaw.map((r) => r.value)];
      expect(values.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `s${i}`).sort());

      // Deleted, it commits what it read (auto-commit) and leaves: the other member takes its partitions from there.
      await call(broker, 'GET', `${uri}/records?timeout=0`);
      expect((await call(broker, 'DELETE', uri)).status).toBe(204);
      await until(() => member!.positioned() === 4, 30_000, 'the KIP-848 member has all four partitions');
      await produce('v2-shared', restPartitions.map((partition) => ({ partition, value: `after-${partition}` })));
      await until(() => memberSaw.filter((m) => m.value.startsWith('after-')).length === restPartitions.length, 30_000, 'the records after the handover');
      // Nothing the REST member read is read again by the other.
      expect(memberSaw.filter((m) => restPartitions.includes(m.partition)).map((m) => m.value).sort()).toEqual(restPartitions.map((p) => `after-${p}`).sort());
    } finally {
      await member?.close();
      member = undefined;
    }
  });

  it('reads partitions assigned by hand, from positions it is told (beginning, an offset, the end)', async () => {
    await produce('v2-bytes', [{ partition: 0, value: Buffer.from([0xde, 0xad]) }, ...Array.from({ length: 5 }, (_, i) => ({ partition: 0, key: `k${i}`, value: `v${i}` }))]);
    const created = await call(broker, 'POST', '/consumers/v2-manual', { name: 'm', format: 'binary' });
    const uri = new URL((created.json as { base_uri: string }).base_uri).pathname;
    const tp = [{ topic: 'v2-bytes', partition: 0 }];
    expect((await call(broker, 'POST', `${uri}/assignments`, { partitions: tp })).status).toBe(204);
    expect((await call(broker, 'POST', `${uri}/subscription`, { topics: ['v2-bytes'] }))).toMatchObject({ status: 409, json: { error_code: 40903 } });
    expect((await call(broker, 'POST', `${uri}/positions/beginning`, { partitions: tp })).status).toBe(204);
    const all = await pollUntil(broker, uri, 'binary', (a) => a.length >= 6, 'six records');
    expect(all[0]).toEqual({ topic: 'v2-bytes', key: null, value: Buffer.from([0xde, 0xad]).toString('base64'), partition: 0, offset: 0 });
    expect(all.slice(1).map((r) => Buffer.from(r.key as string, 'base64').toString())).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    expect((await call(broker, 'POST', `${uri}/positions`, { offsets: [{ topic: 'v2-bytes', partition: 0, offset: 4 }] })).status).toBe(204);
    expect((await pollUntil(broker, uri, 'binary', (a) => a.length >= 2, 'from offset 4')).map((r) => r.offset)).toEqual([4, 5]);
    expect((await call(broker, 'POST', `${uri}/positions/end`, { partitions: tp })).status).toBe(204);
    expect((await call(broker, 'GET', `${uri}/records?timeout=0`)).json).toEqual([]);
    await produce('v2-bytes', [{ partition: 0, value: 'later' }]);
    expect((await pollUntil(broker, uri, 'binary', (a) => a.length >= 1, 'the record after the end')).map((r) => r.offset)).toEqual([6]);
    // A json consumer stops at a value that is not JSON, and stays there.
    const j = await call(broker, 'POST', '/consumers/v2-manual', { name: 'j', format: 'json' });
    const juri = new URL((j.json as { base_uri: string }).base_uri).pathname;
    expect((await call(broker, 'POST', `${juri}/assignments`, { partitions: tp })).status).toBe(204);
    expect((await call(broker, 'POST', `${juri}/positions/beginning`, { partitions: tp })).status).toBe(204);
    for (let i = 0; i < 2; i++) expect(await call(broker, 'GET', `${juri}/records`)).toMatchObject({ status: 500, json: { error_code: 50002 } });
    await produce('v2-bytes', [{ partition: 0, value: '{"ok":true}' }]);
    expect((await call(broker, 'POST', `${juri}/positions`, { offsets: [{ topic: 'v2-bytes', partition: 0, offset: 7 }] })).status).toBe(204);
    expect(await pollUntil(broker, juri, 'json', (a) => a.length >= 1, 'the JSON record')).toEqual([{ topic: 'v2-bytes', key: null, value: { ok: true }, partition: 0, offset: 7 }]);
    await call(broker, 'DELETE', juri);
    await call(broker, 'DELETE', uri);
  });

  it('bad input gets REST Proxy\'s errors and changes nothing', async () => {
    const created = await call(broker, 'POST', '/consumers/v2-bad', { name: 'b', format: 'json' });
    const uri = new URL((created.json as { base_uri: string }).base_uri).pathname;
    expect(await call(broker, 'POST', '/consumers/v2-bad', { format: 'xml' })).toMatchObject({ status: 422, json: { error_code: 42200 } });
    expect(await call(broker, 'POST', '/consumers/v2-bad', { 'auto.offset.reset': 'smallest' })).toMatchObject({ status: 422, json: { error_code: 42200 } });
    expect(await call(broker, 'POST', '/consumers/v2-bad', { name: 'no spaces allowed' })).toMatchObject({ status: 422, json: { error_code: 42200 } });
    expect((await call(broker, 'POST', '/consumers/v2-bad', '{"name": ')).status).toBe(400);
    expect(await call(broker, 'POST', `${uri}/subscription`, { topics: ['v2-t'], topic_pattern: 'v2-.*' })).toMatchObject({ status: 422, json: { error_code: 42204 } });
    expect(await call(broker, 'POST', `${uri}/subscription`, { topics: 'v2-t' })).toMatchObject({ status: 422, json: { error_code: 42204 } });
    expect(await call(broker, 'POST', `${uri}/assignments`, { partitions: [{ topic: 'v2-t', partition: 99 }] })).toMatchObject({ status: 404, json: { error_code: 40402 } });
    expect(await call(broker, 'POST', `${uri}/positions`, { offsets: [{ topic: 'v2-t', partition: 0, offset: 3 }] })).toMatchObject({ status: 404, json: { error_code: 40402 } });
    expect(await call(broker, 'GET', `${uri}/records?timeout=-5`)).toMatchObject({ status: 422, json: { error_code: 42200 } });
    expect(await call(broker, 'GET', `${uri}/records`, undefined, { accept: 'application/vnd.kafka.binary.v2+json' })).toMatchObject({ status: 406, json: { error_code: 40601 } });
    expect(await call(broker, 'POST', '/consumers/v2-bad/instances/nobody/subscription', { topics: ['v2-t'] })).toMatchObject({ status: 404, json: { error_code: 40403 } });
    expect(await call(broker, 'DELETE', '/consumers/v2-bad/instances/nobody')).toMatchObject({ status: 404, json: { error_code: 40403 } });
    // None of it subscribed or assigned anything.
    expect((await call(broker, 'GET', `${uri}/subscription`)).json).toEqual({ topics: [] });
    expect((await call(broker, 'GET', `${uri}/assignments`)).json).toEqual({ partitions: [] });
    expect((await call(broker, 'DELETE', uri)).status).toBe(204);
  });
});

describe('REST Proxy v2 consumer instances: bounds', () => {
  let small: BrokerProcess;
  beforeAll(async () => {
    small = await BrokerProcess.start({ args: ['--consumer-instance-timeout-ms', '1000', '--consumer-instances-max', '2', '--group-initial-rebalance-delay-ms', '0'] });
    const admin = new Kafka({ clientId: 'rest-v2-bounds', brokers: [small.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'idle-t', numPartitions: 2 }] });
    await admin.disconnect();
  });
  afterAll(async () => { await small?.destroy(); });

  it('refuses an instance past consumer.instances.max; an idle one expires and leaves its group', async () => {
    const a = await call(small, 'POST', '/consumers/idle-g', { name: 'a' });
    const b = await call(small, 'POST', '/consumers/other-g', { name: 'b' });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(await call(small, 'POST', '/consumers/third-g', { name: 'c' })).toMatchObject({ status: 429, json: { error_code: 42900 } });
    expect(await brokerMetric(small.httpPort, 'floe_http_consumer_instances_refused_total')).toBe(1);
    const uri = new URL((a.json as { base_uri: string }).base_uri).pathname;
    expect((await call(small, 'POST', `${uri}/subscription`, { topics: ['idle-t'] })).status).toBe(204);
    const members = async (): Promise<number> => {
      const groups = (await (await fetch(`http://127.0.0.1:${small.httpPort}/admin/groups`)).json()) as { groupId: string; members: unknown[] }[];
      return groups.find((g) => g.groupId === 'idle-g')?.members.length ?? 0;
    };
    await until(async () => (await members()) === 1, 30_000, 'the instance is a member of its group');
    // Nobody asks anything of them: both expire, and the group loses its member.
    await until(async () => (await brokerMetric(small.httpPort, 'floe_http_consumer_instances_expired_total')) === 2, 30_000, 'both instances expired');
    expect(await call(small, 'GET', `${uri}/subscription`)).toMatchObject({ status: 404, json: { error_code: 40403 } });
    await until(async () => (await members()) === 0, 30_000, 'the group has no member left');
    expect(await brokerMetric(small.httpPort, 'floe_http_consumer_instances')).toBe(0);
    expect((await call(small, 'POST', '/consumers/third-g', { name: 'c' })).status).toBe(200);
  });
});
