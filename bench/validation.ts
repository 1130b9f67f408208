// Schema validation on produce, measured: the same closed-loop produce load
// (pipelined batches over floe's wire client, acks=all) against topics with
// floe.value.schema.validation off, id, and content (JSON Schema, then
// Avro), one after the other on one broker. Reports records/s, MB/s and
// produce latency p50/p99 per mode, so the cost of each check shows next to
// no check. Every record is valid (a failing record's path is a test's job).
//
// Run: npm run bench -- validation --help

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { WireClient } from '../protocol/wire-client.ts';
import { CreateTopicsApi, ProduceApi } from '../protocol/generated/index.ts';
import { defaultCreatableTopic } from '../protocol/generated/CreateTopicsRequest.ts';
import { buildRecordBatch } from '../protocol/records/record.ts';
import { BrokerProcess } from '../test/support/broker-process.ts';
import { parseBenchArgs, type BenchOptions } from './cli-options.ts';
import { LatencyRecorder, fmt } from './stats.ts';

const OPTIONS = {
  'duration-ms': { type: 'string', default: '10000', help: 'measured time per mode' },
  'warmup-ms': { type: 'string', default: '2000', help: 'unmeasured time per mode first' },
  'batch-records': { type: 'string', default: '16', help: 'records per batch' },
  connections: { type: 'string', default: '4', help: 'producer connections' },
  inflight: { type: 'string', default: '8', help: 'produce requests in flight per connection' },
  partitions: { type: 'string', default: '8', help: 'partitions per topic' },
} satisfies BenchOptions;

const opt = parseBenchArgs('validation', 'Produce throughput and latency with schema validation off, id, and content (JSON Schema, Avro).', OPTIONS, process.argv.slice(3));
const DURATION = Number(opt['duration-ms']);
const WARMUP = Number(opt['warmup-ms']);
const BATCH = Number(opt['batch-records']);
const CONNECTIONS = Number(opt.connections);
const INFLIGHT = Number(opt.inflight);
const PARTITIONS = Number(opt.partitions);

/** An agent's tool call, the shape of record the validation is for (about 250 bytes as JSON). */
const FIELDS = [
  ['agent', 'string'], ['tool', 'string'], ['callId', 'string'], ['step', 'long'], ['latencyMs', 'double'], ['ok', 'boolean'], ['input', 'string'], ['output', 'string'],
] as const;
const JSON_SCHEMA = {
  type: 'object', additionalProperties: false, required: FIELDS.map(([n]) => n),
  properties: Object.fromEntries(FIELDS.map(([n, t]) => [n, { type: t === 'long' ? 'integer' : t === 'double' ? 'number' : t }])),
};
const AVRO_SCHEMA = { type: 'record', name: 'ToolCall', namespace: 'agents', fields: FIELDS.map(([name, type]) => ({ name, type })) };
const avroType = avro.Type.forSchema(AVRO_SCHEMA as avro.Schema);
const call = (i: number): Record<string, unknown> => ({
  agent: 'planner-7', tool: 'web.search', callId: `call-${i}`, step: i, latencyMs: 12.5 + (i % 100), ok: i % 7 !== 0,
  input: 'latest prices of the five largest diskless Kafka-compatible brokers', output: 'three results; see the attached table of prices and sources',
});
const wire = (id: number, payload: Buffer): Buffer => {
  const head = Buffer.alloc(5);
  head.writeInt32BE(id, 1);
  return Buffer.concat([head, payload]);
};

interface ModeResult { mode: string; records: number; recordsPerSec: number; mbPerSec: number; p50: number; p99: number; errors: number }

async function register(httpPort: number, subject: string, schema: unknown, schemaType?: string): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${httpPort}/subjects/${subject}/versions`, {
    method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: JSON.stringify({ schema: JSON.stringify(schema), ...(schemaType ? { schemaType } : {}) }),
  });
  if (r.status !== 200) throw new Error(`registering ${subject}: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { id: number }).id;
}

