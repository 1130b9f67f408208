// Cost and usage per topic (GET /admin/usage and /metrics): two topics
// written with 1 and 3 MB by kafkajs; their stored bytes follow what was
// written, the PUT shares of every upload add up to the uploads made, bytes
// in are counted per topic; after a restart (empty caches) reading one topic
// from the start costs GETs of its bytes, counted for it; the price table
// comes from the flags. Per consumer group: the records each group
// consumed (the progress of its commits) and its share of the topic's reads.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { BrokerProcess } from '../support/broker-process.ts';
import { until } from '../support/until.ts';
import { brokerMetric } from '../support/broker-metrics.ts';

interface Row { topic: string; records: number; bytesIn: number; bytesOut: number; uploadedBytes: number; puts: number; gets: number; storedBytes: number; usdPerDay: { storage: number; requests: number; total: number } }

let broker: BrokerProcess;
let kafka: Kafka;
const PRICES = { put: 5, get: 0.4, storage: 23 };

interface GroupRow { group: string; records: number; topics: { topic: string; records: number; shareOfTopic: number; readsUsdPerDay: number }[]; readsUsdPerDay: number }

const usage = async (): Promise<{ prices: { putPer1000: number; getPer1000: number; storageGbMonth: number }; uptimeSeconds: number; topics: Row[]; groups: GroupRow[] }> =>
  (await fetch(`http://127.0.0.1:${broker.httpPort}/admin/usage`)).json() as never;
const row = async (topic: string): Promise<Row> => (await usage()).topics.find((t) => t.topic === topic)!;

