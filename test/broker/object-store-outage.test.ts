// Object storage down mid-load: the S3-compatible server is stopped while a
// producer writes with acks=all and started again. The broker stays up,
// reports the outage in its metrics, resumes uploading by itself, and after
// a kill -9 and restart every acknowledged record is served from objects.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.ts';
import { brokerMetric } from '../support/broker-metrics.ts';
import { S3TestServer, S3_TEST_BUCKET, S3_TEST_CREDENTIALS } from '../support/s3-server.ts';
import { S3FaultProxy } from '../support/s3-fault-proxy.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import { CreateTopicsApi, FetchApi, InitProducerIdApi, ProduceApi } from '../../protocol/generated/index.ts';
import { defaultCreatableTopic } from '../../protocol/generated/CreateTopicsRequest.ts';
import { defaultFetchRequest, defaultFetchPartition } from '../../protocol/generated/FetchRequest.ts';
import { buildRecordBatch } from '../../protocol/records/record.ts';
import { splitRecordBatches } from '../../protocol/records/record-batch-header.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { recordsBuffer } from '../../protocol/primitives/writer.ts';

let s3: S3TestServer;
beforeAll(async () => {
  s3 = new S3TestServer();
  await s3.start();
});
afterAll(async () => { await s3.destroy(); });


describe.each(['local-wal', 'object-wal'])('S3 outage (%s)', (mode) => {
  it('keeps the broker up, reports the outage, resumes by itself and loses nothing acknowledged', async () => {
    const broker = await BrokerProcess.start({
      args: ['--durability', mode, '--upload-interval-ms', '50', '--tail-cache-bytes-max', '0'],
      env: { FLOE_S3_ENDPOINT: s3.endpoint, FLOE_S3_BUCKET: S3_TEST_BUCKET, FLOE_S3_KEY_PREFIX: `outage-${mode}-${Date.now()}/`, AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey },
    });
    try {
      const topic = `outage-${mode}`;
      const c = await WireClient.connect('127.0.0.1', broker.port);
      await c.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: topic, numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000, validateOnly: false });
      const acked: number[] = [];
      let stop = false;
      let i = 0;
      const producer = (async () => {
        while (!stop) {
          const n = i++;
          const r = await c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: buildRecordBatch([{ key: `k${n}`, value: `v${n}` }]) }] }] });
          if (r.responses[0]!.partitionResponses[0]!.errorCode === 0) acked.push(n);
        }
      })();
      await new Promise((r) => setTimeout(r, 600));
      const ackedBeforeOutage = acked.length;
      await s3.stop();
      await new Promise((r) => setTimeout(r, 1500));
      expect(await brokerMetric(broker.httpPort, 'floe_object_store_consecutive_failures')).toBeGreaterThan(0);
      expect(await brokerMetric(broker.httpPort, 'floe_object_store_requests{op="put",outcome="error"}')).toBeGreaterThan(0);
      expect((await fetch(`http://127.0.0.1:${broker.httpPort}/readyz`)).status).toBe(503);
      await s3.start();
      await new Promise((r) => setTimeout(r, 1000));
      stop = true;
      await producer;
      // Uploads catch up by themselves.
      const deadline = Date.now() + 20_000;
      while (await brokerMetric(broker.httpPort, 'floe_upload_pending_bytes') > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await brokerMetric(broker.httpPort, 'floe_upload_pending_bytes')).toBe(0);
      expect(await brokerMetric(broker.httpPort, 'floe_object_store_consecutive_failures')).toBe(0);
      // Acks went on before the outage and resumed after it (one sequential producer; object-wal acks
      // only after upload, so fewer of them).
      expect(ackedBeforeOutage).toBeGreaterThan(0);
      expect(acked.length).toBeGreaterThan(ackedBeforeOutage);
      c.close();

      // Kill -9 and restart: with no WAL left to replay, everything comes from objects.
      await broker.kill9();
      await broker.startAgain();
      const c2 = await WireClient.connect('127.0.0.1', broker.port);
      const got: string[] = [];
      let offset = 0n;
      for (;;) {
        const f = await c2.request(FetchApi, 11, {
          ...defaultFetchRequest(), maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20,
          topics: [{ topic, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ ...defaultFetchPartition(), partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
        });
        const recs = recordsBuffer(f.responses[0]!.partitions[0]!.records!);
        if (recs.length === 0) break;
        for (const b of splitRecordBatches(recs)) {
          if (b.lastOffset < offset) continue;
          got.push(b.recordsSection().toString('latin1'));
          offset = b.lastOffset + 1n;
        }
      }
      c2.close();
      expect(Number(offset)).toBeGreaterThanOrEqual(acked.length);
      const text = got.join('|');
      for (const n of acked) expect(text.includes(`v${n}`), `acked v${n}`).toBe(true);
    } finally {
      await broker.destroy();
    }
  }, 90_000);
});

