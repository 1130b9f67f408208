// The produce/consume benchmark's command line: starts what it measures (a
// floe broker process on the chosen durability and store, the sink that
// gives the load generator's ceiling, or, with --compare-kafka, also a real
// Apache Kafka from the pinned jars), runs bench/produce-load.ts against
// each in turn on this machine, prints the figures (side by side with
// ratios when comparing) and writes the report, its Markdown and charts to
// bench/reports/. Measuring belongs to produce-load.ts, not here.
//
// Run: npm run bench -- produce --help

import { mkdirSync, writeFileSync, readFileSync, openSync, writeSync, fsyncSync, closeSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fmt } from './stats.ts';
import { lineChartSvg } from './svg-chart.ts';
import { parseBenchArgs, type BenchOptions } from './cli-options.ts';
import { runLoad, type LoadFigures, type LoadParams, type LoadTarget } from './produce-load.ts';
import { markdownTable, printTable, ratioCell, startApacheKafka } from './side-by-side.ts';
import { BrokerProcess } from '../test/support/broker-process.ts';
import { S3TestServer, S3_TEST_BUCKET, S3_TEST_CREDENTIALS } from '../test/support/s3-server.ts';
import { freePort, waitForPort } from '../test/support/free-port.ts';
import { makeTestCertificates } from '../test/support/test-certificates.ts';
import { WireClient } from '../protocol/wire-client.ts';
import { AlterUserScramCredentialsApi } from '../protocol/generated/index.ts';
import { saltedPassword } from '../broker/security/scram-credentials.ts';
import { randomBytes } from 'node:crypto';

const OPTIONS = {
  workload: { type: 'string', help: 'a workload file of bench/workloads/ (its keys are these options; the command line wins)' },
  'compare-kafka': { type: 'boolean', help: 'run the same load against a single-node Apache Kafka 4.x started from test/support/java (mvn package first), then against floe, and report both with ratios' },
  'kafka-heap-mb': { type: 'string', default: '1024', help: "Apache Kafka's JVM heap (kafka-server-start's default is 1 GiB)" },
  bootstrap: { type: 'string', help: 'drive any Kafka-compatible broker at host:port instead of starting one' },
  target: { type: 'string', default: 'floe', help: 'floe, or sink: a server that acknowledges everything and stores nothing (the load generator\'s ceiling)' },
  client: { type: 'string', default: 'wire', help: "producers: wire (floe's protocol layer), kafkajs, or librdkafka (kafka-crab-js)" },
  partitions: { type: 'string', default: '16', help: 'partitions of the topic the run creates' },
  durability: { type: 'string', default: 'local-wal', help: "floe's --durability: local-wal or object-wal" },
  backend: { type: 'string', default: 'fs', help: "floe's object store: fs, or s3 (starts s3rver)" },
  'upload-interval-ms': { type: 'string', default: '250', help: "floe's --upload-interval-ms" },
  'broker-arg': { type: 'string', multiple: true, default: [], help: 'extra floe broker flags, e.g. "--tail-cache-bytes-max 0"' },
  'record-bytes': { type: 'string', default: '1024', help: 'value size of each record' },
  'batch-records': { type: 'string', default: '16', help: 'records per produced batch' },
  connections: { type: 'string', default: '4', help: 'producer connections (or client instances)' },
  inflight: { type: 'string', default: '8', help: 'concurrent produce requests per connection' },
  acks: { type: 'string', default: '-1', help: 'acks: -1 (all), 1 or 0' },
  'rate-mbps': { type: 'string', default: '0', help: 'send on a fixed schedule at this rate (latency from the intended send time); 0 = as fast as acknowledged' },
  'duration-ms': { type: 'string', default: '10000', help: 'measured time' },
  'warmup-ms': { type: 'string', default: '2000', help: 'time before measuring starts' },
  consumers: { type: 'string', default: '1', help: 'consumers reading the whole topic (more than one = fan-out)' },
  'catch-up': { type: 'boolean', help: 'consumers start after producing ends and read the backlog from offset 0' },
  label: { type: 'string', default: '', help: 'free text stored in the report' },
  security: { type: 'string', default: 'plaintext', help: "floe's client listener: plaintext, ssl (TLS) or sasl_ssl (TLS + SASL/PLAIN); certificates are made with openssl" },
} satisfies BenchOptions;

