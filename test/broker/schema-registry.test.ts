// The Schema Registry on a broker's HTTP port, driven by Confluent's own
// client library (@confluentinc/schemaregistry) and by
// @kafkajs/confluent-schema-registry: Avro, JSON Schema and Protobuf each
// registered, serialized, produced with kafkajs, consumed and deserialized;
// compatibility, config, modes and deletes; the REST errors Confluent
// documents; and everything intact after kill -9 and a restart.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { SchemaRegistry as KafkajsRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import {
  AvroDeserializer, AvroSerializer, JsonDeserializer, JsonSerializer, SchemaRegistryClient, SerdeType, Compatibility,
} from '@confluentinc/schemaregistry';
import { BrokerProcess } from '../support/broker-process.ts';
import { until } from '../support/until.ts';

let broker: BrokerProcess;
let kafka: Kafka;
let url: string;

const CT = 'application/vnd.schemaregistry.v1+json';
const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
  const r = await fetch(`${url}${path}`, { method, headers: body !== undefined ? { 'content-type': CT } : {}, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: r.status, json: await r.json() as unknown };
};

const ORDER_V1 = { type: 'record', name: 'Order', namespace: 'shop', fields: [{ name: 'id', type: 'string' }, { name: 'amount', type: 'double' }] };
const ORDER_V2 = { ...ORDER_V1, fields: [...ORDER_V1.fields, { name: 'currency', type: 'string', default: 'EUR' }] };
/** Not readable as v2 data: id changes type. */
const ORDER_BAD = { ...ORDER_V1, fields: [{ name: 'id', type: 'long' }, { name: 'amount', type: 'double' }] };

/** Produces the values to a new topic with kafkajs and reads them back with a kafkajs consumer. */
async function roundTrip(topic: string, values: Buffer[]): Promise<Buffer[]> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `${topic}-reader` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const got: Buffer[] = [];
  await consumer.run({ eachMessage: async ({ message }) => { got.push(message.value!); } });
  await until(() => got.length >= values.length, 30_000, `${topic}: every record consumed`);
  await consumer.disconnect();
  return got;
}

