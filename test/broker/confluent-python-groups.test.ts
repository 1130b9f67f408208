// confluent-kafka-python group consumers: manual and auto commit, and static
// membership (group.instance.id): a restarted static member gets its
// partitions back without a rebalance.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { BrokerProcess } from '../support/broker-process.ts';
import { runCommand } from '../support/run-command.ts';

const SCRIPT = join(import.meta.dirname, '../support/python/group_consumer.py');
const PYTHON = '/usr/bin/python3';

let broker: BrokerProcess;
let kafka: Kafka;
beforeAll(async () => {
  broker = await BrokerProcess.start({ args: ['--group-initial-rebalance-delay-ms', '0', '--offsets-topic-num-partitions', '4', '--num-partitions', '2'] });
  kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});
afterAll(async () => { await broker.destroy(); });

async function produce(topic: string, from: number, count: number): Promise<void> {
  const p = kafka.producer();
  await p.connect();
  await p.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` })) });
  await p.disconnect();
}

interface Out { assignment: number[]; values: string[] }
const consume = async (group: string, topic: string, count: number, mode: 'manual' | 'auto', instance = '-'): Promise<Out> => {
  const r = await runCommand(PYTHON, [SCRIPT, broker.bootstrap, group, topic, String(count), mode, instance], { timeoutMs: 60_000 });
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Out & { error?: string });
  expect(lines.filter((l) => l.error !== undefined)).toEqual([]);
  return lines.at(-1)!;
};

describe('confluent-kafka-python group consumers', () => {
  for (const mode of ['manual', 'auto'] as const) {
    it(`${mode} commit: a second run of the group resumes after what the first committed`, async () => {
      const topic = `py-${mode}`;
      await produce(topic, 0, 30);
      const first = await consume(`pyg-${mode}`, topic, 30, mode);
      expect(first.values.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `v${i}`).sort());
      await produce(topic, 30, 10);
      const second = await consume(`pyg-${mode}`, topic, 10, mode);
      expect(second.values.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `v${30 + i}`).sort());
    }, 90_000);
  }

  it('static membership: a restarted member with the same group.instance.id gets its partitions back without a rebalance', async () => {
    await produce('py-static', 0, 20);
    const first = await consume('pyg-static', 'py-static', 20, 'manual', 'instance-a');
    expect(first.assignment).toEqual([0, 1]);
    const admin = kafka.admin();
    await admin.connect();
    const before = await admin.describeGroups(['pyg-static']);
    // A static member does not leave on close: the group keeps it, Stable, with its assignment.
    expect(before.groups[0]!.members).toHaveLength(1);
    expect(before.groups[0]!.state).toBe('Stable');
    await produce('py-static', 20, 5);
    const second = await consume('pyg-static', 'py-static', 5, 'manual', 'instance-a');
    expect(second.assignment).toEqual([0, 1]);
    expect(second.values.sort()).toEqual(['v20', 'v21', 'v22', 'v23', 'v24']);
    const after = await admin.describeGroups(['pyg-static']);
    expect(after.groups[0]!.members).toHaveLength(1);
    expect(after.groups[0]!.members[0]!.memberId).not.toBe(before.groups[0]!.members[0]!.memberId);
    await admin.disconnect();
  }, 90_000);
});
