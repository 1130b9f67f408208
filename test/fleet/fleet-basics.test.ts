// A fleet of three brokers on one PostgreSQL database and one bucket, driven
// by real clients: partitions spread over every broker, produce and consume
// through any bootstrap broker, a consumer group whose coordinator is not the
// broker it bootstraps from, @platformatic/kafka KIP-848 members bootstrapped
// from different brokers sharing a topic, and a broker that joins and takes
// its share without a single object written.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { TestFleet, useFleetServers } from '../support/fleet.ts';
import { runCommand } from '../support/run-command.ts';
import { until } from '../support/until.ts';
import { startKip848Member } from '../support/kip848-consumer.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import { DescribeConfigsApi, IncrementalAlterConfigsApi, MetadataApi } from '../../protocol/generated/index.ts';
import pg from 'pg';

const servers = useFleetServers();

const kafkaOf = (brokers: string[], clientId = 'fleet-test'): Kafka => new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });

/** Java's String.hashCode, as Kafka maps a group to its __consumer_offsets partition. */
function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

describe('a three-broker fleet', () => {
  let fleet: TestFleet;
  beforeAll(async () => { fleet = await TestFleet.start(servers, [1, 2, 3]); });
  afterAll(async () => { await fleet?.destroy(); });
  // A handler exception drops a client's connection: whatever else happened, it is a bug.
  afterEach(() => { expect(fleet.handlerErrors()).toEqual([]); });

  it('every broker lists the same three brokers and one controller; kcat sees them too', async () => {
    for (const id of [1, 2, 3]) {
      const admin = kafkaOf([fleet.broker(id).bootstrap]).admin();
      await admin.connect();
      const c = await admin.describeCluster();
      expect(c.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
      expect([1, 2, 3]).toContain(c.controller);
      await admin.disconnect();
    }
    const l = await runCommand('kcat', ['-b', fleet.broker(3).bootstrap, '-L', '-J'], { timeoutMs: 20_000 });
    const meta = JSON.parse(l.stdout) as { brokers: { id: number; name: string }[] };
    expect(meta.brokers.map((b) => b.id).sort()).toEqual([1, 2, 3]);
  });

  it('spreads a topic over all brokers; produce through one broker, consume through a group via another', async () => {
    const admin = kafkaOf([fleet.broker(1).bootstrap]).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'spread', numPartitions: 6 }], waitForLeaders: true });
    const md = await admin.fetchTopicMetadata({ topics: ['spread'] });
    const leaders = md.topics[0]!.partitions.map((p) => p.leader);
    const perBroker = [1, 2, 3].map((id) => leaders.filter((l) => l === id).length);
    expect(perBroker).toEqual([2, 2, 2]);

    // Produce with kafkajs bootstrapped from broker 1 only: it follows the metadata to each leader.
    const producer = kafkaOf([fleet.broker(1).bootstrap]).producer({ idempotent: true });
    await producer.connect();
    const sent: string[] = [];
    for (let i = 0; i < 60; i++) sent.push(`m${i}`);
    await producer.send({ topic: 'spread', acks: -1, messages: sent.map((v, i) => ({ key: `k${i}`, value: v, partition: i % 6 })) });
    await producer.disconnect();

    // A group id whose coordinator is not broker 2, the consumer's only bootstrap broker.
    const offsets = (await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] })).topics[0]!.partitions;
    let groupId = '';
    for (let i = 0; groupId === ''; i++) {
      const candidate = `spread-group-${i}`;
      const p = Math.abs(javaStringHash(candidate)) % offsets.length;
      if (offsets.find((o) => o.partitionId === p)!.leader !== 2) groupId = candidate;
    }
    const consumer = kafkaOf([fleet.broker(2).bootstrap]).consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500 });
    await consumer.connect();
    await consumer.subscribe({ topics: ['spread'], fromBeginning: true });
    const got: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => { got.push(message.value!.toString()); } });
    await until(() => got.length >= 60, 30_000, 'every record consumed through the group');
    await consumer.disconnect();
    expect([...got].sort()).toEqual([...sent].sort());
    // The commits went to the coordinator on another broker and are there for everyone to see.
    await until(async () => (await admin.fetchOffsets({ groupId, topics: ['spread'] }))[0]!.partitions.reduce((a, p) => a + Number(p.offset), 0) === 60, 15_000, 'committed offsets');
    await admin.disconnect();

    // Six more records, not consumed: every broker's admin API (and REST v3) sees the whole fleet —
    // offsets from every partition's leader, the group from its coordinator on another broker.
    const late = kafkaOf([fleet.broker(1).bootstrap]).producer({ idempotent: true });
    await late.connect();
    await late.send({ topic: 'spread', acks: -1, messages: Array.from({ length: 6 }, (_, i) => ({ value: `late${i}`, partition: i })) });
    await late.disconnect();
    const http = async <T>(path: string): Promise<T> => (await fetch(`http://127.0.0.1:${fleet.broker(2).httpPort}${path}`)).json() as Promise<T>;
    const topic = await http<{ partitions: { leader: number; highWatermark: number }[] }>('/admin/topics/spread');
    expect(new Set(topic.partitions.map((p) => p.leader))).toEqual(new Set([1, 2, 3]));
    expect(topic.partitions.map((p) => p.highWatermark)).toEqual([11, 11, 11, 11, 11, 11]);
    const groups = await http<{ groupId: string; coordinator: number; members: unknown[]; lag: { lag: number }[] }[]>('/admin/groups');
    const g = groups.find((x) => x.groupId === groupId)!;
    expect(g.coordinator).not.toBe(2);
    expect(g.lag.reduce((a, r) => a + r.lag, 0)).toBe(6);
    const cid = (await http<{ data: { cluster_id: string }[] }>('/v3/clusters')).data[0]!.cluster_id;
    const lags = await http<{ data: { partition_id: number; lag: number }[] }>(`/v3/clusters/${cid}/consumer-groups/${groupId}/lags`);
    expect(lags.data.map((l) => l.lag)).toEqual([1, 1, 1, 1, 1, 1]);
    const overview = await http<{ topics: { name: string; highWatermark: number }[] }>('/admin/overview');
    expect(overview.topics.find((t) => t.name === 'spread')!.highWatermark).toBe(66);
    // The coordinator's lag gauge (a snapshot refreshed as it is scraped) reports the group too.
    await until(async () => (await fleet.metric(g.coordinator, 'floe_consumer_group_lag', { group: groupId })) === 6, 20_000, 'the lag gauge on the coordinator');
  });

  it('@platformatic/kafka KIP-848 members bootstrapped from different brokers share a topic led by every broker', async () => {
    const admin = kafkaOf([fleet.broker(2).bootstrap]).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'shared-848', numPartitions: 6 }], waitForLeaders: true });
    const producer = kafkaOf([fleet.broker(3).bootstrap]).producer({ idempotent: true });
    await producer.connect();
    const produce = (from: number): Promise<unknown> => producer.send({ topic: 'shared-848', acks: -1, messages: Array.from({ length: 60 }, (_, j) => ({ key: `k${from + j}`, value: `s${from + j}`, partition: (from + j) % 6 })) });
    await produce(0);
    const readBy = [new Map<string, number>(), new Map<string, number>()];
    const member = async (i: number, broker: number) => startKip848Member(fleet.broker(broker).bootstrap, 'shared-848-group', 'shared-848', (v, p) => { readBy[i]!.set(v, p); });
    const members = [await member(0, 1), await member(1, 3)];
    const held = (i: number): number[] => (members[i]!.consumer.assignments ?? []).flatMap((a) => a.partitions);
    try {
      await until(() => new Set([...readBy[0]!.keys(), ...readBy[1]!.keys()]).size === 60, 60_000, 'every record read by the group');
      // The coordinator's assignor splits the six partitions between the two members; each acts on
      // its part (a member that only loses partitions keeps its positions on the rest).
      await until(() => held(0).length > 0 && held(1).length > 0 && new Set([...held(0), ...held(1)]).size === 6 && held(0).length + held(1).length === 6,
        60_000, 'the two members to split the six partitions', 100, () => `${JSON.stringify(held(0))} / ${JSON.stringify(held(1))}`);
      const owner = new Map<number, number>();
      for (const i of [0, 1]) for (const p of held(i)) owner.set(p, i);
      await produce(60);
      await until(() => Array.from({ length: 60 }, (_, j) => `s${60 + j}`).every((v) => readBy[owner.get(Number(v.slice(1)) % 6)!]!.has(v)),
        60_000, 'every new record read by the member that holds its partition');
    } finally {
      await Promise.all(members.map((m) => m.close()));
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('AlterPartitionReassignments moves a partition\'s leadership to the named broker, which keeps it while the controller balances the rest', async () => {
    const admin = kafkaOf([fleet.broker(1).bootstrap]).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'reassigned', numPartitions: 3 }], waitForLeaders: true });
    const leaders = async (): Promise<number[]> => (await admin.fetchTopicMetadata({ topics: ['reassigned'] })).topics[0]!.partitions
      .sort((a, b) => a.partitionId - b.partitionId).map((p) => p.leader);
    await until(async () => new Set(await leaders()).size === 3, 30_000, 'one partition on each broker');
    const before = await leaders();
    const target = before[1]!;
    // Partition 0 goes to the broker that leads partition 1: that broker then leads two, one too many.
    await admin.alterPartitionReassignments({ topics: [{ topic: 'reassigned', partitionAssignment: [{ partition: 0, replicas: [target] }] }] });
    await until(async () => (await leaders())[0] === target, 30_000, 'partition 0 led by the broker named');
    // The controller balances again by moving the other partition off that broker, never the reassigned one.
    await until(async () => new Set(await leaders()).size === 3, 30_000, 'balanced again, one partition on each broker');
    expect((await leaders())[0]).toBe(target);
    const ongoing = await admin.listPartitionReassignments({});
    expect(ongoing.topics).toEqual([]);

    const producer = kafkaOf([fleet.broker(1).bootstrap]).producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic: 'reassigned', acks: -1, messages: [{ key: 'k', value: 'on the new leader', partition: 0 }] });
    await producer.disconnect();
    const offsets = await admin.fetchTopicOffsets('reassigned');
    expect(offsets.find((o) => o.partition === 0)!.high).toBe('1');

    // A topic created with replica assignments is led by each partition's first broker, and stays so.
    await admin.createTopics({ topics: [{ topic: 'assigned', replicaAssignment: [{ partition: 0, replicas: [3] }, { partition: 1, replicas: [3] }, { partition: 2, replicas: [2] }] }] });
    const assignedLeaders = async (): Promise<number[]> => (await admin.fetchTopicMetadata({ topics: ['assigned'] })).topics[0]!.partitions
      .sort((a, b) => a.partitionId - b.partitionId).map((p) => p.leader);
    await until(async () => (await assignedLeaders()).join() === '3,3,2', 30_000, 'partitions led as assigned');

    // Unknown brokers and duplicates are refused with Kafka's error.
    await expect(admin.alterPartitionReassignments({ topics: [{ topic: 'reassigned', partitionAssignment: [{ partition: 1, replicas: [99] }] }] }))
      .rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_REPLICA_ASSIGNMENT' })] });
    await admin.disconnect();
  });

  it('a dynamic broker default set through one broker is every broker\'s: another answers it as its topics\' default', async () => {
    const wire = async <T>(id: number, fn: (c: WireClient) => Promise<T>): Promise<T> => {
      const c = await WireClient.connect('127.0.0.1', fleet.broker(id).port);
      try {
        return await fn(c);
      } finally {
        c.close();
      }
    };
    const setDefault = (value: string | null) => wire(1, (c) => c.request(IncrementalAlterConfigsApi, 1, {
      resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: value === null ? 1 : 0, value }] }], validateOnly: false,
    }));
    const admin = kafkaOf([fleet.broker(1).bootstrap]).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'fleet-defaults', numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const retentionOn = async (id: number): Promise<string> => {
      const r = await wire(id, (c) => c.request(DescribeConfigsApi, 4, { resources: [{ resourceType: 2, resourceName: 'fleet-defaults', configurationKeys: ['retention.ms'] }], includeSynonyms: false, includeDocumentation: false }));
      const e = r.results[0]!.configs[0]!;
      return `${e.value} source ${e.configSource}`;
    };
    expect((await setDefault('3600000')).responses[0]!.errorCode).toBe(0);
    for (const id of [2, 3]) await until(async () => (await retentionOn(id)) === '3600000 source 3', 10_000, `broker ${id} to see the cluster default`);
    expect((await setDefault(null)).responses[0]!.errorCode).toBe(0);
    for (const id of [2, 3]) await until(async () => (await retentionOn(id)) === '604800000 source 5', 10_000, `broker ${id} to see it removed`);
  });

  it('a compacted topic is cleaned by its leader, and by the next one after the partition moves', async () => {
    const admin = kafkaOf([fleet.broker(1).bootstrap]).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'fleet-compacted', numPartitions: 1, configEntries: [
      { name: 'cleanup.policy', value: 'compact' }, { name: 'min.cleanable.dirty.ratio', value: '0.01' },
    ] }], waitForLeaders: true });
    const leaderOf = async (): Promise<number> => (await admin.fetchTopicMetadata({ topics: ['fleet-compacted'] })).topics[0]!.partitions[0]!.leader;
    const producer = kafkaOf([fleet.broker(1).bootstrap]).producer({ idempotent: true });
    await producer.connect();
    const readAll = async (last: string): Promise<string[]> => {
      const consumer = kafkaOf([fleet.broker(2).bootstrap]).consumer({ groupId: `fleet-compacted-${Date.now()}`, maxWaitTimeInMs: 200 });
      const got: string[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic: 'fleet-compacted', fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => { got.push(`${message.key!.toString()}=${message.value!.toString()}`); } });
      try {
        await until(() => got.some((g) => g.startsWith(`${last}=`)), 30_000, `the record keyed ${last}`);
      } finally {
        await consumer.disconnect();
      }
      return got;
    };
    // Each round is its own upload (an object-wal fleet answers acks=all once uploaded): the older ones are cleanable.
    const rounds = async (from: number, to: number, sentinel: string): Promise<void> => {
      for (let r = from; r < to; r++) {
        await producer.send({ topic: 'fleet-compacted', acks: -1, messages: Array.from({ length: 10 }, (_, k) => ({ key: `k${k}`, value: `r${r}` })) });
      }
      await producer.send({ topic: 'fleet-compacted', acks: -1, messages: [{ key: sentinel, value: 'end' }] });
    };
    await rounds(0, 5, 's1');
    await until(async () => (await readAll('s1')).length === 11, 30_000, 'the first leader to clean the partition');
    // Moved to another broker (no data copied): the next leader cleans what is written after.
    const first = await leaderOf();
    const next = (first % 3) + 1;
    await admin.alterPartitionReassignments({ topics: [{ topic: 'fleet-compacted', partitionAssignment: [{ partition: 0, replicas: [next] }] }] });
    await until(async () => (await leaderOf()) === next, 30_000, 'the partition moved');
    await rounds(5, 10, 's2');
    await until(async () => (await readAll('s2')).length === 12, 30_000, 'the next leader to clean it');
    expect((await readAll('s2')).sort()).toEqual([...Array.from({ length: 10 }, (_, k) => `k${k}=r9`), 's1=end', 's2=end'].sort());
    await producer.disconnect();
    await admin.disconnect();
  });

  it('a broker that joins takes its share within seconds, and no object is written for the move', async () => {
    const admin = kafkaOf([fleet.broker(1).bootstrap]).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'join', numPartitions: 8 }], waitForLeaders: true });
    const producer = kafkaOf([fleet.broker(1).bootstrap]).producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic: 'join', acks: -1, messages: Array.from({ length: 80 }, (_, i) => ({ value: `j${i}`, partition: i % 8 })) });
    await producer.disconnect();
    const puts = async (): Promise<number> => {
      let n = 0;
      for (const id of fleet.brokers.keys()) n += await fleet.metric(id, 'floe_object_store_requests', { op: 'put' });
      return n;
    };
    const putsBefore = await puts();
    const started = Date.now();
    await fleet.add(4);
    // Each topic (the internal ones included; every one counts in the broker's partitions led) is spread over the four brokers: a quarter of each (give or take one) goes to broker 4.
    const ledBy4 = async (): Promise<Map<string, number>> => {
      const md = await admin.fetchTopicMetadata({ topics: await admin.listTopics() });
      return new Map(md.topics.map((t) => [t.name, t.partitions.filter((p) => p.leader === 4).length]));
    };
    let share = new Map<string, number>();
    await until(async () => {
      share = await ledBy4();
      return share.get('join') === 2 && share.get('spread')! >= 1 && share.get('__consumer_offsets')! >= 12 && share.get('__transaction_state')! >= 12;
    }, 20_000, 'broker 4 to lead its share of each topic', 200);
    const total = [...share.values()].reduce((a, b) => a + b, 0);
    // The view says so first; the broker then opens each partition (its groups replayed).
    await until(async () => (await fleet.metric(4, 'floe_partitions_led')) === total, 20_000, `broker 4 to serve its ${total} partitions`, 200);
    process.stdout.write(`fleet: broker 4 served its ${total} partitions ${Date.now() - started} ms after it was started\n`);
    // Moving a partition moves no data: the only PUTs are uploads of new data, and there was none.
    expect((await puts()) - putsBefore).toBe(0);
    // Its partitions serve every record, from object storage, through the new leader.
    const consumer = kafkaOf([fleet.broker(4).bootstrap]).consumer({ groupId: 'join-reader' });
    await consumer.connect();
    await consumer.subscribe({ topics: ['join'], fromBeginning: true });
    const got = new Set<string>();
    await consumer.run({ eachMessage: async ({ message }) => { got.add(message.value!.toString()); } });
    await until(() => got.size >= 80, 30_000, 'every record of the moved partitions');
    await consumer.disconnect();
    await admin.disconnect();
  });

  it('a starting broker answers nothing before it knows the fleet: its first Metadata lists the live brokers, never none', async () => {
    const b2 = fleet.broker(2);
    // Killed, it leaves its registration row behind (a graceful stop removes it).
    await b2.kill9();
    // Broker 2's registration write waits on this row lock: it has bound its port but does not know the fleet yet.
    const lock = new pg.Client({ connectionString: fleet.metadataUrl });
    await lock.connect();
    let starting: Promise<void> | undefined;
    try {
      await lock.query('BEGIN');
      expect((await lock.query('SELECT 1 FROM floe_kv WHERE key = $1 FOR UPDATE', ['b/2'])).rowCount).toBe(1);
      starting = b2.startAgain();
      let c: WireClient | undefined;
      await until(async () => {
        c = await WireClient.connect('127.0.0.1', b2.port).catch(() => undefined);
        return c !== undefined;
      }, 30_000, 'broker 2 listening');
      const answer = c!.request(MetadataApi, 12, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      await lock.query('ROLLBACK');
      const md = await answer;
      c!.close();
      // Asked while broker 2 did not know the fleet, answered once it did.
      expect(md.brokers.map((b) => b.nodeId)).toEqual(expect.arrayContaining([1, 2]));
      await starting;
    } finally {
      await lock.query('ROLLBACK').catch(() => undefined);
      await lock.end();
      await starting?.catch(() => undefined);
    }
  });
});
