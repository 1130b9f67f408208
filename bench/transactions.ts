// Transactional produce on a floe broker, on the wire (InitProducerId with a
// transactional id, AddPartitionsToTxn, transactional Produce, EndTxn):
// at a fixed rate of transactions per second per producer, each writing one
// batch to every partition of the topic, it measures the commit latency
// (EndTxn round trip), the whole transaction's latency from its intended
// start (no coordinated omission) and the throughput; then the same batches
// on the same schedule from an idempotent producer without transactions,
// as the yardstick. Prints both and writes a report to bench/reports/.
//
// Run: npm run bench -- transactions --help

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WireClient } from '../protocol/wire-client.ts';
import { LatencyRecorder, fmt } from './stats.ts';
import { parseBenchArgs, type BenchOptions } from './cli-options.ts';
import { AddPartitionsToTxnApi, CreateTopicsApi, EndTxnApi, InitProducerIdApi, ProduceApi } from '../protocol/generated/index.ts';
import { defaultCreatableTopic } from '../protocol/generated/CreateTopicsRequest.ts';
import { defaultAddPartitionsToTxnRequest } from '../protocol/generated/AddPartitionsToTxnRequest.ts';
import { buildRecordBatch } from '../protocol/records/record.ts';
import { BrokerProcess } from '../test/support/broker-process.ts';

const OPTIONS = {
  rates: { type: 'string', default: '1,10,100', help: 'transactions per second per producer, one run each' },
  producers: { type: 'string', default: '1', help: 'concurrent producers (each its own transactional id and connection)' },
  partitions: { type: 'string', default: '4', help: 'partitions of the topic; every transaction writes one batch to each' },
  'batch-records': { type: 'string', default: '16', help: 'records per batch' },
  'record-bytes': { type: 'string', default: '1024', help: 'value size' },
  'duration-ms': { type: 'string', default: '10000', help: 'measured time per rate' },
  durability: { type: 'string', default: 'local-wal', help: "floe's --durability" },
} satisfies BenchOptions;

const opt = parseBenchArgs('transactions', 'Transactional produce at 1, 10 and 100 transactions/s per producer: commit latency, transaction latency, throughput; next to the same load without transactions.', OPTIONS, process.argv.slice(3));
const PARTITIONS = Number(opt.partitions);
const BATCH_RECORDS = Number(opt['batch-records']);
const VALUE = Buffer.alloc(Number(opt['record-bytes']), 'v');

interface RunFigures { mode: 'transactional' | 'idempotent'; ratePerProducer: number; transactions: number; mbPerSec: number; transactionMs: ReturnType<LatencyRecorder['summary']>; commitMs: ReturnType<LatencyRecorder['summary']> | null; errors: number }

