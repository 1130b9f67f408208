// Background log work through a broker process: retention.bytes moves the
// log start offset (ListOffsets earliest) forward, deleted topics' objects go,
// and compaction merges small regions while every record stays readable.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { BrokerProcess } from '../support/broker-process.ts';
import { runCommand } from '../support/run-command.ts';

let broker: BrokerProcess;
let kafka: Kafka;
beforeAll(async () => {
  broker = await BrokerProcess.start({ args: [
    '--log-retention-check-interval-ms', '200', '--object-delete-grace-ms', '0', '--upload-interval-ms', '20', '--offsets-topic-num-partitions', '1',
    '--object-compaction-interval-ms', '200', '--object-compaction-min-age-ms', '0', '--tail-cache-bytes-max', '0',
  ] });
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

it('compaction merges small regions; every record is still served, in order', async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'compacted-objects', numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < 30; i++) {
    await producer.send({ topic: 'compacted-objects', acks: -1, messages: [{ value: `r${i}` }] });
    await new Promise((r) => setTimeout(r, 30));
  }
  await producer.disconnect();
  const compacted = async (): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${broker.httpPort}/metrics`)).text();
    return Number(/^floe_regions_compacted (\S+)$/m.exec(text)?.[1] ?? 0);
  };
  const deadline = Date.now() + 10_000;
  while ((await compacted()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(await compacted()).toBeGreaterThan(0);
  const res = await runCommand('kcat', ['-b', broker.bootstrap, '-C', '-t', 'compacted-objects', '-o', 'beginning', '-e', '-f', '%o %s\n'], { timeoutMs: 20_000 });
  expect(res.stdout.trim().split('\n')).toEqual(Array.from({ length: 30 }, (_, i) => `${i} r${i}`));
});