/** The workload file's name (without .json), if one was given: it names the report. */
const WORKLOAD_NAME = (() => {
  const i = process.argv.indexOf('--workload');
  return i < 0 ? '' : (process.argv[i + 1] ?? '').replace(/^.*\//, '').replace(/\.json$/, '');
})();

/** `--workload file.json` supplies defaults (its keys are option names); options on the command line win. */
function argsWithWorkload(argv: string[]): string[] {
  const i = argv.indexOf('--workload');
  if (i < 0) return argv;
  const file = argv[i + 1];
  if (file === undefined) return argv;
  const workload = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string | number | boolean | string[]>;
  const rest = [...argv.slice(0, i), ...argv.slice(i + 2)];
  const fromFile = Object.entries(workload).filter(([k]) => k !== 'description')
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => (typeof x === 'boolean' ? (x ? `--${k}` : '') : `--${k}=${String(x)}`)))
    .filter((a) => a !== '');
  return [...fromFile, ...rest];
}

const opt = parseBenchArgs('produce', 'Produce/consume load through a real broker process: throughput, produce and end-to-end latency, broker CPU and RSS, object-store requests.', OPTIONS, argsWithWorkload(process.argv.slice(3)));

if (!['wire', 'kafkajs', 'librdkafka'].includes(opt.client)) {
  process.stderr.write(`--client must be wire, kafkajs or librdkafka, not ${opt.client}\n`);
  process.exit(2);
}
const params: LoadParams = {
  client: opt.client as LoadParams['client'],
  partitions: Number(opt.partitions), recordBytes: Number(opt['record-bytes']), batchRecords: Number(opt['batch-records']),
  connections: Number(opt.connections), inflight: Number(opt.inflight), rateMBps: Number(opt['rate-mbps']), acks: Number(opt.acks),
  durationMs: Number(opt['duration-ms']), warmupMs: Number(opt['warmup-ms']), consumers: Number(opt.consumers), catchUp: opt['catch-up'],
};

