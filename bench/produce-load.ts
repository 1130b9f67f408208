// Owns one run of the produce/consume load against one Kafka-compatible
// broker (floe, Apache Kafka, the sink, or any bootstrap): pipelined
// producers (floe's own protocol layer, or kafkajs / librdkafka) and
// consumers fetching every partition; it measures throughput, produce and
// end-to-end latency, and the broker process's CPU and RSS when it has its
// PID. It does not start or stop brokers and does not print or write reports.

import { WireClient } from '../protocol/wire-client.ts';
import { LatencyRecorder } from './stats.ts';
import { CreateTopicsApi, FetchApi, MetadataApi, ProduceApi } from '../protocol/generated/index.ts';
import { defaultCreatableTopic } from '../protocol/generated/CreateTopicsRequest.ts';
import { defaultFetchRequest, defaultFetchPartition } from '../protocol/generated/FetchRequest.ts';
import { buildRecordBatch } from '../protocol/records/record.ts';
import { RecordBatchHeader, splitRecordBatches, ATTRIBUTES, BASE_TIMESTAMP, MAX_TIMESTAMP, CRC } from '../protocol/records/record-batch-header.ts';
import { crc32c } from '../protocol/crc32c.ts';
import { recordsBuffer, recordsByteLength } from '../protocol/primitives/writer.ts';
import { S3_STANDARD_PRICES_USD, requestCostPerGB } from './s3-prices.ts';
import { procStats } from './side-by-side.ts';

/** The broker a run drives. */
export interface LoadTarget {
  /** What the report calls it: 'floe', 'apache-kafka', 'sink', 'external'. */
  name: string;
  host: string;
  port: number;
  /** The broker's PID, when it runs on this machine: CPU and RSS are read from /proc. */
  pid?: number;
  /** A fleet's broker PIDs: CPU and RSS are summed over them (instead of `pid`). */
  pids?: number[];
  /** floe's HTTP port: object-store request counts are read from its /metrics. */
  floeHttpPort?: number;
  /** A fleet's HTTP ports: object-store request counts and bytes are summed over them. */
  floeHttpPorts?: number[];
  /** How to open a connection (TLS, SASL); plain TCP when absent. */
  connect?: (host: string, port: number) => Promise<WireClient>;
}

export interface LoadParams {
  client: 'wire' | 'kafkajs' | 'librdkafka';
  partitions: number;
  recordBytes: number;
  batchRecords: number;
  connections: number;
  inflight: number;
  rateMBps: number;
  acks: number;
  durationMs: number;
  warmupMs: number;
  consumers: number;
  catchUp: boolean;
  /** The consumers' client.rack (KIP-392): they follow a leader's preferred read replica. */
  clientRack?: string;
}

export interface LatencySummary { count: number; p50: number; p99: number; p999: number; max: number }

export interface LoadFigures {
  target: string;
  /** errorsByCode: the Kafka error codes of failed produces (wire client; 'client' for a library's failures). */
  produce: { mbPerSec: number; recordsPerSec: number; errors: number; errorsByCode: Record<string, number>; latencyMs: LatencySummary };
  consume: { mbPerSec: number; recordsPerSec: number; endToEndLatencyMs: LatencySummary };
  broker: { cpuCoresUsed: number; rssMBEnd: number; rssMBMax: number; rssTimeline: { s: number; rssMB: number }[] } | null;
  objectStore: { puts: number; gets: number; putsPerSec: number; getsPerSec: number; putsPerGB: number; getsPerGB: number; requestCostUSDPerGB: number; prices: typeof S3_STANDARD_PRICES_USD } | null;
  catchUp: { mbPerSec: number; bytes: number; seconds: number } | null;
  /** One entry per second of the measured window, for the charts. */
  timeline: { s: number; p50: number; p99: number; max: number; producedMBps: number; consumedMBps: number }[];
}

/**
 * The whole batches at the start of a fetched partition: Apache Kafka may end a response with a
 * batch cut at the size limit, which clients drop and fetch again.
 */
