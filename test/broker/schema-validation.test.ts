// Broker-side schema validation (floe.key/value.schema.validation = id |
// content) with real clients: reject mode refuses bad records with
// INVALID_RECORD and per-record errors that the Java producer hands to the
// application; dead-letter mode keeps the topic clean and puts exactly the
// bad records, with the reason, in the dead-letter topic; JSON Schema, Avro
// and Protobuf; the settings and their effect survive kill -9.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type IHeaders } from 'kafkajs';
import { SchemaRegistry as KafkajsRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { BrokerProcess } from '../support/broker-process.ts';
import { until } from '../support/until.ts';
import { jsonLines, runJava } from '../support/java.ts';
import { brokerMetric } from '../support/broker-metrics.ts';
import { runCommand } from '../support/run-command.ts';
import { PYTHON, currentConfluentKafkaEnv } from '../support/python-env.ts';
import { join } from 'node:path';

const SERDE = join(import.meta.dirname, '../support/python/schema_registry_serde.py');

let broker: BrokerProcess;
let kafka: Kafka;
let url: string;
const ids: Record<string, number> = {};

const register = async (subject: string, schema: unknown, schemaType?: string): Promise<number> => {
  const r = await fetch(`${url}/subjects/${subject}/versions`, {
    method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: typeof schema === 'string' ? schema : JSON.stringify(schema), ...(schemaType !== undefined ? { schemaType } : {}) }),
  });
  expect(r.status).toBe(200);
  return ((await r.json()) as { id: number }).id;
};

/** The Schema Registry wire format: magic 0, the schema id, the payload. */
const wire = (id: number, payload: Buffer | string): Buffer => {
  const head = Buffer.alloc(5);
  head.writeInt32BE(id, 1);
  return Buffer.concat([head, Buffer.from(payload)]);
};

const ORDER = { type: 'object', properties: { id: { type: 'string' }, amount: { type: 'number' } }, required: ['id', 'amount'] };
const PAYMENT = { type: 'record', name: 'Payment', namespace: 'bank', fields: [{ name: 'id', type: 'string' }, { name: 'cents', type: 'long' }] };

async function createTopic(topic: string, configs: Record<string, string>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }] });
  await admin.disconnect();
}

/** Every record of partition 0 of a topic, read from the start by a fresh group, until `n` came. */
async function readAll(topic: string, n: number): Promise<{ offset: number; value: Buffer | null; headers: IHeaders }[]> {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Math.random()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const got: { offset: number; value: Buffer | null; headers: IHeaders }[] = [];
  await consumer.run({ eachMessage: async ({ message }) => { got.push({ offset: Number(message.offset), value: message.value, headers: message.headers ?? {} }); } });
  await until(() => got.length >= n, 30_000, `${n} records of ${topic}`);
  await consumer.disconnect();
  return got;
}

const header = (h: IHeaders, name: string): string | undefined => h[name]?.toString();

