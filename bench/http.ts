// HTTP endpoints under load (autocannon): /healthz, /readyz, /metrics and
// the admin API of a broker that holds a few topics and a group, so the
// metrics page has realistic size. Writes bench/reports/http-*.json.
// Run: npm run bench -- http

import { createRequire } from 'node:module';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerProcess } from '../test/support/broker-process.ts';
import { WireClient } from '../protocol/wire-client.ts';
import { CreateTopicsApi, ProduceApi } from '../protocol/generated/index.ts';
import { defaultCreatableTopic } from '../protocol/generated/CreateTopicsRequest.ts';
import { buildRecordBatch } from '../protocol/records/record.ts';
import { fmt } from './stats.ts';

interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number; max: number };
  errors: number;
  non2xx: number;
}
type Autocannon = (opts: { url: string; connections: number; duration: number }) => Promise<AutocannonResult>;
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
  const out = join(import.meta.dirname, 'reports');
  mkdirSync(out, { recursive: true });
  const file = join(out, `http-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ workload: 'http', node: process.version, durationS: DURATION_S, results }, null, 2));
  console.log(`report: ${file}`);
} finally {
  await broker.destroy();
}
