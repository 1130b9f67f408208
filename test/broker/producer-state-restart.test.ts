// Idempotent-producer state across a restart when much was written after a
// producer's last batch: the new leader's rebuild reads only the log's tail
// (its newest 256 regions, at most 16 MiB), so without the producer-state
// snapshot a retry of an older batch came from an unknown producer and was
// appended a second time. Here one producer writes a batch, another writes
// 300 batches after it (each acknowledged, so each its own uploaded region),
// the broker is killed and restarted, and the first producer's retry must be
// answered with its first copy's offset.

import { describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.ts';
import { brokerMetric } from '../support/broker-metrics.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import { CreateTopicsApi, FetchApi, InitProducerIdApi, ProduceApi } from '../../protocol/generated/index.ts';
import { defaultCreatableTopic } from '../../protocol/generated/CreateTopicsRequest.ts';
import { defaultFetchPartition, defaultFetchRequest } from '../../protocol/generated/FetchRequest.ts';
import { buildRecordBatch } from '../../protocol/records/record.ts';
import { splitRecordBatches } from '../../protocol/records/record-batch-header.ts';
import { recordsBuffer } from '../../protocol/primitives/writer.ts';
import { ErrorCode } from '../../protocol/errors.ts';


describe('idempotent producer state after a restart', () => {
  it('knows a producer whose last batch is older than the tail the rebuild reads: its retry gets the first offset', async () => {
    const broker = await BrokerProcess.start({ args: ['--durability', 'object-wal', '--upload-interval-ms', '5'] });
    try {
      let c = await WireClient.connect('127.0.0.1', broker.port);
      await c.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: 'long-idle', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000, validateOnly: false });
      const initPid = async (): Promise<{ producerId: bigint; producerEpoch: number }> => {
        const r = await c.request(InitProducerIdApi, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
        expect(r.errorCode).toBe(0);
        return r;
      };
      const a = await initPid();
      const b = await initPid();
      const produce = async (p: { producerId: bigint; producerEpoch: number }, seq: number, value: string): Promise<{ errorCode: number; baseOffset: bigint }> => {
        const records = buildRecordBatch([{ key: value, value }], { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: seq });
        const r = await c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'long-idle', partitionData: [{ index: 0, records }] }] });
        return r.responses[0]!.partitionResponses[0]!;
      };
      expect(await produce(a, 0, 'a0')).toMatchObject({ errorCode: 0, baseOffset: 0n });
      let bSeq = 0;
      for (; bSeq < 300; bSeq++) expect((await produce(b, bSeq, `b${bSeq}`)).errorCode).toBe(0);
      // The leader snapshots its producer state every few seconds while the high watermark moves.
      const until = Date.now() + 30_000;
      while (await brokerMetric(broker.httpPort, 'floe_producer_state_snapshots_total{outcome="written"}') === 0 && Date.now() < until) {
        expect((await produce(b, bSeq++, `b${bSeq}`)).errorCode).toBe(0);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await brokerMetric(broker.httpPort, 'floe_producer_state_snapshots_total{outcome="written"}')).toBeGreaterThan(0);
      const end = 1 + bSeq;
      c.close();

      await broker.kill9();
      await broker.startAgain();
      c = await WireClient.connect('127.0.0.1', broker.port);
      // A retry of a0 (the client never saw its answer): the first copy's offset, nothing appended.
      expect(await produce(a, 0, 'a0')).toMatchObject({ errorCode: 0, baseOffset: 0n });
      expect(await produce(a, 1, 'a1')).toMatchObject({ errorCode: 0, baseOffset: BigInt(end) });
      const f = await c.request(FetchApi, 11, {
        ...defaultFetchRequest(), maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20,
        topics: [{ topic: 'long-idle', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ ...defaultFetchPartition(), partition: 0, fetchOffset: BigInt(end - 2), partitionMaxBytes: 1 << 20 }] }],
      });
      const p = f.responses[0]!.partitions[0]!;
      expect(p.highWatermark).toBe(BigInt(end + 1));
      expect(splitRecordBatches(recordsBuffer(p.records!)).map((x) => x.producerId)).toEqual([b.producerId, b.producerId, a.producerId]);
      c.close();
    } finally {
      await broker.destroy();
    }
  }, 120_000);
});

// A leader that has just taken a partition over (here: the same broker after a restart) may see a batch whose
// predecessors the client sent the old leader and is about to re-send here; such a gap is retriable for
// sequence.gap.grace.ms (see partition-log.ts), after which it is Kafka's OUT_OF_ORDER_SEQUENCE_NUMBER
// (object-store-outage.test.ts, grace 0). A partition created here and never led by anyone else answers a gap
// OUT_OF_ORDER_SEQUENCE_NUMBER at once, as Kafka (test/differential/groups-and-producers.test.ts).
describe('a sequence gap just after taking a partition over', () => {
  it('is answered NOT_LEADER_OR_FOLLOWER, nothing written; the missing batch and then the held-back one are taken in order', async () => {
    const broker = await BrokerProcess.start({ args: ['--sequence-gap-grace-ms', '600000'] });
    let c = await WireClient.connect('127.0.0.1', broker.port);
    try {
      await c.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: 'gap', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000, validateOnly: false });
      const p = await c.request(InitProducerIdApi, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
      const produce = async (seq: number): Promise<{ errorCode: number; errorMessage: string | null; baseOffset: bigint }> => {
        const records = buildRecordBatch([{ key: `k${seq}`, value: `v${seq}` }], { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: seq });
        const r = await c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'gap', partitionData: [{ index: 0, records }] }] });
        return r.responses[0]!.partitionResponses[0]!;
      };
      expect(await produce(0)).toMatchObject({ errorCode: 0, baseOffset: 0n });
      c.close();
      await broker.restart();
      c = await WireClient.connect('127.0.0.1', broker.port);
      const ahead = await produce(2);
      expect(ahead.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      expect(ahead.errorMessage).toContain('batches before this one are missing');
      expect(await produce(1)).toMatchObject({ errorCode: 0, baseOffset: 1n });
      expect(await produce(2)).toMatchObject({ errorCode: 0, baseOffset: 2n });
    } finally {
      c.close();
      await broker.destroy();
    }
  }, 60_000);
});
