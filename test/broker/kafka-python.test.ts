// kafka-python (Debian's python3-kafka 2.0.2: pure Python, its own protocol
// code, and older versions than librdkafka — Metadata v0/v1, Produce v7,
// JoinGroup v2, OffsetCommit v2): acks=all produce with gzip, a group member
// that commits by hand, and a second member that resumes after the commits.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { BrokerProcess } from '../support/broker-process.ts';
import { runCommand } from '../support/run-command.ts';

const SCRIPT = join(import.meta.dirname, '../support/python/kafka_python_client.py');
const PYTHON = '/usr/bin/python3';

interface Produced { key: string; partition: number; offset: number }
interface Consumed { partition: number; offset: number; key: string; value: string }
const lines = <T>(stdout: string): T[] => stdout.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as T);

let broker: BrokerProcess;
beforeAll(async () => {
  broker = await BrokerProcess.start({ args: ['--group-initial-rebalance-delay-ms', '0'] });
});
afterAll(async () => { await broker.destroy(); });

describe('kafka-python', () => {
  it('produces with acks=all, consumes through a group, and a new member resumes after the commits', async () => {
    const kafka = new Kafka({ clientId: 'kafka-python-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'kp-t', numPartitions: 3 }] });

      const p = await runCommand(PYTHON, [SCRIPT, 'produce', broker.bootstrap, 'kp-t', '300', 'gzip'], { timeoutMs: 60_000 });
      expect(p.code, p.stderr).toBe(0);
      const produced = lines<Produced>(p.stdout);
      expect(produced).toHaveLength(300);
      // Offsets the broker returned are contiguous per partition from 0.
      for (let part = 0; part < 3; part++) {
        const offsets = produced.filter((r) => r.partition === part).map((r) => r.offset).sort((a, b) => a - b);
        expect(offsets.length).toBeGreaterThan(0);
        expect(offsets).toEqual(offsets.map((_, i) => i));
      }

      const c1 = await runCommand(PYTHON, [SCRIPT, 'consume-group', broker.bootstrap, 'kp-t', 'kp-g', '300'], { timeoutMs: 60_000 });
      expect(c1.code, c1.stderr).toBe(0);
      const first = lines<Consumed>(c1.stdout);
      expect(first.map((r) => r.value).sort()).toEqual(Array.from({ length: 300 }, (_, i) => `v${i}`).sort());
      // Each record is where the producer was told it went.
      const where = new Map(produced.map((r) => [r.key, `${r.partition}/${r.offset}`]));
      expect(first.every((r) => where.get(r.key) === `${r.partition}/${r.offset}`)).toBe(true);

      const committed = await admin.fetchOffsets({ groupId: 'kp-g', topics: ['kp-t'] });
      const ends = new Map((await admin.fetchTopicOffsets('kp-t')).map((e) => [e.partition, e.high]));
      for (const part of committed[0]!.partitions) expect(part.offset).toBe(ends.get(part.partition));

      const p2 = await runCommand(PYTHON, [SCRIPT, 'produce', broker.bootstrap, 'kp-t', '30', 'none'], { timeoutMs: 60_000 });
      expect(p2.code, p2.stderr).toBe(0);
      const c2 = await runCommand(PYTHON, [SCRIPT, 'consume-group', broker.bootstrap, 'kp-t', 'kp-g', '30'], { timeoutMs: 60_000 });
      expect(c2.code, c2.stderr).toBe(0);
      const second = lines<Consumed>(c2.stdout);
      expect(second).toHaveLength(30);
      expect(second.every((r) => r.offset >= Number(ends.get(r.partition)))).toBe(true);
    } finally {
      await admin.disconnect();
    }
  });
});