describe('bounded data waiting for upload', () => {
  it('with object storage down, produce waits for room up to its timeout, then gets REQUEST_TIMED_OUT; it succeeds again once uploads resume', async () => {
    const broker = await BrokerProcess.start({
      args: ['--upload-interval-ms', '50', '--pending-upload-bytes-max', '65536'],
      env: { FLOE_S3_ENDPOINT: s3.endpoint, FLOE_S3_BUCKET: S3_TEST_BUCKET, FLOE_S3_KEY_PREFIX: `bound-${Date.now()}/`, AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey },
    });
    const c = await WireClient.connect('127.0.0.1', broker.port);
    try {
      await c.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: 'bounded', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000, validateOnly: false });
      const produce = async (timeoutMs: number): Promise<number> => {
        const r = await c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs, topicData: [{ name: 'bounded', partitionData: [{ index: 0, records: buildRecordBatch([{ key: 'k', value: Buffer.alloc(8192, 1) }]) }] }] });
        return r.responses[0]!.partitionResponses[0]!.errorCode;
      };
      await s3.stop();
      const codes: number[] = [];
      // 16 x 8 KiB is twice the 64 KiB bound: the later requests cannot be taken while nothing uploads.
      for (let i = 0; i < 16; i++) codes.push(await produce(300));
      expect(codes.slice(0, 4).every((e) => e === 0)).toBe(true);
      expect(codes.at(-1)).toBe(ErrorCode.REQUEST_TIMED_OUT);
      expect(await brokerMetric(broker.httpPort, 'floe_produce_backpressure_timeouts_total')).toBeGreaterThan(0);
      expect(await brokerMetric(broker.httpPort, 'floe_upload_pending_bytes')).toBeLessThanOrEqual(65536 + 8192 + 200);
      await s3.start();
      // Uploads catch up and make room; producing works again without a restart.
      const deadline = Date.now() + 20_000;
      let code = -1;
      while (code !== 0 && Date.now() < deadline) code = await produce(1000);
      expect(code).toBe(0);
    } finally {
      c.close();
      await broker.destroy();
    }
  }, 60_000);
});

describe('an idempotent retry while its first copy waits for object storage', () => {
  it('is acknowledged only once the first copy is durable, at its offset, and the log holds it once', async () => {
    const broker = await BrokerProcess.start({
      args: ['--durability', 'object-wal', '--upload-interval-ms', '50'],
      env: { FLOE_S3_ENDPOINT: s3.endpoint, FLOE_S3_BUCKET: S3_TEST_BUCKET, FLOE_S3_KEY_PREFIX: `retry-${Date.now()}/`, AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey },
    });
    const c = await WireClient.connect('127.0.0.1', broker.port);
    try {
      await c.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: 'retried', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000, validateOnly: false });
      const pid = await c.request(InitProducerIdApi, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
      expect(pid.errorCode).toBe(0);
      const batch = (seq: number, key: string): Buffer => buildRecordBatch([{ key, value: key }], { producerId: pid.producerId, producerEpoch: pid.producerEpoch, baseSequence: seq });
      const produce = async (records: Buffer, timeoutMs: number): Promise<{ errorCode: number; baseOffset: bigint }> => {
        const r = await c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs, topicData: [{ name: 'retried', partitionData: [{ index: 0, records }] }] });
        return r.responses[0]!.partitionResponses[0]!;
      };
      expect((await produce(batch(0, 'first'), 10_000)).errorCode).toBe(0);
      await s3.stop();
      // Appended, but not durable within its timeout: the client cannot know whether it was written, and retries.
      expect((await produce(batch(1, 'second'), 300)).errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT);
      // The retry finds the first copy; it is still not durable, so the retry is not acknowledged either.
      expect((await produce(batch(1, 'second'), 300)).errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT);
      await s3.start();
      const retried = await produce(batch(1, 'second'), 20_000);
      expect(retried).toMatchObject({ errorCode: 0, baseOffset: 1n });
      const f = await c.request(FetchApi, 11, {
        ...defaultFetchRequest(), maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20,
        topics: [{ topic: 'retried', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ ...defaultFetchPartition(), partition: 0, partitionMaxBytes: 1 << 20 }] }],
      });
      const p = f.responses[0]!.partitions[0]!;
      expect(p.highWatermark).toBe(2n);
      expect(splitRecordBatches(recordsBuffer(p.records!)).map((b) => [Number(b.baseOffset), b.baseSequence])).toEqual([[0, 0], [1, 1]]);
    } finally {
      c.close();
      await broker.destroy();
    }
  }, 60_000);
});

