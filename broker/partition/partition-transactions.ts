// Owns the transaction state of one partition on its leader: which
// producers have a transaction open here and where it began (the last
// stable offset is the first of those, or the high watermark), and the
// aborted transactions (producer, first offset, marker offset) that Fetch
// hands to read_committed consumers. Both survive a restart: each change is
// committed to the metadata store (begin and end of a transaction per
// partition), and the log's tail is re-read at open for what a crash may
// have left uncommitted. It does not decide commit or abort (the
// transaction coordinator does) and does not write the log.

import type { MetadataOp, MetadataStore, MetadataValue } from '../../s3stream/metadata/metadata-store.ts';
import { CoalescingTask } from '../coalescing-task.ts';
import type { MarkerType } from '../../protocol/records/control-record.ts';

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: number;
  /** Offset of the ABORT marker. */
  lastOffset: number;
}

/** Bound on aborted transactions remembered per partition (the oldest beyond it are forgotten and counted). */
export const ABORTED_TRANSACTIONS_PER_PARTITION_MAX = 100_000;

const pad = (n: number | bigint): string => n.toString().padStart(20, '0');
/** The prefix of the metadata a partition's leader keeps about its stream (transactions here, the cleaner's checkpoint). */
export const partitionRecordsPrefix = (streamId: number): string => `x/${pad(streamId)}/`;
const prefixOf = partitionRecordsPrefix;
const openKey = (streamId: number, pid: bigint): string => `${prefixOf(streamId)}o/${pad(pid)}`;
const abortedKey = (streamId: number, lastOffset: number): string => `${prefixOf(streamId)}a/${pad(lastOffset)}`;
/** What the leader last published for read replicas after a transaction ended (see PublishedStability). */
const stableKey = (streamId: number): string => `${prefixOf(streamId)}s`;

/**
 * For readers that know only the metadata store (read replicas): every
 * offset below `stableOffset` is stable (no transaction open there, every
 * aborted one there in the store), and `abortedUpTo` is the newest aborted
 * transaction's marker offset in the store (-1: none). Any value ever
 * published stays true (stability never goes back), so a reader may keep
 * the highest it saw.
 */
export interface PublishedStability {
  stableOffset: number;
  abortedUpTo: number;
}

/** What a partition's leader last published after a transaction ended there; undefined if it never did. */
export async function publishedStability(metadata: MetadataStore, streamId: number): Promise<PublishedStability | undefined> {
  return (await metadata.get(stableKey(streamId)))?.value as PublishedStability | undefined;
}

/** The metadata ops that forget every transaction record of a stream (its partition is deleted). */
export async function forgetStreamTransactions(metadata: MetadataStore, streamId: number): Promise<MetadataOp[]> {
  return (await metadata.range(prefixOf(streamId))).map((e) => ({ op: 'delete', key: e.key }));
}

/**
 * A partition's aborted transactions as its leader committed them, those with
 * a marker at or after `fromMarkerOffset`, in marker order (what a read
 * replica, which knows only the metadata store, hands read_committed fetches).
 */
export async function abortedTransactionsFrom(metadata: MetadataStore, streamId: number, fromMarkerOffset: number): Promise<AbortedTransaction[]> {
  const prefix = `${prefixOf(streamId)}a/`;
  return (await metadata.range(prefix, { start: abortedKey(streamId, Math.max(0, fromMarkerOffset)) })).map((e) => {
    const v = e.value as { producerId: string; firstOffset: number; lastOffset: number };
    return { producerId: BigInt(v.producerId), firstOffset: v.firstOffset, lastOffset: v.lastOffset };
  });
}

export class PartitionTransactions {
  private readonly metadata: MetadataStore;
  private readonly streamId: number;
  /** Producer id → offset of its open transaction's first batch here. */
  private readonly open = new Map<bigint, number>();
  /** Transactions ended here whose end is not committed to the metadata store yet (marker offset → first offset). */
  private readonly ending = new Map<number, number>();
  /** In marker-offset order. */
  private aborted: AbortedTransaction[] = [];
  /** Aborted transactions forgotten because of the bound (floe_aborted_transactions_forgotten). */
  forgotten = 0;
  private readonly logEndOffset: () => number;
  /** Writes what read replicas may rely on once a transaction's end is in the store (uploads publish it too, but may not come). */
  private readonly publisher: CoalescingTask;

  constructor(metadata: MetadataStore, streamId: number, logEndOffset: () => number = () => 0) {
    this.metadata = metadata;
    this.streamId = streamId;
    this.logEndOffset = logEndOffset;
    this.publisher = new CoalescingTask(async () => {
      const p = this.published();
      const value: PublishedStability = { stableOffset: Math.min(p.unstableFrom, this.logEndOffset()), abortedUpTo: p.abortedUpTo };
      await this.metadata.commit([{ op: 'put', key: stableKey(this.streamId), value: value as unknown as MetadataValue }]);
    });
  }

