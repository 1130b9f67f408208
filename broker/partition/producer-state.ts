// Owns idempotent-producer state of one partition: per producer id the
// epoch and the last five batches' sequence ranges and offsets, as Kafka
// keeps them, so a retried batch gets its original offset instead of being
// written twice, and a gap in sequences is refused. Also what of it is
// known durable below an offset (a snapshot, for the next leader to start
// from); storing the snapshot is the partition log's job.

import { ErrorCode } from '../../protocol/errors.ts';

/** Kafka keeps this many recent batches per producer for duplicate detection. */
export const PRODUCER_BATCHES_REMEMBERED = 5;
/** Bound on producers tracked per partition; the least recently written are forgotten first. */
export const PRODUCERS_PER_PARTITION_MAX = 10_000;

interface BatchMeta {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
  /**
   * Settles as the batch's own append did (durable, or refused); absent once
   * known durable (read back from the log). A retry is answered only then:
   * acknowledging a copy whose first write may still be lost would ack a
   * record that is not in the log.
   */
  durable?: Promise<void>;
}

interface ProducerEntry {
  epoch: number;
  /** Offset of the first batch or marker of this epoch: a snapshot below it cannot vouch for the epoch. */
  epochOffset: number;
  batches: BatchMeta[];
  /** Max timestamp of its last batch (-1 when unknown), for DescribeProducers. */
  lastTimestamp: number;
}

/** One producer in a snapshot: id, epoch, last timestamp and its batches as [firstSeq, lastSeq, baseOffset]. */
export type ProducerSnapshotEntry = [producerId: string, epoch: number, lastTimestamp: number, batches: [number, number, number][]];

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: number; durable: Promise<void> }
  /** `gap`: the batch is ahead of the next expected sequence (batches before it are missing), not behind it. */
  | { kind: 'error'; errorCode: number; message: string; gap?: boolean };

const INT32_MAX = 2147483647;
const nextSeq = (s: number): number => (s === INT32_MAX ? 0 : s + 1);

export class ProducerStateTable {
  private readonly producers = new Map<bigint, ProducerEntry>();

  get size(): number {
    return this.producers.size;
  }

  /** Every producer known here: its epoch, last sequence (-1 if none since its epoch began) and last timestamp. */
  entries(): { producerId: bigint; epoch: number; lastSequence: number; lastTimestamp: number }[] {
    return [...this.producers].map(([producerId, p]) => ({ producerId, epoch: p.epoch, lastSequence: p.batches.at(-1)?.lastSeq ?? -1, lastTimestamp: p.lastTimestamp }));
  }

  check(producerId: bigint, epoch: number, firstSeq: number, lastSeq: number): SequenceCheck {
    const p = this.producers.get(producerId);
    if (p === undefined) return { kind: 'append' };
    if (epoch < p.epoch) {
      return { kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `epoch ${epoch} is older than the current epoch ${p.epoch}` };
    }
    if (epoch > p.epoch) {
      return firstSeq === 0 ? { kind: 'append' } : { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, gap: true, message: `new epoch ${epoch} must start at sequence 0, got ${firstSeq} (epoch ${p.epoch} known, its last sequence ${p.batches.at(-1)?.lastSeq ?? 'none'})` };
    }
    for (const b of p.batches) {
      if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return { kind: 'duplicate', baseOffset: b.baseOffset, durable: b.durable ?? Promise.resolve() };
    }
    const last = p.batches[p.batches.length - 1];
    if (last !== undefined && firstSeq !== nextSeq(last.lastSeq)) {
      const known = p.batches.map((b) => `${b.firstSeq}..${b.lastSeq}@${b.baseOffset}`).join(' ');
      return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, gap: firstSeq > nextSeq(last.lastSeq), message: `expected sequence ${nextSeq(last.lastSeq)}, got ${firstSeq} (epoch ${epoch} since offset ${p.epochOffset}; last batches ${known})` };
    }
    return { kind: 'append' };
  }

  /**
   * A transaction marker written at `epoch`: a newer epoch replaces what was
   * known (the producer was fenced or moved on; its sequences restart at 0),
   * the same one keeps the sequences (they run on across transactions).
   */
  markerAt(producerId: bigint, epoch: number, offset: number): void {
    const p = this.producers.get(producerId);
    if (p !== undefined && epoch <= p.epoch) return;
    this.producers.delete(producerId);
    this.producers.set(producerId, { epoch, epochOffset: offset, batches: [], lastTimestamp: p?.lastTimestamp ?? -1 });
    if (this.producers.size > PRODUCERS_PER_PARTITION_MAX) this.producers.delete(this.producers.keys().next().value as bigint);
  }

  /** A batch appended (with the promise of its durability) or read back from the log (durable: undefined). */
  record(producerId: bigint, epoch: number, firstSeq: number, lastSeq: number, baseOffset: number, timestamp = -1, durable?: Promise<void>): void {
    let p = this.producers.get(producerId);
    // A batch of an older epoch (read back from before a bump) tells nothing the newer state does not.
    if (p !== undefined && epoch < p.epoch) return;
    if (p === undefined || epoch > p.epoch) {
      p = { epoch, epochOffset: baseOffset, batches: [], lastTimestamp: -1 };
    }
    p.lastTimestamp = timestamp;
    this.producers.delete(producerId);
    this.producers.set(producerId, p);
    const meta: BatchMeta = { firstSeq, lastSeq, baseOffset };
    if (durable !== undefined) {
      meta.durable = durable;
      // Once durable, forget the promise (and what it holds); a refusal keeps it, for retries to see.
      durable.then(() => { delete meta.durable; }, () => undefined);
    }
    p.batches.push(meta);
    if (p.batches.length > PRODUCER_BATCHES_REMEMBERED) p.batches.shift();
    if (this.producers.size > PRODUCERS_PER_PARTITION_MAX) {
      this.producers.delete(this.producers.keys().next().value as bigint);
    }
  }

  /**
   * The state vouched for by the log below `offset` (the high watermark: all
   * of it durable): batches below it, of producers whose epoch began below
   * it. Replaying the log from `offset` on top of it gives the state again.
   */
  snapshot(offset: number): ProducerSnapshotEntry[] {
    const out: ProducerSnapshotEntry[] = [];
    for (const [id, p] of this.producers) {
      if (p.epochOffset >= offset) continue;
      out.push([String(id), p.epoch, p.lastTimestamp, p.batches.filter((b) => b.baseOffset < offset).map((b) => [b.firstSeq, b.lastSeq, b.baseOffset])]);
    }
    return out;
  }

  /** Loads a snapshot (into an empty table, before the log after it is replayed); its batches are durable. */
  restore(entries: readonly ProducerSnapshotEntry[]): void {
    for (const [id, epoch, lastTimestamp, batches] of entries) {
      // epochOffset -1: the epoch began somewhere below the snapshot's offset.
      this.producers.set(BigInt(id), { epoch, epochOffset: -1, lastTimestamp, batches: batches.map(([firstSeq, lastSeq, baseOffset]) => ({ firstSeq, lastSeq, baseOffset })) });
      if (this.producers.size > PRODUCERS_PER_PARTITION_MAX) this.producers.delete(this.producers.keys().next().value as bigint);
    }
  }
}
