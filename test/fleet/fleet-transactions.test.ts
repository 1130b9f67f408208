// Transactions in a fleet of three brokers: the coordinator of a
// transactional id is the leader of its __transaction_state partition, and
// its COMMIT/ABORT markers reach partitions led by the other brokers through
// WriteTxnMarkers; a group's transactional offsets end on the broker that
// coordinates the group. Driven by librdkafka (commit/abort, read_committed)
// and kafkajs (sendOffsets with the group and the transaction coordinated by
// different brokers), and a coordinator SIGKILLed with a transaction open:
// its successor aborts it at its timeout and readers move on.

import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { TestFleet, useFleetServers } from '../support/fleet.ts';
import { runCommand } from '../support/run-command.ts';
import { PYTHON, currentConfluentKafkaEnv } from '../support/python-env.ts';
import { until } from '../support/until.ts';
import { jsonLines } from '../support/java.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import { AddPartitionsToTxnApi, EndTxnApi, FindCoordinatorApi, InitProducerIdApi, ListOffsetsApi, ProduceApi } from '../../protocol/generated/index.ts';
import { defaultAddPartitionsToTxnRequest } from '../../protocol/generated/AddPartitionsToTxnRequest.ts';
import { buildRecordBatch } from '../../protocol/records/record.ts';
import { ErrorCode } from '../../protocol/errors.ts';

const servers = useFleetServers();
const SCRIPT = join(import.meta.dirname, '../support/python/transactions.py');
interface Rec { partition: number; offset: number; key: string; value: string; error?: string }

