// Produce: per-partition validation and append through PartitionLog; acks=0
// gets no response, acks=1 and acks=all are answered once the append is
// durable in the broker's mode (WAL fsync or object stored). Kafka's acks=1
// leader has the records in its log, visible to ListOffsets and Fetch, when it
// answers; floe shows consumers only what a crash cannot take back, so acks=1
// waits for the same point (with one replica, Kafka's acks=1 and all are one).

import { ProduceApi } from '../../protocol/generated/index.ts';
import { defaultProduceResponse, defaultPartitionProduceResponse, type PartitionProduceResponse, type TopicProduceResponse } from '../../protocol/generated/ProduceResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { cleanupPolicyIncludes, effectiveTopicConfig, type BrokerConfigLayers } from '../topics/topic-configs.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { chargeBytes } from './quota-charge.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import { validationSettingsOf } from '../schemas/record-validation.ts';
import type { ProduceServices, QuotaServices } from './broker-services.ts';
import type { AppendOptions, PartitionLog } from '../partition/partition-log.ts';
import { CompressionCodec } from '../../protocol/records/record-batch-header.ts';
import type { Logger } from '../log.ts';
import { ATTRIBUTES, BASE_SEQUENCE, MAGIC, PRODUCER_EPOCH, PRODUCER_ID, RECORD_BATCH_HEADER_BYTES, splitRecordBatches } from '../../protocol/records/record-batch-header.ts';
import type { IdempotentBatch } from './refused-batches.ts';
import { readRecords } from '../../protocol/records/record.ts';
import { KafkaDecodeError } from '../../protocol/primitives/decode-error.ts';
import { recordsBuffer } from '../../protocol/primitives/writer.ts';
import { StreamFencedError, StreamOutcomeUnknownError, StreamNotFoundError } from '../../s3stream/stream-store.ts';

/**
 * `p`, or 'timeout' after `ms`. The timer is cleared as soon as `p` settles:
 * left running, every request's 30 s timer (and the promise it holds) would
 * live on into the old generation and cost major GCs.
 */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), ms); });
  return Promise.race([p, expired]).finally(() => clearTimeout(timer));
}

/**
 * A transactional batch is checked against its transaction at the
 * coordinator (open, holding this partition, at the producer's epoch):
 * KIP-890's verification, so a zombie producer cannot open a transaction no
 * coordinator will end. A coordinator on another broker is asked
 * (AddPartitionsToTxn v4, verifyOnly). Other batches pass.
 */
function transactionalBatchError(broker: Pick<ProduceServices, 'transactions'>, transactionalId: string | null, records: Buffer, topic: string, partition: number, log: PartitionLog): number | Promise<number> {
  if (records.length < RECORD_BATCH_HEADER_BYTES || (records.readInt16BE(ATTRIBUTES) & 0x30) !== 0x10) return ErrorCode.NONE;
  const producerId = records.readBigInt64BE(PRODUCER_ID);
  const producerEpoch = records.readInt16BE(PRODUCER_EPOCH);
  if (transactionalId !== null && broker.transactions.coordinatedElsewhere(transactionalId)) {
    // Only the first batch of the transaction here needs asking; later ones join what is open.
    if (log.transactions.firstOffsetOf(producerId) >= 0) return ErrorCode.NONE;
    return broker.transactions.verifyWithCoordinator(transactionalId, producerId, producerEpoch, topic, partition);
  }
  // Coordinated here, or by no live broker yet: a coordinator still loading its state (or not one after all) cannot say
  // the producer is unknown, which librdkafka takes as "abort the transaction". Retriable, as when a remote one cannot answer.
  if (transactionalId !== null && broker.transactions.coordinatorError(transactionalId) !== undefined) return ErrorCode.NOT_ENOUGH_REPLICAS;
  return broker.transactions.verifyProduce(producerId, producerEpoch, topic, partition);
}

/**
 * A compacted topic keeps the latest record per key, so Kafka refuses records
 * without one; only there are records decoded on the produce path. A batch
 * that does not parse is left for PartitionLog to refuse with its own error.
 */
