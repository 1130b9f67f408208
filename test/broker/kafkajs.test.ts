// kafkajs against a real broker process: admin (create, list, describe
// metadata and offsets, delete topics), producer with acks=all, and bad
// admin input answered with Kafka's errors.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { BrokerProcess } from '../support/broker-process.ts';

let broker: BrokerProcess;
let kafka: Kafka;
let admin: Admin;
beforeAll(async () => {
  broker = await BrokerProcess.start({ args: ['--auto-create-topics-enable', 'false'] });
  kafka = new Kafka({ clientId: 'floe-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  admin = kafka.admin();
  await admin.connect();
});
afterAll(async () => {
  await admin.disconnect();
  await broker.destroy();
});

describe('kafkajs admin', () => {
  it('creates, lists, describes and deletes topics', async () => {
    expect(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '3600000' }] }, { topic: 'admin-b' }] })).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 3 }] })).toBe(false);
    expect((await admin.listTopics()).sort()).toEqual(['admin-a', 'admin-b']);
    const md = await admin.fetchTopicMetadata({ topics: ['admin-a'] });
    expect(md.topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
    expect(md.topics[0]!.partitions.every((p) => p.leader === 1)).toBe(true);
    await admin.deleteTopics({ topics: ['admin-b'] });
    expect(await admin.listTopics()).toEqual(['admin-a']);
  });

  it('refuses bad topics with Kafka errors', async () => {
    await expect(admin.createTopics({ topics: [{ topic: 'bad name!' }] })).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_TOPIC_EXCEPTION' })] });
    await expect(admin.createTopics({ topics: [{ topic: 'compacted', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] }))
      .rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_CONFIG' })] });
    await expect(admin.createTopics({ topics: [{ topic: 'zero', numPartitions: 0 }] })).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_PARTITIONS' })] });
    await expect(admin.deleteTopics({ topics: ['never-existed'], timeout: 1000 })).rejects.toThrow();
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

  it('gets UNKNOWN_TOPIC_OR_PARTITION for a topic that does not exist (auto-create off)', async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 1 } });
    await producer.connect();
    await expect(producer.send({ topic: 'missing-topic', messages: [{ value: 'x' }] })).rejects.toThrow(/does not host this topic-partition|UNKNOWN_TOPIC|not exist/i);
    await producer.disconnect();
  });
});