async function runMode(port: number, topic: string, batches: Buffer[]): Promise<Omit<ModeResult, 'mode'>> {
  const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => WireClient.connect('127.0.0.1', port)));
  const latency = new LatencyRecorder();
  let records = 0;
  let bytes = 0;
  let errors = 0;
  const start = performance.now();
  const measureFrom = start + WARMUP;
  const end = measureFrom + DURATION;
  let n = 0;
  await Promise.all(clients.flatMap((c) => Array.from({ length: INFLIGHT }, async () => {
    while (performance.now() < end) {
      const i = n++;
      const batch = batches[i % batches.length]!;
      const sent = performance.now();
      const r = await c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: i % PARTITIONS, records: batch }] }] });
      const done = performance.now();
      if (r.responses[0]!.partitionResponses[0]!.errorCode !== 0) errors++;
      if (sent >= measureFrom && done <= end) {
        latency.record(done - sent);
        records += BATCH;
        bytes += batch.length;
      }
    }
  })));
  for (const c of clients) c.close();
  const s = latency.summary();
  return { records, recordsPerSec: records / (DURATION / 1000), mbPerSec: bytes / 1e6 / (DURATION / 1000), p50: s.p50, p99: s.p99, errors };
}

async function main(): Promise<void> {
  const broker = await BrokerProcess.start({ args: [] });
  const c = await WireClient.connect('127.0.0.1', broker.port);
  try {
    const jsonId = await register(broker.httpPort, 'tool-calls-json-value', JSON_SCHEMA, 'JSON');
    const avroId = await register(broker.httpPort, 'tool-calls-avro-value', AVRO_SCHEMA);
    const jsonBatches = Array.from({ length: 64 }, (_, b) => buildRecordBatch(Array.from({ length: BATCH }, (_, i) => ({ value: wire(jsonId, Buffer.from(JSON.stringify(call(b * BATCH + i)))) }))));
    const avroBatches = Array.from({ length: 64 }, (_, b) => buildRecordBatch(Array.from({ length: BATCH }, (_, i) => ({ value: wire(avroId, avroType.toBuffer(call(b * BATCH + i))) }))));
    const modes: { mode: string; validation: string; json: boolean }[] = [
      { mode: 'off (JSON records)', validation: 'off', json: true },
      { mode: 'id (JSON records)', validation: 'id', json: true },
      { mode: 'content, JSON Schema', validation: 'content', json: true },
      { mode: 'off (Avro records)', validation: 'off', json: false },
      { mode: 'content, Avro', validation: 'content', json: false },
    ];
    const results: ModeResult[] = [];
    for (const [i, m] of modes.entries()) {
      // TopicNameStrategy: the topic's subject gets the schema (the same content keeps its id).
      const name = `tool-calls-${i}`;
      await register(broker.httpPort, `${name}-value`, m.json ? JSON_SCHEMA : AVRO_SCHEMA, m.json ? 'JSON' : undefined);
      const created = await c.request(CreateTopicsApi, 7, {
        topics: [{ ...defaultCreatableTopic(), name, numPartitions: PARTITIONS, replicationFactor: -1, configs: [{ name: 'floe.value.schema.validation', value: m.validation }] }],
        timeoutMs: 30_000, validateOnly: false,
      });
      if (created.topics[0]!.errorCode !== 0) throw new Error(`creating ${name}: error ${created.topics[0]!.errorCode}`);
      const batches = m.json ? jsonBatches : avroBatches;
      results.push({ mode: m.mode, ...(await runMode(broker.port, name, batches)) });
      const r = results.at(-1)!;
      console.log(`  ${m.mode.padEnd(22)} ${fmt(r.recordsPerSec, 0).padStart(9)} records/s ${fmt(r.mbPerSec, 1).padStart(6)} MB/s  p50 ${fmt(r.p50)} ms  p99 ${fmt(r.p99)} ms  errors ${r.errors}`);
    }
    const when = new Date().toISOString();
    const dir = join(import.meta.dirname, 'reports');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `validation-${when.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ workload: 'validation', command: `npm run bench -- ${process.argv.slice(2).join(' ')}`, when, params: opt, results }, null, 2));
    console.log(`  report: ${file}`);
  } finally {
    c.close();
    await broker.destroy();
  }
}

await main();
