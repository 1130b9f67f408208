// Owns the read replicas this broker serves: partitions another broker
// leads, fetched here by consumers of this broker's rack (KIP-392: the
// leader names this broker their preferred read replica). Diskless: a
// replica holds no data of its own; it reads what the leader has uploaded
// and indexed, so its high watermark is the end of the indexed regions
// (the leader's own in object-wal mode, where nothing is acknowledged
// before it is indexed). It never writes. For read_committed consumers its
// last stable offset is the one the leader published with its newest
// upload (no transaction open below it, every aborted one below it already
// in the metadata store), and its aborted transactions are read from the
// metadata store after the index, so they cover what it serves.
//
// Bounded: at most `maxReplicas`, the least recently fetched dropped first.
// The index end is re-read when a fetch needs it (an offset past what is
// known, or a view older than a second) and, for replicas fetched in the
// last few seconds, whenever the metadata store says an index changed (at
// most one round every 25 ms): a
// consumer at the end must see new records about when the leader's own
// consumers do, whether its fetch waits on this partition or returns with
// data from others. Each replica keeps the newest index entries it read
// (bounded, expiring long before a replaced object is deleted), so reads
// at the tail cost object GETs but no metadata queries.

import type { StreamStore } from '../../s3stream/stream-store.ts';
import type { IndexValue } from '../../s3stream/stream-keys.ts';
import type { MetadataStore } from '../../s3stream/metadata/metadata-store.ts';
import type { AbortedRange, FetchSource } from './fetch-source.ts';
import { ABORTED_TRANSACTIONS_PER_PARTITION_MAX, type AbortedTransaction, type PublishedStability } from './partition-transactions.ts';

/** What a replica reads of its partition's transactions in the metadata store. */
export interface ReplicaTransactionsSource {
  /** Aborted transactions with a marker at or after an offset. */
  abortedFrom(streamId: number, fromMarkerOffset: number): Promise<AbortedTransaction[]>;
  /** What the leader published after a transaction ended. */
  stability(streamId: number): Promise<PublishedStability | undefined>;
}
import { CoalescingTask } from '../coalescing-task.ts';

/** Recent index entries a replica keeps: enough for a consumer at the tail, dropped well before a replaced object is deleted. */
const RECENT_ENTRIES_MAX = 512;
const RECENT_ENTRY_TTL_MS = 10_000;
/** Index entries read per query when catching up. */
const INDEX_PAGE = 256;
/** How often the log start offset is re-read (it moves only with retention and DeleteRecords). */
const START_REREAD_MS = 1_000;

interface RecentEntry {
  base: number;
  value: IndexValue;
  atMs: number;
}

export class PartitionReplica implements FetchSource {
  readonly streamId: number;
  closed = false;
  leaderEpoch: number;
  logStartOffset = 0;
  highWatermark = 0;
  /** performance.now() of the last completed read of the index. */
  refreshedAtMs = -Infinity;
  /** performance.now() of the last fetch through this replica. */
  fetchedAtMs = -Infinity;
  private startReadAtMs = -Infinity;
  /**
   * The newest index entries, contiguous (each read continues from the last
   * one), so a consumer at the tail finds its regions without asking the
   * metadata store; older offsets are looked up there.
   */
  private recent: RecentEntry[] = [];
  private readonly store: StreamStore;
  private waiters: (() => void)[] = [];
  private readonly refresher: CoalescingTask;
  private readonly lookup = (offset: number): IndexValue | undefined => this.cached(offset);
  private readonly txnSource: ReplicaTransactionsSource;
  /** The newest stable offset the leader published (undefined: none yet, as from a leader before transactions). */
  private stable: number | undefined;
  /** Aborted transactions loaded so far, in marker order. */
  private aborted: AbortedTransaction[] = [];
  private abortedLoaded = false;

  constructor(streamId: number, leaderEpoch: number, store: StreamStore, onRefresh: () => void, txnSource: ReplicaTransactionsSource) {
    this.streamId = streamId;
    this.leaderEpoch = leaderEpoch;
    this.store = store;
    this.txnSource = txnSource;
    this.refresher = new CoalescingTask(async () => {
      onRefresh();
      await this.readIndex();
    });
  }

  private async readIndex(): Promise<void> {
    const now = performance.now();
    if (now - this.startReadAtMs > START_REREAD_MS) {
      const start = await this.store.storedStartOffset(this.streamId);
      if (start === undefined) {
        this.close();
        return;
      }
      this.startReadAtMs = now;
      this.logStartOffset = start;
    }
    const before = this.highWatermark;
    for (let page = 0; page < 8; page++) {
      const last = this.recent.at(-1)?.base;
      const entries = await this.store.indexEntriesAfter(this.streamId, last, INDEX_PAGE);
      const at = performance.now();
      for (const e of entries) this.recent.push({ base: e.base, value: e.value, atMs: at });
      if (this.recent.length > RECENT_ENTRIES_MAX) this.recent = this.recent.slice(-RECENT_ENTRIES_MAX);
      if (last === undefined || entries.length < INDEX_PAGE) break;
    }
    // The aborted transactions are read after the index: every one ended below a stable offset just read is there.
    let published: number | undefined;
    let abortedUpTo = -1;
    for (const e of this.recent) {
      if (e.value.s !== undefined) published = Math.max(published ?? 0, e.value.s);
      if (e.value.a !== undefined) abortedUpTo = Math.max(abortedUpTo, e.value.a);
    }
    const indexedEnd = this.recent.at(-1)?.value.e ?? 0;
    if (published !== undefined && Math.max(published, this.stable ?? 0) < indexedEnd) {
      // A transaction was open at the last upload: the leader may have published more since it ended.
      const p = await this.txnSource.stability(this.streamId);
      if (p !== undefined) {
        published = Math.max(published, p.stableOffset);
        abortedUpTo = Math.max(abortedUpTo, p.abortedUpTo);
      }
    }
    // Asked only when the leader published an aborted transaction this replica has not loaded (or once, at first).
    if (!this.abortedLoaded || abortedUpTo > (this.aborted.at(-1)?.lastOffset ?? -1)) {
      const more = await this.txnSource.abortedFrom(this.streamId, this.abortedLoaded ? (this.aborted.at(-1)?.lastOffset ?? -1) + 1 : 0);
      this.abortedLoaded = true;
      this.aborted = [...this.aborted, ...more].filter((a) => a.lastOffset >= this.logStartOffset);
      if (this.aborted.length > ABORTED_TRANSACTIONS_PER_PARTITION_MAX) this.aborted = this.aborted.slice(-ABORTED_TRANSACTIONS_PER_PARTITION_MAX);
    }
    if (published !== undefined) this.stable = Math.max(this.stable ?? 0, published);
    this.refreshedAtMs = performance.now();
    // The indexed end never goes back (trims move the start), so a slow read cannot undo a newer one.
    this.highWatermark = Math.max(this.highWatermark, this.logStartOffset, this.recent.at(-1)?.value.e ?? 0);
    if (this.highWatermark !== before) this.wake();
  }