beforeAll(async () => {
  broker = await BrokerProcess.start({ args: ['--group-initial-rebalance-delay-ms', '0', '--upload-interval-ms', '50', '--log-cleaner-backoff-ms', '300'] });
  kafka = new Kafka({ clientId: 'schema-registry-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  url = `http://127.0.0.1:${broker.httpPort}`;
});
afterAll(async () => { await broker?.destroy(); });

describe('Schema Registry', () => {
  it('@kafkajs/confluent-schema-registry: Avro, JSON Schema and Protobuf each registered, encoded, produced, consumed and decoded', async () => {
    const registry = new KafkajsRegistry({ host: url });
    const avro = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(ORDER_V1) }, { subject: 'kj-orders-value' });
    const json = await registry.register({
      type: SchemaType.JSON,
      schema: JSON.stringify({ type: 'object', properties: { tool: { type: 'string' }, calls: { type: 'integer' } }, required: ['tool'] }),
    }, { subject: 'kj-tools-value' });
    const proto = await registry.register({
      type: SchemaType.PROTOBUF,
      schema: 'syntax = "proto3";\npackage agents;\nmessage Step {\n  string agent = 1;\n  int32 index = 2;\n  repeated string tools = 3;\n}\n',
    }, { subject: 'kj-steps-value' });
    expect(new Set([avro.id, json.id, proto.id]).size).toBe(3);
    // The same schema again: the same id, no new version.
    expect((await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(ORDER_V1) }, { subject: 'kj-orders-value' })).id).toBe(avro.id);
    expect(await registry.getLatestSchemaId('kj-orders-value')).toBe(avro.id);

    const orders = [{ id: 'o-1', amount: 12.5 }, { id: 'o-2', amount: 3 }];
    const gotOrders = await roundTrip('kj-orders', await Promise.all(orders.map((o) => registry.encode(avro.id, o))));
    expect(await Promise.all(gotOrders.map((b) => registry.decode(b)))).toEqual(orders);

    const tools = [{ tool: 'search', calls: 2 }, { tool: 'fetch' }];
    const gotTools = await roundTrip('kj-tools', await Promise.all(tools.map((t) => registry.encode(json.id, t))));
    expect(await Promise.all(gotTools.map((b) => registry.decode(b)))).toEqual(tools);
    // The JSON Schema is enforced by the serializer, from the schema floe served.
    await expect(registry.encode(json.id, { calls: 1 })).rejects.toThrow();

    const steps = [{ agent: 'planner', index: 1, tools: ['search'] }, { agent: 'actor', index: 2, tools: [] }];
    const gotSteps = await roundTrip('kj-steps', await Promise.all(steps.map((s) => registry.encode(proto.id, s))));
    const decoded = await Promise.all(gotSteps.map((b) => registry.decode(b))) as { agent: string; index: number; tools: string[] }[];
    expect(decoded.map((d) => ({ agent: d.agent, index: d.index, tools: [...d.tools] }))).toEqual(steps);

    // The HTTP API shows such records decoded with their schema, as REST Proxy v3 does.
    const cid = ((await call('GET', '/v3/clusters')).json as { data: { cluster_id: string }[] }).data[0]!.cluster_id;
    const values = async (topic: string): Promise<unknown[]> =>
      ((await call('GET', `/v3/clusters/${cid}/topics/${topic}/partitions/0/records?offset=0`)).json as { data: { value: unknown }[] }).data.map((r) => r.value);
    expect(await values('kj-orders')).toEqual(orders.map((data) => ({ type: 'AVRO', schema_id: avro.id, subject: 'kj-orders-value', data })));
    expect(await values('kj-tools')).toEqual(tools.map((data) => ({ type: 'JSONSCHEMA', schema_id: json.id, subject: 'kj-tools-value', data })));
    expect(await values('kj-steps')).toEqual([
      { type: 'PROTOBUF', schema_id: proto.id, subject: 'kj-steps-value', data: { agent: 'planner', index: 1, tools: ['search'] } },
      { type: 'PROTOBUF', schema_id: proto.id, subject: 'kj-steps-value', data: { agent: 'actor', index: 2 } },
    ]);
  });

  it("Confluent's client: register, fetch, compatibility, config, soft and hard delete; its Avro and JSON serializers round-trip through kafkajs", async () => {
    const client = new SchemaRegistryClient({ baseURLs: [url] });
    const v1 = await client.register('cf-orders-value', { schemaType: 'AVRO', schema: JSON.stringify(ORDER_V1) });
    expect(await client.testSubjectCompatibility('cf-orders-value', { schemaType: 'AVRO', schema: JSON.stringify(ORDER_V2) })).toBe(true);
    expect(await client.testSubjectCompatibility('cf-orders-value', { schemaType: 'AVRO', schema: JSON.stringify(ORDER_BAD) })).toBe(false);
    await expect(client.register('cf-orders-value', { schemaType: 'AVRO', schema: JSON.stringify(ORDER_BAD) })).rejects.toThrow(/incompatible/);
    const v2 = await client.register('cf-orders-value', { schemaType: 'AVRO', schema: JSON.stringify(ORDER_V2) });
    expect(v2).not.toBe(v1);
    expect(await client.getAllVersions('cf-orders-value')).toEqual([1, 2]);
    const latest = await client.getLatestSchemaMetadata('cf-orders-value');
    expect(latest).toMatchObject({ id: v2, version: 2, subject: 'cf-orders-value' });
    expect(JSON.parse(latest.schema!)).toEqual(ORDER_V2);
    expect(await client.getVersion('cf-orders-value', { schemaType: 'AVRO', schema: JSON.stringify(ORDER_V1) })).toBe(1);
    // NONE lets the incompatible one in; the subject's level, then the global one again.
    expect(await client.updateCompatibility('cf-orders-value', Compatibility.NONE)).toBe(Compatibility.NONE);
    expect(await client.getCompatibility('cf-orders-value')).toBe(Compatibility.NONE);
    const v3 = await client.register('cf-orders-value', { schemaType: 'AVRO', schema: JSON.stringify(ORDER_BAD) });
    expect(await client.getAllVersions('cf-orders-value')).toEqual([1, 2, 3]);
    expect(await client.getDefaultCompatibility()).toBe(Compatibility.BACKWARD);
    // Soft delete hides a version; permanent delete after that removes it.
    expect(await client.deleteSubjectVersion('cf-orders-value', 3)).toBe(3);
    expect(await client.getAllVersions('cf-orders-value')).toEqual([1, 2]);
    expect(await client.deleteSubjectVersion('cf-orders-value', 3, true)).toBe(3);
    expect((await client.getBySubjectAndId('cf-orders-value', v2)).schema).toBe(JSON.stringify(ORDER_V2));
    await expect(client.getBySubjectAndId('', v3)).rejects.toThrow(/not found/i);

    // Confluent's serializers register (auto) and fetch schemas from floe.
    const ser = new AvroSerializer(client, SerdeType.VALUE, { autoRegisterSchemas: true });
    const de = new AvroDeserializer(client, SerdeType.VALUE, {});
    const values = [{ id: 'a', amount: 1, currency: 'USD' }, { id: 'b', amount: 2, currency: 'EUR' }];
    const payloads = await Promise.all(values.map((v) => ser.serialize('cf-payments', v)));
    const got = await roundTrip('cf-payments', payloads);
    expect(await Promise.all(got.map((b) => de.deserialize('cf-payments', b)))).toEqual(values);
    expect(await client.getAllSubjects()).toContain('cf-payments-value');

    const jsonDe = new JsonDeserializer(client, SerdeType.VALUE, {});
    await client.register('cf-events-value', { schemaType: 'JSON', schema: JSON.stringify({ type: 'object', properties: { kind: { type: 'string' } }, required: ['kind'] }) });
    // This one uses the subject's latest version, registered above, and validates against it.
    const jsonSerLatest = new JsonSerializer(client, SerdeType.VALUE, { useLatestVersion: true, autoRegisterSchemas: false, validate: true });
    const events = [{ kind: 'tool_call' }, { kind: 'answer' }];
    const gotEvents = await roundTrip('cf-events', await Promise.all(events.map((e) => jsonSerLatest.serialize('cf-events', e))));
    expect(await Promise.all(gotEvents.map((b) => jsonDe.deserialize('cf-events', b)))).toEqual(events);
    await expect(jsonSerLatest.serialize('cf-events', { kind: 7 })).rejects.toThrow();

    // Delete the whole subject: soft, then permanently.
    expect(await client.deleteSubject('cf-events-value')).toEqual([1]);
    expect(await client.getAllSubjects()).not.toContain('cf-events-value');
    expect(await client.deleteSubject('cf-events-value', true)).toEqual([1]);
  });

  it('answers errors with the error codes Confluent documents', async () => {
    const avro = (s: unknown): { schema: string } => ({ schema: JSON.stringify(s) });
    expect((await call('POST', '/subjects/e-orders-value/versions', avro(ORDER_V2))).status).toBe(200);
    const incompatible = await call('POST', '/subjects/e-orders-value/versions', avro(ORDER_BAD));
    expect(incompatible).toMatchObject({ status: 409, json: { error_code: 409 } });
    expect(await call('GET', '/subjects/no-such-subject/versions')).toMatchObject({ status: 404, json: { error_code: 40401 } });
    expect(await call('GET', '/subjects/e-orders-value/versions/7')).toMatchObject({ status: 404, json: { error_code: 40402 } });
    expect(await call('GET', '/subjects/e-orders-value/versions/seven')).toMatchObject({ status: 422, json: { error_code: 42202 } });
    expect(await call('GET', '/schemas/ids/999999')).toMatchObject({ status: 404, json: { error_code: 40403 } });
    expect(await call('POST', '/subjects/e-orders-value', avro(ORDER_V1))).toMatchObject({ status: 404, json: { error_code: 40403 } });
    expect(await call('POST', '/subjects/e-orders-value/versions', { schema: '{"type": "recrod", "name": "X"}' })).toMatchObject({ status: 422, json: { error_code: 42201 } });
    expect(await call('POST', '/subjects/e-orders-value/versions', { schema: 'message {', schemaType: 'PROTOBUF' })).toMatchObject({ status: 422, json: { error_code: 42201 } });
    expect(await call('POST', '/subjects/e-orders-value/versions', { schema: '{"type": 5}', schemaType: 'JSON' })).toMatchObject({ status: 422, json: { error_code: 42201 } });
    expect(await call('PUT', '/config/e-orders-value', { compatibility: 'SIDEWAYS' })).toMatchObject({ status: 422, json: { error_code: 42203 } });
    expect(await call('GET', '/config/e-orders-value')).toMatchObject({ status: 404, json: { error_code: 40408 } });
    expect(await call('GET', '/config/e-orders-value?defaultToGlobal=true')).toMatchObject({ status: 200, json: { compatibilityLevel: 'BACKWARD' } });
    expect(await call('PUT', '/mode/e-orders-value', { mode: 'SOMETIMES' })).toMatchObject({ status: 422, json: { error_code: 42204 } });
    // A read-only subject refuses writes.
    expect(await call('PUT', '/mode/e-orders-value', { mode: 'READONLY' })).toMatchObject({ status: 200, json: { mode: 'READONLY' } });
    expect(await call('POST', '/subjects/e-orders-value/versions', avro(ORDER_V1))).toMatchObject({ status: 422, json: { error_code: 42205 } });
    expect(await call('DELETE', '/mode/e-orders-value')).toMatchObject({ status: 200 });
    // Permanent before soft: refused; soft twice: refused.
    expect(await call('DELETE', '/subjects/e-orders-value?permanent=true')).toMatchObject({ status: 404, json: { error_code: 40405 } });
    expect(await call('DELETE', '/subjects/e-orders-value')).toMatchObject({ status: 200, json: [1] });
    expect(await call('DELETE', '/subjects/e-orders-value')).toMatchObject({ status: 404, json: { error_code: 40404 } });
    expect(await call('GET', '/subjects/e-orders-value/versions')).toMatchObject({ status: 404, json: { error_code: 40401 } });
    expect(await call('GET', '/subjects/e-orders-value/versions?deleted=true')).toMatchObject({ status: 200, json: [1] });

    // References: a schema that uses another subject's named type; the referenced one cannot be deleted.
    const money = { type: 'record', name: 'Money', namespace: 'shop', fields: [{ name: 'units', type: 'long' }, { name: 'currency', type: 'string' }] };
    expect((await call('POST', '/subjects/money/versions', avro(money))).status).toBe(200);
    const refs = [{ name: 'shop.Money', subject: 'money', version: 1 }];
    const invoice = { type: 'record', name: 'Invoice', namespace: 'shop', fields: [{ name: 'total', type: 'shop.Money' }] };
    const reg = await call('POST', '/subjects/invoices-value/versions', { ...avro(invoice), references: refs });
    expect(reg.status).toBe(200);
    const id = (reg.json as { id: number }).id;
    expect(await call('GET', `/schemas/ids/${id}`)).toMatchObject({ status: 200, json: { references: refs } });
    expect(await call('GET', '/subjects/money/versions/1/referencedby')).toMatchObject({ status: 200, json: [id] });
    expect(await call('DELETE', '/subjects/money/versions/1')).toMatchObject({ status: 422, json: { error_code: 42206 } });
    expect(await call('POST', '/subjects/invoices-value/versions', { ...avro(invoice), references: [{ name: 'shop.Money', subject: 'money', version: 9 }] })).toMatchObject({ status: 422, json: { error_code: 42201 } });
    // Without the reference the named type is unknown.
    expect(await call('POST', '/subjects/invoices-2-value/versions', avro(invoice))).toMatchObject({ status: 422, json: { error_code: 42201 } });
    // Compatibility checks, verbose.
    const verbose = await call('POST', '/compatibility/subjects/money/versions/latest?verbose=true', avro({ ...money, fields: [{ name: 'units', type: 'string' }] }));
    expect(verbose).toMatchObject({ status: 200, json: { is_compatible: false } });
    expect((verbose.json as { messages: string[] }).messages.length).toBeGreaterThan(0);
    expect(await call('GET', '/schemas/types')).toMatchObject({ status: 200, json: ['AVRO', 'JSON', 'PROTOBUF'] });
  });

  it('references in JSON Schema ($ref by the reference name) and Protobuf (import): registered, served, and required', async () => {
    const address = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    expect((await call('POST', '/subjects/address/versions', { schema: JSON.stringify(address), schemaType: 'JSON' })).status).toBe(200);
    const customer = { type: 'object', properties: { name: { type: 'string' }, home: { $ref: 'address.json' } } };
    const jsonRefs = [{ name: 'address.json', subject: 'address', version: 1 }];
    const c = await call('POST', '/subjects/customers-value/versions', { schema: JSON.stringify(customer), schemaType: 'JSON', references: jsonRefs });
    expect(c.status).toBe(200);
    expect(await call('GET', '/subjects/customers-value/versions/1')).toMatchObject({ status: 200, json: { schemaType: 'JSON', references: jsonRefs } });
    expect(await call('POST', '/subjects/customers-2-value/versions', { schema: JSON.stringify(customer), schemaType: 'JSON' })).toMatchObject({ status: 422, json: { error_code: 42201 } });

    const common = 'syntax = "proto3";\npackage common;\nmessage Money { int64 units = 1; string currency = 2; }\n';
    expect((await call('POST', '/subjects/common.proto/versions', { schema: common, schemaType: 'PROTOBUF' })).status).toBe(200);
    const order = 'syntax = "proto3";\npackage shop;\nimport "common.proto";\nmessage Order { string id = 1; common.Money total = 2; }\n';
    const protoRefs = [{ name: 'common.proto', subject: 'common.proto', version: 1 }];
    const o = await call('POST', '/subjects/proto-orders-value/versions', { schema: order, schemaType: 'PROTOBUF', references: protoRefs });
    expect(o.status).toBe(200);
    expect(await call('GET', '/subjects/common.proto/versions/1/referencedby')).toMatchObject({ status: 200, json: [(o.json as { id: number }).id] });
    expect(await call('POST', '/subjects/proto-orders-2-value/versions', { schema: order, schemaType: 'PROTOBUF' })).toMatchObject({ status: 422, json: { error_code: 42201 } });
  });

  it('after the cleaner compacted _schemas, kill -9 and a restart, every subject, version, id, config and mode is as it was', async () => {
    await call('PUT', '/config', { compatibility: 'FULL' });
    await call('PUT', '/mode/money', { mode: 'READONLY' });
    // The deletes above superseded records: the cleaner removes those, and the state read back must not change.
    // (AlterConfigs sets every config: the ones not named go back to their defaults, so cleanup.policy is named.)
    const admin = kafka.admin();
    await admin.connect();
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: '_schemas', configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'min.cleanable.dirty.ratio', value: '0.01' }, { name: 'delete.retention.ms', value: '0' }] }] });
    await admin.disconnect();
    const cid = ((await call('GET', '/v3/clusters')).json as { data: { cluster_id: string }[] }).data[0]!.cluster_id;
    const gaps = async (): Promise<number> => {
      const r = (await call('GET', `/v3/clusters/${cid}/topics/_schemas/partitions/0/records?offset=0&max_records=1000`)).json as { high_watermark: number; data: unknown[] };
      return r.high_watermark - r.data.length;
    };
    // The newest region is never cleaned: each round writes one more record, so the ones before become cleanable.
    let round = 0;
    await until(async () => {
      await call('PUT', '/config/compaction-marker', { compatibility: round++ % 2 === 0 ? 'NONE' : 'FULL' });
      return (await gaps()) > 0;
    }, 30_000, 'the cleaner to remove superseded _schemas records', 300, async () => {
      const m = await (await fetch(`${url}/metrics`)).text();
      return `gaps ${await gaps()}; ${m.split('\n').filter((l) => l.includes('cleaner') && !l.startsWith('#') && (l.includes('_schemas') || !l.includes('{'))).join('; ')}`;
    });
    const snapshot = async (): Promise<unknown[]> => Promise.all([
      call('GET', '/schemas?deleted=true'), call('GET', '/subjects?deleted=true'), call('GET', '/config'), call('GET', '/mode/money'), call('GET', '/subjects/cf-orders-value/versions?deleted=true'),
    ]).then((r) => r.map((x) => x.json));
    const before = await snapshot();
    expect((before[0] as unknown[]).length).toBeGreaterThan(5);
    await broker.kill9();
    await broker.startAgain();
    expect(await snapshot()).toEqual(before);
    // And it goes on: the next id follows the ones before.
    const maxId = Math.max(...(before[0] as { id: number }[]).map((s) => s.id));
    const next = await call('POST', '/subjects/after-restart-value/versions', { schema: '"string"' });
    expect(next).toMatchObject({ status: 200, json: { id: maxId + 1 } });
    await call('PUT', '/config', { compatibility: 'BACKWARD' });
  });
});