describe('an idempotent batch pipelined behind one refused as not written', () => {
  // The refused batch here is one the full upload path turned away; in a fleet it is one a broker still opening the
  // partition turned away. Either way the next batch of the same producer, arriving once the broker takes it, has a
  // sequence gap: answered OUT_OF_ORDER_SEQUENCE_NUMBER, librdkafka bumps its epoch and re-sends every unacknowledged
  // record, and a record whose write was in doubt elsewhere is written twice.
  it('is refused the same way on that connection, not as out of order; both are then taken in order, and a gap on another connection is still out of order', async () => {
    const broker = await BrokerProcess.start({
      // No grace after taking over the partition (see producer-state-restart.test.ts): a gap is out of order at once.
      args: ['--upload-interval-ms', '50', '--pending-upload-bytes-max', '65536', '--sequence-gap-grace-ms', '0'],
      env: { FLOE_S3_ENDPOINT: s3.endpoint, FLOE_S3_BUCKET: S3_TEST_BUCKET, FLOE_S3_KEY_PREFIX: `in-order-${Date.now()}/`, AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey },
    });
    const c = await WireClient.connect('127.0.0.1', broker.port);
    const other = await WireClient.connect('127.0.0.1', broker.port);
    try {
      await c.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: 'in-order', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000, validateOnly: false });
      const pid = await c.request(InitProducerIdApi, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
      expect(pid.errorCode).toBe(0);
      const produce = async (via: WireClient, seq: number, timeoutMs: number, acks = 1): Promise<{ errorCode: number; errorMessage: string | null }> => {
        const records = buildRecordBatch([{ key: `k${seq}`, value: Buffer.alloc(8192, seq) }], { producerId: pid.producerId, producerEpoch: pid.producerEpoch, baseSequence: seq });
        const r = await via.request(ProduceApi, 9, { transactionalId: null, acks, timeoutMs, topicData: [{ name: 'in-order', partitionData: [{ index: 0, records }] }] });
        return r.responses[0]!.partitionResponses[0]!;
      };
      await s3.stop();
      // 8 KiB batches against a 64 KiB bound with nothing uploading: one is refused (not written) within 16.
      let refused = -1;
      for (let seq = 0; seq < 16 && refused < 0; seq++) {
        const r = await produce(c, seq, 100);
        if (r.errorCode === ErrorCode.REQUEST_TIMED_OUT) refused = seq;
        else expect(r.errorCode).toBe(0);
      }
      expect(refused).toBeGreaterThan(0);
      await s3.start();
      const deadline = Date.now() + 20_000;
      while (await brokerMetric(broker.httpPort, 'floe_upload_pending_bytes') > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await brokerMetric(broker.httpPort, 'floe_upload_pending_bytes')).toBe(0);
      // The broker has room again, but the batch after the refused one must not be judged a gap.
      const behind = await produce(c, refused + 1, 5000);
      expect(behind.errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT);
      expect(behind.errorMessage).toContain(`sequence ${refused}`);
      expect(await brokerMetric(broker.httpPort, 'floe_produce_refused_in_order_total')).toBe(1);
      // A real gap is still a gap: the guard belongs to the connection that saw the refusal.
      expect((await produce(other, refused + 1, 5000)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      // The client re-sends in order; both are taken, and the log holds every sequence once, in order.
      expect((await produce(c, refused, 10_000, -1)).errorCode).toBe(0);
      expect((await produce(c, refused + 1, 10_000, -1)).errorCode).toBe(0);
      const f = await c.request(FetchApi, 11, {
        ...defaultFetchRequest(), maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20,
        topics: [{ topic: 'in-order', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ ...defaultFetchPartition(), partition: 0, partitionMaxBytes: 1 << 20 }] }],
      });
      const p = f.responses[0]!.partitions[0]!;
      expect(splitRecordBatches(recordsBuffer(p.records!)).map((b) => b.baseSequence)).toEqual(Array.from({ length: refused + 2 }, (_, i) => i));
    } finally {
      c.close();
      other.close();
      await broker.destroy();
    }
  }, 60_000);
});

