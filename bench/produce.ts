// Produce/consume benchmark through a real broker process: pipelined
// producers on floe's own protocol layer (acks=all by default) and a
// consumer fetching every partition, reporting throughput (MB/s, records/s),
// produce latency and end-to-end latency (p50/p99/p999/max), broker CPU and
// RSS, and this disk's sequential write bandwidth measured in the same run.
// With --rate-mbps, sends follow a fixed schedule and latency is measured
// from the intended send time (no coordinated omission). With
// --client kafkajs or --client librdkafka (kafka-crab-js) the producers are
// real client libraries (one producer per connection, --inflight concurrent
// sends each) instead of the wire client.
//
// Run: npm run bench -- produce --partitions 16 --durability local-wal --backend fs
// Against any Kafka-compatible broker: --bootstrap host:port (no broker is started).

import { mkdirSync, writeFileSync, readFileSync, openSync, writeSync, fsyncSync, closeSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WireClient } from './wire-client.ts';
import { LatencyRecorder, fmt } from './stats.ts';
import { CreateTopicsApi, FetchApi, MetadataApi, ProduceApi } from '../protocol/generated/index.ts';
import { defaultCreatableTopic } from '../protocol/generated/CreateTopicsRequest.ts';
import { defaultFetchRequest, defaultFetchPartition } from '../protocol/generated/FetchRequest.ts';
import { buildRecordBatch } from '../protocol/records/record.ts';
import { RecordBatchHeader, splitRecordBatches, ATTRIBUTES, BASE_TIMESTAMP, MAX_TIMESTAMP, CRC } from '../protocol/records/record-batch-header.ts';
import { crc32c } from '../protocol/crc32c.ts';
import { BrokerProcess } from '../test/support/broker-process.ts';
import { S3TestServer, S3_TEST_BUCKET, S3_TEST_CREDENTIALS } from '../test/support/s3-server.ts';
import { freePort, waitForPort } from '../test/support/free-port.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { S3_STANDARD_PRICES_USD, requestCostPerGB } from './s3-prices.ts';
import { lineChartSvg } from './svg-chart.ts';
import { recordsBuffer, recordsByteLength } from '../protocol/primitives/writer.ts';

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
  if (file === undefined) throw new Error('--workload needs a file');
  const workload = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string | number | boolean | string[]>;
  const rest = [...argv.slice(0, i), ...argv.slice(i + 2)];
  const fromFile = Object.entries(workload).filter(([k]) => k !== 'description')
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => (typeof x === 'boolean' ? (x ? `--${k}` : '') : `--${k}=${String(x)}`)))
    .filter((a) => a !== '');
  return [...fromFile, ...rest];
}

const { values: opt } = parseArgs({
  args: argsWithWorkload(process.argv.slice(3)),
  options: {
    bootstrap: { type: 'string' },
    partitions: { type: 'string', default: '16' },
    durability: { type: 'string', default: 'local-wal' },
    backend: { type: 'string', default: 'fs' },
    'duration-ms': { type: 'string', default: '10000' },
    'warmup-ms': { type: 'string', default: '2000' },
    'record-bytes': { type: 'string', default: '1024' },
    'batch-records': { type: 'string', default: '16' },
    connections: { type: 'string', default: '4' },
    inflight: { type: 'string', default: '8' },
    'rate-mbps': { type: 'string', default: '0' },
    acks: { type: 'string', default: '-1' },
    'upload-interval-ms': { type: 'string', default: '250' },
    label: { type: 'string', default: '' },
    target: { type: 'string', default: 'floe' },
    consumers: { type: 'string', default: '1' },
    'broker-arg': { type: 'string', multiple: true, default: [] },
    'catch-up': { type: 'boolean', default: false },
    client: { type: 'string', default: 'wire' },
  },
});

const PARTITIONS = Number(opt.partitions);
const DURATION_MS = Number(opt['duration-ms']);
const WARMUP_MS = Number(opt['warmup-ms']);
const RECORD_BYTES = Number(opt['record-bytes']);
const BATCH_RECORDS = Number(opt['batch-records']);
const CONNECTIONS = Number(opt.connections);
const INFLIGHT = Number(opt.inflight);
const RATE_MBPS = Number(opt['rate-mbps']);
const ACKS = Number(opt.acks);
const TOPIC = `bench-${Date.now()}`;

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

