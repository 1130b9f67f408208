// Owns streams: append-only logs of opaque chunks addressed by offset, made
// durable in the local WAL (local-wal mode) or in object storage (object-wal
// mode), packed by the uploader into stream-set objects whose index is
// committed to the metadata store before the WAL is trimmed. Reads come from
// the in-memory tail, else from objects (RegionReader: block cache, read-ahead,
// bounded GETs) found through the index (StreamIndex); rewrites of uploaded
// regions are RegionRewriter's. Must not know about the Kafka wire format: a
// chunk is bytes with a [baseOffset, endOffset) range given by the caller.
//
// Ownership: a stream is served by the process that opened it with the
// epoch its owner key holds (`e/<id>`). Every index change of the stream
// (upload, trim, compaction) is committed together with a check that the
// owner key is unchanged, so a deposed owner (paused, partitioned, slow)
// can never commit after another took over: its pending appends fail with
// StreamFencedError. Who owns what is decided above this layer.

import { StreamUsage } from './stream-usage.ts';
import { join } from 'node:path';
import { GroupCommitWal } from '../wal/group-commit-wal.ts';
import type { ObjectStore } from './object-store/object-store.ts';
import { nextCounter, type MetadataOp, type MetadataStore, type MetadataValue } from './metadata/metadata-store.ts';
import { buildStreamSetObject, type Chunk } from './stream-set-object.ts';
import type { CacheStats } from './block-cache.ts';
import { owned, ownedCopy } from './owned-buffer.ts';
import { FifoQueue } from './fifo-queue.ts';
import type { ObjectIndexCacheStats } from './object-index-cache.ts';
import { RegionReader, type RegionReaderStats } from './region-reader.ts';
import { StreamIndex, type DroppedRegion } from './stream-index.ts';
import { RegionRewriter, type CompactionOptions, type RegionRewriterStats } from './region-rewriter.ts';
import { ObjectCollector } from './object-collector.ts';
import { retentionStart, type RetentionPolicy } from './retention.ts';
import { newObjectKey, streamKey, streamOwnerKey, type IndexValue, type StreamOwner } from './stream-keys.ts';

export type DurabilityMode = 'local-wal' | 'object-wal';

export interface StreamStoreOptions {
  dataDir: string;
  objectStore: ObjectStore;
  metadata: MetadataStore;
  durability?: DurabilityMode;
  /** Upload pending data at least this often... */
  uploadIntervalMs?: number;
  /** ...or as soon as this many bytes are pending, whichever comes first. */
  uploadBytes?: number;
  /** Bound on recent, already-uploaded data kept in memory for tail reads. */
  tailCacheBytesMax?: number;
  /** Bound on object regions cached for catch-up reads. */
  blockCacheBytesMax?: number;
  /** Bound on appended but not yet uploaded bytes; past it, hasCapacity() is false. */
  pendingBytesMax?: number;
  walSegmentBytes?: number;
  /**
   * Upload only streams opened here at an owner epoch (a fleet): data
   * replayed from the WAL for a stream that moved away while this broker
   * was down must never be indexed over its new owner's.
   */
  fencedUploadsOnly?: boolean;
}

/**
 * Awaited after a local-wal append is in the WAL and before it counts as
 * durable (high watermark, acknowledgement): a fleet records there that the
 * stream may hold data only this broker has. Undefined: nothing to wait for.
 */
export type AckGate = (streamId: number) => Promise<void> | undefined;

/** A reader's own copy of some index entries: the region holding `offset` (or the next one), if it has it. */
export type RegionLookup = (offset: number) => IndexValue | undefined;

/** Index entries read into the cache per miss (one range query). */

export const UPLOAD_INTERVAL_MS_DEFAULT = 250;
export const UPLOAD_BYTES_DEFAULT = 8 * 1024 * 1024;
export const TAIL_CACHE_BYTES_MAX_DEFAULT = 256 * 1024 * 1024;
export const BLOCK_CACHE_BYTES_MAX_DEFAULT = 128 * 1024 * 1024;
export const PENDING_BYTES_MAX_DEFAULT = 256 * 1024 * 1024;
/** One object never carries more than this, so a PUT stays bounded. */
const OBJECT_BYTES_MAX = 64 * 1024 * 1024;
const WAL_ENTRY_HEADER_BYTES = 24;

interface MemChunk extends Chunk {
  uploaded: boolean;
  inFlight: boolean;
  durable: boolean;
  /** WAL position of the entry holding the chunk; -1 in object-wal mode. */
  walPosition: number;
  /** object-wal mode: settled when the chunk's object is stored and indexed. */
  settle?: { resolve: () => void; reject: (e: Error) => void };
  /** An index commit holding this chunk failed without an answer: it may have been applied. */
  commitUnknown?: boolean;
}

interface StreamState {
  id: number;
  /** Version of the owner key when opened; every index commit checks it. Undefined: not fenced (WAL replay before open). */
  fenceVersion: number | undefined;
  epoch: number;
  startOffset: number;
  endOffset: number;
  /** End of the data that is durable in this broker's mode: the high watermark's upper bound. */
  durableEnd: number;
  mem: FifoQueue<MemChunk>;
}

export type { RetentionPolicy } from './retention.ts';