function diskSequentialWriteMBps(): number {
  const dir = mkdtempSync(join(tmpdir(), 'floe-bench-disk-'));
  try {
    const fd = openSync(join(dir, 'seq'), 'w');
    const block = Buffer.alloc(1 << 20, 1);
    const t = process.hrtime.bigint();
    for (let i = 0; i < 512; i++) writeSync(fd, block);
    fsyncSync(fd);
    closeSync(fd);
    return 512 / (Number(process.hrtime.bigint() - t) / 1e9) * 1.048576;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * --security: the broker gets a second listener (SSL or SASL_SSL; PLAINTEXT stays first, for the
 * inter-broker link and to create the bench's SCRAM user), and the load connects to it.
 */
async function secureListener(): Promise<{ args: string[]; prepare: (b: BrokerProcess, t: LoadTarget) => Promise<void> }> {
  const security = opt.security.toUpperCase();
  if (security === 'PLAINTEXT') return { args: [], prepare: async () => undefined };
  if (security !== 'SSL' && security !== 'SASL_SSL') throw new Error(`--security must be plaintext, ssl or sasl_ssl, got ${opt.security}`);
  const certs = await makeTestCertificates();
  process.once('exit', () => certs.destroy());
  return {
    args: ['--listeners', `PLAINTEXT://127.0.0.1:0,${security}://127.0.0.1:0`, '--ssl-keystore-location', certs.serverKeystore],
    prepare: async (b, t) => {
      const line = b.log.split('\n').find((l) => l.includes('"floe broker started"'))!;
      t.port = (JSON.parse(line) as { listeners: { name: string; port: number }[] }).listeners.find((l) => l.name === security)!.port;
      const ca = readFileSync(certs.ca);
      if (security === 'SASL_SSL') {
        const admin = await WireClient.connect('127.0.0.1', b.port);
        const salt = randomBytes(24);
        await admin.request(AlterUserScramCredentialsApi, 0, { deletions: [], upsertions: [{ name: 'bench', mechanism: 1, iterations: 4096, salt, saltedPassword: await saltedPassword('SCRAM-SHA-256', 'bench-secret', salt, 4096) }] });
        admin.close();
      }
      t.connect = async (host, port) => {
        const c = await WireClient.connectTls(host, port, { ca, servername: 'localhost' });
        if (security === 'SASL_SSL') await c.authenticatePlain('bench', 'bench-secret');
        return c;
      };
    },
  };
}

/** Starts floe as the options say, runs the load, stops it. */
async function runOnFloe(): Promise<LoadFigures> {
  let s3: S3TestServer | undefined;
  let broker: BrokerProcess | undefined;
  try {
    let env: NodeJS.ProcessEnv = {};
    if (opt.backend === 's3') {
      s3 = new S3TestServer();
      await s3.start();
      env = { FLOE_S3_ENDPOINT: s3.endpoint, FLOE_S3_BUCKET: S3_TEST_BUCKET, AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey };
    }
    const secure = await secureListener();
    broker = await BrokerProcess.start({ args: ['--durability', opt.durability, '--upload-interval-ms', opt['upload-interval-ms'], ...secure.args, ...opt['broker-arg'].flatMap((a) => a.split(' '))], env });
    const target: LoadTarget = { name: 'floe', host: '127.0.0.1', port: broker.port, floeHttpPort: broker.httpPort };
    if (broker.pid !== undefined) target.pid = broker.pid;
    await secure.prepare(broker, target);
    return await runLoad(target, params);
  } finally {
    await broker?.destroy();
    await s3?.destroy();
  }
}

/** Starts Apache Kafka with kafka-server-start's JVM settings, runs the load, stops it. */
async function runOnApacheKafka(): Promise<LoadFigures> {
  const kafka = await startApacheKafka(Number(opt['kafka-heap-mb']), { 'num.partitions': '1' });
  try {
    const target: LoadTarget = { name: 'apache-kafka', host: '127.0.0.1', port: kafka.port };
    if (kafka.pid !== undefined) target.pid = kafka.pid;
    return await runLoad(target, params);
  } finally {
    await kafka.destroy();
  }
}

async function runOnSink(): Promise<LoadFigures> {
  const port = await freePort();
  const sink: ChildProcess = spawn(process.execPath, [join(import.meta.dirname, 'sink-server.ts'), String(port)], { stdio: 'ignore' });
  try {
    await waitForPort(port, 10_000);
    return await runLoad({ name: 'sink', host: '127.0.0.1', port }, params);
  } finally {
    sink.kill('SIGKILL');
  }
}

function describeRun(): string {
  return `${params.partitions} partitions, floe ${opt.durability} on ${opt.backend}, ${params.recordBytes} B records x ${params.batchRecords}/batch, acks=${params.acks}, ${params.connections}x${params.inflight} in flight (${opt.client} producers)${params.rateMBps > 0 ? `, fixed ${params.rateMBps} MB/s` : ', max throughput'}${params.consumers > 1 ? `, ${params.consumers} consumers` : ''}${params.catchUp ? ', catch-up read' : ''}`;
}

/** The figures a comparison reports, each with the direction that is better. */
const FIGURES: { name: string; get: (f: LoadFigures) => number | undefined; higherIsBetter: boolean }[] = [
  { name: 'produce MB/s', get: (f) => f.produce.mbPerSec, higherIsBetter: true },
  { name: 'produce errors', get: (f) => f.produce.errors, higherIsBetter: false },
  { name: 'produce p50 ms', get: (f) => f.produce.latencyMs.p50, higherIsBetter: false },
  { name: 'produce p99 ms', get: (f) => f.produce.latencyMs.p99, higherIsBetter: false },
  { name: 'produce p999 ms', get: (f) => f.produce.latencyMs.p999, higherIsBetter: false },
  { name: 'consume MB/s', get: (f) => f.consume.mbPerSec, higherIsBetter: true },
  { name: 'end-to-end p50 ms', get: (f) => f.consume.endToEndLatencyMs.p50, higherIsBetter: false },
  { name: 'end-to-end p99 ms', get: (f) => f.consume.endToEndLatencyMs.p99, higherIsBetter: false },
  { name: 'end-to-end p999 ms', get: (f) => f.consume.endToEndLatencyMs.p999, higherIsBetter: false },
  { name: 'catch-up read MB/s', get: (f) => f.catchUp?.mbPerSec, higherIsBetter: true },
  { name: 'broker CPU cores', get: (f) => f.broker?.cpuCoresUsed, higherIsBetter: false },
  { name: 'broker RSS max MB', get: (f) => f.broker?.rssMBMax, higherIsBetter: false },
];

/** Rows of figure, one column per run, and floe's ratio to the first run when there are two. */
function sideBySide(runs: LoadFigures[]): string[][] {
  const rows: string[][] = [['figure', ...runs.map((r) => r.target), ...(runs.length === 2 ? [`${runs[1]!.target} / ${runs[0]!.target}`] : [])]];
  for (const f of FIGURES) {
    const values = runs.map((r) => f.get(r));
    if (values.every((v) => v === undefined)) continue;
    if (params.catchUp && f.name.startsWith('end-to-end')) continue;
    const cells = values.map((v) => (v === undefined ? 'n/a' : fmt(v, f.name.includes('errors') ? 0 : f.name.includes('MB') && !f.name.includes('/s') ? 0 : 1)));
    if (runs.length === 2) {
      const [a, b] = values;
      cells.push(ratioCell(a, b, f.higherIsBetter));
    }
    rows.push([f.name, ...cells]);
  }
  return rows;
}

async function main(): Promise<void> {
  const diskMBps = diskSequentialWriteMBps();
  const runs: LoadFigures[] = [];
  if (opt.bootstrap !== undefined) {
    const [host, port] = [opt.bootstrap.split(':')[0]!, Number(opt.bootstrap.split(':')[1])];
    runs.push(await runLoad({ name: 'external', host, port }, params));
  } else if (opt.target === 'sink') {
    runs.push(await runOnSink());
  } else {
    // One after the other, never at once: each gets the whole machine.
    if (opt['compare-kafka']) runs.push(await runOnApacheKafka());
    runs.push(await runOnFloe());
  }

  console.log(`produce bench: ${describeRun()}`);
  console.log(`  disk sequential write: ${fmt(diskMBps, 0)} MB/s`);
  const table = sideBySide(runs);
  printTable(table);
  for (const r of runs) {
    if (r.produce.errors > 0) console.log(`  ${r.target} produce errors by Kafka error code: ${Object.entries(r.produce.errorsByCode).map(([c, n]) => `${c}: ${n}`).join(', ')}`);
    if (r.objectStore !== null) {
      const o = r.objectStore;
      console.log(`  ${r.target} object store: ${o.puts} PUTs, ${o.gets} GETs (${fmt(o.putsPerSec, 1)} PUTs/s, ${fmt(o.getsPerSec, 1)} GETs/s); ${fmt(o.putsPerGB, 0)} PUTs/GB; request cost $${fmt(o.requestCostUSDPerGB, 4)} per GB written (S3 Standard prices)`);
    }
    if (r.broker !== null && params.durationMs >= 60_000) console.log(`  ${r.target} RSS over time (s: MB): ${r.broker.rssTimeline.map((p) => `${p.s}: ${p.rssMB}`).join(', ')}`);
  }
  if (opt['compare-kafka']) console.log("  note: Apache Kafka acknowledges acks=all once the record is in its page cache (no fsync by default); floe's local-wal fsyncs before it acknowledges.");

  const when = new Date().toISOString();
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`;
  const dir = join(import.meta.dirname, 'reports');
  mkdirSync(dir, { recursive: true });
  const name = ['produce', WORKLOAD_NAME, opt['compare-kafka'] ? 'vs-kafka' : '', opt.security !== 'plaintext' ? opt.security : '', opt.target === 'sink' ? 'sink' : '', opt.client !== 'wire' ? opt.client : '',
    `${params.partitions}p`, opt.durability, opt.backend, when.replace(/[:.]/g, '-')].filter((s) => s !== '').join('-');
  const file = join(dir, `${name}.json`);
  const report = {
    workload: WORKLOAD_NAME || 'produce', command, label: opt.label, when, node: process.version,
    params: { ...params, security: opt.security, durability: opt.durability, backend: opt.backend, uploadIntervalMs: Number(opt['upload-interval-ms']), bootstrap: opt.bootstrap ?? null, brokerArgs: opt['broker-arg'] },
    diskSequentialWriteMBps: diskMBps,
    // The single run's figures at the top level, as reports always had them (bench compare reads them).
    ...runs.at(-1)!,
    runs,
  };
  writeFileSync(file, JSON.stringify(report, null, 2));
  writeFileSync(file.replace(/\.json$/, '.md'), [`# ${report.workload} (${when})`, '', `\`${command}\``, '', describeRun(), '', ...markdownTable(table), ''].join('\n'));
  const title = `${params.partitions} partitions${params.rateMBps > 0 ? `, ${params.rateMBps} MB/s` : ', max throughput'}`;
  const series = (label: (r: LoadFigures) => string, pick: (t: LoadFigures['timeline'][number]) => number) =>
    runs.map((r) => ({ name: label(r), points: r.timeline.map((t): [number, number] => [t.s, pick(t)]) }));
  const many = runs.length > 1;
  writeFileSync(file.replace(/\.json$/, '.latency.svg'), lineChartSvg(`Produce latency over time (${title})`, 'seconds', 'ms', many
    ? [...series((r) => `${r.target} p50`, (t) => t.p50), ...series((r) => `${r.target} p99`, (t) => t.p99)]
    : [...series(() => 'p50', (t) => t.p50), ...series(() => 'p99', (t) => t.p99), ...series(() => 'max', (t) => t.max)]));
  writeFileSync(file.replace(/\.json$/, '.throughput.svg'), lineChartSvg(`Throughput over time (${title})`, 'seconds', 'MB/s', many
    ? series((r) => `${r.target} produce`, (t) => t.producedMBps)
    : [...series(() => 'produce', (t) => t.producedMBps), ...series(() => 'consume', (t) => t.consumedMBps)]));
  console.log(`  report: ${file} (and .md, .latency.svg, .throughput.svg)`);
}

await main();