function hasKeylessRecord(records: Buffer): boolean {
  try {
    return splitRecordBatches(records).some((b) => !b.isControl && readRecords(b).some((r) => r.key === null));
  } catch (e) {
    if (e instanceof KafkaDecodeError) return false;
    throw e;
  }
}

/** The producer of an idempotent batch (read from its header, not parsed), or undefined for other batches. */
function idempotentBatchOf(records: Buffer | null): IdempotentBatch | undefined {
  if (records === null || records.length < RECORD_BATCH_HEADER_BYTES || records.readInt8(MAGIC) !== 2) return undefined;
  const producerId = records.readBigInt64BE(PRODUCER_ID);
  if (producerId < 0n) return undefined;
  return { producerId, producerEpoch: records.readInt16BE(PRODUCER_EPOCH), baseSequence: records.readInt32BE(BASE_SEQUENCE) };
}

/** How long a produce waits for a partition this broker is taking over to open, before NOT_LEADER_OR_FOLLOWER. */
const PARTITION_OPEN_WAIT_MS_MAX = 5_000;

export const produceHandler = defineHandler({
  api: ProduceApi,
  // v0-2 carry magic 0/1 message sets, which floe does not accept.
  minVersion: 3,
  maxVersion: 11,
  handle: async (req, ctx: RequestContext<ProduceServices & QuotaServices>) => {
    const { broker } = ctx;
    const acks = req.acks;
    const timeoutMs = Math.max(0, req.timeoutMs);
    const badAcks = acks !== 0 && acks !== 1 && acks !== -1;
    // Validation and offset assignment happen in request order per connection; only the wait for durability overlaps.
    const { responses, pending } = await ctx.inOrder(async () => {
      const pending: { out: PartitionProduceResponse; durable: Promise<void>; topic: string; idempotent: IdempotentBatch | undefined }[] = [];
      const responses: TopicProduceResponse[] = [];
      if (!badAcks) {
        // Backpressure: wait (in FIFO order) for uploads to free space rather than buffer without bound.
        if (!broker.streams.capacityAvailable()) {
          const r = await withTimeout(broker.streams.waitForCapacity(), timeoutMs);
          if (r === 'timeout') broker.metrics.produceThrottled.inc();
        }
      }
      const full = !broker.streams.hasCapacity();
      const layers = broker.brokerConfigs.layers();
      const txnDenied = req.transactionalId !== null && !ctx.allowed(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId);
      for (const t of req.topicData) {
        const topic = broker.topics.get(t.name);
        const denied = txnDenied ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
          : !ctx.allowed(AclOperation.WRITE, ResourceType.TOPIC, t.name) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.NONE;
        const partitionResponses: PartitionProduceResponse[] = [];
        let appendRules: Omit<AppendOptions, 'acks'> | undefined;
        for (const p of t.partitionData) {
          // Kafka answers a failed partition with base offset -1.
          const out: PartitionProduceResponse = { ...defaultPartitionProduceResponse(), index: p.index, baseOffset: -1n };
          partitionResponses.push(out);
          if (badAcks) {
            out.errorCode = ErrorCode.INVALID_REQUIRED_ACKS;
            continue;
          }
          if (denied !== ErrorCode.NONE) {
            out.errorCode = denied;
            continue;
          }
          // A draining broker (local-wal fleet, shutting down) takes nothing more: its partitions are about to move.
          const log = topic === undefined || broker.draining ? undefined
            : broker.partition(topic, p.index) ?? await broker.leadership.whenServed(topic, p.index, Math.min(timeoutMs, PARTITION_OPEN_WAIT_MS_MAX));
          // Decoded from the request: always one buffer.
          const records = p.records === null ? null : recordsBuffer(p.records);
          const idempotent = idempotentBatchOf(records);
          if (log === undefined) {
            out.errorCode = broker.partitionError(topic, p.index);
            if (idempotent !== undefined) ctx.refusedBatches.refused(t.name, p.index, idempotent, out.errorCode);
            continue;
          }
          if (full) {
            out.errorCode = ErrorCode.REQUEST_TIMED_OUT;
            out.errorMessage = 'the broker is over its bound of data waiting for upload to object storage';
            if (idempotent !== undefined) ctx.refusedBatches.refused(t.name, p.index, idempotent, out.errorCode);
            continue;
          }
          if (records === null || records.length === 0) {
            out.errorCode = ErrorCode.CORRUPT_MESSAGE;
            continue;
          }
          if (cleanupPolicyIncludes(topic!.configs, 'compact', layers) && hasKeylessRecord(records)) {
            out.errorCode = ErrorCode.INVALID_RECORD;
            out.errorMessage = `Compacted topic cannot accept message without key in topic partition ${t.name}-${p.index}.`;
            continue;
          }
          // A promise only when a coordinator on another broker is asked: the usual batch costs no await.
          const checked = transactionalBatchError(broker, req.transactionalId, records, t.name, p.index, log);
          const txnError = typeof checked === 'number' ? checked : await checked;
          if (txnError !== ErrorCode.NONE) {
            out.errorCode = txnError;
            continue;
          }
          // Only topics with floe.*.schema.validation set look inside their records here.
          let toAppend = records;
          const validation = validationSettingsOf(t.name, topic!.configs);
          if (validation !== undefined) {
            const v = await broker.validatedProducer.check(t.name, p.index, validation, records);
            if (v.kind === 'refused') {
              out.errorCode = v.errorCode;
              out.errorMessage = v.errorMessage;
              out.recordErrors = v.recordErrors;
              if (idempotent !== undefined) ctx.refusedBatches.refused(t.name, p.index, idempotent, out.errorCode);
              continue;
            }
            toAppend = v.records;
          }
          await log.ready;
          const res = log.append(toAppend, { acks, ...(appendRules ??= topicAppendRules(topic!.configs, layers)) });
          out.errorCode = res.errorCode;
          out.errorMessage = res.errorMessage;
          out.baseOffset = BigInt(res.baseOffset);
          out.logAppendTimeMs = BigInt(res.logAppendTimeMs);
          if (res.errorCode === ErrorCode.NONE) {
            out.logStartOffset = BigInt(log.logStartOffset);
            broker.metrics.produced(t.name, records.length);
            pending.push({ out, durable: res.durable, topic: t.name, idempotent });
            if (idempotent !== undefined) ctx.refusedBatches.written(t.name, p.index, idempotent.producerId);
          } else if (idempotent !== undefined) {
            const behind = res.errorCode === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER ? ctx.refusedBatches.explains(t.name, p.index, idempotent) : undefined;
            if (behind !== undefined) {
              // Not written, like the refused batch it was pipelined behind: the client re-sends both, in order.
              out.errorCode = behind.errorCode;
              out.errorMessage = `refused as the batch at sequence ${behind.baseSequence} before it was (${res.errorMessage ?? ''})`;
              broker.metrics.produceRefusedInOrder.inc();
            } else if (res.errorCode === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER && !(await log.confirmLeadership())) {
              // librdkafka stops for good on an out-of-order head of its queue, so only the leader may say it: a broker
              // deposed without knowing yet (paused, cut off from the metadata store) judges by a producer state that
              // misses what the new leader wrote.
              out.errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER;
              out.errorMessage = `this broker no longer leads ${t.name}-${p.index} (or cannot confirm it does)`;
              ctx.refusedBatches.refused(t.name, p.index, idempotent, out.errorCode);
              broker.metrics.produceUnconfirmedOutOfOrder.inc();
            } else {
              if (res.errorCode === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER) logOutOfOrder(broker.log, `${t.name}-${p.index}`, log.leaderEpoch, idempotent, res.errorMessage);
              ctx.refusedBatches.refused(t.name, p.index, idempotent, res.errorCode);
            }
          }
        }
        responses.push({ name: t.name, partitionResponses });
      }
      return { responses, pending };
    });
    // The client's producer_byte_rate, charged with the bytes it sent (counted only when a quota applies).
    const throttleTimeMs = chargeBytes(ctx, 'producer_byte_rate', () => {
      let bytes = 0;
      for (const t of req.topicData) for (const p of t.partitionData) bytes += p.records === null ? 0 : recordsBuffer(p.records).length;
      return bytes;
    });
    if (acks === 0) {
      countErrors(broker, responses);
      for (const p of pending) p.durable.catch(() => undefined);
      return undefined;
    }
    if (acks !== 0) {
      await Promise.all(pending.map(async (p) => {
        try {
          const r = await withTimeout(p.durable, timeoutMs);
          if (r === 'timeout') {
            p.out.errorCode = ErrorCode.REQUEST_TIMED_OUT;
            p.out.errorMessage = `not durable within ${timeoutMs} ms`;
          }
        } catch (e) {
          // Deposed before the data was committed: nothing was written; the client retries on the new leader.
          // Deposed after a commit that went unanswered: it may be written, which only REQUEST_TIMED_OUT says
          // (an idempotent producer then retries with the same sequence, and the new leader knows the copy).
          p.out.errorCode = e instanceof StreamOutcomeUnknownError ? ErrorCode.REQUEST_TIMED_OUT
            : e instanceof StreamFencedError || e instanceof StreamNotFoundError ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.KAFKA_STORAGE_ERROR;
          p.out.errorMessage = (e as Error).message;
          if (p.out.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER && p.idempotent !== undefined) ctx.refusedBatches.refused(p.topic, p.out.index, p.idempotent, p.out.errorCode);
        }
      }));
    }
    countErrors(broker, responses);
    return { ...defaultProduceResponse(), throttleTimeMs, responses };
  },
});

