// The migration path: MirrorMaker 2 (Apache Kafka 4.3.1's, dedicated mode,
// on the Kafka Connect runtime, whose config, offset and status topics live
// on floe and must be compacted) copies a topic from a real Apache Kafka to
// floe while it is being written; a consumer on floe reads exactly what was
// written to Kafka, partition by partition; a consumer group that read it all
// on Kafka finds its offsets translated on floe (MirrorMaker's checkpoints,
// synced into floe's group coordinator) and resumes there with nothing to
// read again.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ApacheKafka } from '../support/apache-kafka.ts';
import { BrokerProcess } from '../support/broker-process.ts';
import { spawnJava } from '../support/java.ts';
import { until } from '../support/until.ts';

let floe: BrokerProcess;
let source: ApacheKafka;
beforeAll(async () => {
  floe = await BrokerProcess.start({ args: ['--group-initial-rebalance-delay-ms', '0', '--log-cleaner-backoff-ms', '1000'] });
  source = await ApacheKafka.start();
}, 180_000);
afterAll(async () => {
  await source?.destroy();
  await floe?.destroy();
});

describe('MirrorMaker 2 from Apache Kafka to floe', () => {
  it('copies a topic partition by partition, record by record, with its Connect internal topics compacted on floe; a group\'s offsets follow it', async () => {
    const onKafka = new Kafka({ clientId: 'mm2-source', brokers: [source.bootstrap], logLevel: logLevel.NOTHING });
    const onFloe = new Kafka({ clientId: 'mm2-target', brokers: [floe.bootstrap], logLevel: logLevel.NOTHING });
    const admin = onKafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] });
    await admin.disconnect();

    const dir = mkdtempSync(join(tmpdir(), 'floe-mm2-'));
    const props = join(dir, 'mm2.properties');
    writeFileSync(props, [
      'clusters = source, target',
      `source.bootstrap.servers = ${source.bootstrap}`,
      `target.bootstrap.servers = ${floe.bootstrap}`,
      'source->target.enabled = true',
      'source->target.topics = orders',
      'replication.policy.class = org.apache.kafka.connect.mirror.IdentityReplicationPolicy',
      'replication.factor = 1',
      'checkpoints.topic.replication.factor = 1',
      'heartbeats.topic.replication.factor = 1',
      'offset-syncs.topic.replication.factor = 1',
      'offset.storage.replication.factor = 1',
      'status.storage.replication.factor = 1',
      'config.storage.replication.factor = 1',
      'sync.topic.acls.enabled = false',
      'refresh.topics.interval.seconds = 1',
      // The group's offsets: checkpoints every second, synced into floe's coordinator, with an offset
      // sync for every record (so the end of each partition translates exactly).
      'source->target.groups = billing',
      'refresh.groups.interval.seconds = 1',
      'source->target.emit.checkpoints.interval.seconds = 1',
      'source->target.sync.group.offsets.enabled = true',
      'source->target.sync.group.offsets.interval.seconds = 1',
      'source->target.offset.lag.max = 0',
      'offset.flush.interval.ms = 1000',
      '',
    ].join('\n'));
    const mm2 = spawnJava('org.apache.kafka.connect.mirror.MirrorMaker', [props]);
    let log = '';
    mm2.stderr!.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-6000); });
    mm2.stdout!.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-6000); });
    const floeAdmin = onFloe.admin();
    await floeAdmin.connect();
    try {
      // Records arrive while MirrorMaker runs, in small sends, so it emits offset syncs along the way.
      const producer = onKafka.producer();
      await producer.connect();
      for (let i = 0; i < 300; i += 10) {
        await producer.send({ topic: 'orders', acks: -1, messages: Array.from({ length: 10 }, (_, k) => ({ key: `k${i + k}`, value: `order-${i + k}`, partition: (i + k) % 3 })) });
        await new Promise((r) => setTimeout(r, 50));
      }
      await producer.disconnect();
      const ends = async (): Promise<number[]> => (await floeAdmin.fetchTopicOffsets('orders').catch(() => [])).sort((a, b) => a.partition - b.partition).map((p) => Number(p.high));
      // Bounded generously: under two CI runs at once MirrorMaker once took longer than 120 s to copy them.
      await until(async () => (await ends()).join(',') === '100,100,100', 240_000, 'the 300 records on floe, 100 per partition', 500, async () => `floe has ${(await ends()).join(',')}; ${log.slice(-3000)}`);
      // Connect's internal topics on floe are compacted, as Connect requires.
      const topics = (await floeAdmin.listTopics()).filter((t) => t.startsWith('mm2-'));
      expect(topics.length).toBeGreaterThanOrEqual(3);
      const configs = await floeAdmin.describeConfigs({ resources: topics.map((name) => ({ type: 2, name, configNames: ['cleanup.policy'] })), includeSynonyms: false });
      for (const r of configs.resources) expect(r.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue).toBe('compact');
      // What a consumer on floe reads is what was written to Kafka, partition by partition, in order.
      const consumer = onFloe.consumer({ groupId: 'after-migration', maxWaitTimeInMs: 200 });
      const got: { partition: number; value: string }[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic: 'orders', fromBeginning: true });
      await consumer.run({ eachMessage: async ({ partition, message }) => { got.push({ partition, value: message.value!.toString() }); } });
      try {
        await until(() => got.length >= 300, 60_000, 'the 300 records read on floe');
      } finally {
        await consumer.disconnect();
      }
      for (let p = 0; p < 3; p++) {
        expect(got.filter((r) => r.partition === p).map((r) => r.value)).toEqual(Array.from({ length: 100 }, (_, k) => `order-${k * 3 + p}`));
      }
      // The group 'billing' read everything on Kafka: MirrorMaker carries its offsets over to floe.
      const billing = onKafka.consumer({ groupId: 'billing', maxWaitTimeInMs: 200 });
      let billed = 0;
      await billing.connect();
      await billing.subscribe({ topic: 'orders', fromBeginning: true });
      await billing.run({ eachMessage: async () => { billed++; } });
      try {
        await until(() => billed >= 300, 60_000, 'the group billing reads the 300 records on Kafka');
      } finally {
        await billing.disconnect();
      }
      const committed = async (): Promise<string> => (await floeAdmin.fetchOffsets({ groupId: 'billing', topics: ['orders'] }).catch(() => [{ partitions: [] }]))[0]!.partitions
        .sort((a, b) => a.partition - b.partition).map((p) => p.offset).join(',');
      await until(async () => (await committed()) === '100,100,100', 120_000, 'billing\'s offsets synced to floe', 500, async () => `floe has ${await committed()}; ${log.slice(-2000)}`);
      // On floe the group resumes where it left off on Kafka: nothing to read again.
      const resumed = onFloe.consumer({ groupId: 'billing', maxWaitTimeInMs: 200 });
      let again = 0;
      await resumed.connect();
      await resumed.subscribe({ topic: 'orders', fromBeginning: true });
      let assigned = false;
      resumed.on(resumed.events.GROUP_JOIN, () => { assigned = true; });
      await resumed.run({ eachMessage: async () => { again++; } });
      await until(() => assigned, 60_000, 'the group joined on floe');
      const producer2 = onFloe.producer();
      await producer2.connect();
      await producer2.send({ topic: 'orders', acks: -1, messages: [0, 1, 2].map((partition) => ({ partition, value: `after-${partition}` })) });
      await producer2.disconnect();
      await until(() => again >= 3, 60_000, 'the three records written on floe after the migration');
      await resumed.disconnect();
      expect(again).toBe(3);
    } finally {
      mm2.kill('SIGKILL');
      await floeAdmin.disconnect();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 480_000);
});
