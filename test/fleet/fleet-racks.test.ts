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