/**
 * An out-of-order batch no refusal explains means the producer and this
 * leader disagree on what is written (librdkafka then stops for good with
 * "sequence desynchronization"): rare, and worth every detail. Bounded to a
 * line a second; the count is in floe_produce_errors_total.
 */
let lastOutOfOrderLogAt = -Infinity;
function logOutOfOrder(log: Logger, partition: string, leaderEpoch: number, b: IdempotentBatch, message: string | null): void {
  const now = performance.now();
  if (now - lastOutOfOrderLogAt < 1000) return;
  lastOutOfOrderLogAt = now;
  log.warn({ partition, leaderEpoch, producerId: String(b.producerId), producerEpoch: b.producerEpoch, baseSequence: b.baseSequence, detail: message }, 'out-of-order sequence refused');
}

const TOPIC_CODECS: Readonly<Record<string, number>> = {
  uncompressed: CompressionCodec.none, gzip: CompressionCodec.gzip, snappy: CompressionCodec.snappy, lz4: CompressionCodec.lz4, zstd: CompressionCodec.zstd,
};

/** What a topic's configs ask of each batch appended to it (read once per topic per request). */
function topicAppendRules(configs: Record<string, string>, layers: BrokerConfigLayers): Omit<AppendOptions, 'acks'> {
  const codec = TOPIC_CODECS[effectiveTopicConfig(configs, 'compression.type', layers)];
  const level = codec === CompressionCodec.gzip ? Number(effectiveTopicConfig(configs, 'compression.gzip.level', layers))
    : codec === CompressionCodec.zstd ? Number(effectiveTopicConfig(configs, 'compression.zstd.level', layers)) : undefined;
  return {
    logAppendTime: effectiveTopicConfig(configs, 'message.timestamp.type', layers) === 'LogAppendTime',
    maxMessageBytes: Number(effectiveTopicConfig(configs, 'max.message.bytes', layers)),
    timestampBeforeMaxMs: BigInt(effectiveTopicConfig(configs, 'message.timestamp.before.max.ms', layers)),
    timestampAfterMaxMs: BigInt(effectiveTopicConfig(configs, 'message.timestamp.after.max.ms', layers)),
    ...(codec === undefined ? {} : { recompress: { codec, level: level === -1 ? undefined : level } }),
  };
}

function countErrors(broker: Pick<ProduceServices, 'metrics'>, responses: TopicProduceResponse[]): void {
  for (const t of responses) for (const p of t.partitionResponses) if (p.errorCode !== ErrorCode.NONE) broker.metrics.produceError(p.errorCode);
}
