// The fleet benchmark: the same produce/consume load (bench/produce-load.ts)
// against fleets of 1, 2 and 3 floe brokers on one PostgreSQL and one S3
// server (s3rver) on this machine, then the failover time of a broker killed
// with SIGKILL under load, and the load generator's own ceiling (the sink).
// Brokers are in racks zone-1..zone-N and the consumers in zone-1, so the
// cross-zone bytes they cause are measured (KIP-392 sends them to their
// zone's broker). It starts and stops everything it measures; figures are
// printed and written to bench/reports/.
//
// Run: npm run bench -- fleet --help

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fmt } from './stats.ts';
import { parseBenchArgs, type BenchOptions } from './cli-options.ts';
import { runLoad, type LoadFigures, type LoadParams } from './produce-load.ts';
import { markdownTable, printTable } from './side-by-side.ts';
import { WireClient } from '../protocol/wire-client.ts';
import { CreateTopicsApi, MetadataApi, ProduceApi } from '../protocol/generated/index.ts';
import { defaultCreatableTopic } from '../protocol/generated/CreateTopicsRequest.ts';
import { buildRecordBatch } from '../protocol/records/record.ts';
import { BrokerProcess } from '../test/support/broker-process.ts';
import { PostgresTestServer } from '../test/support/postgres.ts';
import { S3TestServer, S3_TEST_BUCKET, S3_TEST_CREDENTIALS } from '../test/support/s3-server.ts';
import { freePort, waitForPort } from '../test/support/free-port.ts';

const OPTIONS = {
  brokers: { type: 'string', default: '1,2,3', help: 'fleet sizes to run, comma-separated' },
  durability: { type: 'string', default: 'object-wal', help: 'object-wal, or local-wal (acks from each broker\'s WAL; a dead broker\'s unuploaded partitions wait for it: docs/decisions.md, "Fleet")' },
  partitions: { type: 'string', default: '12', help: 'partitions of the topic each run creates' },
  'record-bytes': { type: 'string', default: '1024', help: 'value size of each record' },
  'batch-records': { type: 'string', default: '64', help: 'records per produced batch' },
  connections: { type: 'string', default: '4', help: 'producers (each with a connection to every broker)' },
  inflight: { type: 'string', default: '32', help: 'concurrent produce requests per producer' },
  'rate-mbps': { type: 'string', default: '0', help: 'fixed send rate (0 = as fast as acknowledged)' },
  'duration-ms': { type: 'string', default: '10000', help: 'measured time per fleet size' },
  'warmup-ms': { type: 'string', default: '2000', help: 'time before measuring starts' },
  // object-wal acknowledges after the upload: enough batches in flight to cover it, and a shorter interval than the default.
  'upload-interval-ms': { type: 'string', default: '100', help: "the brokers' --upload-interval-ms" },
  'client-rack': { type: 'string', default: 'zone-1', help: "the consumer's client.rack (brokers are in zone-1..zone-N); empty: no rack, it reads from the leaders" },
  'catch-up': { type: 'boolean', help: 'the consumer starts after producing ends and reads the backlog from offset 0 (object storage)' },
  'skip-failover': { type: 'boolean', help: 'skip the failover step (after the largest fleet\'s run, one broker is SIGKILLed under load and its partitions\' first acknowledged produce on their new leaders is timed)' },
  'skip-sink': { type: 'boolean', help: 'skip the run against the sink (acknowledges everything, stores nothing: the load generator\'s ceiling)' },
} satisfies BenchOptions;

const opt = parseBenchArgs('fleet', 'The same load against fleets of 1, 2 and 3 brokers (PostgreSQL + s3rver on this machine): throughput, produce and end-to-end latency, CPU, RSS, PUTs/GB, cross-zone bytes, failover time.', OPTIONS, process.argv.slice(3));
if (opt.durability !== 'object-wal' && opt.durability !== 'local-wal') {
  process.stderr.write(`--durability must be object-wal or local-wal, not ${opt.durability}\n`);
  process.exit(2);
}
const sizes = opt.brokers.split(',').map(Number);
const params: LoadParams = {
  client: 'wire', partitions: Number(opt.partitions), recordBytes: Number(opt['record-bytes']), batchRecords: Number(opt['batch-records']),
  connections: Number(opt.connections), inflight: Number(opt.inflight), rateMBps: Number(opt['rate-mbps']), acks: -1,
  durationMs: Number(opt['duration-ms']), warmupMs: Number(opt['warmup-ms']), consumers: 1, catchUp: opt['catch-up'], ...(opt['client-rack'] !== '' ? { clientRack: opt['client-rack'] } : {}),
};