  /** Loads what was committed to the metadata store; `replay` then applies the log's tail on top. */
  async load(): Promise<void> {
    for (const e of await this.metadata.range(prefixOf(this.streamId))) {
      const v = e.value as { firstOffset: number; producerId?: string; lastOffset?: number };
      const kind = e.key.slice(prefixOf(this.streamId).length, prefixOf(this.streamId).length + 1);
      if (kind === 'o') this.open.set(BigInt(e.key.slice(e.key.lastIndexOf('/') + 1)), v.firstOffset);
      else if (kind === 'a') this.aborted.push({ producerId: BigInt(v.producerId!), firstOffset: v.firstOffset, lastOffset: v.lastOffset! });
    }
  }

  /**
   * Applies a batch of the log's tail read at open (offset order): what a
   * crash left between a durable write and its metadata commit is
   * recovered here and committed now.
   */
  replay(producerId: bigint, baseOffset: number, marker: MarkerType | undefined, isTransactional: boolean): Promise<void> | undefined {
    if (marker !== undefined) {
      if (this.aborted.some((a) => a.lastOffset === baseOffset)) return undefined;
      if (!this.open.has(producerId)) return undefined;
      return this.end(producerId, marker, baseOffset);
    }
    if (isTransactional && !this.open.has(producerId)) return this.begin(producerId, baseOffset);
    return undefined;
  }

  /** Where the producer's open transaction began here, or -1. */
  firstOffsetOf(producerId: bigint): number {
    return this.open.get(producerId) ?? -1;
  }

  /**
   * A transactional batch of `producerId` was given `baseOffset`: the first
   * one of its transaction opens it here. The returned promise (the metadata
   * commit) must resolve before the write is acknowledged.
   */
  begin(producerId: bigint, baseOffset: number): Promise<void> | undefined {
    if (this.open.has(producerId)) return undefined;
    this.open.set(producerId, baseOffset);
    return this.commit([{ op: 'put', key: openKey(this.streamId, producerId), value: { firstOffset: baseOffset } }]);
  }

  /** The marker at `markerOffset` ends the producer's transaction here. */
  end(producerId: bigint, type: MarkerType, markerOffset: number): Promise<void> {
    const first = this.open.get(producerId);
    this.open.delete(producerId);
    if (first !== undefined) this.ending.set(markerOffset, first);
    const ops: MetadataOp[] = [{ op: 'delete', key: openKey(this.streamId, producerId) }];
    if (type === 'abort' && first !== undefined) {
      this.aborted.push({ producerId, firstOffset: first, lastOffset: markerOffset });
      ops.push({ op: 'put', key: abortedKey(this.streamId, markerOffset), value: { producerId: producerId.toString(), firstOffset: first, lastOffset: markerOffset } });
      if (this.aborted.length > ABORTED_TRANSACTIONS_PER_PARTITION_MAX) {
        const dropped = this.aborted.shift()!;
        this.forgotten++;
        ops.push({ op: 'delete', key: abortedKey(this.streamId, dropped.lastOffset) });
      }
    }
    return this.commit(ops).finally(() => {
      this.ending.delete(markerOffset);
      void this.publisher.run().catch(() => undefined);
    });
  }

  /** The last stable offset: no read_committed consumer reads at or past an open transaction. */
  lastStableOffset(highWatermark: number): number {
    let lso = highWatermark;
    for (const first of this.open.values()) if (first < lso) lso = first;
    return lso;
  }

  /**
   * What a reader that knows only the metadata store (a read replica) may
   * rely on: the first offset not stable (an open transaction's start, or an
   * ended one's whose end is not committed there yet; Infinity: none), and
   * the newest aborted transaction's marker offset committed there (-1: none).
   */
  published(): { unstableFrom: number; abortedUpTo: number } {
    let unstableFrom = Infinity;
    for (const f of this.open.values()) unstableFrom = Math.min(unstableFrom, f);
    for (const f of this.ending.values()) unstableFrom = Math.min(unstableFrom, f);
    let abortedUpTo = -1;
    for (let i = this.aborted.length - 1; i >= 0; i--) {
      const marker = this.aborted[i]!.lastOffset;
      if (!this.ending.has(marker)) {
        abortedUpTo = marker;
        break;
      }
    }
    return { unstableFrom, abortedUpTo };
  }

  /** Aborted transactions whose range meets [from, to): what a read_committed fetch of that range must skip. */
  abortedBetween(from: number, to: number): AbortedTransaction[] {
    return this.aborted.filter((a) => a.lastOffset >= from && a.firstOffset < to);
  }

  /** Forgets aborted transactions wholly below the log start (retention or DeleteRecords took them). */
  async trimBefore(logStartOffset: number): Promise<void> {
    const gone = this.aborted.filter((a) => a.lastOffset < logStartOffset);
    if (gone.length === 0) return;
    this.aborted = this.aborted.filter((a) => a.lastOffset >= logStartOffset);
    await this.commit(gone.map((a) => ({ op: 'delete', key: abortedKey(this.streamId, a.lastOffset) })));
  }

  private async commit(ops: MetadataOp[]): Promise<void> {
    // Unconditional puts and deletes of this partition's own keys (its leader alone writes them).
    await this.metadata.commit(ops);
  }
}