export interface StreamStoreStats {
  streams: number;
  pendingUploadBytes: number;
  tailCacheBytes: number;
  uploads: number;
  uploadFailures: number;
  uploadedBytes: number;
  uploadSecondsTotal: number;
  lastUploadError: string | undefined;
  readsFromMemory: number;
  readsFromObjects: number;
  regionReads: RegionReaderStats;
  indexCache: ObjectIndexCacheStats;
  objectsDeleted: number;
  rewrites: RegionRewriterStats;
  /** Index commits refused because the stream's owner key moved on (this process was deposed). */
  fencedCommits: number;
  /** Trims and deletions that found their regions changed by a concurrent rewrite, and read them again. */
  indexRaces: number;
  blockCache: CacheStats;
}

const STOPPED = Symbol('stopped');

/** Resolves STOPPED at `stopBy` (a performance.now() instant): one timer for a whole read, however many regions it waits on. */
class ReadStop {
  private timer: NodeJS.Timeout | undefined;
  private signal: Promise<typeof STOPPED> | undefined;
  private readonly stopBy: number;

  constructor(stopBy: number) {
    this.stopBy = stopBy;
  }

  /** `p`, or STOPPED once the instant has passed; `p` goes on, its failure the caller's to ignore. */
  race<T>(p: Promise<T>): Promise<T | typeof STOPPED> {
    this.signal ??= new Promise((resolve) => { this.timer = setTimeout(() => resolve(STOPPED), Math.max(0, this.stopBy - performance.now())); });
    return Promise.race([p, this.signal]);
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

export class StreamFencedError extends Error {
  readonly code = 'FLOE_ERR_STREAM_FENCED';
  constructor(id: number, detail: string) {
    super(`stream ${id}: ${detail}`);
    this.name = 'StreamFencedError';
  }
}

/**
 * A pending append dropped on a fence or hand-over after an index commit
 * holding it failed without an answer (the metadata store went away
 * mid-commit): it may be in the log. Its writer must be told "maybe", as
 * Kafka's REQUEST_TIMED_OUT does, never "not written".
 */
export class StreamOutcomeUnknownError extends Error {
  readonly code = 'FLOE_ERR_STREAM_OUTCOME_UNKNOWN';
  constructor(id: number, detail: string) {
    super(`stream ${id}: ${detail}; an earlier index commit of this data may have been applied`);
    this.name = 'StreamOutcomeUnknownError';
  }
}

export class StreamNotFoundError extends Error {
  readonly code = 'FLOE_ERR_STREAM_NOT_FOUND';
  constructor(id: number) {
    super(`stream ${id} does not exist`);
    this.name = 'StreamNotFoundError';
  }
}

/** Objects no longer referenced are deleted this long afterwards, so in-flight reads still find them. */
export const OBJECT_DELETE_GRACE_MS_DEFAULT = 60_000;
/** Times a trim or deletion reads its regions again after a concurrent rewrite changed them. */
const INDEX_RACE_ATTEMPTS = 5;

function walEntryHeader(streamId: number, base: number, end: number): Buffer {
  const h = Buffer.allocUnsafe(WAL_ENTRY_HEADER_BYTES);
  h.writeBigUInt64BE(BigInt(streamId), 0);
  h.writeBigUInt64BE(BigInt(base), 8);
  h.writeBigUInt64BE(BigInt(end), 16);
  return h;
}

export class StreamStore {
  readonly durability: DurabilityMode;
  private readonly opts: Required<Omit<StreamStoreOptions, 'durability' | 'walSegmentBytes'>> & { walSegmentBytes: number | undefined };
  private ackGate: AckGate | undefined;
  private readonly streams = new Map<number, StreamState>();
  private wal: GroupCommitWal | undefined;
  private pendingBytes = 0;
  private tailBytes = 0;
  /** Uploaded chunks in upload order: the eviction order of the tail cache. */
  private readonly evictable = new FifoQueue<{ stream: StreamState; chunk: MemChunk }>();
  private uploadRun: Promise<void> | undefined;
  private uploadAgain = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private capacityWaiters: (() => void)[] = [];
  private readonly reader: RegionReader;
  private readonly index: StreamIndex;
  private readonly rewriter: RegionRewriter;
  private readonly collector: ObjectCollector;
  readonly stats: StreamStoreStats;
  /** What each stream cost in object storage here: uploads, PUT shares, GETs. */
  readonly usage = new StreamUsage();
  /**
   * From the layer above that knows transactions, read at each upload: a
   * stream's first offset that is not stable (an open transaction's start;
   * Infinity: none) and its newest aborted transaction's marker offset in
   * the metadata store (-1: none); undefined when it does not know the stream.
   */
  transactionState: ((streamId: number) => { unstableFrom: number; abortedUpTo: number } | undefined) | undefined;

  private constructor(opts: StreamStoreOptions) {
    this.durability = opts.durability ?? 'local-wal';
    this.opts = {
      dataDir: opts.dataDir,
      objectStore: opts.objectStore,
      metadata: opts.metadata,
      uploadIntervalMs: opts.uploadIntervalMs ?? UPLOAD_INTERVAL_MS_DEFAULT,
      uploadBytes: opts.uploadBytes ?? UPLOAD_BYTES_DEFAULT,
      tailCacheBytesMax: opts.tailCacheBytesMax ?? TAIL_CACHE_BYTES_MAX_DEFAULT,
      blockCacheBytesMax: opts.blockCacheBytesMax ?? BLOCK_CACHE_BYTES_MAX_DEFAULT,
      pendingBytesMax: opts.pendingBytesMax ?? PENDING_BYTES_MAX_DEFAULT,
      fencedUploadsOnly: opts.fencedUploadsOnly ?? false,
      walSegmentBytes: opts.walSegmentBytes,
    };
    this.reader = new RegionReader(this.opts.objectStore, this.opts.blockCacheBytesMax, undefined, this.usage);
    this.index = new StreamIndex(this.opts.metadata);
    this.rewriter = new RegionRewriter(this.opts.objectStore, this.index, this.reader, {
      isOpen: (id) => this.streams.has(id),
      fenceOps: (id) => this.fenceOps(id),
      dropCachedUpTo: (id, endOffset) => this.dropCachedUpTo(id, endOffset),
    });
    this.collector = new ObjectCollector(this.opts.objectStore, this.index, this.reader);
    this.stats = {
      streams: 0, pendingUploadBytes: 0, tailCacheBytes: 0, uploads: 0, uploadFailures: 0, uploadedBytes: 0,
      uploadSecondsTotal: 0, lastUploadError: undefined, readsFromMemory: 0, readsFromObjects: 0, regionReads: this.reader.stats,
      indexCache: this.index.cache.stats, objectsDeleted: 0, rewrites: this.rewriter.stats, fencedCommits: 0, indexRaces: 0, blockCache: this.reader.cache.stats,
    };
  }

  /** Loads stream state from the metadata store, replays the WAL, and starts the uploader. */
  static async open(opts: StreamStoreOptions): Promise<StreamStore> {
    const store = new StreamStore(opts);
    await store.recover();
    // Not unref'd: pending object-wal appends must keep the process alive until uploaded; close() stops it.
    store.timer = setInterval(() => void store.upload(), store.opts.uploadIntervalMs);
    if (store.pendingBytes > 0) void store.upload();
    return store;
  }

  /** A stream's state as the metadata store has it: start from its key, end from its last index region. */
  private async loadState(id: number, start: number): Promise<StreamState> {
    const [last] = await this.index.newest(id, 1);
    const end = Math.max(start, last?.value.e ?? 0);
    return { id, fenceVersion: undefined, epoch: -1, startOffset: start, endOffset: end, durableEnd: end, mem: new FifoQueue() };
  }

  /**
   * local-wal mode (one broker, its own WAL): every stream is loaded so the
   * WAL can be replayed into it. object-wal mode loads streams as they are
   * opened: all their acknowledged data is in the index already.
   */
  private async recover(): Promise<void> {
    if (this.durability === 'local-wal') {
      for (const e of await this.opts.metadata.range('s/')) {
        const id = Number(e.key.slice(2));
        this.streams.set(id, await this.loadState(id, (e.value as { start: number }).start));
      }
      this.wal = await GroupCommitWal.open(
        { dir: join(this.opts.dataDir, 'wal'), untrimmedBytesMax: this.opts.pendingBytesMax, ...(this.opts.walSegmentBytes !== undefined ? { segmentBytes: this.opts.walSegmentBytes } : {}) },
        (position, payload) => this.replayWalEntry(position, payload),
      );
    }
    this.stats.streams = this.streams.size;
  }

  private replayWalEntry(position: number, payload: Buffer): void {
    const id = Number(payload.readBigUInt64BE(0));
    const base = Number(payload.readBigUInt64BE(8));
    const end = Number(payload.readBigUInt64BE(16));
    const s = this.streams.get(id);
    if (s === undefined || end <= s.endOffset) return; // deleted stream, or already in an object
    if (base !== s.endOffset) {
      throw new Error(`WAL replay: stream ${id} continues at ${s.endOffset} but the WAL entry starts at ${base}`);
    }
    const data = ownedCopy(payload.subarray(WAL_ENTRY_HEADER_BYTES));
    s.mem.push({ baseOffset: base, endOffset: end, data, uploaded: false, inFlight: false, durable: true, walPosition: position });
    s.endOffset = end;
    s.durableEnd = end;
    this.pendingBytes += data.length;
    this.tailBytes += data.length;
  }

  /**
   * Allocates a stream id and returns the ops that create it with `owner`
   * at epoch 0; the caller commits them (with whatever names the stream,
   * atomically). Nothing is loaded: the owner opens it.
   */
  async newStream(owner: number): Promise<{ id: number; ops: MetadataOp[] }> {
    const id = await nextCounter(this.opts.metadata, 'counters/stream-id');
    return {
      id,
      ops: [
        { op: 'put', key: streamKey(id), value: { start: 0 }, expectVersion: 0 },
        { op: 'put', key: streamOwnerKey(id), value: { owner, epoch: 0 } satisfies StreamOwner as unknown as MetadataValue, expectVersion: 0 },
      ],
    };
  }

  /** Creates a stream owned by `owner` at epoch 0 and opens it here (tests and tools; brokers commit newStream's ops with the topic). */
  async createStream(owner = 0): Promise<number> {
    const { id, ops } = await this.newStream(owner);
    if (!(await this.opts.metadata.commit(ops))) throw new Error(`stream ${id} already exists`);
    await this.openStream(id, 0);
    return id;
  }

  /**
   * Opens a stream for appending and reading at `epoch`, which its owner key
   * must hold (else StreamFencedError). From here every index commit of the
   * stream checks that key's version. Re-opening at a newer epoch keeps the
   * loaded state; a stream not loaded is read from the metadata store.
   */
  async openStream(id: number, epoch: number): Promise<void> {
    const ownerEntry = await this.opts.metadata.get(streamOwnerKey(id));
    const owner = ownerEntry?.value as unknown as StreamOwner | undefined;
    if (ownerEntry === undefined || owner === undefined) throw new StreamNotFoundError(id);
    if (owner.epoch !== epoch) throw new StreamFencedError(id, `open at epoch ${epoch}, but the owner key holds epoch ${owner.epoch}`);
    let s = this.streams.get(id);
    if (s === undefined) {
      const start = await this.opts.metadata.get(streamKey(id));
      if (start === undefined) throw new StreamNotFoundError(id);
      const loaded = await this.loadState(id, (start.value as { start: number }).start);
      // Opened concurrently by another caller meanwhile: keep theirs.
      s = this.streams.get(id) ?? loaded;
      this.streams.set(id, s);
    }
    s.fenceVersion = ownerEntry.version;
    s.epoch = epoch;
    this.stats.streams = this.streams.size;
  }

  /** The epoch the stream was opened at, or undefined when not open here. */
  openEpoch(id: number): number | undefined {
    const s = this.streams.get(id);
    return s === undefined || s.fenceVersion === undefined ? undefined : s.epoch;
  }

  /**
   * Closes a stream on hand-over: waits (bounded) for its pending data to be
   * uploaded, then forgets it. Pending data still not uploaded is rejected
   * (StreamFencedError): its appends were never acknowledged as durable in
   * object-wal mode. Returns how many bytes were dropped that way.
   */
  async closeStream(id: number, waitMs = 10_000): Promise<number> {
    const deadline = performance.now() + waitMs;
    const pending = (): boolean => { const s = this.streams.get(id); return s !== undefined && this.pendingOf(s) > 0; };
    while (pending() && performance.now() < deadline && !this.closed) {
      await this.upload();
      if (pending()) await new Promise((r) => setTimeout(r, 20));
    }
    const s = this.streams.get(id);
    if (s === undefined) return 0;
    return this.forget(s, new StreamFencedError(id, 'closed on hand-over before its data was uploaded'));
  }

  private pendingOf(s: StreamState): number {
    let n = 0;
    for (const c of s.mem) if (!c.uploaded) n += c.data.length;
    return n;
  }

  /** Drops a stream's state; not-yet-uploaded appends fail with `reason`. Returns the bytes dropped. */
  private forget(s: StreamState, reason: Error): number {
    if (this.streams.get(s.id) !== s) return 0;
    this.streams.delete(s.id);
    this.index.cache.invalidate(s.id);
    let dropped = 0;
    for (const c of s.mem) {
      if (!c.uploaded) {
        this.pendingBytes -= c.data.length;
        dropped += c.data.length;
      }
      this.tailBytes -= c.data.length;
      c.settle?.reject(c.commitUnknown === true ? new StreamOutcomeUnknownError(s.id, reason.message) : reason);
      delete c.settle;
    }
    s.mem = new FifoQueue();
    this.stats.streams = this.streams.size;
    this.stats.pendingUploadBytes = this.pendingBytes;
    this.stats.tailCacheBytes = this.tailBytes;
    return dropped;
  }

  has(id: number): boolean {
    return this.streams.has(id);
  }

  setAckGate(gate: AckGate): void {
    this.ackGate = gate;
  }

  /** Streams holding appended data not yet in object storage. */
  streamsWithPendingData(): number[] {
    const out: number[] = [];
    for (const s of this.streams.values()) if (this.pendingOf(s) > 0) out.push(s.id);
    return out;
  }

  /**
   * Forgets the streams loaded for WAL replay that were not opened since
   * and that `keep` does not claim (their owner is another broker now):
   * returns what their unuploaded data was. A fleet calls it once its
   * partitions are open.
   */
  dropUnopened(keep: (id: number) => boolean): { streams: number[]; bytes: number } {
    const streams: number[] = [];
    let bytes = 0;
    for (const s of [...this.streams.values()]) {
      if (s.fenceVersion !== undefined || keep(s.id)) continue;
      const pending = this.pendingOf(s);
      if (pending > 0) streams.push(s.id);
      bytes += this.forget(s, new StreamFencedError(s.id, 'owned by another broker after a restart'));
    }
    return { streams, bytes };
  }

  /** The ops that make a commit fail unless `id` is still owned at the epoch it was opened at. */
  private fenceOps(id: number): MetadataOp[] {
    const v = this.streams.get(id)?.fenceVersion;
    return v === undefined ? [] : [{ op: 'check', key: streamOwnerKey(id), expectVersion: v }];
  }

  /**
   * Whether this broker still owns the stream by the metadata store itself,
   * not by what it last heard (a broker paused, or cut off from the store,
   * may not know it was deposed yet). A stream found fenced is forgotten.
   * Throws when the store cannot be read.
   */
  async stillOwned(id: number): Promise<boolean> {
    if (!this.streams.has(id)) return false;
    return (await this.dropFenced([id])).length === 0 && this.streams.has(id);
  }

  /** After a refused commit: the streams among `ids` whose owner key moved on are forgotten (fenced). */
  private async dropFenced(ids: Iterable<number>): Promise<number[]> {
    const fenced: number[] = [];
    for (const id of ids) {
      const s = this.streams.get(id);
      if (s?.fenceVersion === undefined) continue;
      const cur = await this.opts.metadata.get(streamOwnerKey(id));
      if (cur?.version === s.fenceVersion) continue;
      const owner = cur?.value as unknown as StreamOwner | undefined;
      this.forget(s, new StreamFencedError(id, owner === undefined ? 'deleted' : `owner moved to ${owner.owner} at epoch ${owner.epoch}`));
      this.stats.fencedCommits++;
      fenced.push(id);
    }
    return fenced;
  }

  private stream(id: number): StreamState {
    const s = this.streams.get(id);
    if (s === undefined) throw new StreamNotFoundError(id);
    return s;
  }

  /** Next offset to append (includes data not yet durable). */
  endOffset(id: number): number {
    return this.stream(id).endOffset;
  }

  /** End of the durable data: what a high watermark may expose. */
  durableEndOffset(id: number): number {
    return this.stream(id).durableEnd;
  }

  startOffset(id: number): number {
    return this.stream(id).startOffset;
  }

  /** False while appended-but-not-uploaded data is over its bound: callers should wait or refuse. */
  hasCapacity(): boolean {
    return this.wal !== undefined ? this.wal.hasCapacity() : this.pendingBytes < this.opts.pendingBytesMax;
  }

  /** Resolves when there is capacity; waiters are released first-in first-out. */
  /** True when an append may go ahead now without waiting behind others for capacity. */
  capacityAvailable(): boolean {
    return this.hasCapacity() && this.capacityWaiters.length === 0;
  }

  waitForCapacity(): Promise<void> {
    if (this.capacityAvailable()) return Promise.resolve();
    return new Promise((resolve) => this.capacityWaiters.push(resolve));
  }

  /**
   * Appends a chunk covering [baseOffset, endOffset). The offsets must
   * continue the stream exactly. Resolves when the chunk is durable in this
   * store's mode; the order of appends to one stream is the order of calls.
   */
  append(id: number, baseOffset: number, endOffset: number, input: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new Error('stream store is closed'));
    // Kept in the tail cache: it must not pin the caller's buffer or a shared pool slab.
    const data = owned(input);
    const s = this.stream(id);
    if (baseOffset !== s.endOffset || endOffset <= baseOffset) {
      throw new Error(`stream ${id}: append [${baseOffset}, ${endOffset}) does not continue at ${s.endOffset}`);
    }
    s.endOffset = endOffset;
    const chunk: MemChunk = { baseOffset, endOffset, data, uploaded: false, inFlight: false, durable: false, walPosition: -1 };
    s.mem.push(chunk);
    this.pendingBytes += data.length;
    this.tailBytes += data.length;
    this.stats.pendingUploadBytes = this.pendingBytes;
    let done: Promise<void>;
    if (this.wal !== undefined) {
      const { position, durable } = this.wal.append([walEntryHeader(id, baseOffset, endOffset), data]);
      chunk.walPosition = position;
      const gate = this.ackGate?.(id);
      done = (gate === undefined ? durable : Promise.all([durable, gate])).then(() => {
        chunk.durable = true;
        if (endOffset > s.durableEnd) s.durableEnd = endOffset;
      });
    } else {
      done = new Promise<void>((resolve, reject) => { chunk.settle = { resolve, reject }; });
    }
    if (this.pendingBytes >= this.opts.uploadBytes) void this.upload();
    return done;
  }

  /** Forces an upload of everything pending now (tests, shutdown). */
  async flush(): Promise<void> {
    for (let i = 0; i < 1000 && this.pendingBytes > 0; i++) {
      await this.upload();
      if (this.pendingBytes > 0) await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Starts an upload run, or asks the running one to go again; resolves when the run (with its WAL trim) ends. */
  private upload(): Promise<void> {
    if (this.uploadRun !== undefined) {
      this.uploadAgain = true;
      return this.uploadRun;
    }
    this.uploadRun = (async () => {
      try {
        do {
          this.uploadAgain = false;
          if (!(await this.uploadOnce())) break;
        } while (this.uploadAgain || this.pendingBytes >= this.opts.uploadBytes);
      } finally {
        this.uploadRun = undefined;
      }
    })();
    return this.uploadRun;
  }

  /** Uploads one stream-set object; false when there was nothing to upload or it failed. */
  private async uploadOnce(): Promise<boolean> {
    const picked = new Map<number, MemChunk[]>();
    /** The state each picked stream had: one forgotten meanwhile (fenced, deleted, closed) is not settled here. */
    const states = new Map<number, StreamState>();
    let bytes = 0;
    for (const s of this.streams.values()) {
      if (this.opts.fencedUploadsOnly && s.fenceVersion === undefined) continue;
      const chunks: MemChunk[] = [];
      for (const c of s.mem) {
        if (c.uploaded) continue;
        // Only a durable prefix (local-wal) is uploaded, so objects never hold data the WAL could lose.
        if (c.inFlight || (this.wal !== undefined && !c.durable) || bytes >= OBJECT_BYTES_MAX) break;
        chunks.push(c);
        bytes += c.data.length;
      }
      if (chunks.length > 0) {
        picked.set(s.id, chunks);
        states.set(s.id, s);
      }
    }
    if (picked.size === 0) return false;
    for (const cs of picked.values()) for (const c of cs) c.inFlight = true;
    const key = newObjectKey();
    const t0 = process.hrtime.bigint();
    const current = (id: number): boolean => this.streams.get(id) === states.get(id);
    try {
      const { body, index, sizeBytes } = buildStreamSetObject(picked);
      await this.opts.objectStore.put(key, body);
      const now = Date.now();
      // Each attempt leaves out streams forgotten meanwhile; a refusal caused by fencing drops the fenced streams and goes again.
      for (let attempt = 0; ; attempt++) {
        // Each region says how far its stream is stable now (read replicas serve read_committed consumers up to there).
        const live = index.filter((e) => current(e.streamId)).map((e) => {
          const t = this.transactionState?.(e.streamId);
          if (t === undefined) return e;
          return { ...e, stableOffset: Math.min(e.endOffset, t.unstableFrom), ...(t.abortedUpTo >= 0 ? { abortedUpTo: t.abortedUpTo } : {}) };
        });
        const ops = this.index.uploadOps(key, live, now);
        for (const id of new Set(live.map((e) => e.streamId))) ops.push(...this.fenceOps(id));
        let committed: boolean;
        try {
          committed = await this.opts.metadata.commit(ops);
        } catch (e) {
          // No answer: applied or not, nobody knows; if these chunks are dropped later, their writers hear "maybe".
          for (const cs of picked.values()) for (const c of cs) c.commitUnknown = true;
          throw e;
        }
        if (committed) break;
        const fenced = await this.dropFenced(new Set(live.map((e) => e.streamId)));
        if (fenced.length === 0 || attempt >= 8) throw new Error('index commit refused');
      }
      this.stats.uploads++;
      this.stats.uploadedBytes += sizeBytes;
      this.usage.uploaded(new Map([...picked].map(([id, cs]) => [id, cs.reduce((n, c) => n + c.data.length, 0)])));
      this.stats.uploadSecondsTotal += Number(process.hrtime.bigint() - t0) / 1e9;
    } catch (e) {
      for (const cs of picked.values()) for (const c of cs) c.inFlight = false;
      this.stats.uploadFailures++;
      this.stats.lastUploadError = (e as Error).message;
      return false;
    }
    for (const [id, cs] of picked) {
      const s = states.get(id)!;
      if (!current(id)) continue; // forgotten: its bytes and waiters were released then
      for (const c of cs) {
        c.inFlight = false;
        c.uploaded = true;
        this.pendingBytes -= c.data.length;
        this.evictable.push({ stream: s, chunk: c });
        if (this.wal === undefined && c.endOffset > s.durableEnd) s.durableEnd = c.endOffset;
        c.settle?.resolve();
        delete c.settle;
      }
    }
    this.stats.pendingUploadBytes = this.pendingBytes;
    await this.trimWal();
    this.evictTail();
    while (this.capacityWaiters.length > 0 && this.hasCapacity()) this.capacityWaiters.shift()!();
    return true;
  }

  private async trimWal(): Promise<void> {
    if (this.wal === undefined) return;
    let trimTo = this.wal.durableEnd;
    for (const s of this.streams.values()) {
      for (const c of s.mem) {
        if (!c.uploaded) {
          if (c.walPosition < trimTo) trimTo = c.walPosition;
          break;
        }
      }
    }
    await this.wal.trim(trimTo);
  }

  private evictTail(): void {
    while (this.tailBytes > this.opts.tailCacheBytesMax) {
      const next = this.evictable.shift();
      if (next === undefined) break;
      const { stream, chunk } = next;
      if (stream.mem.at(0) === chunk && this.streams.get(stream.id) === stream) {
        stream.mem.shift();
        this.tailBytes -= chunk.data.length;
      }
    }
    this.stats.tailCacheBytes = this.tailBytes;
  }

  /**
   * Reads whole chunks from `fromOffset` up to `untilOffset` (exclusive,
   * e.g. the high watermark), at least one chunk and then up to `maxBytes`.
   * The first chunk may start before `fromOffset`: callers skip inside it.
   */
  async read(id: number, fromOffset: number, maxBytes: number, untilOffset?: number, stopBy?: number): Promise<Buffer[]> {
    return (await this.readChunks(id, fromOffset, maxBytes, untilOffset, stopBy)).map((c) => c.data);
  }

  /**
   * As `read`, with each chunk's offset range. With `stopBy` (a
   * performance.now() instant), what was read by then is returned (at least
   * the first chunk): the regions still loading go on into the caches.
   */
  async readChunks(id: number, fromOffset: number, maxBytes: number, untilOffset?: number, stopBy?: number): Promise<Chunk[]> {
    const s = this.stream(id);
    return this.readRange(id, Math.max(fromOffset, s.startOffset), Math.min(untilOffset ?? s.endOffset, s.endOffset), maxBytes, s.mem, undefined, stopBy);
  }

  /**
   * As `readChunks`, from object storage alone, for a stream this broker
   * does not own (a KIP-392 read replica): what its owner has uploaded and
   * indexed, up to `untilOffset`.
   */
  readUploaded(id: number, fromOffset: number, maxBytes: number, untilOffset: number, known?: RegionLookup, stopBy?: number): Promise<Chunk[]> {
    return this.readRange(id, fromOffset, untilOffset, maxBytes, undefined, known, stopBy);
  }

  /**
   * Index entries of a stream with a base offset past `afterBase` (all
   * when undefined), oldest first, at most `limit`: for a reader that
   * follows a stream it does not own and keeps the recent entries itself.
   */
  async indexEntriesAfter(id: number, afterBase: number | undefined, limit: number): Promise<{ base: number; value: IndexValue }[]> {
    const entries = afterBase === undefined ? await this.index.newest(id, 1) : await this.index.after(id, afterBase, limit);
    return entries.map((e) => ({ base: e.base, value: e.value }));
  }

  /** The log start offset of a stream as stored; undefined when it does not exist. */
  async storedStartOffset(id: number): Promise<number | undefined> {
    const s = await this.opts.metadata.get(streamKey(id));
    return s === undefined ? undefined : (s.value as { start: number }).start;
  }

  /**
   * Loads the region holding `offset` into the block cache (nothing when it
   * is not uploaded): lets a reader of many partitions fetch their regions
   * from object storage at once rather than one after another.
   */
  async prefetch(id: number, offset: number, known?: RegionLookup): Promise<void> {
    const region = await this.locate(id, offset, known);
    if (region !== undefined) await this.reader.load(region, { wholeObject: known !== undefined, streamId: id });
  }

  /** The region holding `offset` (or the next one): from the reader's own entries when it has them, else the index. */
  private locate(id: number, offset: number, known: RegionLookup | undefined): Promise<IndexValue | undefined> {
    const hit = known?.(offset);
    return hit !== undefined ? Promise.resolve(hit) : this.index.find(id, offset, () => this.openEpoch(id) !== undefined);
  }

  private async readRange(id: number, from: number, until: number, maxBytes: number, mem: FifoQueue<MemChunk> | undefined, known?: RegionLookup, stopBy?: number): Promise<Chunk[]> {
    const find = (offset: number): Promise<IndexValue | undefined> => this.locate(id, offset, known);
    const wholeObject = known !== undefined;
    const out: Chunk[] = [];
    let bytes = 0;
    let cur = from;
    let stop: ReadStop | undefined;
    try {
      while (cur < until && (out.length === 0 || bytes < maxBytes)) {
        const first = mem?.at(0);
        if (mem !== undefined && first !== undefined && cur >= first.baseOffset) {
          this.stats.readsFromMemory++;
          let i = this.memIndex(mem, cur);
          for (; i < mem.length; i++) {
            const c = mem.at(i)!;
            if (c.baseOffset >= until || (out.length > 0 && bytes >= maxBytes)) break;
            out.push(c);
            bytes += c.data.length;
            cur = c.endOffset;
          }
          break;
        }
        // A region at a time (catch-up over many small regions can be thousands of GETs): past `stopBy`, what is read is
        // returned, and the region being loaded goes on into the block cache for the next read.
        if (out.length > 0 && stopBy !== undefined && performance.now() >= stopBy) break;
        const step = find(cur).then(async (region) => (region === undefined ? undefined : { region, cached: await this.reader.load(region, { wholeObject, streamId: id }) }));
        if (out.length > 0 && stopBy !== undefined) stop ??= new ReadStop(stopBy);
        const got = stop !== undefined ? await stop.race(step) : await step;
        if (got === STOPPED) {
          step.catch(() => undefined);
          break;
        }
        if (got === undefined) break;
        const { region, cached } = got;
        this.stats.readsFromObjects++;
        for (const c of cached.chunks) {
          if (c.endOffset <= cur) continue;
          if (c.baseOffset >= until || (out.length > 0 && bytes >= maxBytes)) break;
          out.push(c);
          bytes += c.data.length;
          cur = c.endOffset;
        }
        if (cur < region.e && cur < until) break; // stopped inside the region because of maxBytes
        // Read-ahead: a sequential reader will want the next region next.
        void find(region.e).then((next) => { if (next !== undefined) this.reader.readAhead(next, wholeObject, id); }).catch(() => undefined);
      }
      return out;
    } finally {
      stop?.clear();
    }
  }

  /**
   * The most recent chunks of a stream, about `bytesMax` of them (whole
   * object regions), oldest first, and everything from `alsoFrom` on when
   * given. Used to rebuild state that only recent data matters for, such as
   * idempotent-producer sequences after a restart.
   */
  async readTail(id: number, bytesMax: number, alsoFrom?: number): Promise<Buffer[]> {
    const s = this.stream(id);
    let start = s.mem.at(0)?.baseOffset ?? s.endOffset;
    let bytes = 0;
    for (const c of s.mem) bytes += c.data.length;
    if (bytes < bytesMax) {
      for (const e of await this.index.newest(id, 256)) {
        const v = e.value;
        const base = e.base;
        if (base >= start) continue;
        start = Math.max(base, s.startOffset);
        bytes += v.l;
        if (bytes >= bytesMax) break;
      }
    }
    if (alsoFrom !== undefined) start = Math.min(start, Math.max(alsoFrom, s.startOffset));
    const out: Buffer[] = [];
    let cur = start;
    while (cur < s.endOffset) {
      const got = await this.readChunks(id, cur, 1 << 20);
      if (got.length === 0) break;
      for (const c of got) if (c.endOffset > cur) out.push(c.data);
      cur = got[got.length - 1]!.endOffset;
    }
    return out;
  }

  /** Index of the first in-memory chunk whose end is past `offset`. */
  private memIndex(mem: FifoQueue<MemChunk>, offset: number): number {
    let lo = 0;
    let hi = mem.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (mem.at(mid)!.endOffset <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Moves the log start offset forward; index entries wholly below it are removed. */
  async trim(id: number, newStartOffset: number): Promise<void> {
    const s = this.stream(id);
    if (newStartOffset <= s.startOffset) return;
    const start = Math.min(newStartOffset, s.endOffset);
    // Each dropped region is checked at the version read: a compaction (or another trim) that
    // replaced or removed it meanwhile has already released its object once, and a second release
    // would let the object be deleted while other streams' regions still point into it.
    for (let attempt = 0; ; attempt++) {
      const dropped: DroppedRegion[] = [];
      for (const e of await this.index.entries(id)) {
        if (e.value.e <= start) dropped.push({ key: e.key, value: e.value, version: e.version });
        else break;
      }
      if (await this.index.tryCommitWithRefs([{ op: 'put', key: streamKey(id), value: { start } }, ...this.fenceOps(id)], dropped)) break;
      if ((await this.dropFenced([id])).length > 0) throw new StreamFencedError(id, 'trim refused: another broker owns the stream now');
      this.stats.indexRaces++;
      if (attempt >= INDEX_RACE_ATTEMPTS) throw new Error(`trim of stream ${id}: its regions changed under it ${INDEX_RACE_ATTEMPTS + 1} times`);
    }
    s.startOffset = start;
    while (s.mem.length > 0 && s.mem.at(0)!.uploaded && s.mem.at(0)!.endOffset <= start) {
      this.tailBytes -= s.mem.shift()!.data.length;
    }
  }

  /** Compaction: see RegionRewriter.compact. */
  compact(id: number, opts: CompactionOptions = {}, now = Date.now()): Promise<number> {
    return this.rewriter.compact(id, opts, now);
  }

  /** The stream's uploaded regions, oldest first: their offset ranges, sizes and upload times. */
  async uploadedRegions(id: number): Promise<{ baseOffset: number; endOffset: number; bytes: number; uploadedAt: number | undefined }[]> {
    return (await this.index.entries(id)).map((e) => ({ baseOffset: e.base, endOffset: e.value.e, bytes: e.value.l, uploadedAt: e.value.t }));
  }

  /** Rewrites uploaded regions through `transform` (a cleaned log): see RegionRewriter.rewrite. */
  rewriteRegions(id: number, fromOffset: number, untilOffset: number, transform: (c: Chunk) => Chunk, targetBytes: number, paced?: (bytes: number) => Promise<void>): Promise<{ rewrittenTo: number; bytesIn: number; bytesOut: number }> {
    return this.rewriter.rewrite(id, fromOffset, untilOffset, transform, targetBytes, paced);
  }

  /** Drops the tail cache's uploaded chunks ending at or before `endOffset` (rewritten: readers must get the new ones). */
  private dropCachedUpTo(id: number, endOffset: number): void {
    const st = this.streams.get(id);
    while (st !== undefined && st.mem.length > 0 && st.mem.at(0)!.uploaded && st.mem.at(0)!.endOffset <= endOffset) {
      this.tailBytes -= st.mem.shift()!.data.length;
    }
    this.stats.tailCacheBytes = this.tailBytes;
  }

  /** Retention by time and by bytes (see retention.ts); returns the stream's start offset after it. */
  async applyRetention(id: number, policy: RetentionPolicy, now = Date.now()): Promise<number> {
    const s = this.stream(id);
    if (policy.retentionMs < 0 && policy.retentionBytes < 0) return s.startOffset;
    const newStart = retentionStart((await this.index.entries(id)).map((e) => e.value), s.startOffset, policy, now);
    if (newStart > s.startOffset) await this.trim(id, newStart);
    return s.startOffset;
  }

  /** Deletes objects whose grace period has passed (see ObjectCollector); returns how many. */
  async collectGarbage(graceMs = OBJECT_DELETE_GRACE_MS_DEFAULT, now = Date.now()): Promise<number> {
    const n = await this.collector.collect(graceMs, now);
    this.stats.objectsDeleted += n;
    return n;
  }

  /**
   * Deletes a stream: its index regions and owner key go now (an owner still
   * uploading is fenced by that), its objects once nothing references them.
   * Any process may delete a stream, open here or not.
   */
  async deleteStream(id: number): Promise<void> {
    this.usage.forget(id);
    const s = this.streams.get(id);
    if (s !== undefined) this.forget(s, new StreamNotFoundError(id));
    // As in trim, regions are checked at the version read, so two deletions (or a deletion and a
    // compaction) cannot release the same object twice.
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0 && (await this.opts.metadata.get(streamKey(id))) === undefined) return;
      const dropped: DroppedRegion[] = (await this.index.entries(id)).map((e) => ({ key: e.key, value: e.value, version: e.version }));
      if (await this.index.tryCommitWithRefs([{ op: 'delete', key: streamKey(id) }, { op: 'delete', key: streamOwnerKey(id) }], dropped)) return;
      this.stats.indexRaces++;
      if (attempt >= INDEX_RACE_ATTEMPTS) throw new Error(`deletion of stream ${id}: its regions changed under it ${INDEX_RACE_ATTEMPTS + 1} times`);
    }
  }

  /** Uploads what is pending (best effort) and closes the WAL. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.flush();
    // A run still trimming the WAL must finish before the WAL closes.
    await this.uploadRun;
    this.closed = true;
    await this.wal?.close();
    for (const w of this.capacityWaiters) w();
  }

  /** WAL figures, for metrics (undefined in object-wal mode). */
  /** Why the WAL takes no more appends (then every produce here fails until a restart), undefined while it works or without one. */
  get walFailure(): Error | undefined {
    return this.wal?.failure;
  }

  get walStats(): GroupCommitWal['stats'] | undefined {
    return this.wal?.stats;
  }
}
