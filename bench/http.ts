// HTTP endpoints under load (autocannon): /healthz, /readyz, /metrics and
// the admin API of a broker that holds a few topics and a group, so the
// metrics page has realistic size; REST produce (one record, and batches of
// ten) and its p99; MCP tool-call latency through the official SDK client;
// and a fixed-rate Kafka produce load alone and then beside the HTTP
// produce load, to show what the HTTP API costs Kafka clients.
// Writes bench/reports/http-*.json. Run: npm run bench -- http

import { createRequire } from 'node:module';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerProcess } from '../test/support/broker-process.ts';
import { WireClient } from '../protocol/wire-client.ts';
import { CreateTopicsApi, ProduceApi } from '../protocol/generated/index.ts';
import { defaultCreatableTopic } from '../protocol/generated/CreateTopicsRequest.ts';
import { buildRecordBatch } from '../protocol/records/record.ts';
import { fmt, LatencyRecorder } from './stats.ts';
import { runLoad, type LoadFigures } from './produce-load.ts';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number; max: number };
  errors: number;
  non2xx: number;
}
type Autocannon = (opts: { url: string; connections: number; duration: number; method?: string; headers?: Record<string, string>; body?: string }) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const DURATION_S = Number(process.env.BENCH_HTTP_DURATION_S ?? 5);
const broker = await BrokerProcess.start({ args: ['--offsets-topic-num-partitions', '4'] });
try {
  const c = await WireClient.connect('127.0.0.1', broker.port);
  await c.request(CreateTopicsApi, 5, { topics: Array.from({ length: 10 }, (_, i) => ({ ...defaultCreatableTopic(), name: `t${i}`, numPartitions: 8, replicationFactor: 1 })), timeoutMs: 10_000, validateOnly: false });
  for (let i = 0; i < 10; i++) {
    await c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: `t${i}`, partitionData: Array.from({ length: 8 }, (_, p) => ({ index: p, records: buildRecordBatch([{ value: 'x' }]) })) }] });
  }
  c.close();
  const results: Record<string, { requestsPerSec: number; p50Ms: number; p99Ms: number; maxMs: number; errors: number }> = {};
  console.log(`HTTP endpoints, 10 connections, ${DURATION_S} s each (broker with 10 topics x 8 partitions)`);
  console.log('| endpoint | req/s | p50 ms | p99 ms | max ms | errors |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const path of ['/healthz', '/readyz', '/metrics', '/admin/topics', '/admin/overview']) {
    const r = await autocannon({ url: `http://127.0.0.1:${broker.httpPort}${path}`, connections: 10, duration: DURATION_S });
    results[path] = { requestsPerSec: r.requests.average, p50Ms: r.latency.p50, p99Ms: r.latency.p99, maxMs: r.latency.max, errors: r.errors + r.non2xx };
    console.log(`| ${path} | ${fmt(r.requests.average, 0)} | ${r.latency.p50} | ${r.latency.p99} | ${r.latency.max} | ${r.errors + r.non2xx} |`);
  }
  // REST produce: one JSON record per request, and batches of ten.
  const cid = ((await (await fetch(`http://127.0.0.1:${broker.httpPort}/v3/clusters`)).json()) as { data: { cluster_id: string }[] }).data[0]!.cluster_id;
  const event = { agent: 'planner', tool: 'web.search', step: 3, input: 'prices of diskless Kafka-compatible brokers', ok: true };
  const produceOne = { url: `http://127.0.0.1:${broker.httpPort}/v3/clusters/${cid}/topics/t0/records`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: { type: 'JSON', data: event } }) };
  const produceTen = { ...produceOne, url: `${produceOne.url}:batch`, body: JSON.stringify({ entries: Array.from({ length: 10 }, (_, i) => ({ id: `e${i}`, value: { type: 'JSON', data: event } })) }) };
  for (const [name, opts] of [['POST records (1 record)', produceOne], ['POST records:batch (10 records)', produceTen]] as const) {
    const r = await autocannon({ ...opts, connections: 10, duration: DURATION_S });
    results[name] = { requestsPerSec: r.requests.average, p50Ms: r.latency.p50, p99Ms: r.latency.p99, maxMs: r.latency.max, errors: r.errors + r.non2xx };
    console.log(`| ${name} | ${fmt(r.requests.average, 0)} | ${r.latency.p50} | ${r.latency.p99} | ${r.latency.max} | ${r.errors + r.non2xx} |`);
  }

  // MCP: tool calls one after another through the SDK's client (Streamable HTTP, a session per client).
  const mcp = new Client({ name: 'floe-bench', version: '1.0.0' });
  await mcp.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${broker.httpPort}/mcp`)));
  const mcpResults: Record<string, { calls: number; p50Ms: number; p99Ms: number; maxMs: number }> = {};
  console.log('\n| MCP tool (sequential calls) | calls | p50 ms | p99 ms | max ms |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [tool, args] of [
    ['produce_records', { topic: 't1', partition: 0, records: [{ value: JSON.stringify(event) }] }],
    ['read_records', { topic: 't0', partition: 0, offset: 0, max_records: 20 }],
    ['describe_topic', { topic: 't0' }],
  ] as const) {
    const lat = new LatencyRecorder();
    const until = performance.now() + DURATION_S * 1000;
    while (performance.now() < until) {
      const t = performance.now();
      const r = await mcp.callTool({ name: tool, arguments: args });
      if (r.isError === true) throw new Error(`${tool} failed: ${JSON.stringify(r.content)}`);
      lat.record(performance.now() - t);
    }
    const sum = lat.summary();
    mcpResults[tool] = { calls: sum.count, p50Ms: sum.p50, p99Ms: sum.p99, maxMs: sum.max };
    console.log(`| ${tool} | ${sum.count} | ${fmt(sum.p50)} | ${fmt(sum.p99)} | ${fmt(sum.max)} |`);
  }
  await mcp.close();

  // Kafka clients beside the HTTP API: the same fixed-rate produce load alone, then while REST produce runs flat out.
  const kafkaLoad = (): Promise<LoadFigures> => runLoad({ name: 'floe', host: '127.0.0.1', port: broker.port, pid: broker.pid, floeHttpPort: broker.httpPort }, {
    client: 'wire', partitions: 8, recordBytes: 1024, batchRecords: 16, connections: 2, inflight: 8, rateMBps: 5, acks: -1,
    durationMs: DURATION_S * 1000 * 2, warmupMs: 1000, consumers: 1, catchUp: false,
  });
  const alone = await kafkaLoad();
  const [beside, httpBeside] = await Promise.all([kafkaLoad(), autocannon({ ...produceOne, connections: 10, duration: DURATION_S * 2 + 1 })]);
  const kafka = {
    alone: { produceP50Ms: alone.produce.latencyMs.p50, produceP99Ms: alone.produce.latencyMs.p99, e2eP99Ms: alone.consume.endToEndLatencyMs.p99, mbPerSec: alone.produce.mbPerSec },
    besideHttpProduce: { produceP50Ms: beside.produce.latencyMs.p50, produceP99Ms: beside.produce.latencyMs.p99, e2eP99Ms: beside.consume.endToEndLatencyMs.p99, mbPerSec: beside.produce.mbPerSec, httpRequestsPerSec: httpBeside.requests.average },
  };
  console.log('\n| Kafka produce at 5 MB/s (wire client, acks=all) | produce p50 ms | produce p99 ms | end-to-end p99 ms | HTTP produce req/s beside |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(`| alone | ${fmt(kafka.alone.produceP50Ms)} | ${fmt(kafka.alone.produceP99Ms)} | ${fmt(kafka.alone.e2eP99Ms)} | - |`);
  console.log(`| beside REST produce (10 connections) | ${fmt(kafka.besideHttpProduce.produceP50Ms)} | ${fmt(kafka.besideHttpProduce.produceP99Ms)} | ${fmt(kafka.besideHttpProduce.e2eP99Ms)} | ${fmt(httpBeside.requests.average, 0)} |`);

  const out = join(import.meta.dirname, 'reports');
  mkdirSync(out, { recursive: true });
  const file = join(out, `http-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ workload: 'http', node: process.version, durationS: DURATION_S, results, mcp: mcpResults, kafka }, null, 2));
  console.log(`report: ${file}`);
} finally {
  await broker.destroy();
}