beforeAll(async () => {
  broker = await BrokerProcess.start({ args: [
    '--upload-interval-ms', '50', '--group-initial-rebalance-delay-ms', '0',
    '--usage-price-put-per-1000', String(PRICES.put), '--usage-price-get-per-1000', String(PRICES.get), '--usage-price-storage-gb-month', String(PRICES.storage),
  ] });
  kafka = new Kafka({ clientId: 'usage-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});
afterAll(async () => { await broker?.destroy(); });

describe('cost and usage per topic', () => {
  it('stored bytes, PUT shares, bytes in and GETs are attributed to the topic they are for, and priced with the flags\' table', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'small', numPartitions: 2 }, { topic: 'large', numPartitions: 2 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const value = Buffer.alloc(10_000, 'v');
    for (let i = 0; i < 400; i++) {
      const messages = [{ partition: i % 2, value }];
      if (i < 100) await producer.send({ topic: 'small', acks: -1, messages });
      await producer.send({ topic: 'large', acks: -1, messages: [...messages, ...messages, ...messages].slice(0, i < 100 ? 3 : 2) });
    }
    await producer.disconnect();
    // 1 MB and 3 MB... (large: 100 x 3 + 300 x 2 = 900 records of 10 kB).
    const objectStore = async (): Promise<{ uploads: number; pendingUploadBytes: number }> => (await fetch(`http://127.0.0.1:${broker.httpPort}/admin/object-store`)).json() as never;
    await until(async () => (await objectStore()).pendingUploadBytes === 0 && (await row('small')).storedBytes >= 1_000_000 && (await row('large')).storedBytes >= 9_000_000, 30_000, 'both topics uploaded');
    // A report between two equal upload counts: no upload happened while it was made.
    let uploads = -1;
    let report: Awaited<ReturnType<typeof usage>> | undefined;
    await until(async () => {
      const before = (await objectStore()).uploads;
      report = await usage();
      uploads = (await objectStore()).uploads;
      return before === uploads;
    }, 30_000, 'a report no upload raced');
    if (report === undefined) throw new Error('no report');
    expect(report.prices).toEqual({ putPer1000: PRICES.put, getPer1000: PRICES.get, storageGbMonth: PRICES.storage });
    const small = report.topics.find((t) => t.topic === 'small')!;
    const large = report.topics.find((t) => t.topic === 'large')!;
    expect(large.storedBytes / small.storedBytes).toBeGreaterThan(8);
    expect(large.storedBytes / small.storedBytes).toBeLessThan(10);
    expect(small.bytesIn).toBeGreaterThan(1_000_000);
    expect([small.records, large.records]).toEqual([100, 900]);
    expect(large.bytesIn / small.bytesIn).toBeGreaterThan(8);
    // The stored regions carry a little framing around the uploaded batches.
    expect(small.uploadedBytes).toBeLessThanOrEqual(small.storedBytes);
    expect(small.uploadedBytes).toBeGreaterThan(small.storedBytes * 0.99);
    // Every upload's PUT is shared out by bytes: the shares of all topics add up to the uploads made.
    const shares = report.topics.reduce((n, t) => n + t.puts, 0);
    expect(Math.abs(shares - uploads)).toBeLessThan(1e-6 * uploads + 1e-9);
    expect(small.puts).toBeGreaterThan(0);
    // The price table: storage per day is the stored GB times the month's price over 30 days.
    expect(small.usdPerDay.storage).toBeCloseTo((small.storedBytes / 1e9) * PRICES.storage / 30, 12);
    expect(small.usdPerDay.requests).toBeGreaterThan(0);
    expect(report.topics[0]!.topic).toBe('large');
    expect(await brokerMetric(broker.httpPort, 'floe_topic_stored_bytes{topic="large"}')).toBe(large.storedBytes);

    // After a restart the caches are empty: reading `small` from the start costs GETs for it alone.
    await broker.restart();
    const consumer = kafka.consumer({ groupId: 'usage-reader' });
    await consumer.connect();
    await consumer.subscribe({ topics: ['small'], fromBeginning: true });
    let n = 0;
    await consumer.run({ eachMessage: async () => { n++; } });
    await until(() => n >= 100, 30_000, 'small read back');
    await consumer.disconnect();
    const after = (await usage()).topics.find((t) => t.topic === 'small')! as Row & { getBytes: number };
    expect(after.gets).toBeGreaterThan(0);
    expect(after.getBytes).toBeGreaterThanOrEqual(small.storedBytes * 0.9);
    expect(after.bytesOut).toBeGreaterThan(1_000_000);
  });

  it('per group: the records each consumed (its commits\' progress) and its share of the topic\'s reads', async () => {
    const producer = kafka.producer();
    await producer.connect();
    const read = async (groupId: string, expected: number): Promise<void> => {
      const consumer = kafka.consumer({ groupId });
      await consumer.connect();
      await consumer.subscribe({ topics: ['small'], fromBeginning: true });
      let n = 0;
      await consumer.run({ eachMessage: async () => { n++; } });
      await until(() => n >= expected, 30_000, `${groupId} reads ${expected}`);
      await consumer.disconnect();
    };
    const consumed = async (group: string): Promise<number> => (await usage()).groups.find((g) => g.group === group)?.records ?? 0;
    // Each group's first run sets its starting point (a first commit of a partition counts nothing: where it began is not known).
    await read('usage-a', 100);
    await read('usage-b', 100);
    const [a0, b0] = [await consumed('usage-a'), await consumed('usage-b')];
    await producer.send({ topic: 'small', acks: -1, messages: Array.from({ length: 60 }, (_, i) => ({ partition: i % 2, value: 'x' })) });
    await read('usage-a', 60);
    await producer.send({ topic: 'small', acks: -1, messages: Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, value: 'y' })) });
    await read('usage-a', 20);
    await read('usage-b', 80);
    await producer.disconnect();
    const report = await usage();
    const a = report.groups.find((g) => g.group === 'usage-a')!;
    const b = report.groups.find((g) => g.group === 'usage-b')!;
    expect(a.records - a0).toBe(80);
    expect(b.records - b0).toBe(80);
    expect(a.topics.map((t) => t.topic)).toEqual(['small']);
    // The two groups' shares of the topic add up to all of it, and so do their parts of its read cost.
    expect(a.topics[0]!.shareOfTopic + b.topics[0]!.shareOfTopic).toBeCloseTo(1, 12);
    expect(a.topics[0]!.shareOfTopic).toBeCloseTo(a.records / (a.records + b.records), 12);
    const small = report.topics.find((t) => t.topic === 'small')!;
    const topicReads = (small.gets * report.prices.getPer1000) / 1000 / (report.uptimeSeconds / 86_400);
    expect(small.gets).toBeGreaterThan(0);
    expect((a.readsUsdPerDay + b.readsUsdPerDay) / topicReads).toBeGreaterThan(0.9);
    expect((a.readsUsdPerDay + b.readsUsdPerDay) / topicReads).toBeLessThan(1.1);
    await until(async () => (await brokerMetric(broker.httpPort, 'floe_group_consumed_records{group="usage-b"}')) === (await consumed('usage-b')), 30_000, 'the metric shows the last report');
  });
});