describe('a fetch whose object read stalls', () => {
  it('is answered with no records once its wait is over, while object storage still hangs; the records come after it answers again', async () => {
    const broker = await BrokerProcess.start({
      args: ['--upload-interval-ms', '50', '--tail-cache-bytes-max', '0'],
      env: { FLOE_S3_ENDPOINT: s3.endpoint, FLOE_S3_BUCKET: S3_TEST_BUCKET, FLOE_S3_KEY_PREFIX: `stall-${Date.now()}/`, AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey },
    });
    const c = await WireClient.connect('127.0.0.1', broker.port);
    try {
      await c.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: 'stalled', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000, validateOnly: false });
      for (let i = 0; i < 5; i++) {
        const r = await c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'stalled', partitionData: [{ index: 0, records: buildRecordBatch([{ key: `k${i}`, value: `v${i}` }]) }] }] });
        expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      }
      // Uploaded, and with no tail cache the records are read from objects only.
      const deadline = Date.now() + 20_000;
      while (await brokerMetric(broker.httpPort, 'floe_upload_pending_bytes') > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await brokerMetric(broker.httpPort, 'floe_upload_pending_bytes')).toBe(0);
      const fetchFrom0 = () => c.request(FetchApi, 11, {
        ...defaultFetchRequest(), maxWaitMs: 100, minBytes: 1, maxBytes: 1 << 20,
        topics: [{ topic: 'stalled', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ ...defaultFetchPartition(), partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
      });
      s3.pause();
      // A stalled store answers nothing for the SDK's 30 s request timeout, retried five times: the
      // fetch must not wait for that. Its answer arrives while the store is still paused.
      const stalled = await fetchFrom0();
      const p = stalled.responses[0]!.partitions[0]!;
      expect(p.errorCode).toBe(0);
      expect(p.highWatermark).toBe(5n);
      expect(recordsBuffer(p.records!).length).toBe(0);
      expect(await brokerMetric(broker.httpPort, 'floe_fetch_reads_outlasted_wait_total')).toBeGreaterThan(0);
      s3.resume();
      let got = 0;
      const until = Date.now() + 30_000;
      while (got === 0 && Date.now() < until) {
        const f = await fetchFrom0();
        got = splitRecordBatches(recordsBuffer(f.responses[0]!.partitions[0]!.records!)).length;
      }
      expect(got).toBe(5);
    } finally {
      s3.resume();
      c.close();
      await broker.destroy();
    }
  }, 90_000);
});

