// The log cleaner of compacted topics, measured: a compacted topic is filled
// with many versions of a set of keys while its cleaning is held back
// (min.compaction.lag.ms of a day), then released with AlterConfigs; the
// harness times the cleaner until the cleanable log is clean, and reports
// MB of log cleaned per second, records removed, object GETs and PUTs per GB
// cleaned, and the produce latency of a fixed-rate load on another topic
// while the cleaner works, next to the same load before it.
//
// Run: npm run bench -- cleaner --help

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WireClient } from '../protocol/wire-client.ts';
import { CreateTopicsApi, IncrementalAlterConfigsApi, ProduceApi } from '../protocol/generated/index.ts';
import { defaultCreatableTopic } from '../protocol/generated/CreateTopicsRequest.ts';
import { buildRecordBatch } from '../protocol/records/record.ts';
import { BrokerProcess } from '../test/support/broker-process.ts';
import { parseBenchArgs, type BenchOptions } from './cli-options.ts';
import { runLoad, type LoadFigures } from './produce-load.ts';
import { fmt } from './stats.ts';

const OPTIONS = {
  keys: { type: 'string', default: '8192', help: 'distinct keys of the compacted topic' },
  versions: { type: 'string', default: '8', help: 'versions written of each key (all but the last are what the cleaner removes)' },
  'record-bytes': { type: 'string', default: '1024', help: 'value size' },
  partitions: { type: 'string', default: '4', help: 'partitions of the compacted topic' },
  'load-rate-mbps': { type: 'string', default: '5', help: 'the fixed-rate produce load on another topic, before and while the cleaner works' },
  'load-ms': { type: 'string', default: '15000', help: 'how long each load runs (the cleaning is timed separately)' },
  'cleaner-backoff-ms': { type: 'string', default: '500', help: "floe's --log-cleaner-backoff-ms" },
  'cleaner-io-max-bytes-per-second': { type: 'string', default: '', help: "floe's --log-cleaner-io-max-bytes-per-second (empty: its default, no limit)" },
} satisfies BenchOptions;

const opt = parseBenchArgs('cleaner', 'The log cleaner: MB/s of log cleaned, objects read and written per GB, produce p99 of another topic while it runs.', OPTIONS, process.argv.slice(3));
const KEYS = Number(opt.keys);
const VERSIONS = Number(opt.versions);
const PARTITIONS = Number(opt.partitions);
const VALUE = Buffer.alloc(Number(opt['record-bytes']), 'c');
const BATCH = 64;
const TOPIC = 'cleaned';

async function metrics(httpPort: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}
const sum = (m: Map<string, number>, prefix: string): number => [...m].filter(([k]) => k.startsWith(prefix)).reduce((n, [, v]) => n + v, 0);

async function fill(c: WireClient): Promise<number> {
  let bytes = 0;
  const pending: Promise<unknown>[] = [];
  for (let v = 0; v < VERSIONS; v++) {
    for (let start = 0; start < KEYS; start += BATCH) {
      const partition = (start / BATCH) % PARTITIONS;
      const records = buildRecordBatch(Array.from({ length: Math.min(BATCH, KEYS - start) }, (_, i) => ({ key: `key-${start + i}`, value: VALUE })));
      bytes += records.length;
      pending.push(c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: TOPIC, partitionData: [{ index: partition, records }] }] }).then((r) => {
        const code = r.responses[0]!.partitionResponses[0]!.errorCode;
        if (code !== 0) throw new Error(`produce failed: error ${code}`);
      }));
      if (pending.length >= 32) await Promise.all(pending.splice(0));
    }
  }
  await Promise.all(pending);
  return bytes;
}

