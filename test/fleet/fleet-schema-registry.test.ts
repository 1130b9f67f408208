// The Schema Registry of a fleet: every broker serves the same registry (the
// `_schemas` topic), so a schema registered through one broker is read and
// enforced through another at once; registrations racing on two brokers for
// one subject each get their own version and id, and both brokers agree on
// the outcome.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { TestFleet, useFleetServers } from '../support/fleet.ts';

const servers = useFleetServers();

describe('the Schema Registry of a fleet', () => {
  let fleet: TestFleet;
  beforeAll(async () => { fleet = await TestFleet.start(servers, [1, 2]); });
  afterAll(async () => { await fleet?.destroy(); });

  const base = (node: number): string => `http://127.0.0.1:${fleet.broker(node).httpPort}`;
  const call = async (node: number, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const r = await fetch(`${base(node)}${path}`, {
      method, headers: body !== undefined ? { 'content-type': 'application/vnd.schemaregistry.v1+json' } : {}, ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: r.status, json: await r.json() as unknown };
  };
  const record = (name: string, field: string): string => JSON.stringify({ type: 'record', name, fields: [{ name: field, type: 'string' }] });

  it('a schema registered through one broker is served and enforced by the other; racing registrations get distinct versions and ids', async () => {
    const reg = await call(1, 'POST', '/subjects/fleet-orders-value/versions', { schema: JSON.stringify({ type: 'object', properties: { id: { type: 'string' } }, required: ['id'] }), schemaType: 'JSON' });
    expect(reg.status).toBe(200);
    const id = (reg.json as { id: number }).id;
    expect(await call(2, 'GET', `/schemas/ids/${id}`)).toMatchObject({ status: 200, json: { schemaType: 'JSON' } });
    expect(await call(2, 'GET', '/subjects/fleet-orders-value/versions')).toMatchObject({ status: 200, json: [1] });

    // Ten registrations at once, half through each broker, of different schemas for one subject.
    expect((await call(2, 'PUT', '/config/race-value', { compatibility: 'NONE' })).status).toBe(200);
    const raced = await Promise.all(Array.from({ length: 10 }, (_, i) => call(1 + (i % 2), 'POST', '/subjects/race-value/versions', { schema: record('R', `f${i}`) })));
    expect(raced.map((r) => r.status)).toEqual(Array(10).fill(200));
    const racedIds = raced.map((r) => (r.json as { id: number }).id);
    expect(new Set(racedIds).size).toBe(10);
    for (const node of [1, 2]) {
      expect(await call(node, 'GET', '/subjects/race-value/versions')).toMatchObject({ status: 200, json: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] });
    }
    const retries = (await fleet.metric(1, 'floe_schema_registry_write_retries_total')) + (await fleet.metric(2, 'floe_schema_registry_write_retries_total'));
    console.log(`fleet schema registry: 10 racing registrations, ${retries} tried again after losing a race`);
    const all1 = await call(1, 'GET', '/schemas');
    const all2 = await call(2, 'GET', '/schemas');
    expect(all2).toEqual(all1);
    // Each registration's id names its own schema, on both brokers.
    for (let i = 0; i < 10; i++) {
      expect(await call(1 + ((i + 1) % 2), 'GET', `/schemas/ids/${racedIds[i]}`)).toMatchObject({ status: 200, json: { schema: record('R', `f${i}`) } });
    }

    // Validation on whichever broker leads the partition, with a schema registered through the other a moment ago.
    const kafka = new Kafka({ clientId: 'fleet-registry', brokers: [fleet.broker(2).bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'fleet-orders', numPartitions: 2, configEntries: [{ name: 'floe.value.schema.validation', value: 'content' }] }] });
    await admin.disconnect();
    const wire = (schemaId: number, json: unknown): Buffer => {
      const head = Buffer.alloc(5);
      head.writeInt32BE(schemaId, 1);
      return Buffer.concat([head, Buffer.from(JSON.stringify(json))]);
    };
    // (Adding a property to an open content model is not BACKWARD compatible, as in Confluent's registry.)
    expect((await call(1, 'PUT', '/config/fleet-orders-value', { compatibility: 'NONE' })).status).toBe(200);
    const v2 = await call(2, 'POST', '/subjects/fleet-orders-value/versions', { schema: JSON.stringify({ type: 'object', properties: { id: { type: 'string' }, n: { type: 'integer' } }, required: ['id'] }), schemaType: 'JSON' });
    expect(v2.status).toBe(200);
    const id2 = (v2.json as { id: number }).id;
    const producer = kafka.producer();
    await producer.connect();
    for (const partition of [0, 1]) {
      await producer.send({ topic: 'fleet-orders', acks: -1, messages: [{ partition, value: wire(id2, { id: 'a', n: 1 }) }] });
      await expect(producer.send({ topic: 'fleet-orders', acks: -1, messages: [{ partition, value: wire(id2, { id: 'a', n: 'one' }) }] })).rejects.toMatchObject({ type: 'INVALID_RECORD' });
    }
    await producer.disconnect();
    expect(fleet.handlerErrors()).toEqual([]);
  });
});