describe('transactions in a three-broker fleet', () => {
  let fleet: TestFleet;
  let kafka: Kafka;
  const py = (args: string[], timeoutMs = 120_000) => runCommand(PYTHON, [SCRIPT, ...args], { timeoutMs, env: currentConfluentKafkaEnv() });
  const read = async (topic: string, isolation: 'read_committed' | 'read_uncommitted', n: number): Promise<Rec[]> => {
    const r = await py(['read', fleet.bootstrap, topic, isolation, String(n)]);
    expect(r.code, r.stderr).toBe(0);
    const recs = jsonLines<Rec>(r.stdout);
    expect(recs.filter((x) => x.error !== undefined)).toEqual([]);
    return recs;
  };
  /** Asks a live broker; FindCoordinator and ListOffsets answer the same from any of them (ListOffsets must reach the leader). */
  const wire = async <T>(nodeId: number, fn: (w: WireClient) => Promise<T>): Promise<T> => {
    const w = await WireClient.connect('127.0.0.1', fleet.broker(nodeId).port);
    try {
      return await fn(w);
    } finally {
      w.close();
    }
  };
  const coordinatorOf = (keyType: 0 | 1, key: string, via: number): Promise<number> => wire(via, async (w) => {
    const r = await w.request(FindCoordinatorApi, 3, { key, keyType, coordinatorKeys: [] });
    return r.errorCode === 0 ? r.nodeId : -1;
  });
  const leaders = async (topic: string): Promise<number[]> => {
    const admin = kafka.admin();
    await admin.connect();
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.disconnect();
    return md.topics[0]!.partitions.sort((a, b) => a.partitionId - b.partitionId).map((p) => p.leader);
  };
  /**
   * The partition's end offset for read_committed (1) or read_uncommitted (0), asked of its leader; asked again
   * while leadership moves (after a broker restart the metadata a client got can name the previous leader).
   */
  const endOffset = async (topic: string, partition: number, isolationLevel: 0 | 1): Promise<bigint> => {
    let offset: bigint | undefined;
    let last = 0;
    await until(async () => {
      const leader = (await leaders(topic))[partition]!;
      if (leader < 0) return false;
      const p = await wire(leader, async (w) => (await w.request(ListOffsetsApi, 7, { replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }], timeoutMs: 5000 })).topics[0]!.partitions[0]!);
      last = p.errorCode;
      if (p.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || p.errorCode === ErrorCode.LEADER_NOT_AVAILABLE) return false;
      if (p.errorCode !== 0) throw new Error(`ListOffsets error ${p.errorCode}`);
      offset = p.offset;
      return true;
    }, 30_000, `the leader of ${topic}-${partition} to answer ListOffsets`, 100, () => `last error ${last}`);
    return offset!;
  };
  const createTopic = async (topic: string, numPartitions: number): Promise<void> => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
    await admin.disconnect();
  };
  const writeTxnMarkersServed = async (): Promise<number> => {
    let n = 0;
    for (const id of fleet.brokers.keys()) n += await fleet.metric(id, 'floe_request_seconds_count', { api: 'WriteTxnMarkers' });
    return n;
  };

  beforeAll(async () => {
    fleet = await TestFleet.start(servers, [1, 2, 3], {
      args: ['--group-initial-rebalance-delay-ms', '0', '--transaction-abort-timed-out-transaction-cleanup-interval-ms', '500'],
    });
    kafka = new Kafka({ clientId: 'fleet-txn-test', brokers: fleet.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
  });
  afterAll(async () => { await fleet?.destroy(); });
  afterEach(() => { expect(fleet.handlerErrors()).toEqual([]); });

  it('librdkafka: a committed and an aborted transaction over partitions led by three brokers; read_committed sees exactly the committed records', async () => {
    await createTopic('ftx-basic', 3);
    expect([...(await leaders('ftx-basic'))].sort()).toEqual([1, 2, 3]);
    const markersBefore = await writeTxnMarkersServed();
    const p = await py(['commit-abort', fleet.bootstrap, 'ftx-basic']);
    expect(p.code, p.stderr).toBe(0);
    const committed = await read('ftx-basic', 'read_committed', 45);
    expect(committed.map((r) => r.value).sort()).toEqual(Array.from({ length: 45 }, (_, i) => `committed-${i}`).sort());
    const all = await read('ftx-basic', 'read_uncommitted', 65);
    expect(all.filter((r) => r.value.startsWith('aborted-'))).toHaveLength(20);
    for (let part = 0; part < 3; part++) expect(await endOffset('ftx-basic', part, 1)).toBe(await endOffset('ftx-basic', part, 0));
    // The coordinator leads at most one of the three partitions: the others got their markers from it over the wire.
    expect(await writeTxnMarkersServed()).toBeGreaterThan(markersBefore);
  });

  it('kafkajs: sendOffsets with the group coordinated by another broker than the transaction; commit and abort', async () => {
    await createTopic('ftx-in', 1);
    await createTopic('ftx-out', 2);
    const txnId = 'ftx-kjs';
    const txnCoordinator = await coordinatorOf(1, txnId, 1);
    expect(txnCoordinator).toBeGreaterThan(0);
    let groupId = '';
    for (let i = 0; groupId === ''; i++) {
      const candidate = `ftx-group-${i}`;
      const c = await coordinatorOf(0, candidate, 1);
      if (c > 0 && c !== txnCoordinator) groupId = candidate;
    }
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: 'ftx-in', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ value: `in-${i}` })) });
    await plain.disconnect();
    const producer = kafka.producer({ transactionalId: txnId, maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic: 'ftx-out', messages: [{ value: 'out-1', partition: 0 }, { value: 'out-2', partition: 1 }] });
    await txn.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: 'ftx-in', partitions: [{ partition: 0, offset: '10' }] }] });
    await txn.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic: 'ftx-out', messages: [{ value: 'never', partition: 0 }] });
    await aborted.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: 'ftx-in', partitions: [{ partition: 0, offset: '99' }] }] });
    await aborted.abort();
    await producer.disconnect();
    expect((await read('ftx-out', 'read_committed', 10)).map((x) => x.value).sort()).toEqual(['out-1', 'out-2']);
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId, topics: ['ftx-in'] });
    await admin.disconnect();
    expect(offsets[0]!.partitions[0]!.offset).toBe('10');
  });

  it('a partition leader asks the coordinator on another broker before the first transactional write: a partition not added to the transaction is refused', async () => {
    await createTopic('ftx-verify', 2);
    const partitionLeaders = await leaders('ftx-verify');
    // A transactional id coordinated by a broker that does not lead partition 0.
    let txnId = '';
    let coordinator = -1;
    for (let i = 0; txnId === ''; i++) {
      const candidate = `ftx-verify-${i}`;
      coordinator = await coordinatorOf(1, candidate, 1);
      if (coordinator > 0 && coordinator !== partitionLeaders[0]) txnId = candidate;
    }
    const verificationsBefore = await fleet.metric(partitionLeaders[0]!, 'floe_transaction_remote_verifications');
    const { producerId, producerEpoch } = await wire(coordinator, async (w) => {
      const r = await w.request(InitProducerIdApi, 4, { transactionalId: txnId, transactionTimeoutMs: 30_000, producerId: -1n, producerEpoch: -1 });
      expect(r.errorCode).toBe(0);
      return r;
    });
    const produce = (partition: number, sequence: number): Promise<number> => wire(partitionLeaders[partition]!, async (w) => {
      const records = buildRecordBatch([{ key: 'k', value: `p${partition}-s${sequence}` }], { producerId, producerEpoch, baseSequence: sequence, transactional: true });
      const r = await w.request(ProduceApi, 9, { transactionalId: txnId, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'ftx-verify', partitionData: [{ index: partition, records }] }] });
      return r.responses[0]!.partitionResponses[0]!.errorCode;
    });
    // No AddPartitionsToTxn yet: the coordinator says the partition is not in a transaction.
    expect(await produce(0, 0)).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await fleet.metric(partitionLeaders[0]!, 'floe_transaction_remote_verifications')).toBeGreaterThan(verificationsBefore);
    const added = await wire(coordinator, (w) => w.request(AddPartitionsToTxnApi, 3, {
      ...defaultAddPartitionsToTxnRequest(), v3AndBelowTransactionalId: txnId, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch,
      v3AndBelowTopics: [{ name: 'ftx-verify', partitions: [0] }],
    }));
    expect(added.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode).toBe(0);
    expect(await produce(0, 0)).toBe(ErrorCode.NONE);
    // Partition 1 was not added: refused wherever it is led.
    expect(await produce(1, 0)).toBe(ErrorCode.INVALID_TXN_STATE);
    const ended = await wire(coordinator, (w) => w.request(EndTxnApi, 3, { transactionalId: txnId, producerId, producerEpoch, committed: false }));
    expect(ended.errorCode).toBe(0);
    expect(await endOffset('ftx-verify', 0, 1)).toBe(await endOffset('ftx-verify', 0, 0));
  });

  // Found by the test above in CI (an abort marker written twice, the second after EndTxn answered): the coordinator's
  // timeout sweep listed a transaction while its EndTxn was writing markers and, its turn come, completed it again from
  // that list. By then the producer could have begun its next transaction on the same partitions at the same epoch:
  // the stale marker ended it there and the stale state replaced it, so its own EndTxn was refused.
  it('back-to-back transactions of several producers on one coordinator, through its timeout sweeps: every EndTxn succeeds and read_committed sees exactly the committed records', async () => {
    await createTopic('ftx-busy', 3);
    const partitionLeaders = await leaders('ftx-busy');
    const coordinator = 1;
    const ids: string[] = [];
    for (let i = 0; ids.length < 4; i++) if ((await coordinatorOf(1, `ftx-busy-${i}`, 1)) === coordinator) ids.push(`ftx-busy-${i}`);
    const TXNS = 30;
    const committed: string[] = [];
    const endCodes: number[] = [];
    const run = async (txnId: string): Promise<void> => {
      const clients = new Map<number, WireClient>();
      const to = async (nodeId: number): Promise<WireClient> => {
        let c = clients.get(nodeId);
        if (c === undefined) clients.set(nodeId, c = await WireClient.connect('127.0.0.1', fleet.broker(nodeId).port));
        return c;
      };
      try {
        const co = await to(coordinator);
        const { producerId, producerEpoch, errorCode } = await co.request(InitProducerIdApi, 4, { transactionalId: txnId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
        expect(errorCode).toBe(0);
        const sequences = [0, 0, 0];
        for (let n = 0; n < TXNS; n++) {
          const added = await co.request(AddPartitionsToTxnApi, 3, {
            ...defaultAddPartitionsToTxnRequest(), v3AndBelowTransactionalId: txnId, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch,
            v3AndBelowTopics: [{ name: 'ftx-busy', partitions: [0, 1, 2] }],
          });
          expect(added.resultsByTopicV3AndBelow[0]!.resultsByPartition.map((r) => r.partitionErrorCode)).toEqual([0, 0, 0]);
          const values = [0, 1, 2].map((part) => `${txnId}-${n}-p${part}`);
          await Promise.all([0, 1, 2].map(async (part) => {
            const records = buildRecordBatch([{ key: 'k', value: values[part]! }], { producerId, producerEpoch, baseSequence: sequences[part]!++, transactional: true });
            const r = await (await to(partitionLeaders[part]!)).request(ProduceApi, 9, { transactionalId: txnId, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'ftx-busy', partitionData: [{ index: part, records }] }] });
            expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
          }));
          const commit = n % 2 === 0;
          const ended = await co.request(EndTxnApi, 3, { transactionalId: txnId, producerId, producerEpoch, committed: commit });
          endCodes.push(ended.errorCode);
          if (ended.errorCode !== 0) return;
          if (commit) committed.push(...values);
        }
      } finally {
        for (const c of clients.values()) c.close();
      }
    };
    await Promise.all(ids.map(run));
    expect(endCodes.filter((c) => c !== 0)).toEqual([]);
    for (let part = 0; part < 3; part++) expect(await endOffset('ftx-busy', part, 1)).toBe(await endOffset('ftx-busy', part, 0));
    const seen = await read('ftx-busy', 'read_committed', committed.length + 1);
    expect(seen.map((r) => r.value).sort()).toEqual([...committed].sort());
  }, 120_000);

  // The coordinator moved under a running producer, by the reassignment API (no broker killed): each move leaves
  // operations queued at the old coordinator, which must answer them NOT_COORDINATOR (d114dfc), never an error
  // that makes librdkafka abort or die.
  it('its coordinator moved four times by AlterPartitionReassignments while librdkafka commits transactions: every one commits', async () => {
    await createTopic('ftx-moved', 3);
    const txnId = 'ftx-moved-txn';
    const javaHash = (str: string): number => { let h = 0; for (let i = 0; i < str.length; i++) h = (Math.imul(31, h) + str.charCodeAt(i)) | 0; return h; };
    const statePartition = Math.abs(javaHash(txnId)) % (await leaders('__transaction_state')).length;
    const TXNS = 40;
    const child = spawn(PYTHON, [SCRIPT, 'loop', fleet.bootstrap, 'ftx-moved', txnId, String(TXNS)], { env: currentConfluentKafkaEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let committed = 0;
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => { committed += d.toString().split('\n').filter((l) => l.includes('"committed"')).length; });
    child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (let move = 1; move <= 4; move++) {
        // Each move lands while transactions are under way: after some more have committed.
        await until(() => committed >= move * 6, 60_000, `${move * 6} transactions committed`, 100, () => stderr);
        const from = (await leaders('__transaction_state'))[statePartition]!;
        const to = (from % 3) + 1;
        await admin.alterPartitionReassignments({ topics: [{ topic: '__transaction_state', partitionAssignment: [{ partition: statePartition, replicas: [to] }] }] });
        await until(async () => (await leaders('__transaction_state'))[statePartition] === to, 30_000, `the coordinator moved to broker ${to}`);
      }
      expect(await exited, stderr).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await admin.disconnect();
    }
    expect(committed).toBe(TXNS);
    const seen = await read('ftx-moved', 'read_committed', TXNS * 3 + 1);
    expect(seen.map((r) => r.value).sort()).toEqual(Array.from({ length: TXNS }, (_, t) => [0, 1, 2].map((p) => `${txnId}-${t}-p${p}`)).flat().sort());
  }, 180_000);

  // Found by the fault campaign's transactional producer: after its coordinator was killed, librdkafka was told
  // INVALID_PRODUCER_ID_MAPPING ("current transaction must be aborted") by a partition leader that, with no live
  // coordinator in its view, checked the batch against its own (empty) transaction state.
  it('while the coordinator of a transaction is down and not yet succeeded, a partition leader answers its batches retriably, never INVALID_PRODUCER_ID_MAPPING', async () => {
    await createTopic('ftx-failover', 1);
    const [partitionLeader] = await leaders('ftx-failover');
    let txnId = '';
    let coordinator = -1;
    for (let i = 0; txnId === ''; i++) {
      const candidate = `ftx-failover-${i}`;
      coordinator = await coordinatorOf(1, candidate, partitionLeader!);
      if (coordinator > 0 && coordinator !== partitionLeader) txnId = candidate;
    }
    const { producerId, producerEpoch } = await wire(coordinator, async (w) => {
      const r = await w.request(InitProducerIdApi, 4, { transactionalId: txnId, transactionTimeoutMs: 120_000, producerId: -1n, producerEpoch: -1 });
      expect(r.errorCode).toBe(0);
      return r;
    });
    const added = await wire(coordinator, (w) => w.request(AddPartitionsToTxnApi, 3, {
      ...defaultAddPartitionsToTxnRequest(), v3AndBelowTransactionalId: txnId, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch,
      v3AndBelowTopics: [{ name: 'ftx-failover', partitions: [0] }],
    }));
    expect(added.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode).toBe(0);
    const leader = await WireClient.connect('127.0.0.1', fleet.broker(partitionLeader!).port);
    const produce = async (sequence: number): Promise<number> => {
      const records = buildRecordBatch([{ key: 'k', value: `s${sequence}` }], { producerId, producerEpoch, baseSequence: sequence, transactional: true });
      const r = await leader.request(ProduceApi, 9, { transactionalId: txnId, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'ftx-failover', partitionData: [{ index: 0, records }] }] });
      return r.responses[0]!.partitionResponses[0]!.errorCode;
    };
    try {
      await fleet.broker(coordinator).kill9();
      // Sequence 0 is the transaction's first batch here, so every try is checked with the coordinator until one is taken.
      const codes = new Set<number>();
      await until(async () => {
        const code = await produce(0);
        codes.add(code);
        return code === ErrorCode.NONE || code === ErrorCode.INVALID_PRODUCER_ID_MAPPING;
      }, 90_000, 'the batch to be taken once a new coordinator has loaded the transaction', 100);
      expect([...codes].filter((c) => c !== ErrorCode.NONE && c !== ErrorCode.NOT_ENOUGH_REPLICAS)).toEqual([]);
      expect(codes.has(ErrorCode.NONE)).toBe(true);
    } finally {
      leader.close();
      await fleet.broker(coordinator).startAgain();
    }
  }, 150_000);

  it('the coordinator is SIGKILLed with a transaction open: its successor aborts it at its timeout, readers move on', async () => {
    await createTopic('ftx-orphan', 1);
    const [partitionLeader] = await leaders('ftx-orphan');
    // A transactional id coordinated by a broker that does not lead the partition.
    let txnId = '';
    let coordinator = -1;
    for (let i = 0; txnId === ''; i++) {
      const candidate = `ftx-orphan-${i}`;
      coordinator = await coordinatorOf(1, candidate, partitionLeader!);
      if (coordinator > 0 && coordinator !== partitionLeader) txnId = candidate;
    }
    // Its timeout must outlast the steps up to the kill on a loaded machine (else the first coordinator aborts it
    // itself); the successor aborts it once it has passed.
    const r = await py(['abandon', fleet.bootstrap, 'ftx-orphan', txnId, '20000']);
    expect(r.code, r.stderr).toBe(0);
    expect(await endOffset('ftx-orphan', 0, 0)).toBe(5n);
    expect(await endOffset('ftx-orphan', 0, 1)).toBe(0n);
    await fleet.broker(coordinator).kill9();
    // Another broker takes the __transaction_state partition over, replays it, and aborts at the timeout.
    await until(async () => (await coordinatorOf(1, txnId, partitionLeader!)) > 0 && (await coordinatorOf(1, txnId, partitionLeader!)) !== coordinator, 30_000, 'a new coordinator for the transactional id');
    await until(async () => (await endOffset('ftx-orphan', 0, 1)) === 6n, 60_000, 'the orphaned transaction to be aborted by the new coordinator');
    const producer = kafka.producer({ transactionalId: txnId, maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const t = await producer.transaction();
    await t.send({ topic: 'ftx-orphan', messages: [{ value: 'after-failover' }] });
    await t.commit();
    await producer.disconnect();
    expect((await read('ftx-orphan', 'read_committed', 10)).map((x) => x.value)).toEqual(['after-failover']);
  }, 150_000);
});