describe('a catch-up fetch over many small regions in slow object storage', () => {
  // A fault campaign's final read found partitions it could not read from offset 0 at all: thousands of small regions
  // (uploads every 50 ms, compaction held back by the faults), each a GET, while every fetch was answered empty once
  // its read outlasted the 5 s bound, and started over.
  it('answers what it read by its deadline, and the consumer gets everything fetch by fetch', async () => {
    const proxy = new S3FaultProxy(() => s3.port);
    await proxy.start();
    const broker = await BrokerProcess.start({
      // object-wal: acks=all is answered once the record's upload is indexed, so records sent one at a time are
      // regions of their own however busy the machine is (in local-wal mode, a slow upload could carry several); and
      // no compaction merges them, however long producing them takes.
      args: ['--durability', 'object-wal', '--upload-interval-ms', '5', '--tail-cache-bytes-max', '0', '--block-cache-bytes-max', '0', '--object-compaction-interval-ms', '3600000'],
      env: { FLOE_S3_ENDPOINT: proxy.endpoint, FLOE_S3_BUCKET: S3_TEST_BUCKET, FLOE_S3_KEY_PREFIX: `regions-${Date.now()}/`, AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey },
    });
    const c = await WireClient.connect('127.0.0.1', broker.port);
    try {
      await c.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: 'many-regions', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000, validateOnly: false });
      const records = 400;
      // acks=all one at a time: each record is uploaded, and indexed, as a region of its own.
      for (let i = 0; i < records; i++) {
        const r = await c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'many-regions', partitionData: [{ index: 0, records: buildRecordBatch([{ key: `k${i}`, value: `v${i}` }]) }] }] });
        expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      }
      // Every GET now takes up to 100 ms: reading the 400 regions takes far longer than a fetch's 5 s.
      proxy.faults = { delayMsMax: 100, errorRate: 0 };
      const fetchFrom = async (offset: number): Promise<number> => {
        const f = await c.request(FetchApi, 11, {
          ...defaultFetchRequest(), maxWaitMs: 100, minBytes: 1, maxBytes: 1 << 20,
          topics: [{ topic: 'many-regions', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ ...defaultFetchPartition(), partition: 0, fetchOffset: BigInt(offset), partitionMaxBytes: 1 << 20 }] }],
        });
        const p = f.responses[0]!.partitions[0]!;
        expect(p.errorCode).toBe(0);
        return splitRecordBatches(recordsBuffer(p.records!)).length;
      };
      const first = await fetchFrom(0);
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThan(records);
      let next = first;
      let fetches = 1;
      while (next < records && fetches < 40) {
        const got = await fetchFrom(next);
        expect(got).toBeGreaterThan(0);
        next += got;
        fetches++;
      }
      expect(next).toBe(records);
    } finally {
      c.close();
      await broker.destroy();
      await proxy.stop();
    }
  }, 180_000);
});

describe('object storage answering SlowDown and InternalError, slowly', () => {
  it('retries them: every acks=all produce is acknowledged, the retries are counted, and every record reads back', async () => {
    const proxy = new S3FaultProxy(() => s3.port);
    await proxy.start();
    const broker = await BrokerProcess.start({
      args: ['--durability', 'object-wal', '--upload-interval-ms', '50', '--tail-cache-bytes-max', '0'],
      env: { FLOE_S3_ENDPOINT: proxy.endpoint, FLOE_S3_BUCKET: S3_TEST_BUCKET, FLOE_S3_KEY_PREFIX: `slowdown-${Date.now()}/`, AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey },
    });
    const c = await WireClient.connect('127.0.0.1', broker.port);
    try {
      await c.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: 'throttled', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000, validateOnly: false });
      // Each attempt fails with probability 0.3 and the broker makes five: an upload that still fails is tried again later.
      proxy.faults = { delayMsMax: 100, errorRate: 0.3 };
      for (let i = 0; i < 30; i++) {
        const r = await c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: 'throttled', partitionData: [{ index: 0, records: buildRecordBatch([{ key: `k${i}`, value: `v${i}` }]) }] }] });
        expect(r.responses[0]!.partitionResponses[0]!).toMatchObject({ errorCode: 0, baseOffset: BigInt(i) });
      }
      expect(proxy.injected.errors).toBeGreaterThan(0);
      expect(await brokerMetric(broker.httpPort, 'floe_object_store_requests{op="put",outcome="retry"}')).toBeGreaterThan(0);
      // Read back from objects (no tail cache) through the same faults: failures are retried by the client.
      const values: string[] = [];
      let offset = 0n;
      const until = Date.now() + 60_000;
      while (offset < 30n && Date.now() < until) {
        const f = await c.request(FetchApi, 11, {
          ...defaultFetchRequest(), maxWaitMs: 100, minBytes: 1, maxBytes: 1 << 20,
          topics: [{ topic: 'throttled', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ ...defaultFetchPartition(), partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
        });
        const p = f.responses[0]!.partitions[0]!;
        expect([ErrorCode.NONE, ErrorCode.KAFKA_STORAGE_ERROR]).toContain(p.errorCode);
        for (const b of splitRecordBatches(recordsBuffer(p.records!))) {
          if (b.lastOffset < offset) continue;
          values.push(b.recordsSection().toString('latin1'));
          offset = b.lastOffset + 1n;
        }
      }
      expect(offset).toBe(30n);
      for (let i = 0; i < 30; i++) expect(values[i]).toContain(`v${i}`);
    } finally {
      c.close();
      await broker.destroy();
      await proxy.stop();
    }
  }, 120_000);
});
