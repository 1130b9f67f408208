// Apache Kafka's own load generators, kafka-producer-perf-test and
// kafka-consumer-perf-test (org.apache.kafka.tools.ProducerPerformance and
// ConsumerPerformance from the pinned jars), pointed first at a single-node
// Apache Kafka and then at a floe broker, one after the other on this
// machine; prints what each tool reported for both, the ratio, and each
// broker's CPU and RSS while the producer ran. The tools' output is parsed,
// never re-measured here.
//
// Run: npm run bench -- kafka-perf --help

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmt } from './stats.ts';
import { parseBenchArgs, type BenchOptions } from './cli-options.ts';
import { WireClient } from '../protocol/wire-client.ts';
import { CreateTopicsApi } from '../protocol/generated/index.ts';
import { defaultCreatableTopic } from '../protocol/generated/CreateTopicsRequest.ts';
import { BrokerProcess } from '../test/support/broker-process.ts';
import { runJava } from '../test/support/java.ts';
import { markdownTable, printTable, procStats, ratioCell, startApacheKafka } from './side-by-side.ts';

const OPTIONS = {
  records: { type: 'string', default: '500000', help: 'records the producer sends (and the consumer reads)' },
  'record-size': { type: 'string', default: '1024', help: 'bytes per record' },
  partitions: { type: 'string', default: '16', help: 'partitions of the topic' },
  acks: { type: 'string', default: 'all', help: "the producer's acks" },
  throughput: { type: 'string', default: '-1', help: 'records/s the producer aims at; -1 = as fast as it can' },
  durability: { type: 'string', default: 'local-wal', help: "floe's --durability" },
  'kafka-heap-mb': { type: 'string', default: '1024', help: "Apache Kafka's JVM heap" },
} satisfies BenchOptions;

const opt = parseBenchArgs('kafka-perf', "Apache Kafka's kafka-producer-perf-test and kafka-consumer-perf-test against Apache Kafka and floe, side by side.", OPTIONS, process.argv.slice(3));

interface ToolFigures {
  system: string;
  producer: { recordsPerSec: number; mbPerSec: number; avgMs: number; maxMs: number; p50: number; p95: number; p99: number; p999: number } | null;
  consumer: { mbPerSec: number; recordsPerSec: number; fetchMbPerSec: number } | null;
  broker: { cpuCoresUsed: number; rssMBMax: number } | null;
  raw: { producer: string; consumer: string };
}


/** "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency, a ms 50th, b ms 95th, c ms 99th, d ms 99.9th." */
function parseProducer(text: string): ToolFigures['producer'] {
  const line = text.split('\n').reverse().find((l) => l.includes('ms 99.9th'));
  const m = line === undefined ? null : /([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99.9th/.exec(line);
  if (m === null) return null;
  const n = m.slice(1).map(Number);
  return { recordsPerSec: n[0]!, mbPerSec: n[1]!, avgMs: n[2]!, maxMs: n[3]!, p50: n[4]!, p95: n[5]!, p99: n[6]!, p999: n[7]! };
}

/** The CSV line under "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec". */
function parseConsumer(text: string): ToolFigures['consumer'] {
  const lines = text.split('\n');
  const header = lines.findIndex((l) => l.startsWith('start.time'));
  const cells = header < 0 ? [] : (lines[header + 1] ?? '').split(',').map((c) => c.trim());
  if (cells.length < 10) return null;
  return { mbPerSec: Number(cells[3]), recordsPerSec: Number(cells[5]), fetchMbPerSec: Number(cells[8]) };
}

async function runTools(system: string, bootstrap: string, pid: number | undefined): Promise<ToolFigures> {
  const topic = `perf-${Date.now()}`;
  const [host, port] = bootstrap.split(':') as [string, string];
  const admin = await WireClient.connect(host, Number(port));
  const created = await admin.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: topic, numPartitions: Number(opt.partitions), replicationFactor: 1 }], timeoutMs: 10_000, validateOnly: false });
  admin.close();
  if (created.topics[0]!.errorCode !== 0) throw new Error(`create topic on ${system}: ${created.topics[0]!.errorMessage}`);
  const before = pid === undefined ? undefined : procStats(pid);
  let rssMBMax = 0;
  const sampler = setInterval(() => { if (pid !== undefined) rssMBMax = Math.max(rssMBMax, procStats(pid).rssMB); }, 200);
  const t0 = performance.now();
  const producer = await runJava('org.apache.kafka.tools.ProducerPerformance', [
    '--topic', topic, '--num-records', opt.records, '--record-size', opt['record-size'], '--throughput', opt.throughput,
    '--producer-props', `bootstrap.servers=${bootstrap}`, `acks=${opt.acks}`,
  ], 600_000);
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const after = pid === undefined ? undefined : procStats(pid);
  const consumer = await runJava('org.apache.kafka.tools.ConsumerPerformance', [
    '--bootstrap-server', bootstrap, '--topic', topic, '--num-records', opt.records, '--timeout', '60000',
  ], 600_000);
  if (producer.code !== 0) console.error(`${system}: kafka-producer-perf-test failed:\n${producer.stderr.slice(-2000)}`);
  if (consumer.code !== 0) console.error(`${system}: kafka-consumer-perf-test failed:\n${consumer.stderr.slice(-2000)}`);
  return {
    system,
    producer: parseProducer(producer.stdout),
    consumer: parseConsumer(consumer.stdout),
    // CPU over the producer tool's whole run (JVM start included, so a lower bound of the rate under load).
    broker: before !== undefined && after !== undefined ? { cpuCoresUsed: (after.cpuSeconds - before.cpuSeconds) / seconds, rssMBMax } : null,
    raw: { producer: producer.stdout.split('\n').filter((l) => l.includes('records sent')).at(-1) ?? '', consumer: consumer.stdout.trim().split('\n').slice(-2).join('\n') },
  };
}

