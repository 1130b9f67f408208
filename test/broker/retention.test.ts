// Retention through a broker process: retention.bytes on a topic moves the
// log start offset (ListOffsets earliest) forward, consumers reading from the
// beginning get the retained data only, and deleted topics' objects go.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { BrokerProcess } from '../support/broker-process.ts';

let broker: BrokerProcess;
let kafka: Kafka;
beforeAll(async () => {
  broker = await BrokerProcess.start({ args: ['--log-retention-check-interval-ms', '200', '--object-delete-grace-ms', '0', '--upload-interval-ms', '20', '--offsets-topic-num-partitions', '1'] });
  kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});
afterAll(async () => { await broker.destroy(); });

const objectFiles = (): number => {
  const d = join(broker.dataDir, 'objects', 'data');
  return existsSync(d) ? readdirSync(d).length : 0;
};

it('retention.bytes trims whole old uploads and the earliest offset moves; deleting the topic frees its objects', async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'retained', numPartitions: 1, configEntries: [{ name: 'retention.bytes', value: '20000' }] }] });
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < 40; i++) {
    await producer.send({ topic: 'retained', acks: -1, messages: Array.from({ length: 5 }, (_, j) => ({ value: `${i}-${j}-${'x'.repeat(900)}` })) });
    await new Promise((r) => setTimeout(r, 25));
  }
  await producer.disconnect();
  const deadline = Date.now() + 10_000;
  let low = 0;
  while (Date.now() < deadline) {
    const o = await admin.fetchTopicOffsets('retained');
    low = Number(o[0]!.low);
    if (low > 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(low).toBeGreaterThan(100);
  const high = Number((await admin.fetchTopicOffsets('retained'))[0]!.high);
  expect(high).toBe(200);
  // What is left is about retention.bytes of data (whole uploads), not everything.
  expect((high - low) * 900).toBeLessThan(60_000);

  const before = objectFiles();
  expect(before).toBeGreaterThan(0);
  await admin.deleteTopics({ topics: ['retained'] });
  const deadline2 = Date.now() + 10_000;
  while (objectFiles() >= before && Date.now() < deadline2) await new Promise((r) => setTimeout(r, 100));
  expect(objectFiles()).toBeLessThan(before);
  await admin.disconnect();
});
