// Failover in a fleet (object-wal): under idempotent acks=all load from a
// real client (the current confluent-kafka-python from PyPI with its
// librdkafka; Debian's 2.0.2 has a known idempotence bug, librdkafka #4438,
// that turns a disconnect followed by a retriable error into a fatal one),
// one broker is SIGKILLed,
// or SIGSTOPped and woken after its partitions moved. Its partitions get new
// leaders (the time is printed), the producer carries on, and afterwards every
// acknowledged record is read exactly once, in order, offsets contiguous. The
// paused broker, woken, is fenced: nothing it accepted after the move is
// acknowledged or becomes visible.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { TestFleet, useFleetServers } from '../support/fleet.ts';
import { until } from '../support/until.ts';
import { startIdempotentProducer, verifyAckedOnce, type Delivery } from '../support/idempotent-load.ts';

const PARTITIONS = 6;
const RECORDS = 3000;
const produce = (bootstrap: string, topic: string, records = RECORDS) => startIdempotentProducer(bootstrap, topic, records, PARTITIONS);
const verify = (bootstrap: string, topic: string, deliveries: Delivery[], records = RECORDS) => verifyAckedOnce(bootstrap, topic, deliveries, records, PARTITIONS);

const servers = useFleetServers();

describe('failover under idempotent acks=all load (object-wal)', () => {
  let fleet: TestFleet;
  beforeAll(async () => { fleet = await TestFleet.start(servers, [1, 2, 3]); });
  afterAll(async () => { await fleet?.destroy(); });
  // A handler exception drops a client's connection: whatever else happened, it is a bug.
  afterEach(() => { expect(fleet.handlerErrors()).toEqual([]); });

  // Asked over HTTP of a broker that stays up: a Kafka client's metadata request may go to the paused broker and hang.
  const leadersOf = (topic: string): Promise<number[]> => fleet.leaders(topic, 1);

  const createTopic = async (topic: string): Promise<void> => {
    const kafka = new Kafka({ clientId: 'failover-test', brokers: [fleet.broker(1).bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
    await admin.disconnect();
  };

  it('SIGKILL of a broker: its partitions get new leaders, nothing acknowledged is lost or duplicated', async () => {
    await createTopic('killed');
    const victim = 3;
    expect((await leadersOf('killed')).filter((l) => l === victim).length).toBeGreaterThan(0);
    const p = produce(fleet.bootstrap, 'killed');
    await until(() => p.count() > RECORDS / 5, 60_000, 'the load to be under way');
    const killedAt = Date.now();
    await fleet.broker(victim).kill9();
    await until(async () => (await leadersOf('killed')).every((l) => l !== victim && l >= 0), 30_000, 'new leaders for the killed broker\'s partitions', 100);
    const failoverMs = Date.now() - killedAt;
    process.stdout.write(`fleet failover: partitions of the SIGKILLed broker had new leaders ${failoverMs} ms after the kill\n`);
    const { code, deliveries } = await p.done;
    expect(code).toBe(0);
    await verify(`${fleet.broker(1).bootstrap},${fleet.broker(2).bootstrap}`, 'killed', deliveries);
    await fleet.broker(victim).startAgain();
  });

  it('SIGSTOP of a leader: its partitions move; woken up, it is fenced and nothing it accepted becomes visible', async () => {
    await createTopic('paused');
    // Whoever is the victim leads some of the partitions once the fleet has rebalanced after the restart.
    const victim = 2;
    await until(async () => (await leadersOf('paused')).some((l) => l === victim), 20_000, 'the victim to lead a partition');
    const p = produce(fleet.bootstrap, 'paused');
    await until(() => p.count() > RECORDS / 5, 60_000, 'the load to be under way');
    const pausedAt = Date.now();
    fleet.broker(victim).pause();
    await until(async () => (await leadersOf('paused')).every((l) => l !== victim && l >= 0), 30_000, 'new leaders for the paused broker\'s partitions', 100);
    process.stdout.write(`fleet failover: partitions of the SIGSTOPped broker had new leaders ${Date.now() - pausedAt} ms after the pause\n`);
    // Let the producer go on against the new leaders for a while, then wake the old one up.
    await new Promise((r) => setTimeout(r, 1000));
    fleet.broker(victim).resume();
    const { code, deliveries } = await p.done;
    expect(code).toBe(0);
    await verify(fleet.bootstrap, 'paused', deliveries);
    // It came back as a member and was given partitions again at new epochs (the controller rebalances).
    await until(async () => (await fleet.metric(victim, 'floe_cluster_brokers_alive')) === 3, 20_000, 'the woken broker to rejoin');
  });

  it('rolling restart of all three brokers under load: nothing lost, nothing duplicated, only retriable errors', async () => {
    await createTopic('rolling');
    const records = 5000;
    const p = produce(fleet.bootstrap, 'rolling', records);
    await until(() => p.count() > records / 10, 60_000, 'the load to be under way');
    for (const id of [1, 2, 3]) {
      // SIGTERM: controlled shutdown (partitions handed over first), then the same broker again.
      expect(await fleet.broker(id).stop()).toBe(0);
      await fleet.broker(id).startAgain();
      await until(async () => (await fleet.metric(id, 'floe_partitions_led')) > 0, 30_000, `broker ${id} to lead partitions again`);
    }
    const { code, deliveries } = await p.done;
    expect(code).toBe(0);
    await verify(fleet.bootstrap, 'rolling', deliveries, records);
  });

  it('PostgreSQL down longer than the retry bound under load: brokers stay up, produce waits, nothing is lost', async () => {
    await createTopic('pg-outage');
    const p = produce(fleet.bootstrap, 'pg-outage');
    await until(() => p.count() > RECORDS / 5, 60_000, 'the load to be under way');
    const failuresBefore = await fleet.metric(1, 'floe_metadata_store_failures');
    await servers.pg.kill9();
    // Longer than the metadata store's 10 s retry bound: commits fail, uploads are retried, acks wait.
    await until(async () => (await fleet.metric(1, 'floe_metadata_store_failures')) > failuresBefore, 30_000, 'a metadata call to fail past its retries');
    await servers.pg.startAgain();
    const { code, deliveries } = await p.done;
    expect(code).toBe(0);
    for (const id of [1, 2, 3]) expect(fleet.broker(id).pid).toBeDefined();
    await verify(fleet.bootstrap, 'pg-outage', deliveries);
    expect(await fleet.metric(1, 'floe_cluster_brokers_alive')).toBe(3);
  });
});