function wholeBatches(buf: Buffer): Buffer {
  let pos = 0;
  while (pos + 12 <= buf.length) {
    const size = 12 + buf.readInt32BE(pos + 8);
    if (pos + size > buf.length) break;
    pos += size;
  }
  return pos === buf.length ? buf : buf.subarray(0, pos);
}


/** Runs the load once against `target` on a new topic and returns what it measured. */
export async function runLoad(target: LoadTarget, params: LoadParams): Promise<LoadFigures> {
  const { host, port } = target;
  const { partitions: PARTITIONS, durationMs: DURATION_MS, batchRecords: BATCH_RECORDS, inflight: INFLIGHT, acks: ACKS } = params;
  const TOPIC = `bench-${Date.now()}`;
  // A batch template; each send restamps the timestamps and CRC, nothing else.
  const value = Buffer.alloc(params.recordBytes, 'v');
  const template = buildRecordBatch(Array.from({ length: BATCH_RECORDS }, (_, i) => ({ key: `key-${i}`, value })));
  const stampedBatch = (ts: number): Buffer => {
    const b = Buffer.from(template);
    b.writeBigInt64BE(BigInt(ts), BASE_TIMESTAMP);
    b.writeBigInt64BE(BigInt(ts), MAX_TIMESTAMP);
    b.writeUInt32BE(crc32c(b, ATTRIBUTES, b.length), CRC);
    return b;
  };

  const open = target.connect ?? ((h: string, p: number) => WireClient.connect(h, p));
  const admin = await open(host, port);
  const created = await admin.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1 }], timeoutMs: 10_000, validateOnly: false });
  if (created.topics[0]!.errorCode !== 0) throw new Error(`create topic failed: ${created.topics[0]!.errorMessage}`);
  // A new topic's leaders may take a moment to be known everywhere (Apache Kafka's metadata propagates).
  let topicId = '';
  /** Each partition's leader, and every broker's address: a fleet's requests go to the leader. */
  let leaders: number[] = [];
  const addresses = new Map<number, { host: string; port: number }>();
  for (let attempt = 0; ; attempt++) {
    const md = await admin.request(MetadataApi, 12, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: TOPIC }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    const t = md.topics[0]!;
    // (The sink lists more partitions than asked for: it answers every topic alike.)
    if (t.errorCode === 0 && t.partitions.length >= PARTITIONS && t.partitions.every((p) => p.errorCode === 0 && p.leaderId >= 0)) {
      topicId = t.topicId;
      leaders = [...t.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => p.leaderId).slice(0, PARTITIONS);
      for (const b of md.brokers) addresses.set(b.nodeId, { host: b.host, port: b.port });
      break;
    }
    if (attempt >= 100) throw new Error(`topic ${TOPIC} has no leaders after 10 s`);
    await new Promise((r) => setTimeout(r, 100));
  }

  // One connection per broker per user (producer, consumer, probe), opened when first needed.
  const allConnections: WireClient[] = [];
  type Pool = Map<number, Promise<WireClient>>;
  const connectionTo = (pool: Pool, nodeId: number): Promise<WireClient> => {
    let c = pool.get(nodeId);
    if (c === undefined) {
      // A broker the metadata does not list (the sink names itself oddly): the bootstrap address.
      const a = addresses.get(nodeId) ?? { host, port };
      c = open(a.host === 'localhost' ? '127.0.0.1' : a.host, a.port).then((w) => { allConnections.push(w); return w; });
      pool.set(nodeId, c);
    }
    return c;
  };
  const probes: Pool = new Map();

  // Apache Kafka answers NOT_LEADER_OR_FOLLOWER for a moment after it named the leaders: the load
  // starts once every partition took a write (one probe record each, on either broker).
  for (let partition = 0; partition < PARTITIONS; partition++) {
    for (let attempt = 0; ; attempt++) {
      const res = await (await connectionTo(probes, leaders[partition]!)).request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: buildRecordBatch([{ key: 'probe', value: Buffer.from('probe') }]) }] }] });
      if (res.responses[0]!.partitionResponses[0]!.errorCode === 0) break;
      if (attempt >= 100) throw new Error(`partition ${partition} of ${TOPIC} takes no writes after 10 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const produceLatency = new LatencyRecorder();
  // Per-second figures for the charts: bounded (one small recorder per second of the run).
  const seconds = new Map<number, { latency: LatencyRecorder; producedBytes: number; consumedBytes: number }>();
  const second = (t: number): { latency: LatencyRecorder; producedBytes: number; consumedBytes: number } => {
    const k = Math.floor((t - measureFrom) / 1000);
    let b = seconds.get(k);
    if (b === undefined) {
      b = { latency: new LatencyRecorder(60_000, 2), producedBytes: 0, consumedBytes: 0 };
      seconds.set(k, b);
    }
    return b;
  };
  const e2eLatency = new LatencyRecorder();
  let producedBytes = 0;
  let producedRecords = 0;
  let consumedBytes = 0;
  let consumedRecords = 0;
  let errors = 0;
  const errorsByCode: Record<string, number> = {};
  const failed = (code: string): false => {
    errorsByCode[code] = (errorsByCode[code] ?? 0) + 1;
    return false;
  };
  const start = Date.now();
  const measureFrom = start + params.warmupMs;
  const end = measureFrom + DURATION_MS;
  let brokerAtStart: { cpuSeconds: number; rssMB: number } | undefined;
  const pids = target.pids ?? (target.pid !== undefined ? [target.pid] : []);
  const fleetStats = (): { cpuSeconds: number; rssMB: number } => pids.map(procStats).reduce((a, b) => ({ cpuSeconds: a.cpuSeconds + b.cpuSeconds, rssMB: a.rssMB + b.rssMB }));
  let rssMaxMB = 0;
  const rssTimeline: { s: number; rssMB: number }[] = [];
  let lastTimelineAt = 0;
  const sampler = setInterval(() => {
    if (pids.length === 0) return;
    const s = fleetStats();
    if (Date.now() >= measureFrom && brokerAtStart === undefined) brokerAtStart = s;
    rssMaxMB = Math.max(rssMaxMB, s.rssMB);
    if (Date.now() - lastTimelineAt >= 5000) {
      lastTimelineAt = Date.now();
      rssTimeline.push({ s: Math.round((Date.now() - start) / 1000), rssMB: Math.round(s.rssMB) });
    }
  }, 200);

  // Fixed rate: one send slot every `intervalMs`, shared by all senders.
  const batchBytes = template.length;
  const intervalMs = params.rateMBps > 0 ? batchBytes / (params.rateMBps * 1e6) * 1000 : 0;
  // Produce latency is measured on the monotonic high-resolution clock (sub-millisecond), in epoch milliseconds.
  const clock = (): number => performance.timeOrigin + performance.now();
  let nextSlot = clock();
  let partitionCursor = 0;
  /** Sends one batch of BATCH_RECORDS records stamped `ts`; true when acknowledged without error. */
  type SendBatch = (partition: number, ts: number) => Promise<boolean>;
  const closers: (() => Promise<void>)[] = [];
  const producers: SendBatch[] = await Promise.all(Array.from({ length: params.connections }, async (): Promise<SendBatch> => {
    if (params.client === 'kafkajs') {
      const { Kafka, logLevel } = await import('kafkajs');
      const producer = new Kafka({ clientId: 'floe-bench', brokers: [`${host}:${port}`], logLevel: logLevel.NOTHING }).producer({ maxInFlightRequests: INFLIGHT });
      await producer.connect();
      closers.push(() => producer.disconnect());
      const keys = Array.from({ length: BATCH_RECORDS }, (_, i) => `key-${i}`);
      return async (partition, ts) => {
        try {
          await producer.send({ topic: TOPIC, acks: ACKS, timeout: 30_000, messages: keys.map((key) => ({ key, value, partition, timestamp: String(ts) })) });
          return true;
        } catch {
          return failed('client');
        }
      };
    }
    if (params.client === 'librdkafka') {
      const { KafkaClient } = await import('kafka-crab-js');
      const producer = new KafkaClient({ brokers: `${host}:${port}`, clientId: 'floe-bench', logLevel: 'error' })
        .createProducer({ configuration: { acks: String(ACKS), 'linger.ms': 1, 'max.in.flight.requests.per.connection': INFLIGHT } });
      // librdkafka picks the partition from the key; one key per partition slot spreads batches evenly enough.
      return async (partition, _ts) => {
        const key = Buffer.from(`p${partition}`);
        try {
          const res = await producer.send({ topic: TOPIC, messages: Array.from({ length: BATCH_RECORDS }, () => ({ key, payload: value })) });
          return res.every((r) => r.error === undefined) || failed('client');
        } catch {
          return failed('client');
        }
      };
    }
    const pool: Pool = new Map();
    return async (partition, ts) => {
      const c = await connectionTo(pool, leaders[partition]!);
      const res = await c.request(ProduceApi, 9, { transactionalId: null, acks: ACKS, timeoutMs: 30_000, topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: stampedBatch(ts) }] }] });
      const code = res.responses[0]!.partitionResponses[0]!.errorCode;
      return code === 0 || failed(String(code));
    };
  }));
  const sender = async (send: SendBatch): Promise<void> => {
    while (Date.now() < end) {
      let intended = clock();
      if (intervalMs > 0) {
        intended = nextSlot;
        nextSlot += intervalMs;
        const wait = intended - clock();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const partition = partitionCursor++ % PARTITIONS;
      const ok = await send(partition, Math.floor(intended));
      const done = clock();
      if (!ok) {
        errors++;
        continue;
      }
      if (intended >= measureFrom && done <= end) {
        produceLatency.record(done - intended);
        const b = second(done);
        b.latency.record(done - intended);
        b.producedBytes += batchBytes;
        producedBytes += batchBytes;
        producedRecords += BATCH_RECORDS;
      }
    }
  };

  // Consumers: each its own connections and positions (fan-out = several consumers of one topic),
  // one fetch loop per broker for the partitions it serves that consumer: their leaders, or with a
  // client rack the broker a leader names as preferred read replica (KIP-392).
  // With catchUp they start once producing is over and read the whole backlog from offset 0.
  const brokerIds = [...new Set(addresses.size > 0 ? [...leaders, ...addresses.keys()] : leaders)];
  let catchUpBytes = 0;
  /** When the last backlog byte arrived: the empty fetches that tell a reader it is done are not read time. */
  let catchUpLastDataAt = 0;
  const consume = async (first: boolean): Promise<void> => {
    const pool: Pool = new Map();
    const nextOffset = new Array<bigint>(PARTITIONS).fill(0n);
    const servedBy = [...leaders];
    const stopAt = params.catchUp ? Number.POSITIVE_INFINITY : end + 1000;
    const loop = async (nodeId: number): Promise<void> => {
      let idle = 0;
      while (Date.now() < stopAt) {
        const mine = servedBy.flatMap((n, i) => (n === nodeId ? [i] : []));
        if (mine.length === 0) {
          if (params.catchUp && ++idle >= 3) return;
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        const res = await (await connectionTo(pool, nodeId)).request(FetchApi, 13, {
          ...defaultFetchRequest(), maxWaitMs: 100, minBytes: 1, maxBytes: 64 << 20, rackId: params.clientRack ?? '',
          topics: [{ topic: TOPIC, topicId, partitions: mine.map((i) => ({ ...defaultFetchPartition(), partition: i, fetchOffset: nextOffset[i]!, partitionMaxBytes: 4 << 20 })) }],
        });
        const now = Date.now();
        let got = 0;
        for (const p of res.responses[0]?.partitions ?? []) {
          if (p.preferredReadReplica >= 0) servedBy[p.partitionIndex] = p.preferredReadReplica;
          else if (p.errorCode !== 0) servedBy[p.partitionIndex] = leaders[p.partitionIndex]!;
          if (p.records === null || recordsByteLength(p.records) === 0) continue;
          for (const b of splitRecordBatches(wholeBatches(recordsBuffer(p.records)))) {
            if (b.lastOffset < nextOffset[p.partitionIndex]!) continue;
            nextOffset[p.partitionIndex] = b.lastOffset + 1n;
            got += b.sizeBytes;
            if (params.catchUp) {
              catchUpBytes += b.sizeBytes;
              continue;
            }
            const ts = Number(new RecordBatchHeader(b.buf, b.start).baseTimestamp);
            if (ts >= measureFrom && ts <= end) {
              if (first) {
                e2eLatency.record(now - ts);
                if (now <= end) second(now).consumedBytes += b.sizeBytes;
              }
              consumedBytes += b.sizeBytes;
              consumedRecords += b.recordCount;
            }
          }
        }
        if (params.catchUp) {
          if (got > 0) catchUpLastDataAt = performance.now();
          idle = got === 0 ? idle + 1 : 0;
          if (idle >= 3) return;
        }
      }
    };
    await Promise.all(brokerIds.map(loop));
  };

  const senders: Promise<void>[] = [];
  for (const c of producers) for (let i = 0; i < INFLIGHT; i++) senders.push(sender(c));
  let catchUp: LoadFigures['catchUp'] = null;
  if (params.catchUp) {
    await Promise.all(senders);
    // Let uploads finish so the backlog is in object storage, then read it all back.
    await new Promise((r) => setTimeout(r, 2000));
    const t0 = performance.now();
    await Promise.all(Array.from({ length: params.consumers }, (_, i) => consume(i === 0)));
    const secs = (catchUpLastDataAt - t0) / 1000;
    catchUp = { mbPerSec: catchUpBytes / secs / 1e6, bytes: catchUpBytes, seconds: secs };
  } else {
    await Promise.all([...senders, ...Array.from({ length: params.consumers }, (_, i) => consume(i === 0))]);
  }
  clearInterval(sampler);
  const brokerAtEnd = pids.length > 0 ? fleetStats() : undefined;
  let objectStore: LoadFigures['objectStore'] = null;
  const httpPorts = target.floeHttpPorts ?? (target.floeHttpPort !== undefined ? [target.floeHttpPort] : []);
  if (httpPorts.length > 0) {
    const texts = await Promise.all(httpPorts.map(async (p) => (await fetch(`http://127.0.0.1:${p}/metrics`)).text()));
    const count = (op: string): number => texts.reduce((n, text) => n + Number(/\S+ (\d+(?:\.\d+)?)$/.exec(text.split('\n').find((l) => l.startsWith(`floe_object_store_requests{op="${op}",outcome="ok"}`)) ?? 'x 0')![1]), 0);
    const written = texts.reduce((n, text) => n + Number(/^floe_produce_bytes_total\{topic="[^"]+"\} (\S+)$/m.exec(text)?.[1] ?? 0), 0);
    const gb = written / 1e9;
    const puts = count('put');
    const gets = count('get');
    const runSecs = (Date.now() - start) / 1000;
    objectStore = { puts, gets, putsPerSec: puts / runSecs, getsPerSec: gets / runSecs, putsPerGB: gb > 0 ? puts / gb : 0, getsPerGB: gb > 0 ? gets / gb : 0, requestCostUSDPerGB: gb > 0 ? requestCostPerGB(puts / gb, gets / gb) : 0, prices: S3_STANDARD_PRICES_USD };
  }
  for (const close of closers) await close();
  for (const c of [...allConnections, admin]) c.close();

  const secs = DURATION_MS / 1000;
  const timeline = [...seconds.entries()].filter(([k]) => k >= 0 && k < secs).sort((a, b) => a[0] - b[0])
    .map(([k, v]) => {
      const l = v.latency.summary();
      return { s: k, p50: l.p50, p99: l.p99, max: l.max, producedMBps: v.producedBytes / 1e6, consumedMBps: v.consumedBytes / 1e6 };
    });
  return {
    target: target.name,
    produce: { mbPerSec: producedBytes / secs / 1e6, recordsPerSec: producedRecords / secs, errors, errorsByCode, latencyMs: produceLatency.summary() },
    consume: { mbPerSec: consumedBytes / secs / 1e6, recordsPerSec: consumedRecords / secs, endToEndLatencyMs: e2eLatency.summary() },
    broker: brokerAtStart !== undefined && brokerAtEnd !== undefined
      ? { cpuCoresUsed: (brokerAtEnd.cpuSeconds - brokerAtStart.cpuSeconds) / secs, rssMBEnd: brokerAtEnd.rssMB, rssMBMax: rssMaxMB, rssTimeline }
      : null,
    objectStore,
    catchUp,
    timeline,
  };
}
