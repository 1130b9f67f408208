// Compacted topics (cleanup.policy=compact): kafkajs writes ten versions of
// forty keys, the last version of ten of them a tombstone, each round in its
// own upload; after the cleaner runs, a consumer reading from the beginning
// sees exactly what a model of Kafka's cleaner predicts — the latest value
// of each live key at its original offset (the log has gaps), no tombstone
// past delete.retention.ms, and the uncleaned newest region as written.
// kill -9 of the broker, repeatedly, while the cleaner has work (the kills
// are timed around its 300 ms runs, not proven to land inside one): nothing that
// should survive is lost and nothing is read that was not written there.
// Also: the policy changes with AlterConfigs.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { BrokerProcess } from '../support/broker-process.ts';
import { until } from '../support/until.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import { FetchApi } from '../../protocol/generated/index.ts';
import { defaultFetchPartition, defaultFetchRequest } from '../../protocol/generated/FetchRequest.ts';
import { splitRecordBatches } from '../../protocol/records/record-batch-header.ts';
import { recordsBuffer } from '../../protocol/primitives/writer.ts';

let broker: BrokerProcess;
let kafka: Kafka;

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${broker.httpPort}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`)).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** Every record of the topic's partition 0, from the beginning, read until `last` arrives. */
async function readAll(topic: string, last: string, readUncommitted = false): Promise<{ offset: number; key: string; value: string | null }[]> {
  const consumer = kafka.consumer({ groupId: `${topic}-reader-${Date.now()}`, maxWaitTimeInMs: 200, readUncommitted });
  const got: { offset: number; key: string; value: string | null }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => { got.push({ offset: Number(message.offset), key: message.key!.toString(), value: message.value === null ? null : message.value.toString() }); } });
  try {
    await until(() => got.some((r) => r.key === last), 30_000, `the record keyed ${last}`);
  } finally {
    await consumer.disconnect();
  }
  return got;
}

/** How many control batches (transaction markers) partition 0 of `topic` holds, read raw from its start. */
async function controlBatches(topic: string): Promise<number> {
  const c = await WireClient.connect('127.0.0.1', broker.port);
  try {
    const f = await c.request(FetchApi, 12, { ...defaultFetchRequest(), maxWaitMs: 0, minBytes: 0, maxBytes: 8 << 20, isolationLevel: 0,
      topics: [{ topic, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ ...defaultFetchPartition(), partition: 0, fetchOffset: 0n, partitionMaxBytes: 8 << 20 }] }] });
    const p = f.responses[0]!.partitions[0]!;
    return p.records === null ? 0 : splitRecordBatches(recordsBuffer(p.records)).filter((b) => b.isControl).length;
  } finally {
    c.close();
  }
}

beforeAll(async () => {
  broker = await BrokerProcess.start({ args: ['--upload-interval-ms', '50', '--log-cleaner-backoff-ms', '300'] });
  kafka = new Kafka({ clientId: 'compaction-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});
afterAll(async () => { await broker?.destroy(); });

describe('compacted topics', () => {
  it('the cleaner keeps the latest record of each key at its offset and drops expired tombstones; the newest region stays as written', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'compacted', numPartitions: 1, configEntries: [
      { name: 'cleanup.policy', value: 'compact' }, { name: 'min.cleanable.dirty.ratio', value: '0.01' }, { name: 'delete.retention.ms', value: '0' },
    ] }] });
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const uploaded = (): Promise<void> => until(async () => (await metric('floe_upload_pending_bytes')) === 0, 20_000, 'the round to be uploaded');
    // Ten rounds of forty keys, one request each (offsets round * 40 + key); round 9 deletes keys 0-9.
    for (let round = 0; round < 10; round++) {
      await producer.send({ topic: 'compacted', acks: -1, messages: Array.from({ length: 40 }, (_, k) => ({ key: `k${k}`, value: round === 9 && k < 10 ? null : `v${k}-r${round}` })) });
      await uploaded();
    }
    // The newest region is never cleaned: a sentinel and a fresh version of k10 go there, in one upload.
    await producer.send({ topic: 'compacted', acks: -1, messages: [{ key: 'k10', value: 'v10-after' }, { key: 'sentinel', value: 'end' }] });
    await producer.disconnect();
    await uploaded();

    // Model: of offsets 0-399, the latest record of each key survives unless it is a tombstone (delete.retention.ms 0).
    const expected = Array.from({ length: 30 }, (_, i) => ({ offset: 9 * 40 + 10 + i, key: `k${10 + i}`, value: `v${10 + i}-r9` }));
    expected.push({ offset: 400, key: 'k10', value: 'v10-after' }, { offset: 401, key: 'sentinel', value: 'end' });
    await until(async () => (await metric('floe_log_cleaner_records_removed_total')) >= 370, 30_000, 'the cleaner to remove the 370 superseded records and tombstones');
    const seen = await readAll('compacted', 'sentinel');
    expect(seen).toEqual(expected);
    expect(await metric('floe_log_cleaner_runs_total')).toBeGreaterThanOrEqual(1);
  });

  it('kill -9 five times while the cleaner has dirty regions to clean: every surviving record is there each time, and the end state matches the model', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'crashy', numPartitions: 1, configEntries: [
      { name: 'cleanup.policy', value: 'compact' }, { name: 'min.cleanable.dirty.ratio', value: '0.01' }, { name: 'delete.retention.ms', value: '0' },
    ] }] });
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const uploaded = (): Promise<void> => until(async () => (await metric('floe_upload_pending_bytes')) === 0, 20_000, 'the round to be uploaded');
    // What was written where: offset -> key and value (round r, key k at offset r * 50 + k).
    const written = new Map<number, { key: string; value: string | null }>();
    for (let round = 0; round < 12; round++) {
      const msgs = Array.from({ length: 50 }, (_, k) => ({ key: `k${k}`, value: round === 11 && k % 5 === 0 ? null : `v${k}-r${round}` }));
      await producer.send({ topic: 'crashy', acks: -1, messages: msgs });
      msgs.forEach((m, k) => written.set(round * 50 + k, m));
      await uploaded();
    }
    await producer.send({ topic: 'crashy', acks: -1, messages: [{ key: 'sentinel', value: 'end' }] });
    written.set(600, { key: 'sentinel', value: 'end' });
    await producer.disconnect();
    await uploaded();
    // Survivors: round 11's values of keys not divisible by 5, and the sentinel.
    const survivors = [...written].filter(([o, r]) => o === 600 || (o >= 550 && r.value !== null));
    const check = (seen: { offset: number; key: string; value: string | null }[]): void => {
      for (const r of seen) expect(written.get(r.offset)).toEqual({ key: r.key, value: r.value });
      const at = new Set(seen.map((r) => r.offset));
      for (const [o] of survivors) expect(at.has(o)).toBe(true);
    };
    for (let crash = 0; crash < 5; crash++) {
      // Somewhere in the cleaner's work (it runs every 300 ms).
      await new Promise((r) => setTimeout(r, 100 + crash * 90));
      await broker.kill9();
      await broker.startAgain();
      check(await readAll('crashy', 'sentinel'));
    }
    await until(async () => (await readAll('crashy', 'sentinel')).length === survivors.length, 60_000, 'the cleaner to finish after the crashes');
    const final = await readAll('crashy', 'sentinel');
    check(final);
    expect(final.map((r) => r.offset)).toEqual(survivors.map(([o]) => o));
  }, 180_000);

  it('max.compaction.lag.ms: the newest region is cleaned once its records are that old (Kafka rolls its active segment); without it, it stays as written', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const compact = [{ name: 'cleanup.policy', value: 'compact' }, { name: 'min.cleanable.dirty.ratio', value: '0.01' }];
    await admin.createTopics({ topics: [
      { topic: 'lagged', numPartitions: 1, configEntries: [...compact, { name: 'max.compaction.lag.ms', value: '1000' }] },
      { topic: 'unlagged', numPartitions: 1, configEntries: compact },
    ] });
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    // Two versions of twenty keys and a sentinel, in one request: one region, the newest, in each topic.
    const messages = [0, 1].flatMap((r) => Array.from({ length: 20 }, (_, k) => ({ key: `k${k}`, value: `v${k}-r${r}` })));
    messages.push({ key: 'sentinel', value: 'end' });
    for (const topic of ['lagged', 'unlagged']) await producer.send({ topic, acks: -1, messages });
    await producer.disconnect();
    await until(async () => (await metric('floe_upload_pending_bytes')) === 0, 20_000, 'the records to be uploaded');
    await until(async () => (await readAll('lagged', 'sentinel')).length === 21, 30_000, 'lagged cleaned down to one record per key');
    const lagged = await readAll('lagged', 'sentinel');
    expect(lagged.map((r) => `${r.offset} ${r.key}=${r.value}`)).toEqual([
      ...Array.from({ length: 20 }, (_, k) => `${20 + k} k${k}=v${k}-r1`), '40 sentinel=end',
    ]);
    // The same log without max.compaction.lag.ms: its only region is the newest, never cleaned.
    expect((await readAll('unlagged', 'sentinel')).length).toBe(41);
  });

  it('transactions: the cleaner removes aborted transactions\' records and compacts committed ones like any other', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'txn-compacted', numPartitions: 1, configEntries: [
      { name: 'cleanup.policy', value: 'compact' }, { name: 'min.cleanable.dirty.ratio', value: '0.01' }, { name: 'delete.retention.ms', value: '0' },
    ] }] });
    await admin.disconnect();
    const uploaded = (): Promise<void> => until(async () => (await metric('floe_upload_pending_bytes')) === 0, 20_000, 'the records to be uploaded');
    const producer = kafka.producer({ transactionalId: 'cleaner-txn', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const inTransaction = async (keys: number[], value: string, commit: boolean): Promise<void> => {
      const txn = await producer.transaction();
      await txn.send({ topic: 'txn-compacted', acks: -1, messages: keys.map((k) => ({ key: `k${k}`, value })) });
      if (commit) await txn.commit();
      else await txn.abort();
      await uploaded();
    };
    await inTransaction([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'first', true);
    await inTransaction([0, 1, 2, 3, 4], 'aborted', false);
    await inTransaction([5, 6, 7, 8, 9], 'second', true);
    await inTransaction([5, 6, 7, 8, 9], 'third', true);
    await producer.disconnect();
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: 'txn-compacted', acks: -1, messages: [{ key: 'sentinel', value: 'end' }] });
    await plain.disconnect();
    await uploaded();
    // Before cleaning a read_uncommitted consumer sees all 26 records; after, the aborted five and the superseded ten are gone.
    await until(async () => (await readAll('txn-compacted', 'sentinel', true)).length === 11, 30_000, 'the cleaner to remove aborted and superseded records');
    const seen = await readAll('txn-compacted', 'sentinel', true);
    expect(seen.map((r) => `${r.key}=${r.value}`).sort()).toEqual([
      ...[0, 1, 2, 3, 4].map((k) => `k${k}=first`), ...[5, 6, 7, 8, 9].map((k) => `k${k}=third`), 'sentinel=end',
    ].sort());
    // read_committed sees the same.
    expect((await readAll('txn-compacted', 'sentinel')).map((r) => `${r.key}=${r.value}`).sort()).toEqual(seen.map((r) => `${r.key}=${r.value}`).sort());
    // Markers: the second committed transaction's goes with its records (all superseded; delete.retention.ms 0);
    // the others stay: the first's and the last's transactions have live records, the aborted one's marker always.
    await until(async () => (await controlBatches('txn-compacted')) === 3, 30_000, 'the emptied committed transaction\'s marker to go');
  });

  it('cleanup.policy changes with AlterConfigs, from delete to compact and to both', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'policy', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '1' }] }] });
      const policy = async (): Promise<string | undefined> => (await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'policy', configNames: ['cleanup.policy'] }], includeSynonyms: false }))
        .resources[0]!.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue;
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'policy', configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'retention.ms', value: '1' }] }] });
      await until(async () => (await policy()) === 'compact', 10_000, 'cleanup.policy compact');
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'policy', configEntries: [{ name: 'cleanup.policy', value: 'compact,delete' }, { name: 'retention.ms', value: '1' }] }] });
      await until(async () => (await policy()) === 'compact,delete', 10_000, 'cleanup.policy compact,delete');
    } finally {
      await admin.disconnect();
    }
  });
});
