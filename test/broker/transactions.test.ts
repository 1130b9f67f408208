// Transactions on one broker, driven by real clients: librdkafka's
// transactional producer (current confluent-kafka-python) committing and
// aborting, read_committed against read_uncommitted readers, the
// consume-transform-produce loop with send_offsets_to_transaction, zombie
// fencing by a second instance of the same transactional.id, an abandoned
// transaction aborted at its timeout (the last stable offset held until
// then), kafkajs's transaction API with sendOffsets, and kill -9 of the
// broker with one transaction committed and another open.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { BrokerProcess } from '../support/broker-process.ts';
import { runCommand } from '../support/run-command.ts';
import { PYTHON, currentConfluentKafkaEnv } from '../support/python-env.ts';
import { until } from '../support/until.ts';
import { jsonLines } from '../support/java.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import { ListOffsetsApi } from '../../protocol/generated/index.ts';

const SCRIPT = join(import.meta.dirname, '../support/python/transactions.py');
interface Rec { partition: number; offset: number; key: string; value: string; error?: string }

let broker: BrokerProcess;
let kafka: Kafka;
const py = (args: string[], timeoutMs = 120_000) => runCommand(PYTHON, [SCRIPT, ...args], { timeoutMs, env: currentConfluentKafkaEnv() });
const read = async (topic: string, isolation: 'read_committed' | 'read_uncommitted', n: number): Promise<Rec[]> => {
  const r = await py(['read', broker.bootstrap, topic, isolation, String(n)]);
  expect(r.code, r.stderr).toBe(0);
  const recs = jsonLines<Rec>(r.stdout);
  expect(recs.filter((x) => x.error !== undefined)).toEqual([]);
  return recs;
};
const createTopic = async (topic: string, numPartitions: number): Promise<void> => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions }] });
  await admin.disconnect();
};
/** The partition's end offset as a read_committed (1) or read_uncommitted (0) client sees it. */
const endOffset = async (topic: string, partition: number, isolationLevel: 0 | 1): Promise<bigint> => {
  const wire = await WireClient.connect('127.0.0.1', broker.port);
  try {
    const r = await wire.request(ListOffsetsApi, 7, { replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }], timeoutMs: 5000 });
    return r.topics[0]!.partitions[0]!.offset;
  } finally {
    wire.close();
  }
};

beforeAll(async () => {
  broker = await BrokerProcess.start({
    // A tiny segment size: __transaction_state is checkpointed and trimmed every few state changes,
    // so every test (the kill -9 one included) runs over checkpointed coordinator state.
    args: ['--group-initial-rebalance-delay-ms', '0', '--transaction-abort-timed-out-transaction-cleanup-interval-ms', '500', '--tail-cache-bytes-max', '0',
      '--transaction-state-log-segment-bytes', '2000'],
  });
  kafka = new Kafka({ clientId: 'txn-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});
afterAll(async () => { await broker?.destroy(); });

describe('transactions (librdkafka)', () => {
  it('a committed and an aborted transaction: read_committed sees exactly the committed records, in order; read_uncommitted sees both', async () => {
    await createTopic('tx-basic', 3);
    const p = await py(['commit-abort', broker.bootstrap, 'tx-basic']);
    expect(p.code, p.stderr).toBe(0);
    const committed = await read('tx-basic', 'read_committed', 45);
    expect(committed.map((r) => r.value).sort()).toEqual(Array.from({ length: 45 }, (_, i) => `committed-${i}`).sort());
    for (let part = 0; part < 3; part++) {
      const keys = committed.filter((r) => r.partition === part).map((r) => Number(r.key.slice(1)));
      expect(keys).toEqual([...keys].sort((a, b) => a - b));
    }
    const all = await read('tx-basic', 'read_uncommitted', 65);
    expect(all.filter((r) => r.value.startsWith('aborted-'))).toHaveLength(20);
    expect(all.filter((r) => r.value.startsWith('committed-'))).toHaveLength(45);
    // Nothing is open: the last stable offset is the end of the log.
    for (let part = 0; part < 3; part++) expect(await endOffset('tx-basic', part, 1)).toBe(await endOffset('tx-basic', part, 0));
    expect(broker.log).toContain('__transaction_state partition checkpointed and trimmed');
  });

  it('consume-transform-produce: output records and input offsets commit together', async () => {
    await createTopic('tx-in', 3);
    await createTopic('tx-out', 1);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'tx-in', acks: -1, messages: Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 3 })) });
    await producer.disconnect();
    const r = await py(['ctp', broker.bootstrap, 'tx-in', 'tx-out', 'tx-ctp', '60']);
    expect(r.code, r.stderr).toBe(0);
    const outRecs = await read('tx-out', 'read_committed', 60);
    expect(outRecs.map((x) => x.value).sort()).toEqual(Array.from({ length: 60 }, (_, i) => `V${i}`).sort());
    // The group's offsets were committed by the transactions: the whole input is behind them.
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: 'tx-ctp', topics: ['tx-in'] });
    await admin.disconnect();
    const ends = await Promise.all([0, 1, 2].map((p) => endOffset('tx-in', p, 0)));
    expect(offsets[0]!.partitions.map((p) => BigInt(p.offset)).sort()).toEqual(ends.sort());
  });

  it('zombie fencing: a second instance of the transactional.id fences the first, whose writes never become visible', async () => {
    await createTopic('tx-fence', 1);
    const r = await py(['fence', broker.bootstrap, 'tx-fence']);
    expect(r.code, r.stderr).toBe(0);
    const steps = jsonLines<{ step: string; fatal?: boolean }>(r.stdout);
    expect(steps.map((s) => s.step)).toEqual(['second-initialised', 'second-committed', 'first-failed']);
    expect(steps[2]!.fatal).toBe(true);
    const visible = await read('tx-fence', 'read_committed', 10);
    expect(visible.map((x) => x.value)).toEqual(['from-second']);
  });

  it('an abandoned transaction holds the last stable offset until its timeout aborts it; then readers move on', async () => {
    await createTopic('tx-hang', 1);
    const r = await py(['abandon', broker.bootstrap, 'tx-hang', 'tx-hang-id']);
    expect(r.code, r.stderr).toBe(0);
    expect(await endOffset('tx-hang', 0, 1)).toBe(0n);
    expect(await endOffset('tx-hang', 0, 0)).toBe(5n);
    // transaction.timeout.ms is 3 s; the coordinator aborts it and writes the marker.
    await until(async () => (await endOffset('tx-hang', 0, 1)) === 6n, 30_000, 'the timed-out transaction to be aborted');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'tx-hang', acks: -1, messages: [{ key: 'after', value: 'after-abort' }] });
    await producer.disconnect();
    expect((await read('tx-hang', 'read_committed', 10)).map((x) => x.value)).toEqual(['after-abort']);
  });
});