  /** The region holding `offset` (or the next one) from the recent entries, if they reach back that far. */
  private cached(offset: number): IndexValue | undefined {
    const expired = performance.now() - RECENT_ENTRY_TTL_MS;
    let drop = 0;
    while (drop < this.recent.length - 1 && this.recent[drop]!.atMs < expired) drop++;
    if (drop > 0) this.recent = this.recent.slice(drop);
    const first = this.recent[0];
    if (first === undefined || offset < first.base || first.atMs < expired) return undefined;
    let lo = 0;
    let hi = this.recent.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.recent[mid]!.value.e <= offset) lo = mid + 1;
      else hi = mid;
    }
    return this.recent[lo]?.value;
  }

  get logEndOffset(): number {
    return this.highWatermark;
  }

  confirmLeadership(): Promise<boolean> {
    return Promise.resolve(!this.closed);
  }

  /** What the leader last published as stable, within what this replica has indexed; its high watermark when no leader published any. */
  get lastStableOffset(): number {
    return this.stable === undefined ? this.highWatermark : Math.min(this.highWatermark, this.stable);
  }

  get hasWaiters(): boolean {
    return this.waiters.length > 0;
  }

  /** Re-reads the index past what is known; one read at a time, a call during a read makes it go again. */
  refresh(): Promise<void> {
    return this.refresher.run();
  }

  async read(offset: number, maxBytes: number, upTo: number, stopBy?: number): Promise<Buffer[]> {
    return (await this.store.readUploaded(this.streamId, offset, maxBytes, upTo, this.lookup, stopBy)).map((c) => c.data);
  }

  /** Starts loading the object region a read at `offset` will need (see StreamStore.prefetch). */
  prefetch(offset: number): Promise<void> {
    return this.store.prefetch(this.streamId, offset, this.lookup);
  }

  abortedBetween(from: number, to: number): AbortedRange[] {
    return this.aborted.filter((a) => a.lastOffset >= from && a.firstOffset < to);
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
/** A replica fetched within this long follows every index change announced. */
const ACTIVE_MS = 5_000;
/** Index-change rounds are at least this far apart: one query per active replica per round. */
const ROUND_MS = 25;

export class PartitionReplicas {
  private readonly store: StreamStore;
  private readonly maxReplicas: number;
  /** By stream id, least recently fetched first (a Map keeps insertion order; a fetch re-inserts). */
  private readonly replicas = new Map<number, PartitionReplica>();
  private readonly unwatch: () => void;
  readonly stats: PartitionReplicasStats = { refreshes: 0, evictions: 0 };

  private readonly txnSource: ReplicaTransactionsSource;

  constructor(store: StreamStore, metadata: MetadataStore, txnSource: ReplicaTransactionsSource, maxReplicas = REPLICAS_MAX_DEFAULT) {
    this.store = store;
    this.txnSource = txnSource;
    this.maxReplicas = maxReplicas;
    // Every upload anywhere commits under i/: the replicas consumers are reading look again,
    // in rounds at most every ROUND_MS however many brokers upload.
    this.unwatch = metadata.watch('i/', () => this.scheduleRound());
  }

  private roundTimer: NodeJS.Timeout | undefined;
  private lastRoundMs = -Infinity;

  private scheduleRound(): void {
    if (this.roundTimer !== undefined) return;
    const wait = Math.max(0, this.lastRoundMs + ROUND_MS - performance.now());
    this.roundTimer = setTimeout(() => {
      this.roundTimer = undefined;
      this.lastRoundMs = performance.now();
      const activeSince = this.lastRoundMs - ACTIVE_MS;
      for (const r of this.replicas.values()) if (r.hasWaiters || r.fetchedAtMs >= activeSince) void r.refresh().catch(() => undefined);
    }, wait);
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
      r = new PartitionReplica(streamId, leaderEpoch, this.store, () => { this.stats.refreshes++; }, this.txnSource);
      while (this.replicas.size >= this.maxReplicas) {
        const [oldest, victim] = this.replicas.entries().next().value!;
        this.replicas.delete(oldest);
        victim.close();
        this.stats.evictions++;
      }
    }
    this.replicas.set(streamId, r);
    r.leaderEpoch = leaderEpoch;
    r.fetchedAtMs = performance.now();
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
    if (this.roundTimer !== undefined) clearTimeout(this.roundTimer);
    for (const r of this.replicas.values()) r.close();
    this.replicas.clear();
  }
}