async function main(): Promise<void> {
  const io = opt['cleaner-io-max-bytes-per-second'];
  const broker = await BrokerProcess.start({ args: ['--log-cleaner-backoff-ms', opt['cleaner-backoff-ms'], ...(io === '' ? [] : ['--log-cleaner-io-max-bytes-per-second', io])] });
  const c = await WireClient.connect('127.0.0.1', broker.port);
  const load = (): Promise<LoadFigures> => runLoad({ name: 'floe', host: '127.0.0.1', port: broker.port, pid: broker.pid, floeHttpPort: broker.httpPort }, {
    client: 'wire', partitions: 4, recordBytes: 1024, batchRecords: 16, connections: 2, inflight: 8, rateMBps: Number(opt['load-rate-mbps']), acks: -1,
    durationMs: Number(opt['load-ms']), warmupMs: 1000, consumers: 1, catchUp: false,
  });
  try {
    await c.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1, configs: [
      { name: 'cleanup.policy', value: 'compact' }, { name: 'min.cleanable.dirty.ratio', value: '0.5' }, { name: 'min.compaction.lag.ms', value: '86400000' },
    ] }], timeoutMs: 10_000, validateOnly: false });
    const written = await fill(c);
    for (let i = 0; (await metrics(broker.httpPort)).get('floe_upload_pending_bytes') !== 0; i++) {
      if (i > 600) throw new Error('the log was not uploaded within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const before = await load();

    // Release the cleaner, with the same load running.
    const m0 = await metrics(broker.httpPort);
    const released = performance.now();
    const alter = await c.request(IncrementalAlterConfigsApi, 1, { resources: [{ resourceType: 2, resourceName: TOPIC, configs: [{ name: 'min.compaction.lag.ms', configOperation: 0, value: '0' }] }], validateOnly: false });
    if (alter.responses[0]!.errorCode !== 0) throw new Error(`AlterConfigs: error ${alter.responses[0]!.errorCode}`);
    const during = load();
    let doneAt = 0;
    let last = -1;
    for (;;) {
      const m = await metrics(broker.httpPort);
      const dirty = [...m].filter(([k]) => k.startsWith(`floe_log_cleaner_dirty_ratio{topic="${TOPIC}"`)).map(([, v]) => v);
      const bytesIn = sum(m, 'floe_log_cleaner_read_bytes_total');
      // Clean: every partition measured at ratio 0 and nothing more read since the last look.
      if (dirty.length === PARTITIONS && dirty.every((d) => d === 0) && bytesIn === last && bytesIn > sum(m0, 'floe_log_cleaner_read_bytes_total')) {
        doneAt = performance.now();
        break;
      }
      last = bytesIn;
      if (performance.now() - released > 600_000) throw new Error('the cleaner did not finish within 10 minutes');
      await new Promise((r) => setTimeout(r, 250));
    }
    const m1 = await metrics(broker.httpPort);
    const whileCleaning = await during;
    const seconds = (doneAt - released) / 1000;
    const delta = (name: string): number => sum(m1, name) - sum(m0, name);
    const bytesIn = delta('floe_log_cleaner_read_bytes_total');
    const gbIn = bytesIn / 1e9;
    const result = {
      writtenMB: written / 1e6, cleanedMB: bytesIn / 1e6, writtenAfterMB: delta('floe_log_cleaner_written_bytes_total') / 1e6,
      recordsRemoved: delta('floe_log_cleaner_records_removed_total'), seconds, cleanedMBps: bytesIn / 1e6 / seconds,
      getsPerGB: delta('floe_object_store_requests{op="get"') / gbIn, putsPerGB: delta('floe_object_store_requests{op="put"') / gbIn,
      produceBefore: before.produce.latencyMs, produceWhileCleaning: whileCleaning.produce.latencyMs,
    };
    console.log(`cleaner bench: ${KEYS} keys x ${VERSIONS} versions of ${VALUE.length} B over ${PARTITIONS} partitions (${fmt(result.writtenMB, 1)} MB written), load ${opt['load-rate-mbps']} MB/s on another topic${io === '' ? '' : `, cleaner I/O at most ${io} B/s`}`);
    console.log(`  cleaned ${fmt(result.cleanedMB, 1)} MB into ${fmt(result.writtenAfterMB, 1)} MB in ${fmt(seconds, 1)} s: ${fmt(result.cleanedMBps, 1)} MB/s, ${result.recordsRemoved} records removed`);
    console.log(`  object requests per GB cleaned: ${fmt(result.getsPerGB, 0)} GETs, ${fmt(result.putsPerGB, 0)} PUTs (the load's own uploads included)`);
    console.log(`  produce p50/p99/p999 ms of the load: before ${fmt(before.produce.latencyMs.p50, 1)} / ${fmt(before.produce.latencyMs.p99, 1)} / ${fmt(before.produce.latencyMs.p999, 1)}, while cleaning ${fmt(whileCleaning.produce.latencyMs.p50, 1)} / ${fmt(whileCleaning.produce.latencyMs.p99, 1)} / ${fmt(whileCleaning.produce.latencyMs.p999, 1)}`);
    const when = new Date().toISOString();
    const dir = join(import.meta.dirname, 'reports');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `cleaner-${KEYS}x${VERSIONS}-${when.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ workload: 'cleaner', command: `npm run bench -- ${process.argv.slice(2).join(' ')}`, when, params: opt, result }, null, 2));
    console.log(`  report: ${file}`);
  } finally {
    c.close();
    await broker.destroy();
  }
}

await main();