async function main(): Promise<void> {
  const runs: ToolFigures[] = [];
  const kafka = await startApacheKafka(Number(opt['kafka-heap-mb']));
  try {
    runs.push(await runTools('apache-kafka', kafka.bootstrap, kafka.pid));
  } finally {
    await kafka.destroy();
  }
  // The same initial rebalance delay as the Kafka launcher sets (0), so the consumer tool's group joins alike.
  const floe = await BrokerProcess.start({ args: ['--durability', opt.durability, '--group-initial-rebalance-delay-ms', '0'] });
  try {
    runs.push(await runTools('floe', floe.bootstrap, floe.pid));
  } finally {
    await floe.destroy();
  }

  const [k, f] = runs as [ToolFigures, ToolFigures];
  const rows: [string, number | undefined, number | undefined, boolean][] = [
    ['producer MB/s', k.producer?.mbPerSec, f.producer?.mbPerSec, true],
    ['producer records/s', k.producer?.recordsPerSec, f.producer?.recordsPerSec, true],
    ['producer avg latency ms', k.producer?.avgMs, f.producer?.avgMs, false],
    ['producer p50 ms', k.producer?.p50, f.producer?.p50, false],
    ['producer p99 ms', k.producer?.p99, f.producer?.p99, false],
    ['producer p99.9 ms', k.producer?.p999, f.producer?.p999, false],
    ['producer max ms', k.producer?.maxMs, f.producer?.maxMs, false],
    ['consumer MB/s', k.consumer?.mbPerSec, f.consumer?.mbPerSec, true],
    ['consumer fetch MB/s', k.consumer?.fetchMbPerSec, f.consumer?.fetchMbPerSec, true],
    ['broker CPU cores (producer run)', k.broker?.cpuCoresUsed, f.broker?.cpuCoresUsed, false],
    ['broker RSS max MB (producer run)', k.broker?.rssMBMax, f.broker?.rssMBMax, false],
  ];
  const table = [['figure', 'apache-kafka', 'floe', 'floe / apache-kafka'], ...rows.map(([name, a, b, higher]) => [
    name, a === undefined ? 'n/a' : fmt(a, 1), b === undefined ? 'n/a' : fmt(b, 1), ratioCell(a, b, higher),
  ])];
  console.log(`kafka-perf: ${opt.records} records of ${opt['record-size']} B, ${opt.partitions} partitions, acks=${opt.acks}, throughput ${opt.throughput}; floe ${opt.durability}`);
  printTable(table);
  for (const r of runs) console.log(`  ${r.system}: ${r.raw.producer}`);

  const when = new Date().toISOString();
  const dir = join(import.meta.dirname, 'reports');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `kafka-perf-${opt.partitions}p-${opt.durability}-${when.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ workload: 'kafka-perf', command: `npm run bench -- ${process.argv.slice(2).join(' ')}`, when, params: opt, runs }, null, 2));
  writeFileSync(file.replace(/\.json$/, '.md'), [`# kafka-perf (${when})`, '', `\`npm run bench -- ${process.argv.slice(2).join(' ')}\``, '',
    ...markdownTable(table), ''].join('\n'));
  console.log(`  report: ${file} (and .md)`);
}

await main();
