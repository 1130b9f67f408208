// Consumer groups with real clients: kafkajs members sharing a topic through
// joins, leaves and a SIGKILLed member; committed offsets that survive a
// broker kill -9; kcat -G (librdkafka's balanced consumer).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer, type EachMessagePayload } from 'kafkajs';
import { BrokerProcess } from '../support/broker-process.ts';
import { until } from '../support/until.ts';
import { runCommand } from '../support/run-command.ts';

const CHILD = join(import.meta.dirname, '../support/kafkajs-consumer-child.ts');

let broker: BrokerProcess;
let kafka: Kafka;
beforeAll(async () => {
  broker = await BrokerProcess.start({ args: ['--group-initial-rebalance-delay-ms', '0', '--group-min-session-timeout-ms', '1000', '--offsets-topic-num-partitions', '4'] });
  kafka = new Kafka({ clientId: 'groups-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
});
afterAll(async () => { await broker.destroy(); });

async function produce(topic: string, from: number, count: number): Promise<void> {
  const p = kafka.producer();
  await p.connect();
  await p.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` })) });
  await p.disconnect();
}


interface Member { consumer: Consumer; seen: string[]; partitions: Set<number> }

async function member(groupId: string, topic: string, seenAll: Map<string, number>): Promise<Member> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTimeInMs: 100, rebalanceTimeout: 6000 });
  const m: Member = { consumer, seen: [], partitions: new Set() };
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommitInterval: 100,
    eachMessage: async ({ message, partition }: EachMessagePayload) => {
      const v = message.value!.toString();
      m.seen.push(v);
      m.partitions.add(partition);
      seenAll.set(v, (seenAll.get(v) ?? 0) + 1);
    },
  });
  return m;
}

describe('kafkajs consumer group', () => {
  it('three members share six partitions, a leave and a SIGKILL move partitions, nothing is missed', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'grouped', numPartitions: 6 }] });
    const seen = new Map<string, number>();
    const a = await member('g1', 'grouped', seen);
    const b = await member('g1', 'grouped', seen);
    // The third member runs in its own process so that it can be SIGKILLed.
    const child = spawn(process.execPath, [CHILD, broker.bootstrap, 'g1', 'grouped'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let childOut = '';
    let childCount = 0;
    child.stdout.on('data', (d: Buffer) => {
      childOut += d.toString();
      for (const line of childOut.split('\n').slice(0, -1)) {
        const m = /^MSG (\S+)$/.exec(line);
        if (m) {
          childCount++;
          seen.set(m[1]!, (seen.get(m[1]!) ?? 0) + 1);
        }
      }
      childOut = childOut.slice(childOut.lastIndexOf('\n') + 1);
    });
    // Wait for one generation with all three members before producing.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const d = await admin.describeGroups(['g1']);
      if (d.groups[0]!.state === 'Stable' && d.groups[0]!.members.length === 3) break;
      if (Date.now() > deadline) throw new Error(`group never had 3 stable members: ${JSON.stringify(d.groups[0]!.state)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await admin.disconnect();
    await produce('grouped', 0, 300);
    await until(() => seen.size >= 300, 30_000, 'the first 300 records');
    // Each of the three members got a share of the partitions.
    expect(a.seen.length).toBeGreaterThan(0);
    expect(b.seen.length).toBeGreaterThan(0);
    expect(childCount).toBeGreaterThan(0);
    await produce('grouped', 300, 60);
    await until(() => seen.size >= 360, 30_000, 'records 300-359');
    // Member b leaves cleanly; then the child is SIGKILLed: its partitions move after its session times out.
    await b.consumer.disconnect();
    await produce('grouped', 360, 60);
    await until(() => seen.size >= 420, 30_000, 'records after a leave');
    const childBefore = childCount;
    expect(childBefore).toBeGreaterThan(0);
    child.kill('SIGKILL');
    const aBefore = a.seen.length;
    await produce('grouped', 420, 60);
    await until(() => seen.size >= 480, 40_000, 'records after a SIGKILLed member');
    // The survivor consumed all of the last 60, including the dead member's partitions.
    expect(a.seen.length - aBefore).toBeGreaterThanOrEqual(60);
    expect([...seen.keys()].sort()).toEqual(Array.from({ length: 480 }, (_, i) => `v${i}`).sort());
    // At-least-once: duplicates only from uncommitted work of members that left or died.
    const dupes = [...seen.values()].filter((n) => n > 1).length;
    expect(dupes).toBeLessThan(200);
    expect(a.partitions.size).toBeGreaterThan(0);
    await a.consumer.disconnect();
  }, 120_000);

  it('committed offsets survive a broker kill -9: a new member resumes after them', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'resume', numPartitions: 2 }] });
    await produce('resume', 0, 50);
    const seen = new Map<string, number>();
    const m1 = await member('g2', 'resume', seen);
    await until(() => seen.size >= 50, 20_000, 'first 50');
    await m1.consumer.disconnect();
    const committed = await admin.fetchOffsets({ groupId: 'g2', topics: ['resume'] });
    expect(committed[0]!.partitions.reduce((a, p) => a + Number(p.offset), 0)).toBe(50);
    await admin.disconnect();

    await broker.kill9();
    await broker.startAgain();
    await produce('resume', 50, 20);
    const after = new Map<string, number>();
    const m2 = await member('g2', 'resume', after);
    await until(() => after.size >= 20, 30_000, 'records after restart');
    await new Promise((r) => setTimeout(r, 500));
    expect([...after.keys()].sort()).toEqual(Array.from({ length: 20 }, (_, i) => `v${50 + i}`).sort());
    await m2.consumer.disconnect();
  }, 90_000);

  it('describes and lists groups, and refuses bad generations', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const groups = await admin.listGroups();
    expect(groups.groups.map((g) => g.groupId)).toEqual(expect.arrayContaining(['g1', 'g2']));
    const d = await admin.describeGroups(['g2']);
    expect(d.groups[0]!.state).toBe('Empty');
    await expect(admin.deleteGroups(['no-such-group'])).rejects.toThrow();
    await admin.deleteGroups(['g2']);
    const afterDelete = await admin.fetchOffsets({ groupId: 'g2', topics: ['resume'] });
    expect(afterDelete[0]!.partitions.every((p) => p.offset === '-1')).toBe(true);
    await admin.disconnect();
  });
});

