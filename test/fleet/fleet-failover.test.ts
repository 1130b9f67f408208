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
import { WireClient } from '../../protocol/wire-client.ts';
import { CreateTopicsApi, FetchApi, InitProducerIdApi, ProduceApi } from '../../protocol/generated/index.ts';
import { defaultCreatableTopic } from '../../protocol/generated/CreateTopicsRequest.ts';
import { defaultFetchPartition, defaultFetchRequest } from '../../protocol/generated/FetchRequest.ts';
import { buildRecordBatch } from '../../protocol/records/record.ts';
import { splitRecordBatches } from '../../protocol/records/record-batch-header.ts';
import { recordsBuffer } from '../../protocol/primitives/writer.ts';
import { ErrorCode } from '../../protocol/errors.ts';

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
  }, 180_000);

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
  }, 180_000);

  // A deposed leader that does not know it yet judges sequences by a producer state that misses what the new leader
  // wrote; librdkafka stops for good on an out-of-order answer to the head of its queue ("sequence desynchronization":
  // both producers of session 9's 30-minute campaign died of it after a broker was paused or cut off from PostgreSQL).
  it('a paused leader woken with a produce and a fetch waiting answers neither OUT_OF_ORDER_SEQUENCE_NUMBER from its stale producer state nor OFFSET_OUT_OF_RANGE from its stale log end', async () => {
    const topic = 'stale-leader';
    const admin = await WireClient.connect('127.0.0.1', fleet.broker(1).port);
    const created = await admin.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: topic, numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000, validateOnly: false });
    expect(created.topics[0]!.errorCode).toBe(0);
    const pid = await admin.request(InitProducerIdApi, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    admin.close();
    const leaderAsSeenBy = async (asking: number): Promise<number> => (await fleet.leaders(topic, asking))[0] ?? -1;
    const send = (via: WireClient, seq: number) => via.request(ProduceApi, 9, {
      transactionalId: null, acks: -1, timeoutMs: 10_000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: buildRecordBatch([{ key: `k${seq}`, value: `v${seq}` }], { producerId: pid.producerId, producerEpoch: pid.producerEpoch, baseSequence: seq }) }] }],
    }).then((r) => r.responses[0]!.partitionResponses[0]!);
    const fetchFrom = async (via: WireClient, offset: number) => (await via.request(FetchApi, 11, {
      ...defaultFetchRequest(), maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20,
      topics: [{ topic, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ ...defaultFetchPartition(), partition: 0, fetchOffset: BigInt(offset), partitionMaxBytes: 1 << 20 }] }],
    })).responses[0]!.partitions[0]!;
    // Sequences 0-2 written by whoever leads the new partition (the controller may still move it just after creation:
    // a send answered NOT_LEADER_OR_FOLLOWER was not written, and goes again to the leader named then).
    let old = -1;
    let toOld: WireClient | undefined;
    let written = 0;
    await until(async () => {
      const leader = await leaderAsSeenBy(1);
      if (leader <= 0) return false;
      if (leader !== old) {
        toOld?.close();
        toOld = await WireClient.connect('127.0.0.1', fleet.broker(leader).port);
        old = leader;
      }
      const r = await send(toOld!, written);
      if (r.errorCode === ErrorCode.NONE) written++;
      else expect(r.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      return written === 3;
    }, 30_000, 'sequences 0-2 written', 100);
    const witness = [1, 2, 3].find((id) => id !== old)!;
    const fetcherOfOld = await WireClient.connect('127.0.0.1', fleet.broker(old).port);
    try {
      fleet.broker(old).pause();
      await until(async () => ![old, -1].includes(await leaderAsSeenBy(witness)), 30_000, 'a new leader while the old one is paused', 100);
      const next = await leaderAsSeenBy(witness);
      const toNew = await WireClient.connect('127.0.0.1', fleet.broker(next).port);
      try {
        for (let seq = 3; seq < 6; seq++) expect((await send(toNew, seq)).errorCode).toBe(0);
      } finally {
        toNew.close();
      }
      // Waiting in the paused broker's socket: read as soon as it wakes, before it hears that it was deposed. So is a
      // consumer's fetch past the old leader's end (6 > 3): "out of range" would make it reset its position.
      const waiting = send(toOld!, 6);
      const fetching = fetchFrom(fetcherOfOld, 6);
      fleet.broker(old).resume();
      const answer = await waiting;
      expect(answer.errorCode).not.toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      expect([ErrorCode.NONE, ErrorCode.NOT_LEADER_OR_FOLLOWER]).toContain(answer.errorCode);
      const fetched = await fetching;
      expect(fetched.errorCode).not.toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
      expect([ErrorCode.NONE, ErrorCode.NOT_LEADER_OR_FOLLOWER]).toContain(fetched.errorCode);
    } finally {
      toOld?.close();
      fetcherOfOld.close();
    }
    // Whoever leads now takes the batch (or knows it already), and the log holds every sequence once, in order.
    let leader = -1;
    await until(async () => {
      leader = await leaderAsSeenBy(witness);
      if (leader <= 0) return false;
      const c = await WireClient.connect('127.0.0.1', fleet.broker(leader).port);
      try {
        return (await send(c, 6)).errorCode === 0;
      } finally {
        c.close();
      }
    }, 30_000, 'the batch to be taken by the current leader', 200);
    const reader = await WireClient.connect('127.0.0.1', fleet.broker(leader).port);
    try {
      const p = await fetchFrom(reader, 0);
      expect(splitRecordBatches(recordsBuffer(p.records!)).map((b) => b.baseSequence)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    } finally {
      reader.close();
    }
    await until(async () => (await fleet.metric(old, 'floe_cluster_brokers_alive')) === 3, 20_000, 'the woken broker to rejoin');
  }, 180_000);

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
  }, 180_000);

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
  }, 180_000);
});
