// Owns the read replicas this broker serves: partitions another broker
// leads, fetched here by consumers of this broker's rack (KIP-392: the
// leader names this broker their preferred read replica). Diskless: a
// replica holds no data of its own; it reads what the leader has uploaded
// and indexed, so its high watermark is the end of the indexed regions
// (the leader's own in object-wal mode, where nothing is acknowledged
// before it is indexed). It never writes, and it never holds open
// transactions: a fleet has none yet, so its last stable offset is its
// high watermark.
//
// Bounded: at most `maxReplicas`, the least recently fetched dropped first.
// The index end is re-read when a fetch needs it (an offset past what is
// known, or older than `freshMs`) and, for replicas with a long poll
// waiting, whenever the metadata store says an index changed.

import type { StreamStore } from '../../s3stream/stream-store.ts';
import type { MetadataStore } from '../../s3stream/metadata/metadata-store.ts';
import type { AbortedRange, FetchSource } from './fetch-source.ts';
import { CoalescingTask } from '../coalescing-task.ts';

export class PartitionReplica implements FetchSource {
  readonly streamId: number;
  closed = false;
  leaderEpoch: number;
  logStartOffset = 0;
  highWatermark = 0;
  /** performance.now() of the last completed read of the index. */
  refreshedAtMs = -Infinity;
  private readonly store: StreamStore;
  private waiters: (() => void)[] = [];
  private readonly refresher: CoalescingTask;

  constructor(streamId: number, leaderEpoch: number, store: StreamStore, onRefresh: () => void) {
    this.streamId = streamId;
    this.leaderEpoch = leaderEpoch;
    this.store = store;
    this.refresher = new CoalescingTask(async () => {
      onRefresh();
      const b = await this.store.uploadedBounds(this.streamId);
      this.refreshedAtMs = performance.now();
      if (b === undefined) {
        this.close();
        return;
      }
      const moved = b.endOffset !== this.highWatermark || b.startOffset !== this.logStartOffset;
      this.logStartOffset = b.startOffset;
      // The indexed end never goes back (trims move the start), so a slow read cannot undo a newer one.
      this.highWatermark = Math.max(this.highWatermark, b.endOffset);
      if (moved) this.wake();
    });
  }

  get logEndOffset(): number {
    return this.highWatermark;
  }

  get lastStableOffset(): number {
    return this.highWatermark;
  }

  get hasWaiters(): boolean {
    return this.waiters.length > 0;
  }

  /** Re-reads the index end; one read at a time, a call during a read makes it go again. */
  refresh(): Promise<void> {
    return this.refresher.run();
  }

  async read(offset: number, maxBytes: number, upTo: number): Promise<Buffer[]> {
    return (await this.store.readUploaded(this.streamId, offset, maxBytes, upTo)).map((c) => c.data);
  }

  abortedBetween(): AbortedRange[] {
    return [];
  }

  onHighWatermarkChange(fn: () => void): () => void {
    this.waiters.push(fn);
    return () => { this.waiters = this.waiters.filter((w) => w !== fn); };
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }
}

export interface PartitionReplicasStats {
  /** Index reads (one per refresh). */
  refreshes: number;
  /** Replicas dropped to stay within the bound. */
  evictions: number;
}

export const REPLICAS_MAX_DEFAULT = 10_000;
/** How old a replica's view of the index may be when a fetch reads through it. */
const FRESH_MS = 1_000;

export class PartitionReplicas {
  private readonly store: StreamStore;
  private readonly maxReplicas: number;
  /** By stream id, least recently fetched first (a Map keeps insertion order; a fetch re-inserts). */
  private readonly replicas = new Map<number, PartitionReplica>();
  private readonly unwatch: () => void;
  readonly stats: PartitionReplicasStats = { refreshes: 0, evictions: 0 };

  constructor(store: StreamStore, metadata: MetadataStore, maxReplicas = REPLICAS_MAX_DEFAULT) {
    this.store = store;
    this.maxReplicas = maxReplicas;
    // Every upload anywhere commits under i/: the replicas a long poll waits on look again.
    this.unwatch = metadata.watch('i/', () => {
      for (const r of this.replicas.values()) if (r.hasWaiters) void r.refresh().catch(() => undefined);
    });
  }

  get size(): number {
    return this.replicas.size;
  }

  /**
   * The replica of a stream led elsewhere, its view of the index fresh
   * enough for a fetch at `fetchOffset` (re-read when that offset is past
   * the known end, or when the view is older than a second).
   */
  async get(streamId: number, leaderEpoch: number, fetchOffset: number): Promise<PartitionReplica> {
    let r = this.replicas.get(streamId);
    if (r !== undefined && !r.closed) {
      this.replicas.delete(streamId);
    } else {
      r = new PartitionReplica(streamId, leaderEpoch, this.store, () => { this.stats.refreshes++; });
      while (this.replicas.size >= this.maxReplicas) {
        const [oldest, victim] = this.replicas.entries().next().value!;
        this.replicas.delete(oldest);
        victim.close();
        this.stats.evictions++;
      }
    }
    this.replicas.set(streamId, r);
    r.leaderEpoch = leaderEpoch;
    if (fetchOffset > r.highWatermark || performance.now() - r.refreshedAtMs > FRESH_MS) await r.refresh();
    return r;
  }

  /** Drops a stream's replica (this broker now leads it, or it was deleted). */
  drop(streamId: number): void {
    const r = this.replicas.get(streamId);
    if (r === undefined) return;
    this.replicas.delete(streamId);
    r.close();
  }

  close(): void {
    this.unwatch();
    for (const r of this.replicas.values()) r.close();
    this.replicas.clear();
  }
}
