// Owns, for one client connection, the idempotent batches it was told were
// not written (NOT_LEADER_OR_FOLLOWER, a full upload path...), per partition
// and producer, so that a later batch of the same producer that the client
// had already pipelined behind a refused one is refused the same way instead
// of failing as OUT_OF_ORDER_SEQUENCE_NUMBER. Kafka never meets this: a
// partition's leadership moves atomically on its broker, so the requests
// behind a refused one are refused too. Here a broker may start serving a
// partition between two pipelined requests (the open ended, the view caught
// up). librdkafka reads the gap of the second as "skipped sequence numbers
// caused by a failed request", bumps its producer epoch and re-sends every
// unacknowledged record with new sequences, so a record whose write was in
// doubt at the old leader is written twice. It must not decide anything
// else: whether a batch is in order is the partition log's business.

import type { RecordBatchHeader } from '../../protocol/records/record-batch-header.ts';

/** Refusals remembered per connection; the oldest is forgotten first (it then costs at worst one epoch bump). */
export const REFUSED_BATCHES_PER_CONNECTION_MAX = 1024;

export interface Refusal {
  epoch: number;
  baseSequence: number;
  errorCode: number;
}

/** The producer identity and first sequence of an idempotent batch, or undefined for other batches. */
export type IdempotentBatch = Pick<RecordBatchHeader, 'producerId' | 'producerEpoch' | 'baseSequence'>;

const refusalKey = (topic: string, partition: number, producerId: bigint): string => `${topic}\u0000${partition}\u0000${producerId}`;

export class RefusedBatches {
  private readonly refusals = new Map<string, Refusal>();

  get size(): number {
    return this.refusals.size;
  }

  /** The batch was refused, not written: remembered unless an earlier sequence of the same epoch already is. */
  refused(topic: string, partition: number, b: IdempotentBatch, errorCode: number): void {
    const key = refusalKey(topic, partition, b.producerId);
    const known = this.refusals.get(key);
    if (known !== undefined && known.epoch === b.producerEpoch && known.baseSequence <= b.baseSequence) return;
    this.refusals.delete(key);
    this.refusals.set(key, { epoch: b.producerEpoch, baseSequence: b.baseSequence, errorCode });
    if (this.refusals.size > REFUSED_BATCHES_PER_CONNECTION_MAX) this.refusals.delete(this.refusals.keys().next().value as string);
  }

  /**
   * The refusal that an out-of-order batch was pipelined behind: one of the
   * same producer and epoch at a lower sequence. The batch was not written
   * either; the client re-sends both in order once it learns of the first.
   */
  explains(topic: string, partition: number, b: IdempotentBatch): Refusal | undefined {
    if (this.refusals.size === 0) return undefined;
    const r = this.refusals.get(refusalKey(topic, partition, b.producerId));
    return r !== undefined && r.epoch === b.producerEpoch && r.baseSequence < b.baseSequence ? r : undefined;
  }

  /** A batch of the producer was written: what was refused before is behind it (re-sent, or given up). */
  written(topic: string, partition: number, producerId: bigint): void {
    // The usual case on the produce path: nothing refused, no key built.
    if (this.refusals.size > 0) this.refusals.delete(refusalKey(topic, partition, producerId));
  }
}
