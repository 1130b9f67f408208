// KIP-392 in a fleet of three brokers in three racks (zones): Metadata lists
// the leader and one broker of each other rack as a partition's replicas; a
// consumer that names its rack (client.rack) is sent by every leader to the
// broker of its own rack, which serves the partition from object storage
// and follows the leader's new uploads, so no fetched byte crosses a zone.
// A consumer without a rack still reads from the leaders.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { TestFleet, useFleetServers } from '../support/fleet.ts';
import { runCommand } from '../support/run-command.ts';
import { until } from '../support/until.ts';
import { PYTHON, currentConfluentKafkaEnv } from '../support/python-env.ts';
import { jsonLines, runJava } from '../support/java.ts';

const servers = useFleetServers();
const RACK_CONSUMER = join(import.meta.dirname, '../support/python/rack_consumer.py');
const TOPIC = 'zoned';
const PARTITIONS = 6;
const rackOf = (nodeId: number): string => `zone-${nodeId}`;

describe('a fleet in three racks (KIP-392 fetch from the consumer\'s zone)', () => {
  let fleet: TestFleet;
  let kafka: Kafka;
  const sent = new Map<number, string[]>();

  async function produce(count: number): Promise<void> {
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const messages = Array.from({ length: count }, (_, i) => {
      const partition = i % PARTITIONS;
      const list = sent.get(partition) ?? [];
      sent.set(partition, list);
      const value = `p${partition}-${list.length}`;
      list.push(value);
      return { partition, value };
    });
    await producer.send({ topic: TOPIC, acks: -1, messages });
    await producer.disconnect();
  }

  const zoneBytes = (nodeId: number, labels: Record<string, string>): Promise<number> => fleet.metric(nodeId, 'floe_fetch_zone_bytes_total', labels);

  beforeAll(async () => {
    fleet = await TestFleet.start(servers, [1, 2, 3], { argsOf: (id) => ['--broker-rack', rackOf(id)] });
    kafka = new Kafka({ clientId: 'racks-test', brokers: fleet.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
    await admin.disconnect();
    await produce(600);
  });
  afterAll(async () => { await fleet?.destroy(); });
  afterEach(() => { expect(fleet.handlerErrors()).toEqual([]); });

  it('Metadata lists each partition\'s leader first, then the broker of each other rack that serves it there', async () => {
    const l = await runCommand('kcat', ['-b', fleet.broker(1).bootstrap, '-L', '-J', '-t', TOPIC], { timeoutMs: 20_000 });
    const meta = JSON.parse(l.stdout) as { brokers: { id: number }[]; topics: { topic: string; partitions: { partition: number; leader: number; replicas: { id: number }[]; isrs: { id: number }[] }[] }[] };
    const parts = meta.topics.find((t) => t.topic === TOPIC)!.partitions;
    expect(parts).toHaveLength(PARTITIONS);
    for (const p of parts) {
      const ids = p.replicas.map((r) => r.id);
      expect(ids[0]).toBe(p.leader);
      expect([...ids].sort()).toEqual([1, 2, 3]);
      expect(p.isrs.map((r) => r.id).sort()).toEqual([1, 2, 3]);
    }
  });

  it('librdkafka with client.rack reads every record from its own zone\'s broker, following new records as they come', async () => {
    const rack = 2;
    const crossBefore = await Promise.all([1, 2, 3].map((id) => zoneBytes(id, { zone: 'cross' })));
    const child = spawn(PYTHON, [RACK_CONSUMER, fleet.bootstrap, TOPIC, String(PARTITIONS), '660', rackOf(rack)], { env: currentConfluentKafkaEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-3000); });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const records = (): { partition?: number; offset?: number; value?: string; done?: number }[] => jsonLines(out);
      await until(() => records().filter((r) => r.value !== undefined).length >= 600, 60_000, 'the first 600 records read in zone-2', 100, () => err);
      // The consumer now waits at the end of every partition, on broker 2, which leads only some of them.
      await produce(60);
      expect(await exited, err).toBe(0);
      const got = records().filter((r) => r.value !== undefined);
      expect(records().at(-1)?.done).toBe(660);
      for (let p = 0; p < PARTITIONS; p++) {
        const mine = got.filter((r) => r.partition === p);
        expect(mine.map((r) => r.value)).toEqual(sent.get(p));
        expect(mine.map((r) => r.offset)).toEqual(mine.map((_, i) => i));
      }
    } finally {
      child.kill('SIGKILL');
    }
    // Broker 2 served the partitions led by brokers 1 and 3 as their zone-2 replica; no fetched byte crossed a zone.
    expect(await zoneBytes(rack, { zone: 'same', role: 'replica' })).toBeGreaterThan(0);
    expect(await Promise.all([1, 2, 3].map((id) => zoneBytes(id, { zone: 'cross' })))).toEqual(crossBefore);
    expect(await fleet.metric(rack, 'floe_read_replicas')).toBeGreaterThanOrEqual(1);
  });

  it('the Java client with client.rack reads from its own zone\'s broker too', async () => {
    const rack = 3;
    const crossBefore = await Promise.all([1, 2, 3].map((id) => zoneBytes(id, { zone: 'cross' })));
    const replicaBefore = await zoneBytes(rack, { zone: 'same', role: 'replica' });
    const total = [...sent.values()].reduce((n, l) => n + l.length, 0);
    const c = await runJava('floe.check.ClientCheck', ['consume', fleet.bootstrap, TOPIC, 'java-zone-3', 'classic', String(total), '90000'], 120_000, [`-Dfloe.client.rack=${rackOf(rack)}`]);
    expect(c.code, c.stderr.slice(-3000)).toBe(0);
    const values = jsonLines<{ value?: string }>(c.stdout).filter((r) => r.value !== undefined).map((r) => r.value!);
    expect(values.sort()).toEqual([...sent.values()].flat().sort());
    expect(await zoneBytes(rack, { zone: 'same', role: 'replica' })).toBeGreaterThan(replicaBefore);
    expect(await Promise.all([1, 2, 3].map((id) => zoneBytes(id, { zone: 'cross' })))).toEqual(crossBefore);
  });

  it('a read_committed consumer with client.rack reads from its zone\'s replicas only what is committed: never an aborted record, nothing past an open transaction', async () => {
    const topic = 'zoned-txn';
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const all = [0, 1, 2];
    const txnProducer = async (id: string) => {
      const p = kafka.producer({ transactionalId: id, maxInFlightRequests: 1, idempotent: true });
      await p.connect();
      return p;
    };
    const write = async (id: string, tag: string, end: 'commit' | 'abort' | 'open') => {
      const p = await txnProducer(id);
      const t = await p.transaction();
      await t.send({ topic, acks: -1, messages: all.flatMap((partition) => [0, 1].map((i) => ({ partition, value: `${tag}-${partition}-${i}` }))) });
      if (end === 'commit') await t.commit();
      if (end === 'abort') await t.abort();
      return { p, t };
    };
    const a = await write('zone-txn-a', 'A', 'commit');
    const b = await write('zone-txn-b', 'B', 'abort');
    const c = await write('zone-txn-c', 'C', 'open');
    const d = await write('zone-txn-d', 'D', 'commit');
    const rack = 2;
    const crossBefore = await Promise.all([1, 2, 3].map((id) => zoneBytes(id, { zone: 'cross' })));
    const replicaBefore = await zoneBytes(rack, { zone: 'same', role: 'replica' });
    const child = spawn(PYTHON, [join(import.meta.dirname, '../support/python/rack_txn_consumer.py'), fleet.bootstrap, topic, '3', '18', rackOf(rack)], { env: currentConfluentKafkaEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (x: Buffer) => { out += x.toString(); });
    child.stderr.on('data', (x: Buffer) => { err = (err + x.toString()).slice(-3000); });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const lines = (): { partition?: number; offset?: number; value?: string; idle?: number }[] => jsonLines(out);
    const values = (): string[] => lines().filter((l) => l.value !== undefined).map((l) => l.value!);
    try {
      // It reads the committed transaction A, then waits at C's start: C is open, so D (after it) is not stable either.
      await until(() => values().length >= 6, 60_000, 'transaction A read in zone-2', 100, () => err);
      const idleBefore = lines().filter((l) => l.idle !== undefined).length;
      await until(() => lines().filter((l) => l.idle !== undefined).length >= idleBefore + 3, 60_000, 'the consumer waiting', 100, () => err);
      expect(values().sort()).toEqual(all.flatMap((p) => [`A-${p}-0`, `A-${p}-1`]).sort());
      await c.t.commit();
      expect(await exited, err).toBe(0);
      // Then C and D, in offset order per partition; never B.
      for (const p of all) {
        expect(lines().filter((l) => l.partition === p).map((l) => l.value)).toEqual([`A-${p}-0`, `A-${p}-1`, `C-${p}-0`, `C-${p}-1`, `D-${p}-0`, `D-${p}-1`]);
      }
    } finally {
      child.kill('SIGKILL');
      for (const x of [a, b, c, d]) await x.p.disconnect();
    }
    // Partitions led by brokers 1 and 3 were served by broker 2's replicas; nothing fetched crossed a zone.
    expect(await zoneBytes(rack, { zone: 'same', role: 'replica' })).toBeGreaterThan(replicaBefore);
    expect(await Promise.all([1, 2, 3].map((id) => zoneBytes(id, { zone: 'cross' })))).toEqual(crossBefore);
  });

  it('a consumer without a rack reads from the leaders', async () => {
    const leaderBefore = await Promise.all([1, 2, 3].map((id) => zoneBytes(id, { zone: 'unknown', role: 'leader' })));
    const total = [...sent.values()].reduce((n, l) => n + l.length, 0);
    const r = await runCommand('kcat', ['-b', fleet.bootstrap, '-C', '-t', TOPIC, '-o', 'beginning', '-e', '-q', '-f', '%s\\n'], { timeoutMs: 60_000 });
    expect(r.stdout.trim().split('\n').sort()).toEqual([...sent.values()].flat().sort());
    expect(total).toBe(660);
    const leaderAfter = await Promise.all([1, 2, 3].map((id) => zoneBytes(id, { zone: 'unknown', role: 'leader' })));
    // Every broker leads two of the six partitions, so each served some.
    for (let i = 0; i < 3; i++) expect(leaderAfter[i]).toBeGreaterThan(leaderBefore[i]!);
  });
});