function procStats(pid: number): { cpuSeconds: number; rssMB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  return { cpuSeconds: ticks / 100, rssMB: rssKb / 1024 };
}

/** A batch template per partition; each send restamps the timestamps and CRC, nothing else. */
const value = Buffer.alloc(RECORD_BYTES, 'v');
const template = buildRecordBatch(Array.from({ length: BATCH_RECORDS }, (_, i) => ({ key: `key-${i}`, value })));
function stampedBatch(ts: number): Buffer {
  const b = Buffer.from(template);
  b.writeBigInt64BE(BigInt(ts), BASE_TIMESTAMP);
  b.writeBigInt64BE(BigInt(ts), MAX_TIMESTAMP);
  b.writeUInt32BE(crc32c(b, ATTRIBUTES, b.length), CRC);
  return b;
}

async function main(): Promise<void> {
  const diskMBps = diskSequentialWriteMBps();
  let broker: BrokerProcess | undefined;
  let s3: S3TestServer | undefined;
  let host = '127.0.0.1';
  let port = 0;
  let sink: ChildProcess | undefined;
  if (opt.bootstrap !== undefined) {
    [host, port] = [opt.bootstrap.split(':')[0]!, Number(opt.bootstrap.split(':')[1])];
  } else if (opt.target === 'sink') {
    // The load generator's ceiling: a server that acknowledges everything at once and stores nothing.
    port = await freePort();
    sink = spawn(process.execPath, [join(import.meta.dirname, 'sink-server.ts'), String(port)], { stdio: 'ignore' });
    await waitForPort(port, 10_000);
  } else {
    let env: NodeJS.ProcessEnv = {};
    if (opt.backend === 's3') {
      s3 = new S3TestServer();
      await s3.start();
      env = { ...env, FLOE_S3_ENDPOINT: s3.endpoint, FLOE_S3_BUCKET: S3_TEST_BUCKET, AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey };
    }
    broker = await BrokerProcess.start({ args: ['--durability', opt.durability!, '--upload-interval-ms', opt['upload-interval-ms']!, ...(opt['broker-arg'] ?? []).flatMap((a) => a.split(' '))], env });
    port = broker.port;
  }
  try {
    const admin = await WireClient.connect(host, port);
    const created = await admin.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1 }], timeoutMs: 10_000, validateOnly: false });
    if (created.topics[0]!.errorCode !== 0) throw new Error(`create topic failed: ${created.topics[0]!.errorMessage}`);
    const md = await admin.request(MetadataApi, 12, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: TOPIC }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    const topicId = md.topics[0]!.topicId;

    const produceLatency = new LatencyRecorder();
    // Per-second figures for the charts: bounded (one small recorder per second of the run).
    const seconds = new Map<number, { latency: LatencyRecorder; producedBytes: number; consumedBytes: number }>();
    const second = (t: number): { latency: LatencyRecorder; producedBytes: number; consumedBytes: number } => {
      const k = Math.floor((t - measureFrom) / 1000);
      let b = seconds.get(k);
      if (b === undefined) {
        b = { latency: new LatencyRecorder(60_000, 2), producedBytes: 0, consumedBytes: 0 };
        seconds.set(k, b);
      }
      return b;
    };
    const e2eLatency = new LatencyRecorder();
    let producedBytes = 0;
    let producedRecords = 0;
    let consumedBytes = 0;
    let consumedRecords = 0;
    let errors = 0;
    const start = Date.now();
    const measureFrom = start + WARMUP_MS;
    const end = measureFrom + DURATION_MS;
    let brokerAtStart: { cpuSeconds: number; rssMB: number } | undefined;
    let rssMaxMB = 0;
    const rssTimeline: { s: number; rssMB: number }[] = [];
    let lastTimelineAt = 0;
    const sampler = setInterval(() => {
      if (broker?.pid === undefined) return;
      const s = procStats(broker.pid);
      if (Date.now() >= measureFrom && brokerAtStart === undefined) brokerAtStart = s;
      rssMaxMB = Math.max(rssMaxMB, s.rssMB);
      if (Date.now() - lastTimelineAt >= 5000) {
        lastTimelineAt = Date.now();
        rssTimeline.push({ s: Math.round((Date.now() - start) / 1000), rssMB: Math.round(s.rssMB) });
      }
    }, 200);

    // Fixed rate: one send slot every `intervalMs`, shared by all senders.
    const batchBytes = template.length;
    const intervalMs = RATE_MBPS > 0 ? batchBytes / (RATE_MBPS * 1e6) * 1000 : 0;
    // Produce latency is measured on the monotonic high-resolution clock (sub-millisecond), in epoch milliseconds.
    const clock = (): number => performance.timeOrigin + performance.now();
    let nextSlot = clock();
    let partitionCursor = 0;
    if (!['wire', 'kafkajs', 'librdkafka'].includes(opt.client!)) throw new Error(`--client must be wire, kafkajs or librdkafka, not ${opt.client}`);
    /** Sends one batch of BATCH_RECORDS records stamped `ts`; true when acknowledged without error. */
    type SendBatch = (partition: number, ts: number) => Promise<boolean>;
    const closers: (() => Promise<void>)[] = [];
    const producers: SendBatch[] = await Promise.all(Array.from({ length: CONNECTIONS }, async (): Promise<SendBatch> => {
      if (opt.client === 'kafkajs') {
        const { Kafka, logLevel } = await import('kafkajs');
        const producer = new Kafka({ clientId: 'floe-bench', brokers: [`${host}:${port}`], logLevel: logLevel.NOTHING }).producer({ maxInFlightRequests: INFLIGHT });
        await producer.connect();
        closers.push(() => producer.disconnect());
        const keys = Array.from({ length: BATCH_RECORDS }, (_, i) => `key-${i}`);
        return async (partition, ts) => {
          try {
            await producer.send({ topic: TOPIC, acks: ACKS, timeout: 30_000, messages: keys.map((key) => ({ key, value, partition, timestamp: String(ts) })) });
            return true;
          } catch {
            return false;
          }
        };
      }
      if (opt.client === 'librdkafka') {
        const { KafkaClient } = await import('kafka-crab-js');
        const producer = new KafkaClient({ brokers: `${host}:${port}`, clientId: 'floe-bench', logLevel: 'error' })
          .createProducer({ configuration: { acks: String(ACKS), 'linger.ms': 1, 'max.in.flight.requests.per.connection': INFLIGHT } });
        // librdkafka picks the partition from the key; one key per partition slot spreads batches evenly enough.
        return async (partition, _ts) => {
          const key = Buffer.from(`p${partition}`);
          try {
            const res = await producer.send({ topic: TOPIC, messages: Array.from({ length: BATCH_RECORDS }, () => ({ key, payload: value })) });
            return res.every((r) => r.error === undefined);
          } catch {
            return false;
          }
        };
      }
      const c = await WireClient.connect(host, port);
      closers.push(async () => c.close());
      return async (partition, ts) => {
        const res = await c.request(ProduceApi, 9, { transactionalId: null, acks: ACKS, timeoutMs: 30_000, topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: stampedBatch(ts) }] }] });
        return res.responses[0]!.partitionResponses[0]!.errorCode === 0;
      };
    }));
    const sender = async (send: SendBatch): Promise<void> => {
      while (Date.now() < end) {
        let intended = clock();
        if (intervalMs > 0) {
          intended = nextSlot;
          nextSlot += intervalMs;
          const wait = intended - clock();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        const partition = partitionCursor++ % PARTITIONS;
        const ok = await send(partition, Math.floor(intended));
        const done = clock();
        if (!ok) {
          errors++;
          continue;
        }
        if (intended >= measureFrom && done <= end) {
          produceLatency.record(done - intended);
          const b = second(done);
          b.latency.record(done - intended);
          b.producedBytes += batchBytes;
          producedBytes += batchBytes;
          producedRecords += BATCH_RECORDS;
        }
      }
    };

    // Consumers: each its own connection and positions (fan-out = several consumers of one topic).
    // With --catch-up they start once producing is over and read the whole backlog from offset 0.
    const CONSUMERS = Number(opt.consumers);
    const CATCH_UP = opt['catch-up'] === true;
    const consumers = await Promise.all(Array.from({ length: CONSUMERS }, () => WireClient.connect(host, port)));
    let catchUpBytes = 0;
    /** When the last backlog byte arrived: the empty fetches that tell a reader it is done are not read time. */
    let catchUpLastDataAt = 0;
    const consume = async (consumer: WireClient, first: boolean): Promise<void> => {
      const nextOffset = new Array<bigint>(PARTITIONS).fill(0n);
      const stopAt = CATCH_UP ? Number.POSITIVE_INFINITY : end + 1000;
      let idle = 0;
      while (Date.now() < stopAt) {
        const res = await consumer.request(FetchApi, 13, {
          ...defaultFetchRequest(), maxWaitMs: 100, minBytes: 1, maxBytes: 64 << 20,
          topics: [{ topic: TOPIC, topicId, partitions: nextOffset.map((o, i) => ({ ...defaultFetchPartition(), partition: i, fetchOffset: o, partitionMaxBytes: 4 << 20 })) }],
        });
        const now = Date.now();
        let got = 0;
        for (const p of res.responses[0]?.partitions ?? []) {
          if (p.records === null || recordsByteLength(p.records) === 0) continue;
          for (const b of splitRecordBatches(recordsBuffer(p.records))) {
            if (b.lastOffset < nextOffset[p.partitionIndex]!) continue;
            nextOffset[p.partitionIndex] = b.lastOffset + 1n;
            got += b.sizeBytes;
            if (CATCH_UP) {
              catchUpBytes += b.sizeBytes;
              continue;
            }
            const ts = Number(new RecordBatchHeader(b.buf, b.start).baseTimestamp);
            if (ts >= measureFrom && ts <= end) {
              if (first) {
                e2eLatency.record(now - ts);
                if (now <= end) second(now).consumedBytes += b.sizeBytes;
              }
              consumedBytes += b.sizeBytes;
              consumedRecords += b.recordCount;
            }
          }
        }
        if (CATCH_UP) {
          if (got > 0) catchUpLastDataAt = performance.now();
          idle = got === 0 ? idle + 1 : 0;
          if (idle >= 3) return;
        }
      }
    };

    const senders: Promise<void>[] = [];
    for (const c of producers) for (let i = 0; i < INFLIGHT; i++) senders.push(sender(c));
    let catchUp: { mbPerSec: number; bytes: number; seconds: number } | null = null;
    if (CATCH_UP) {
      await Promise.all(senders);
      // Let uploads finish so the backlog is in object storage, then read it all back.
      await new Promise((r) => setTimeout(r, 2000));
      const t0 = performance.now();
      await Promise.all(consumers.map((c, i) => consume(c, i === 0)));
      const secs = (catchUpLastDataAt - t0) / 1000;
      catchUp = { mbPerSec: catchUpBytes / secs / 1e6, bytes: catchUpBytes, seconds: secs };
    } else {
      await Promise.all([...senders, ...consumers.map((c, i) => consume(c, i === 0))]);
    }
    clearInterval(sampler);
    const brokerAtEnd = broker?.pid !== undefined ? procStats(broker.pid) : undefined;
    let objectStore: { puts: number; gets: number; putsPerSec: number; getsPerSec: number; putsPerGB: number; getsPerGB: number; requestCostUSDPerGB: number; prices: typeof S3_STANDARD_PRICES_USD } | null = null;
    if (broker !== undefined) {
      const text = await (await fetch(`http://127.0.0.1:${broker.httpPort}/metrics`)).text();
      const count = (op: string): number => Number(/\S+ (\d+(?:\.\d+)?)$/.exec(text.split('\n').find((l) => l.startsWith(`floe_object_store_requests{op="${op}",outcome="ok"}`)) ?? 'x 0')![1]);
      const written = Number(/^floe_produce_bytes_total\{topic="[^"]+"\} (\S+)$/m.exec(text)?.[1] ?? 0);
      const gb = written / 1e9;
      const puts = count('put');
      const gets = count('get');
      const runSecs = (Date.now() - start) / 1000;
      objectStore = { puts, gets, putsPerSec: puts / runSecs, getsPerSec: gets / runSecs, putsPerGB: gb > 0 ? puts / gb : 0, getsPerGB: gb > 0 ? gets / gb : 0, requestCostUSDPerGB: gb > 0 ? requestCostPerGB(puts / gb, gets / gb) : 0, prices: S3_STANDARD_PRICES_USD };
    }
    for (const close of closers) await close();
    for (const c of [...consumers, admin]) c.close();

    const secs = DURATION_MS / 1000;
    const p = produceLatency.summary();
    const e = e2eLatency.summary();
    const result = {
      workload: WORKLOAD_NAME || 'produce', command: `npm run bench -- ${process.argv.slice(2).join(' ')}`, label: opt.label, when: new Date().toISOString(), node: process.version,
      params: { client: opt.client, consumers: Number(opt.consumers), catchUp: opt['catch-up'] === true, partitions: PARTITIONS, durability: opt.durability, backend: opt.backend, recordBytes: RECORD_BYTES, batchRecords: BATCH_RECORDS, connections: CONNECTIONS, inflight: INFLIGHT, rateMBps: RATE_MBPS, acks: ACKS, durationMs: DURATION_MS, uploadIntervalMs: Number(opt['upload-interval-ms']), bootstrap: opt.bootstrap ?? null },
      diskSequentialWriteMBps: diskMBps,
      produce: { mbPerSec: producedBytes / secs / 1e6, recordsPerSec: producedRecords / secs, errors, latencyMs: p },
      consume: { mbPerSec: consumedBytes / secs / 1e6, recordsPerSec: consumedRecords / secs, endToEndLatencyMs: e },
      broker: brokerAtStart !== undefined && brokerAtEnd !== undefined
        ? { cpuCoresUsed: (brokerAtEnd.cpuSeconds - brokerAtStart.cpuSeconds) / secs, rssMBEnd: brokerAtEnd.rssMB, rssMBMax: rssMaxMB, rssTimeline }
        : null,
      objectStore,
      consumers: CONSUMERS,
      catchUp,
    };
    console.log(`produce bench (${opt.client} producers): ${PARTITIONS} partitions, ${opt.durability}, ${opt.backend}, ${RECORD_BYTES} B records x ${BATCH_RECORDS}/batch, acks=${ACKS}, ${CONNECTIONS}x${INFLIGHT} in flight${RATE_MBPS > 0 ? `, fixed ${RATE_MBPS} MB/s` : ', max throughput'}`);
    console.log(`  disk sequential write: ${fmt(diskMBps, 0)} MB/s`);
    console.log(`  produce: ${fmt(result.produce.mbPerSec, 1)} MB/s, ${fmt(result.produce.recordsPerSec, 0)} records/s, errors ${errors}; latency ms p50 ${fmt(p.p50, 1)} p99 ${fmt(p.p99, 1)} p999 ${fmt(p.p999, 1)} max ${fmt(p.max, 1)}`);
    console.log(`  consume: ${fmt(result.consume.mbPerSec, 1)} MB/s; end-to-end ms p50 ${fmt(e.p50, 1)} p99 ${fmt(e.p99, 1)} p999 ${fmt(e.p999, 1)} max ${fmt(e.max, 1)}`);
    if (result.broker !== null) {
      console.log(`  broker: ${fmt(result.broker.cpuCoresUsed, 2)} cores, RSS ${fmt(result.broker.rssMBEnd, 0)} MB (max ${fmt(result.broker.rssMBMax, 0)} MB)`);
      if (DURATION_MS >= 60_000) console.log(`  RSS over time (s: MB): ${rssTimeline.map((p) => `${p.s}: ${p.rssMB}`).join(', ')}`);
    }
    if (catchUp !== null) console.log(`  catch-up read (${CONSUMERS} consumer(s) from offset 0): ${fmt(catchUp.mbPerSec, 1)} MB/s, ${fmt(catchUp.bytes / 1e6, 0)} MB in ${fmt(catchUp.seconds, 1)} s`);
    else if (CONSUMERS > 1) console.log(`  fan-out: ${CONSUMERS} consumers, ${fmt(result.consume.mbPerSec, 1)} MB/s consumed in total`);
    if (objectStore !== null) console.log(`  object store: ${objectStore.puts} PUTs, ${objectStore.gets} GETs (${fmt(objectStore.putsPerSec, 1)} PUTs/s, ${fmt(objectStore.getsPerSec, 1)} GETs/s); ${fmt(objectStore.putsPerGB, 0)} PUTs/GB; request cost $${fmt(objectStore.requestCostUSDPerGB, 4)} per GB written (S3 Standard prices)`);
    const dir = join(import.meta.dirname, 'reports');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `produce-${WORKLOAD_NAME !== '' ? `${WORKLOAD_NAME}-` : ''}${opt.target === 'sink' ? 'sink-' : ''}${opt.client !== 'wire' ? `${opt.client}-` : ''}${PARTITIONS}p-${opt.durability}-${opt.backend}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2));
    writeFileSync(file.replace(/\.json$/, '.md'), markdownReport(result));
    console.log(`  report: ${file} (and .md)`);
    const timeline = [...seconds.entries()].filter(([k]) => k >= 0 && k < DURATION_MS / 1000).sort((a, b) => a[0] - b[0]);
    const title = `${PARTITIONS} partitions, ${opt.durability}, ${opt.backend}${RATE_MBPS > 0 ? `, ${RATE_MBPS} MB/s` : ', max throughput'}`;
    writeFileSync(file.replace(/\.json$/, '.latency.svg'), lineChartSvg(`Produce latency over time (${title})`, 'seconds', 'ms', [
      { name: 'p50', points: timeline.map(([k, v]) => [k, v.latency.summary().p50]) },
      { name: 'p99', points: timeline.map(([k, v]) => [k, v.latency.summary().p99]) },
      { name: 'max', points: timeline.map(([k, v]) => [k, v.latency.summary().max]) },
    ]));
    writeFileSync(file.replace(/\.json$/, '.throughput.svg'), lineChartSvg(`Throughput over time (${title})`, 'seconds', 'MB/s', [
      { name: 'produce', points: timeline.map(([k, v]) => [k, v.producedBytes / 1e6]) },
      { name: 'consume', points: timeline.map(([k, v]) => [k, v.consumedBytes / 1e6]) },
    ]));
    console.log(`  charts: ${file.replace(/\.json$/, '.latency.svg')}, .throughput.svg`);
  } finally {
    sink?.kill('SIGKILL');
    await broker?.destroy();
    await s3?.destroy();
  }
}

interface MarkdownInput {
  workload: string; command: string; when: string;
  produce: { mbPerSec: number; recordsPerSec: number; errors: number; latencyMs: { p50: number; p99: number; p999: number; max: number } };
  consume: { mbPerSec: number; recordsPerSec: number; endToEndLatencyMs: { p50: number; p99: number; p999: number; max: number } };
  broker: { cpuCoresUsed: number; rssMBEnd: number; rssMBMax: number } | null;
  objectStore: { puts: number; gets: number; putsPerSec: number; getsPerSec: number; putsPerGB: number; getsPerGB: number; requestCostUSDPerGB: number } | null;
  catchUp: { mbPerSec: number; bytes: number; seconds: number } | null;
}

/** The run's figures as a Markdown table, for people (the JSON is for machines). */
function markdownReport(r: MarkdownInput): string {
  const rows: [string, string][] = [
    ['produce', `${fmt(r.produce.mbPerSec, 1)} MB/s, ${fmt(r.produce.recordsPerSec, 0)} records/s, ${r.produce.errors} errors`],
    ['produce latency ms (p50 / p99 / p999 / max)', [r.produce.latencyMs.p50, r.produce.latencyMs.p99, r.produce.latencyMs.p999, r.produce.latencyMs.max].map((v) => fmt(v, 1)).join(' / ')],
    ['consume', `${fmt(r.consume.mbPerSec, 1)} MB/s, ${fmt(r.consume.recordsPerSec, 0)} records/s`],
    ['end-to-end latency ms (p50 / p99 / p999 / max)', [r.consume.endToEndLatencyMs.p50, r.consume.endToEndLatencyMs.p99, r.consume.endToEndLatencyMs.p999, r.consume.endToEndLatencyMs.max].map((v) => fmt(v, 1)).join(' / ')],
  ];
  if (r.catchUp !== null) rows.push(['catch-up read', `${fmt(r.catchUp.mbPerSec, 1)} MB/s (${fmt(r.catchUp.bytes / 1e6, 0)} MB in ${fmt(r.catchUp.seconds, 1)} s)`]);
  if (r.broker !== null) rows.push(['broker', `${fmt(r.broker.cpuCoresUsed, 2)} cores, RSS ${fmt(r.broker.rssMBEnd, 0)} MB (max ${fmt(r.broker.rssMBMax, 0)} MB)`]);
  if (r.objectStore !== null) {
    const o = r.objectStore;
    rows.push(['object store requests', `${o.puts} PUTs (${fmt(o.putsPerSec, 1)}/s, ${fmt(o.putsPerGB, 0)}/GB), ${o.gets} GETs (${fmt(o.getsPerSec, 1)}/s, ${fmt(o.getsPerGB, 0)}/GB)`]);
    rows.push(['request cost per GB written (S3 Standard)', `$${fmt(o.requestCostUSDPerGB, 4)}`]);
  }
  return [`# ${r.workload} (${r.when})`, '', `\`${r.command}\``, '', '| figure | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`), ''].join('\n');
}

await main();