interface FleetRun {
  brokers: number;
  figures: LoadFigures;
  /** Bytes the brokers served to the zone-1 consumer from another zone. */
  crossZoneFetchMB: number;
  /** Share of the partitions led outside the producers' zone (zone-1): that share of produced bytes crosses zones. */
  crossZoneProduceShare: number;
}

interface Failover {
  killedNodeId: number;
  partitions: number;
  /** Per partition the killed broker led: kill to first acknowledged produce on its new leader. */
  firstProduceMs: number[];
  sessionTimeoutMs: number;
  /** local-wal: when the killed broker was running again (its partitions waited for it). */
  restartedAfterMs?: number;
}

const LOCAL_WAL_RESTART_AFTER_MS = 5_000;

async function metric(httpPort: number, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^(\w+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

async function startFleet(pg: PostgresTestServer, s3: S3TestServer, n: number): Promise<BrokerProcess[]> {
  const url = await pg.newDatabase();
  const prefix = `bench-fleet-${Date.now()}/`;
  return Promise.all(Array.from({ length: n }, (_, i) => BrokerProcess.start({
    args: [
      '--node-id', String(i + 1), '--broker-rack', `zone-${i + 1}`, '--metadata', url, '--durability', opt.durability,
      '--s3-endpoint', s3.endpoint, '--s3-bucket', S3_TEST_BUCKET, '--s3-key-prefix', prefix, '--upload-interval-ms', opt['upload-interval-ms'],
    ],
    env: { AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey },
  })));
}

/** Leaders of a topic's partitions and the brokers' ports, as `via` sees them. */
async function leadersOf(via: WireClient, topic: string): Promise<{ leaders: number[]; ports: Map<number, number> }> {
  const md = await via.request(MetadataApi, 12, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: topic }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  const t = md.topics[0]!;
  return {
    leaders: [...t.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => (p.errorCode === 0 ? p.leaderId : -1)),
    ports: new Map(md.brokers.map((b) => [b.nodeId, b.port])),
  };
}

/**
 * Every partition takes one small acks=all batch every 20 ms, each to its
 * leader; once all of them are acknowledged steadily, the broker leading
 * the most partitions is killed with SIGKILL, and for each partition it led
 * the time from the kill to the first acknowledged produce on a new leader
 * is recorded (what a producer sees as the outage).
 */
async function measureFailover(brokers: BrokerProcess[]): Promise<Failover> {
  const topic = `failover-${Date.now()}`;
  const admin = await WireClient.connect('127.0.0.1', brokers[0]!.port);
  const created = await admin.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: topic, numPartitions: params.partitions, replicationFactor: 1 }], timeoutMs: 10_000, validateOnly: false });
  if (created.topics[0]!.errorCode !== 0) throw new Error(`create topic failed: ${created.topics[0]!.errorMessage}`);
  let view = await leadersOf(admin, topic);
  for (let i = 0; view.leaders.length === 0 || view.leaders.includes(-1); i++) {
    if (i > 100) throw new Error('failover topic has no leaders');
    await new Promise((r) => setTimeout(r, 100));
    view = await leadersOf(admin, topic);
  }
  const counts = new Map<number, number>();
  for (const l of view.leaders) counts.set(l, (counts.get(l) ?? 0) + 1);
  const victimId = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  const victim = brokers[victimId - 1]!;
  const survivor = brokers.find((b) => b !== victim)!;
  const refresher = await WireClient.connect('127.0.0.1', survivor.port);
  const conns = new Map<number, WireClient>();
  const conn = async (nodeId: number): Promise<WireClient> => {
    let c = conns.get(nodeId);
    if (c === undefined) {
      c = await WireClient.connect('127.0.0.1', view.ports.get(nodeId)!);
      conns.set(nodeId, c);
      void c.closed.then(() => conns.delete(nodeId), () => conns.delete(nodeId));
    }
    return c;
  };
  let killedAt = 0;
  let stop = false;
  const acked = new Array<number>(view.leaders.length).fill(0);
  const firstAfterKill = new Array<number>(view.leaders.length).fill(0);
  const probe = async (partition: number): Promise<void> => {
    while (!stop) {
      const leader = view.leaders[partition]!;
      let ok = false;
      try {
        if (leader >= 0) {
          const res = await (await conn(leader)).request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 5_000, topicData: [{ name: topic, partitionData: [{ index: partition, records: buildRecordBatch([{ key: 'k', value: Buffer.from('failover probe') }]) }] }] });
          ok = res.responses[0]!.partitionResponses[0]!.errorCode === 0;
        }
      } catch { /* the killed broker's connection: refresh and retry */ }
      if (ok) {
        acked[partition]!++;
        if (killedAt > 0 && firstAfterKill[partition] === 0) firstAfterKill[partition] = performance.now();
      } else {
        view = await leadersOf(refresher, topic).catch(() => view);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const probes = view.leaders.map((_, p) => probe(p));
  const victimPartitions = view.leaders.flatMap((l, p) => (l === victimId ? [p] : []));
  while (acked.some((n) => n < 5)) await new Promise((r) => setTimeout(r, 50));
  killedAt = performance.now();
  await victim.kill9();
  // local-wal: the partitions wait for their broker (docs/decisions.md): it comes back after a pause, as an operator's restart would.
  let restartedAfterMs: number | undefined;
  if (opt.durability === 'local-wal') {
    await new Promise((r) => setTimeout(r, LOCAL_WAL_RESTART_AFTER_MS));
    await victim.startAgain();
    restartedAfterMs = performance.now() - killedAt;
  }
  const deadline = Date.now() + 60_000;
  while (victimPartitions.some((p) => firstAfterKill[p] === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  stop = true;
  await Promise.all(probes);
  for (const c of [...conns.values(), admin, refresher]) c.close();
  return {
    killedNodeId: victimId, partitions: victimPartitions.length,
    firstProduceMs: victimPartitions.map((p) => (firstAfterKill[p] === 0 ? Number.NaN : firstAfterKill[p]! - killedAt)),
    sessionTimeoutMs: 3000,
    ...(restartedAfterMs !== undefined ? { restartedAfterMs } : {}),
  };
}

async function runOnSink(): Promise<LoadFigures> {
  const port = await freePort();
  const sink = spawn(process.execPath, [join(import.meta.dirname, 'sink-server.ts'), String(port)], { stdio: 'ignore' });
  try {
    await waitForPort(port, 10_000);
    return await runLoad({ name: 'sink', host: '127.0.0.1', port }, { ...params, clientRack: undefined });
  } finally {
    sink.kill('SIGKILL');
  }
}

const pg = await PostgresTestServer.start();
const s3 = new S3TestServer();
await s3.start();
const runs: FleetRun[] = [];
let failover: Failover | undefined;
let sink: LoadFigures | undefined;
try {
  for (const n of sizes) {
    const brokers = await startFleet(pg, s3, n);
    try {
      const ports = brokers.map((b) => b.httpPort);
      const crossBefore = (await Promise.all(ports.map((p) => metric(p, 'floe_fetch_zone_bytes_total', { zone: 'cross' })))).reduce((a, b) => a + b, 0);
      const figures = await runLoad({
        name: `fleet-${n}`, host: '127.0.0.1', port: brokers[0]!.port,
        pids: brokers.flatMap((b) => (b.pid !== undefined ? [b.pid] : [])), floeHttpPorts: ports,
      }, params);
      const crossAfter = (await Promise.all(ports.map((p) => metric(p, 'floe_fetch_zone_bytes_total', { zone: 'cross' })))).reduce((a, b) => a + b, 0);
      const admin = await WireClient.connect('127.0.0.1', brokers[0]!.port);
      // The run's topic is the newest bench-* topic; its leaders say how much produce crossed zones.
      const led = new Map<number, number>();
      const md = await admin.request(MetadataApi, 12, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      const topic = md.topics.filter((t) => t.name?.startsWith('bench-')).sort((a, b) => (a.name! < b.name! ? 1 : -1))[0];
      for (const p of topic?.partitions ?? []) led.set(p.leaderId, (led.get(p.leaderId) ?? 0) + 1);
      admin.close();
      const total = topic?.partitions.length ?? 1;
      runs.push({ brokers: n, figures, crossZoneFetchMB: (crossAfter - crossBefore) / 1e6, crossZoneProduceShare: 1 - (led.get(1) ?? 0) / total });
      process.stdout.write(`fleet of ${n}: ${fmt(figures.produce.mbPerSec, 1)} MB/s produced, p99 ${fmt(figures.produce.latencyMs.p99, 1)} ms\n`);
      if (!opt['skip-failover'] && n === Math.max(...sizes) && n > 1) failover = await measureFailover(brokers);
    } finally {
      await Promise.all(brokers.map((b) => b.destroy()));
    }
  }
  if (!opt['skip-sink']) sink = await runOnSink();
} finally {
  await s3.destroy();
  await pg.destroy();
}

const header = ['figure', ...runs.map((r) => `${r.brokers} broker${r.brokers > 1 ? 's' : ''}`), ...(sink !== undefined ? ['sink (ceiling)'] : [])];
const row = (name: string, f: (r: LoadFigures) => string, extra?: (r: FleetRun) => string): string[] =>
  [name, ...runs.map((r) => (extra !== undefined ? extra(r) : f(r.figures))), ...(sink !== undefined ? [extra !== undefined ? '' : f(sink)] : [])];
const rows: string[][] = [
  header,
  row('produce MB/s', (f) => fmt(f.produce.mbPerSec, 1)),
  row('produce errors', (f) => String(f.produce.errors)),
  row('produce p50 ms', (f) => fmt(f.produce.latencyMs.p50, 1)),
  row('produce p99 ms', (f) => fmt(f.produce.latencyMs.p99, 1)),
  row('consume MB/s', (f) => fmt(f.consume.mbPerSec, 1)),
  row('end-to-end p50 ms', (f) => fmt(f.consume.endToEndLatencyMs.p50, 1)),
  row('end-to-end p99 ms', (f) => fmt(f.consume.endToEndLatencyMs.p99, 1)),
  row('brokers CPU cores', (f) => (f.broker === null ? '-' : fmt(f.broker.cpuCoresUsed, 2))),
  row('brokers RSS max MB', (f) => (f.broker === null ? '-' : String(Math.round(f.broker.rssMBMax)))),
  row('PUTs/GB', (f) => (f.objectStore === null ? '-' : String(Math.round(f.objectStore.putsPerGB)))),
  row('cross-zone fetch MB', () => '', (r) => fmt(r.crossZoneFetchMB, 1)),
  row('produce crossing zones', () => '', (r) => `${Math.round(r.crossZoneProduceShare * 100)}%`),
];
if (runs.length > 1) {
  const base = runs[0]!.figures.produce.mbPerSec;
  rows.push(row('throughput vs 1st', () => '', (r) => `${fmt(r.figures.produce.mbPerSec / base, 2)}x`));
}
process.stdout.write(`\nfleet bench: ${params.partitions} partitions, ${opt.durability} on s3rver, PostgreSQL metadata, ${params.recordBytes} B records x ${params.batchRecords}/batch, acks=all, ${params.connections}x${params.inflight} in flight, consumer in ${params.clientRack ?? 'no zone'}\n`);
printTable(rows);
let failoverLine = '';
if (failover !== undefined) {
  const ms = [...failover.firstProduceMs].sort((a, b) => a - b);
  failoverLine = `failover: broker ${failover.killedNodeId} SIGKILLed leading ${failover.partitions} partitions; kill to first acknowledged produce on the new leader: median ${fmt(ms[Math.floor(ms.length / 2)] ?? Number.NaN, 0)} ms, max ${fmt(ms.at(-1) ?? Number.NaN, 0)} ms (broker.session.timeout.ms ${failover.sessionTimeoutMs})${failover.restartedAfterMs !== undefined ? `; local-wal: the partitions waited for the broker, restarted ${fmt(failover.restartedAfterMs, 0)} ms after the kill` : ''}`;
  process.stdout.write(`${failoverLine}\n`);
}
const dir = join(import.meta.dirname, 'reports');
mkdirSync(dir, { recursive: true });
const base = join(dir, `fleet-${params.partitions}p-${opt.durability}-s3rver-${new Date().toISOString().replace(/[:.]/g, '-')}`);
writeFileSync(`${base}.json`, JSON.stringify({ kind: 'fleet', params, options: opt, runs, failover, sink, at: new Date().toISOString() }, null, 2));
writeFileSync(`${base}.md`, [`# fleet bench, ${new Date().toISOString()}`, '', `\`npm run bench -- fleet ${process.argv.slice(3).join(' ')}\``, '', ...markdownTable(rows), '', failoverLine, ''].join('\n'));
process.stdout.write(`report: ${base}.json (and .md)\n`);