describe('kcat -G (librdkafka balanced consumer)', () => {
  it('consumes every record through a group and commits', async () => {
    await produce('kcat-group', 0, 40);
    const res = await runCommand('kcat', ['-b', broker.bootstrap, '-G', 'kcat-g', '-o', 'beginning', '-e', '-f', '%s\n', '-X', 'session.timeout.ms=6000', 'kcat-group'], { timeoutMs: 40_000 });
    const got = res.stdout.split('\n').filter((l) => l.length > 0);
    expect(got.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `v${i}`).sort());
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: 'kcat-g', topics: ['kcat-group'] });
    expect(offsets[0]!.partitions.reduce((a, p) => a + Math.max(0, Number(p.offset)), 0)).toBe(40);
    await admin.disconnect();
  }, 60_000);
});

describe('offset housekeeping', () => {
  it('OffsetDelete removes offsets; deleting a topic removes every group\'s offsets for it', async () => {
    const { WireClient } = await import('../../protocol/wire-client.ts');
    const { OffsetCommitApi, OffsetDeleteApi, OffsetFetchApi } = await import('../../protocol/generated/index.ts');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'house-a', numPartitions: 2 }, { topic: 'house-b', numPartitions: 1 }] });
    const c = await WireClient.connect('127.0.0.1', broker.port);
    const commit = await c.request(OffsetCommitApi, 8, {
      groupId: 'g-house', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n,
      topics: [
        { name: 'house-a', partitions: [0, 1].map((i) => ({ partitionIndex: i, committedOffset: 5n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null })) },
        { name: 'house-b', partitions: [{ partitionIndex: 0, committedOffset: 7n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: 'meta' }] },
      ],
    });
    expect(commit.topics.flatMap((t) => t.partitions.map((p) => p.errorCode))).toEqual([0, 0, 0]);
    const fetchAll = async (): Promise<string[]> => {
      const r = await c.request(OffsetFetchApi, 8, { groupId: '', topics: null, groups: [{ groupId: 'g-house', memberId: null, memberEpoch: -1, topics: null }], requireStable: false });
      return r.groups[0]!.topics.flatMap((t) => t.partitions.map((p) => `${t.name}/${p.partitionIndex}=${p.committedOffset}`)).sort();
    };
    expect(await fetchAll()).toEqual(['house-a/0=5', 'house-a/1=5', 'house-b/0=7']);
    const del = await c.request(OffsetDeleteApi, 0, { groupId: 'g-house', topics: [{ name: 'house-a', partitions: [{ partitionIndex: 1 }] }] });
    expect(del.errorCode).toBe(0);
    expect(del.topics[0]!.partitions[0]!.errorCode).toBe(0);
    expect(await fetchAll()).toEqual(['house-a/0=5', 'house-b/0=7']);
    const unknown = await c.request(OffsetDeleteApi, 0, { groupId: 'no-such-group', topics: [] });
    expect(unknown.errorCode).toBe(69);
    await admin.deleteTopics({ topics: ['house-b'] });
    expect(await fetchAll()).toEqual(['house-a/0=5']);
    c.close();
    await admin.disconnect();
  });
});