async function run(port: number, mode: RunFigures['mode'], rate: number, producerIndex: number, topic: string, stats: { txn: LatencyRecorder; commit: LatencyRecorder; bytes: number; count: number; errors: number }): Promise<void> {
  const c = await WireClient.connect('127.0.0.1', port);
  const transactionalId = mode === 'transactional' ? `bench-${topic}-${producerIndex}` : null;
  const init = await c.request(InitProducerIdApi, 4, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  if (init.errorCode !== 0) throw new Error(`InitProducerId: error ${init.errorCode}`);
  const { producerId, producerEpoch } = init;
  const sequence = new Array<number>(PARTITIONS).fill(0);
  const intervalMs = 1000 / rate;
  const start = performance.now();
  const end = start + Number(opt['duration-ms']);
  for (let i = 0; ; i++) {
    const intended = start + i * intervalMs;
    if (intended >= end) break;
    const wait = intended - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    let ok = true;
    if (transactionalId !== null) {
      const add = await c.request(AddPartitionsToTxnApi, 3, {
        ...defaultAddPartitionsToTxnRequest(), v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch,
        v3AndBelowTopics: [{ name: topic, partitions: Array.from({ length: PARTITIONS }, (_, p) => p) }],
      });
      ok = add.resultsByTopicV3AndBelow.every((t) => t.resultsByPartition.every((p) => p.partitionErrorCode === 0));
    }
    const produced = await c.request(ProduceApi, 9, {
      transactionalId, acks: -1, timeoutMs: 30_000,
      topicData: [{
        name: topic,
        partitionData: Array.from({ length: PARTITIONS }, (_, p) => {
          const records = buildRecordBatch(Array.from({ length: BATCH_RECORDS }, (_, k) => ({ key: `k${k}`, value: VALUE })), { producerId, producerEpoch, baseSequence: sequence[p]!, transactional: transactionalId !== null });
          sequence[p]! += BATCH_RECORDS;
          stats.bytes += records.length;
          return { index: p, records };
        }),
      }],
    });
    ok &&= produced.responses.every((t) => t.partitionResponses.every((p) => p.errorCode === 0));
    if (transactionalId !== null) {
      const t0 = performance.now();
      const ended = await c.request(EndTxnApi, 3, { transactionalId, producerId, producerEpoch, committed: true });
      stats.commit.record(performance.now() - t0);
      ok &&= ended.errorCode === 0;
    }
    stats.txn.record(performance.now() - intended);
    stats.count++;
    if (!ok) stats.errors++;
  }
  c.close();
}

async function main(): Promise<void> {
  const broker = await BrokerProcess.start({ args: ['--durability', opt.durability] });
  const results: RunFigures[] = [];
  try {
    for (const rate of opt.rates.split(',').map(Number)) {
      for (const mode of ['transactional', 'idempotent'] as const) {
        const topic = `txn-bench-${mode}-${rate}-${Date.now()}`;
        const admin = await WireClient.connect('127.0.0.1', broker.port);
        await admin.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: topic, numPartitions: PARTITIONS, replicationFactor: 1 }], timeoutMs: 10_000, validateOnly: false });
        admin.close();
        const stats = { txn: new LatencyRecorder(), commit: new LatencyRecorder(), bytes: 0, count: 0, errors: 0 };
        await Promise.all(Array.from({ length: Number(opt.producers) }, (_, i) => run(broker.port, mode, rate, i, topic, stats)));
        results.push({
          mode, ratePerProducer: rate, transactions: stats.count, mbPerSec: stats.bytes / (Number(opt['duration-ms']) / 1000) / 1e6,
          transactionMs: stats.txn.summary(), commitMs: mode === 'transactional' ? stats.commit.summary() : null, errors: stats.errors,
        });
      }
    }
  } finally {
    await broker.destroy();
  }
  console.log(`transactions bench: ${opt.producers} producer(s), ${PARTITIONS} partitions x ${BATCH_RECORDS} records of ${opt['record-bytes']} B per transaction, acks=all, floe ${opt.durability}`);
  console.log('  per producer  mode           txns  MB/s   txn p50/p99 ms     commit p50/p99 ms  errors');
  for (const r of results) {
    console.log(`  ${String(r.ratePerProducer).padStart(6)}/s     ${r.mode.padEnd(13)} ${String(r.transactions).padStart(5)}  ${fmt(r.mbPerSec, 2).padStart(5)}  ${`${fmt(r.transactionMs.p50, 1)} / ${fmt(r.transactionMs.p99, 1)}`.padStart(15)}  ${(r.commitMs === null ? 'n/a' : `${fmt(r.commitMs.p50, 1)} / ${fmt(r.commitMs.p99, 1)}`).padStart(17)}  ${r.errors}`);
  }
  const when = new Date().toISOString();
  const dir = join(import.meta.dirname, 'reports');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `transactions-${PARTITIONS}p-${opt.durability}-${when.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ workload: 'transactions', command: `npm run bench -- ${process.argv.slice(2).join(' ')}`, when, params: opt, results }, null, 2));
  console.log(`  report: ${file}`);
}

await main();
