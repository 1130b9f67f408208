// Owns what a produce to a validating topic does with the records that fail:
// with floe.validation.failure=reject the partition's batch is refused
// (INVALID_RECORD, one record error per bad record, Produce v8+'s
// record_errors); with dead-letter they are written to the dead-letter topic
// first (headers say where they came from and why) and the batch is appended
// without them: the same offsets and producer sequence, with holes where the
// bad records were (an empty batch if none is left), as a compacted batch
// keeps them. Counts validated, rejected and dead-lettered records per
// topic. Must not append to the partition itself.

import { Counter, type Registry } from 'prom-client';
import { ErrorCode } from '../../protocol/errors.ts';
import { KafkaDecodeError } from '../../protocol/primitives/decode-error.ts';
import { splitRecordBatches, type RecordBatchHeader } from '../../protocol/records/record-batch-header.ts';
import { buildRecordBatch, readKeysAndValues, readRecords, type KafkaRecord, type RecordInput } from '../../protocol/records/record.ts';
import { isAdminError, type ClusterAdmin } from '../admin/cluster-admin.ts';
import { RecordValidator, type ValidationSettings } from './record-validation.ts';
import type { SchemaRegistry } from './schema-registry.ts';

export type ValidatedProduce =
  | { kind: 'append'; records: Buffer }
  | { kind: 'refused'; errorCode: number; errorMessage: string; recordErrors: { batchIndex: number; batchIndexErrorMessage: string }[] };

/** Header names on a dead-lettered record. */
export const DLQ_HEADERS = {
  topic: 'floe.dlq.topic', partition: 'floe.dlq.partition', reason: 'floe.dlq.reason', schemaId: 'floe.dlq.schema.id', part: 'floe.dlq.part',
} as const;

/** A record error message is cut here, so a response stays small however bad the records. */
const REASON_CHARS_MAX = 500;
const DLQ_PARTITIONS = 1;

export class ValidatedProducer {
  private readonly validator: RecordValidator;
  private readonly admin: ClusterAdmin;
  private readonly validated: Counter<'topic'>;
  private readonly rejected: Counter<'topic'>;
  private readonly deadLettered: Counter<'topic'>;

  constructor(registry: SchemaRegistry, admin: ClusterAdmin, metrics: Registry) {
    this.validator = new RecordValidator(registry);
    this.admin = admin;
    this.validated = new Counter({ name: 'floe_schema_validated_records_total', help: 'Records checked against their schema on produce, by topic.', labelNames: ['topic'], registers: [metrics] });
    this.rejected = new Counter({ name: 'floe_schema_rejected_records_total', help: 'Records refused on produce (INVALID_RECORD) for failing schema validation, by topic.', labelNames: ['topic'], registers: [metrics] });
    this.deadLettered = new Counter({ name: 'floe_schema_dead_lettered_records_total', help: 'Records sent to the dead-letter topic for failing schema validation, by topic.', labelNames: ['topic'], registers: [metrics] });
  }

  async check(topic: string, partition: number, settings: ValidationSettings, data: Buffer): Promise<ValidatedProduce> {
    let batches: RecordBatchHeader[];
    const keysAndValues: { key: Buffer | null; value: Buffer | null }[] = [];
    try {
      batches = splitRecordBatches(data);
      for (const b of batches) for (const kv of readKeysAndValues(b)) keysAndValues.push(kv);
    } catch (e) {
      // The partition log refuses what does not parse, with its own error.
      if (e instanceof KafkaDecodeError) return { kind: 'append', records: data };
      throw e;
    }
    const problems = await this.validator.problems(topic, settings, keysAndValues);
    this.validated.inc({ topic }, keysAndValues.length);
    if (problems.length === 0) return { kind: 'append', records: data };
    // Only now are whole records needed: to refuse (their count) or to split them between the topic and the DLQ.
    const records: { batch: RecordBatchHeader; record: KafkaRecord }[] = [];
    try {
      for (const b of batches) for (const record of readRecords(b)) records.push({ batch: b, record });
    } catch (e) {
      if (e instanceof KafkaDecodeError) return { kind: 'refused', errorCode: ErrorCode.CORRUPT_MESSAGE, errorMessage: e.message, recordErrors: [] };
      throw e;
    }
    const cut = (s: string): string => (s.length > REASON_CHARS_MAX ? `${s.slice(0, REASON_CHARS_MAX)}…` : s);
    if (settings.failure === 'reject') {
      this.rejected.inc({ topic }, problems.length);
      return {
        kind: 'refused', errorCode: ErrorCode.INVALID_RECORD,
        errorMessage: cut(`${problems.length} of ${records.length} records failed schema validation; the first: ${problems[0]!.reason}`),
        recordErrors: problems.map((p) => ({ batchIndex: p.index, batchIndexErrorMessage: cut(p.reason) })),
      };
    }
    const bad = new Map(problems.map((p) => [p.index, p]));
    const dead: RecordInput[] = problems.map((p) => {
      const r = records[p.index]!.record;
      return {
        key: r.key, value: r.value, timestamp: r.timestamp,
        headers: [...r.headers, { key: DLQ_HEADERS.topic, value: topic }, { key: DLQ_HEADERS.partition, value: String(partition) },
          { key: DLQ_HEADERS.part, value: p.part }, { key: DLQ_HEADERS.reason, value: cut(p.reason) },
          ...(p.schemaId !== undefined ? [{ key: DLQ_HEADERS.schemaId, value: String(p.schemaId) }] : [])],
      };
    });
    const written = await this.writeDeadLetters(settings.deadLetterTopic, dead);
    if (written !== undefined) return { kind: 'refused', errorCode: written.errorCode, errorMessage: `the dead-letter topic ${settings.deadLetterTopic} could not be written: ${written.message}`, recordErrors: [] };
    this.deadLettered.inc({ topic }, problems.length);
    let index = 0;
    const kept = batches.map((b) => {
      const own = records.filter((r) => r.batch === b);
      const survivors = own.filter(() => !bad.has(index++));
      if (survivors.length === own.length) return b.bytes();
      return buildRecordBatch(survivors.map(({ record: r }) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, offsetDelta: Number(r.offset - b.baseOffset) })), {
        baseOffset: b.baseOffset, lastOffsetDelta: b.lastOffsetDelta, compression: b.compression, producerId: b.producerId, producerEpoch: b.producerEpoch,
        baseSequence: b.baseSequence, partitionLeaderEpoch: b.partitionLeaderEpoch, transactional: b.isTransactional, timestamp: b.maxTimestamp,
      });
    });
    return { kind: 'append', records: Buffer.concat(kept) };
  }

  /** Writes (acks=all) to the dead-letter topic, creating it on first use; an error when that fails. */
  private async writeDeadLetters(dlq: string, records: RecordInput[]): Promise<{ errorCode: number; message: string } | undefined> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const r = await this.admin.produce(dlq, undefined, records);
      if (!isAdminError(r)) return undefined;
      if (r.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || attempt > 0) return r;
      const created = await this.admin.createTopic(dlq, DLQ_PARTITIONS, {});
      if (created !== undefined && created.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) return created;
    }
    return undefined;
  }
}
