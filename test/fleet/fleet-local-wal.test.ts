// A fleet in local-wal mode: a broker acknowledges once a record is in its
// own WAL, after its registration lists the partition as holding data not
// yet in object storage. The promise (docs/decisions.md, "Fleet"): such a
// partition never moves away from a dead broker; it waits for it to come
// back and replay its WAL (unless unclean.leader.election.enable, which
// moves it and counts it). Shown under idempotent acks=all load from
// librdkafka: SIGKILL of a broker (its partitions wait, nothing acked is
// lost once it is back), a rolling restart with SIGTERM (partitions are
// uploaded before they move), and unclean leader election.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { TestFleet, useFleetServers } from '../support/fleet.ts';
import { until } from '../support/until.ts';
import { startIdempotentProducer, verifyAckedOnce } from '../support/idempotent-load.ts';

const PARTITIONS = 6;
const RECORDS = 3000;

const servers = useFleetServers();

async function createTopic(fleet: TestFleet, topic: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'local-wal-test', brokers: [fleet.broker(1).bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  await admin.disconnect();
}

/** What the controller reports, whichever live broker it is. */
async function controllerMetric(fleet: TestFleet, ids: number[], name: string): Promise<number> {
  let sum = 0;
  for (const id of ids) if ((await fleet.metric(id, 'floe_controller_active')) === 1) sum += await fleet.metric(id, name);
  return sum;
}

describe('a local-wal fleet under idempotent acks=all load', () => {
  let fleet: TestFleet;
  beforeAll(async () => { fleet = await TestFleet.start(servers, [1, 2, 3], { durability: 'local-wal' }); });
  afterAll(async () => { await fleet?.destroy(); });
  afterEach(() => { expect(fleet.handlerErrors()).toEqual([]); });

  it('SIGKILL: the dead broker\'s partitions wait for it (never led elsewhere); back, it replays its WAL and nothing acknowledged is lost', async () => {
    await createTopic(fleet, 'lw-killed');
    const victim = 3;
    const led = (await fleet.leaders('lw-killed', 1)).flatMap((l, p) => (l === victim ? [p] : []));
    expect(led.length).toBeGreaterThan(0);
    const p = startIdempotentProducer(fleet.bootstrap, 'lw-killed', RECORDS, PARTITIONS);
    await until(() => p.count() > RECORDS / 5, 60_000, 'the load to be under way');
    await fleet.broker(victim).kill9();
    // Its session expires; the controller sees its partitions listed and leaves them.
    await until(async () => (await controllerMetric(fleet, [1, 2], 'floe_partitions_waiting_for_owner')) >= led.length, 30_000, 'the controller to hold the dead broker\'s partitions', 100);
    const during = await fleet.leaders('lw-killed', 1);
    for (const part of led) expect([victim, -1]).toContain(during[part]);
    await fleet.broker(victim).startAgain();
    const { code, deliveries } = await p.done;
    expect(code).toBe(0);
    await verifyAckedOnce(fleet.bootstrap, 'lw-killed', deliveries, RECORDS, PARTITIONS);
    expect(await controllerMetric(fleet, [1, 2, 3], 'floe_unclean_leader_elections')).toBe(0);
  }, 180_000);

  it('rolling restart with SIGTERM: each broker uploads and hands its partitions over; nothing lost or duplicated', async () => {
    await createTopic(fleet, 'lw-rolling');
    const records = 5000;
    const p = startIdempotentProducer(fleet.bootstrap, 'lw-rolling', records, PARTITIONS);
    await until(() => p.count() > records / 10, 60_000, 'the load to be under way');
    for (const id of [1, 2, 3]) {
      expect(await fleet.broker(id).stop()).toBe(0);
      await fleet.broker(id).startAgain();
      await until(async () => (await fleet.metric(id, 'floe_cluster_brokers_alive')) === 3, 30_000, `broker ${id} back in the fleet`);
    }
    const { code, deliveries } = await p.done;
    expect(code).toBe(0);
    await verifyAckedOnce(fleet.bootstrap, 'lw-rolling', deliveries, records, PARTITIONS);
  }, 180_000);
});

describe('a local-wal fleet with unclean.leader.election.enable', () => {
  let fleet: TestFleet;
  beforeAll(async () => { fleet = await TestFleet.start(servers, [1, 2, 3], { durability: 'local-wal', args: ['--unclean-leader-election-enable', 'true'] }); });
  afterAll(async () => { await fleet?.destroy(); });

  it('moves a dead broker\'s partitions anyway and counts the unclean elections', async () => {
    await createTopic(fleet, 'lw-unclean');
    const victim = 2;
    const p = startIdempotentProducer(fleet.bootstrap, 'lw-unclean', RECORDS, PARTITIONS);
    await until(() => p.count() > RECORDS / 5, 60_000, 'the load to be under way');
    await fleet.broker(victim).kill9();
    await until(async () => (await fleet.leaders('lw-unclean', 1)).every((l) => l !== victim && l >= 0), 30_000, 'new leaders despite unuploaded data', 100);
    expect(await controllerMetric(fleet, [1, 3], 'floe_unclean_leader_elections')).toBeGreaterThan(0);
    await p.done;
    // Back, the broker drops what its WAL held for partitions now led elsewhere, rather than index it over theirs.
    await fleet.broker(victim).startAgain();
    expect(fleet.broker(victim).log).toContain('floe broker started');
  }, 180_000);
});
