// kafkajs against a real broker process: admin (create, list, describe
// metadata and offsets, delete topics), producer with acks=all, and bad
// admin input answered with Kafka's errors.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, ConfigResourceTypes, type Admin } from 'kafkajs';
import { BrokerProcess } from '../support/broker-process.ts';
import { BACKENDS, startBackend, type BackendHandle } from '../support/object-store-backends.ts';

describe.each(BACKENDS)('kafkajs (%s object store)', (backendName) => {
  let broker: BrokerProcess;
  let backend: BackendHandle;
  let kafka: Kafka;
  let admin: Admin;
  beforeAll(async () => {
    backend = await startBackend(backendName);
    broker = await BrokerProcess.start({ args: ['--auto-create-topics-enable', 'false', '--offsets-topic-num-partitions', '4'], env: backend.env });
    kafka = new Kafka({ clientId: 'floe-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
    await broker.destroy();
    await backend.stop();
  });

  describe('kafkajs admin', () => {
    it('creates, lists, describes and deletes topics', async () => {
      expect(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '3600000' }] }, { topic: 'admin-b' }] })).toBe(true);
      expect(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 3 }] })).toBe(false);
      expect((await admin.listTopics()).filter((t) => !t.startsWith('__')).sort()).toEqual(['admin-a', 'admin-b']);
      const md = await admin.fetchTopicMetadata({ topics: ['admin-a'] });
      expect(md.topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
      expect(md.topics[0]!.partitions.every((p) => p.leader === 1)).toBe(true);
      await admin.deleteTopics({ topics: ['admin-b'] });
      expect((await admin.listTopics()).filter((t) => !t.startsWith('__'))).toEqual(['admin-a']);
    });

    it('refuses bad topics with Kafka errors', async () => {
      await expect(admin.createTopics({ topics: [{ topic: 'bad name!' }] })).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_TOPIC_EXCEPTION' })] });
      await expect(admin.createTopics({ topics: [{ topic: 'compacted', configEntries: [{ name: 'cleanup.policy', value: 'compact,archive' }] }] }))
        .rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_CONFIG' })] });
      await expect(admin.createTopics({ topics: [{ topic: 'dirty', configEntries: [{ name: 'min.cleanable.dirty.ratio', value: '1.5' }] }] }))
        .rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_CONFIG' })] });
      await expect(admin.createTopics({ topics: [{ topic: 'zero', numPartitions: 0 }] })).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_PARTITIONS' })] });
      await expect(admin.deleteTopics({ topics: ['never-existed'], timeout: 1000 })).rejects.toThrow();
    });
  });

  describe('kafkajs admin: configs, partitions, records, cluster', () => {
    it('describes topic configs with Kafka names and defaults, and alters them', async () => {
      await admin.createTopics({ topics: [{ topic: 'configs', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] });
      const read = async (): Promise<Map<string, { value: string; isDefault: boolean }>> => {
        const d = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'configs' }], includeSynonyms: false });
        return new Map(d.resources[0]!.configEntries.map((e) => [e.configName, { value: e.configValue, isDefault: e.isDefault }]));
      };
      let c = await read();
      expect(c.get('retention.ms')).toEqual({ value: '3600000', isDefault: false });
      expect(c.get('cleanup.policy')).toEqual({ value: 'delete', isDefault: true });
      expect(c.get('max.message.bytes')?.value).toBe('1048588');
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'configs', configEntries: [{ name: 'retention.bytes', value: '1000000' }] }] });
      c = await read();
      expect(c.get('retention.bytes')).toEqual({ value: '1000000', isDefault: false });
      // AlterConfigs replaces the whole set of overrides, as in Kafka.
      expect(c.get('retention.ms')?.isDefault).toBe(true);
      await expect(admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'configs', configEntries: [{ name: 'retention.ms', value: 'soon' }] }] }))
        .rejects.toThrow(/Invalid value|INVALID_CONFIG|Configuration is invalid/i);
      const broker1 = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.BROKER, name: '1' }], includeSynonyms: false });
      expect(broker1.resources[0]!.configEntries.find((e) => e.configName === 'auto.create.topics.enable')?.configValue).toBe('false');
    });

    it('a dynamic broker config (kafka-configs --entity-type brokers --entity-name 1) applies to every topic without an override, then goes', async () => {
      await admin.createTopics({ topics: [{ topic: 'bounded', numPartitions: 1 }, { topic: 'roomy', numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '100000' }] }] });
      const setDefault = (value: string | undefined) => admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: value === undefined ? [] : [{ name: 'message.max.bytes', value }] }] });
      await setDefault('2000');
      const d = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'bounded', configNames: ['max.message.bytes'] }], includeSynonyms: false });
      expect(d.resources[0]!.configEntries[0]).toMatchObject({ configValue: '2000', configSource: 2 });
      const producer = kafka.producer();
      await producer.connect();
      const big = { key: 'k', value: 'x'.repeat(5000) };
      await expect(producer.send({ topic: 'bounded', acks: -1, messages: [big] })).rejects.toMatchObject({ type: 'MESSAGE_TOO_LARGE' });
      // A topic's own override still wins over the broker's default.
      await producer.send({ topic: 'roomy', acks: -1, messages: [big] });
      await setDefault(undefined);
      await producer.send({ topic: 'bounded', acks: -1, messages: [big] });
      await producer.disconnect();
      // Settings Kafka changes only at restart are refused.
      await expect(admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [{ name: 'num.partitions', value: '3' }] }] }))
        .rejects.toMatchObject({ type: 'INVALID_REQUEST' });
    });

    it('adds partitions and refuses to shrink', async () => {
      await admin.createTopics({ topics: [{ topic: 'grow', numPartitions: 2 }] });
      await admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 5 }] });
      const md = await admin.fetchTopicMetadata({ topics: ['grow'] });
      expect(md.topics[0]!.partitions).toHaveLength(5);
      await expect(admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 3 }] })).rejects.toThrow();
    });

    it('deletes records below an offset and the low watermark moves', async () => {
      await admin.createTopics({ topics: [{ topic: 'trimmed', numPartitions: 1 }] });
      const producer = kafka.producer();
      await producer.connect();
      for (let i = 0; i < 10; i++) await producer.send({ topic: 'trimmed', acks: -1, messages: [{ value: `v${i}` }] });
      await producer.disconnect();
      // kafkajs finds partition leaders in its cached metadata only, so load it first (as with Apache Kafka).
      await admin.fetchTopicMetadata({ topics: ['trimmed'] });
      await admin.deleteTopicRecords({ topic: 'trimmed', partitions: [{ partition: 0, offset: '6' }] });
      const offsets = await admin.fetchTopicOffsets('trimmed');
      expect(offsets[0]!.low).toBe('6');
      expect(offsets[0]!.high).toBe('10');
    });

    it('describes the cluster', async () => {
      const c = await admin.describeCluster();
      expect(c.brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: broker.port }]);
      expect(c.controller).toBe(1);
      expect(c.clusterId.length).toBeGreaterThan(0);
    });
  });

  describe('kafkajs producer', () => {
    it('sends to several partitions with acks=all and the offsets add up', async () => {
      await admin.createTopics({ topics: [{ topic: 'produced', numPartitions: 4 }] });
      const producer = kafka.producer();
      await producer.connect();
      const sent = [];
      for (let i = 0; i < 20; i++) {
        sent.push(...await producer.send({
          topic: 'produced', acks: -1,
          messages: Array.from({ length: 25 }, (_, j) => ({ key: `k${i}-${j}`, value: `v${i}-${j}`, partition: (i + j) % 4 })),
        }));
      }
      await producer.disconnect();
      expect(sent.every((r) => r.errorCode === 0)).toBe(true);
      const offsets = await admin.fetchTopicOffsets('produced');
      const total = offsets.reduce((a, o) => a + Number(o.high), 0);
      expect(total).toBe(500);
      expect(offsets.every((o) => o.low === '0')).toBe(true);
    });

    it('ListOffsets by timestamp and by max timestamp', async () => {
      await admin.createTopics({ topics: [{ topic: 'timed', numPartitions: 1 }] });
      const producer = kafka.producer();
      await producer.connect();
      // Offsets 0..9 with timestamps 1000, 2000, ... 10000 (ms), in two batches.
      await producer.send({ topic: 'timed', acks: -1, messages: Array.from({ length: 5 }, (_, i) => ({ value: `t${i}`, timestamp: String((i + 1) * 1000) })) });
      await producer.send({ topic: 'timed', acks: -1, messages: Array.from({ length: 5 }, (_, i) => ({ value: `t${i + 5}`, timestamp: String((i + 6) * 1000) })) });
      await producer.disconnect();
      expect((await admin.fetchTopicOffsetsByTimestamp('timed', 3500))[0]!.offset).toBe('3');
      expect((await admin.fetchTopicOffsetsByTimestamp('timed', 7000))[0]!.offset).toBe('6');
      // No record that late: the broker answers -1 and kafkajs reports the high watermark instead.
      expect((await admin.fetchTopicOffsetsByTimestamp('timed', 99_000))[0]!.offset).toBe('10');
      const { WireClient } = await import('../../protocol/wire-client.ts');
      const { ListOffsetsApi } = await import('../../protocol/generated/index.ts');
      const c = await WireClient.connect('127.0.0.1', broker.port);
      const max = await c.request(ListOffsetsApi, 7, { replicaId: -1, isolationLevel: 0, timeoutMs: 1000, topics: [{ name: 'timed', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -3n, maxNumOffsets: 1 }] }] });
      expect(max.topics[0]!.partitions[0]!.offset).toBe(9n);
      expect(max.topics[0]!.partitions[0]!.timestamp).toBe(10_000n);
      c.close();
    });

    it('gets UNKNOWN_TOPIC_OR_PARTITION for a topic that does not exist (auto-create off)', async () => {
      const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 1 } });
      await producer.connect();
      await expect(producer.send({ topic: 'missing-topic', messages: [{ value: 'x' }] })).rejects.toThrow(/does not host this topic-partition|UNKNOWN_TOPIC|not exist/i);
      await producer.disconnect();
    });
  });
});