beforeAll(async () => {
  broker = await BrokerProcess.start({ args: ['--group-initial-rebalance-delay-ms', '0'] });
  kafka = new Kafka({ clientId: 'schema-validation-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  url = `http://127.0.0.1:${broker.httpPort}`;
  ids.order = await register('orders-value', ORDER, 'JSON');
  ids.payment = await register('payments-value', PAYMENT);
  ids.other = await register('unrelated-value', { type: 'object', properties: { x: { type: 'integer' } } }, 'JSON');
});
afterAll(async () => { await broker?.destroy(); });

describe('schema validation on produce', () => {
  it('reject (content, JSON Schema): the Java producer gets INVALID_RECORD with the record\'s own error naming the field; only valid records are in the log', async () => {
    await createTopic('orders', { 'floe.value.schema.validation': 'content' });
    const values = [
      wire(ids.order!, JSON.stringify({ id: 'o-1', amount: 10 })),
      wire(ids.order!, JSON.stringify({ id: 'o-2', amount: 'ten' })),
      Buffer.from('{"id": "o-3", "amount": 3}'),
      wire(999_999, JSON.stringify({ id: 'o-4', amount: 4 })),
      wire(ids.other!, JSON.stringify({ x: 1 })),
      wire(ids.order!, JSON.stringify({ id: 'o-6', amount: 6 })),
    ];
    for (const idempotence of ['false', 'true']) {
      const r = await runJava('floe.check.ClientCheck', ['produce-hex', broker.bootstrap, 'orders', idempotence, ...values.map((v) => v.toString('hex'))]);
      expect(r.code, r.stderr).toBe(0);
      const out = jsonLines<{ index: number; error: string | null; message?: string; offset?: number }>(r.stdout);
      expect(out.map((o) => o.error)).toEqual([null, 'InvalidRecordException', 'InvalidRecordException', 'InvalidRecordException', 'InvalidRecordException', null]);
      expect(out[1]!.message).toMatch(/\/amount: must be number \(type\)/);
      expect(out[2]!.message).toMatch(/wire format/);
      expect(out[3]!.message).toMatch(/schema id 999999 is not registered/);
      expect(out[4]!.message).toMatch(new RegExp(`schema id ${ids.other} is not a version of subject orders-value`));
    }
    const log = await readAll('orders', 4);
    expect(log.map((r) => JSON.parse(r.value!.subarray(5).toString()) as { id: string }).map((o) => o.id)).toEqual(['o-1', 'o-6', 'o-1', 'o-6']);
    // kafkajs sees the error code too.
    const producer = kafka.producer();
    await producer.connect();
    await expect(producer.send({ topic: 'orders', acks: -1, messages: [{ value: Buffer.from('not wire format') }] })).rejects.toMatchObject({ type: 'INVALID_RECORD' });
    await producer.disconnect();
    expect(await brokerMetric(broker.httpPort, 'floe_schema_rejected_records_total{topic="orders"}')).toBeGreaterThanOrEqual(9);
  });

  it('id mode checks the schema id against the subject, not the bytes; keys are validated when asked', async () => {
    await createTopic('ids', { 'floe.value.schema.validation': 'id', 'floe.value.subject.name.strategy': 'RecordNameStrategy', 'floe.key.schema.validation': 'id' });
    // RecordNameStrategy: the Avro record's full name is the subject.
    const byName = await register('bank.Payment', PAYMENT);
    const keyId = await register('ids-key', '"string"');
    const producer = kafka.producer();
    await producer.connect();
    // Not valid Avro, but the id is right: id mode lets it in.
    await producer.send({ topic: 'ids', acks: -1, messages: [{ key: wire(keyId, '\u0002a'), value: wire(byName, 'garbage') }] });
    await expect(producer.send({ topic: 'ids', acks: -1, messages: [{ key: wire(keyId, '\u0002a'), value: wire(ids.order!, '{}') }] })).rejects.toMatchObject({ type: 'INVALID_RECORD' });
    await expect(producer.send({ topic: 'ids', acks: -1, messages: [{ key: Buffer.from('plain key'), value: wire(byName, 'x') }] })).rejects.toMatchObject({ type: 'INVALID_RECORD' });
    // A tombstone (null value) passes.
    await producer.send({ topic: 'ids', acks: -1, messages: [{ key: wire(keyId, '\u0002b'), value: null }] });
    await producer.disconnect();
    expect((await readAll('ids', 2)).map((r) => r.offset)).toEqual([0, 1]);
  });

  it('dead-letter (content, Avro and Protobuf): the topic keeps the valid records at their offsets, the DLQ exactly the bad ones with the reason; an idempotent producer carries on', async () => {
    await createTopic('payments', { 'floe.value.schema.validation': 'content', 'floe.validation.failure': 'dead-letter' });
    const registry = new KafkajsRegistry({ host: url });
    const good = async (id: string, cents: number): Promise<Buffer> => registry.encode(ids.payment!, { id, cents });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    // One batch: good, bad Avro, good, not wire format.
    await producer.send({ topic: 'payments', acks: -1, messages: [
      { value: await good('p-1', 100) }, { value: wire(ids.payment!, Buffer.from([0x02])) }, { value: await good('p-3', 300) }, { value: Buffer.from('hello') },
    ] });
    // A batch of nothing but bad records, then a good one: the sequence goes on.
    await producer.send({ topic: 'payments', acks: -1, messages: [{ value: wire(ids.payment!, Buffer.from([0xff, 0xff])) }] });
    await producer.send({ topic: 'payments', acks: -1, messages: [{ value: await good('p-6', 600) }] });
    await producer.disconnect();

    const log = await readAll('payments', 3);
    expect(log.map((r) => r.offset)).toEqual([0, 2, 5]);
    expect(await Promise.all(log.map((r) => registry.decode(r.value!)))).toEqual([{ id: 'p-1', cents: 100 }, { id: 'p-3', cents: 300 }, { id: 'p-6', cents: 600 }]);
    const dlq = await readAll('payments.dlq', 3);
    expect(dlq.map((r) => r.value!.toString('hex'))).toEqual([wire(ids.payment!, Buffer.from([0x02])), Buffer.from('hello'), wire(ids.payment!, Buffer.from([0xff, 0xff]))].map((b) => b.toString('hex')));
    expect(dlq.map((r) => [header(r.headers, 'floe.dlq.topic'), header(r.headers, 'floe.dlq.partition'), header(r.headers, 'floe.dlq.schema.id')]))
      .toEqual([['payments', '0', String(ids.payment)], ['payments', '0', undefined], ['payments', '0', String(ids.payment)]]);
    expect(header(dlq[0]!.headers, 'floe.dlq.reason')).toMatch(/not a valid Avro encoding/);
    expect(header(dlq[1]!.headers, 'floe.dlq.reason')).toMatch(/wire format/);
    expect(await brokerMetric(broker.httpPort, 'floe_schema_dead_lettered_records_total{topic="payments"}')).toBe(3);

    // Protobuf: the message indexes after the id name the message.
    const protoId = await register('steps-value', 'syntax = "proto3";\npackage agents;\nmessage Step { string agent = 1; int32 index = 2; }\n', 'PROTOBUF');
    await createTopic('steps', { 'floe.value.schema.validation': 'content', 'floe.validation.failure': 'dead-letter', 'floe.dead.letter.topic': 'bad-steps' });
    const p2 = kafka.producer();
    await p2.connect();
    await p2.send({ topic: 'steps', acks: -1, messages: [
      { value: await registry.encode(protoId, { agent: 'planner', index: 1 }) },
      { value: wire(protoId, Buffer.from([0x00, 0x0a, 0x09, 0x41])) },
    ] });
    await p2.disconnect();
    expect((await readAll('steps', 1)).map((r) => r.offset)).toEqual([0]);
    expect(header((await readAll('bad-steps', 1))[0]!.headers, 'floe.dlq.reason')).toMatch(/not a valid encoding of agents.Step/);
  });

  it("confluent-kafka-python's Schema Registry client and its Avro and JSON Schema serializers, into validating topics; bytes outside the wire format are refused", async () => {
    await createTopic('py-readings', { 'floe.value.schema.validation': 'content' });
    await createTopic('py-alerts', { 'floe.value.schema.validation': 'content' });
    const r = await runCommand(PYTHON, [SERDE, 'roundtrip', broker.bootstrap, url, 'py-readings', 'py-alerts'], { timeoutMs: 120_000, env: currentConfluentKafkaEnv() });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { readings: unknown[]; alerts: unknown[]; subjects: string[]; avroSchemaType: string; bad: { name: string; str: string }[] };
    expect(out.readings).toEqual([{ sensor: 'a', celsius: 21.5 }, { sensor: 'b', celsius: -3.0 }]);
    expect(out.alerts).toEqual([{ level: 'warn', code: 7 }, { level: 'page', code: 9 }]);
    expect(out.subjects).toEqual(expect.arrayContaining(['py-readings-value', 'py-alerts-value']));
    expect(out.avroSchemaType).toBe('AVRO');
    expect(out.bad.map((b) => b.name)).toEqual(['INVALID_RECORD']);
  });

  it('after kill -9 and a restart, the validation settings hold and bad records are still refused', async () => {
    await broker.kill9();
    await broker.startAgain();
    const admin = kafka.admin();
    await admin.connect();
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'orders' }] });
    await admin.disconnect();
    expect(described.resources[0]!.configEntries.find((c) => c.configName === 'floe.value.schema.validation')?.configValue).toBe('content');
    const producer = kafka.producer();
    await producer.connect();
    await expect(producer.send({ topic: 'orders', acks: -1, messages: [{ value: wire(ids.order!, '{"id": 5}') }] })).rejects.toMatchObject({ type: 'INVALID_RECORD' });
    await producer.send({ topic: 'orders', acks: -1, messages: [{ value: wire(ids.order!, '{"id": "o-9", "amount": 9}') }] });
    await producer.disconnect();
  });
});