describe('transactions (kafkajs)', () => {
  it('producer.transaction() with sendOffsets commits records and offsets; an aborted one leaves nothing', async () => {
    await createTopic('kjs-in', 1);
    await createTopic('kjs-out', 1);
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: 'kjs-in', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ value: `in-${i}` })) });
    await plain.disconnect();
    const producer = kafka.producer({ transactionalId: 'kjs-txn', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic: 'kjs-out', messages: [{ value: 'out-1' }, { value: 'out-2' }] });
    await txn.sendOffsets({ consumerGroupId: 'kjs-group', topics: [{ topic: 'kjs-in', partitions: [{ partition: 0, offset: '10' }] }] });
    await txn.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic: 'kjs-out', messages: [{ value: 'never' }] });
    await aborted.sendOffsets({ consumerGroupId: 'kjs-group', topics: [{ topic: 'kjs-in', partitions: [{ partition: 0, offset: '99' }] }] });
    await aborted.abort();
    await producer.disconnect();
    expect((await read('kjs-out', 'read_committed', 10)).map((x) => x.value)).toEqual(['out-1', 'out-2']);
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: 'kjs-group', topics: ['kjs-in'] });
    await admin.disconnect();
    expect(offsets[0]!.partitions[0]!.offset).toBe('10');
  });
});

describe('transactions across kill -9', () => {
  it('a committed transaction stays visible once, an open one is never visible and is aborted at its timeout', async () => {
    await createTopic('tx-crash', 2);
    const producer = kafka.producer({ transactionalId: 'crash-txn', maxInFlightRequests: 1, idempotent: true, transactionTimeout: 4000 });
    await producer.connect();
    const done = await producer.transaction();
    await done.send({ topic: 'tx-crash', messages: Array.from({ length: 20 }, (_, i) => ({ value: `done-${i}`, partition: i % 2 })) });
    await done.commit();
    const open = await producer.transaction();
    await open.send({ topic: 'tx-crash', messages: Array.from({ length: 10 }, (_, i) => ({ value: `open-${i}`, partition: i % 2 })) });
    await broker.kill9();
    await producer.disconnect().catch(() => undefined);
    await broker.startAgain();
    // Before the timeout the open transaction holds the last stable offset; after it, it is aborted.
    await until(async () => (await Promise.all([0, 1].map(async (p) => (await endOffset('tx-crash', p, 1)) === (await endOffset('tx-crash', p, 0))))).every(Boolean), 30_000, 'the open transaction to be aborted after the restart');
    const seen = (await read('tx-crash', 'read_committed', 40)).map((x) => x.value).sort();
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => `done-${i}`).sort());
    // The transactional id works again: a new instance commits.
    const again = kafka.producer({ transactionalId: 'crash-txn', maxInFlightRequests: 1, idempotent: true });
    await again.connect();
    const t = await again.transaction();
    await t.send({ topic: 'tx-crash', messages: [{ value: 'after-restart', partition: 0 }] });
    await t.commit();
    await again.disconnect();
    const after = (await read('tx-crash', 'read_committed', 40)).map((x) => x.value);
    expect(after.filter((v) => v === 'after-restart')).toHaveLength(1);
    expect(after.filter((v) => v.startsWith('open-'))).toHaveLength(0);
    expect(after.filter((v) => v.startsWith('done-'))).toHaveLength(20);
  }, 120_000);
});
