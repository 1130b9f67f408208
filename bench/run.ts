// Entry point of the benchmark harness: `npm run bench -- <workload>`.
// Each workload is a module in bench/ that prints its figures and writes a
// report to bench/reports/. Workloads without options are checked here (so
// `--help` and a mistyped option behave the same everywhere); the others
// parse their own.

import { parseBenchArgs } from './cli-options.ts';

interface Workload { module: string; summary: string; ownOptions: boolean }

const workloads: Record<string, Workload> = {
  produce: { module: './produce.ts', summary: 'produce/consume through a broker process (floe, Apache Kafka with --compare-kafka, or any bootstrap): throughput, latency, CPU, RSS, object-store requests', ownOptions: true },
  'kafka-perf': { module: './kafka-perf.ts', summary: "Apache Kafka's kafka-producer-perf-test and kafka-consumer-perf-test against Apache Kafka and floe, side by side", ownOptions: true },
  fleet: { module: './fleet.ts', summary: 'the same load against fleets of 1, 2 and 3 brokers (PostgreSQL + s3rver): throughput, latency, CPU, PUTs/GB, cross-zone bytes, failover time of a SIGKILLed broker', ownOptions: true },
  transactions: { module: './transactions.ts', summary: 'transactional produce at 1, 10 and 100 transactions/s per producer (commit and transaction latency), next to the same load without transactions', ownOptions: true },
  validation: { module: './validation.ts', summary: 'schema validation on produce: throughput and p99 with floe.value.schema.validation off, id, content (JSON Schema, Avro)', ownOptions: true },
  cleaner: { module: './cleaner.ts', summary: 'the log cleaner of a compacted topic: MB/s cleaned, object GETs and PUTs per GB, produce latency of another topic while it runs', ownOptions: true },
  compare: { module: './compare.ts', summary: 'put produce reports side by side with ratios to the first', ownOptions: true },
  storage: { module: './storage.ts', summary: 'the storage engine alone: WAL append, upload and read throughput on the filesystem store and s3rver', ownOptions: false },
  wal: { module: './wal.ts', summary: 'group-commit WAL with 1, 16 and 256 appenders: appends/s, fsyncs/s, latency (BENCH_DURATION_MS per step)', ownOptions: false },
  codec: { module: './codec.ts', summary: 'encode/decode throughput of Produce requests and Fetch responses, CRC-32C', ownOptions: false },
  http: { module: './http.ts', summary: 'the HTTP endpoints (/healthz, /readyz, /metrics, admin API, REST produce) under load, MCP tool-call latency, Kafka produce p99 beside REST produce', ownOptions: false },
};

function overview(): string {
  const width = Math.max(...Object.keys(workloads).map((n) => n.length));
  return ['usage: npm run bench -- <workload> [options]', '       npm run bench -- <workload> --help   (the options of one workload, with their defaults)', '', 'workloads:',
    ...Object.entries(workloads).map(([n, w]) => `  ${n.padEnd(width)}  ${w.summary}`), ''].join('\n');
}

const name = process.argv[2];
if (name === '--help' || name === '-h' || name === 'help') {
  process.stdout.write(overview());
  process.exit(0);
}
const workload = name === undefined ? undefined : workloads[name];
if (workload === undefined) {
  process.stderr.write(`${name === undefined ? 'no workload given' : `unknown workload '${name}'`}\n\n${overview()}`);
  process.exit(2);
}
if (!workload.ownOptions) parseBenchArgs(name!, workload.summary, {}, process.argv.slice(3));
await import(workload.module);
