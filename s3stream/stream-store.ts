// Owns streams: append-only logs of opaque chunks addressed by offset, made
// durable in the local WAL (local-wal mode) or in object storage (object-wal
// mode), packed by the uploader into stream-set objects whose index is
// committed to the metadata store before the WAL is trimmed. Reads come from
// the in-memory tail, else from objects through a bounded block cache with
// read-ahead. Must not know about the Kafka wire format: a chunk is bytes
// with a [baseOffset, endOffset) range given by the caller.
//
// Ownership: a stream is served by the process that opened it with the
// epoch its owner key holds (`e/<id>`). Every index change of the stream
// (upload, trim, compaction) is committed together with a check that the
// owner key is unchanged, so a deposed owner (paused, partitioned, slow)
// can never commit after another took over: its pending appends fail with
// StreamFencedError. Who owns what is decided above this layer.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { GroupCommitWal } from '../wal/group-commit-wal.ts';
import type { ObjectStore } from './object-store/object-store.ts';
import { nextCounter, type MetadataOp, type MetadataStore, type MetadataValue } from './metadata/metadata-store.ts';
import { buildStreamSetObject, parseRegion, readStreamSetFooter, type Chunk } from './stream-set-object.ts';
import { BlockCache, type CacheStats } from './block-cache.ts';
import { owned, ownedCopy } from './owned-buffer.ts';
import { FifoQueue } from './fifo-queue.ts';
import { ObjectIndexCache, type ObjectIndexCacheStats } from './object-index-cache.ts';

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
const INDEX_CACHE_PAGE = 128;

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

/** An index entry: where a region of a stream is (object, position, length) and the offset it ends at. */
export interface IndexValue {
  o: string;
  p: number;
  l: number;
  e: number;
  /** Upload time (ms): the age time-based retention goes by. */
  t?: number;
}

/** How many live index regions an object holds; at 0 the object is scheduled for deletion. */
interface ObjectRefs {
  n: number;
}

interface DroppedRegion {
  key: string;
  value: IndexValue;
  /** When set, the region must still be at this version (compaction); otherwise it is removed as found. */
  version?: number;
}

export interface CompactionOptions {
  /** Regions at least this large are left alone. */
  regionBytesMin?: number;
  /** A merged region is at most this large. */
  targetBytes?: number;
  /** Regions younger than this are left for tail readers. */
  minAgeMs?: number;
}

export const COMPACTION_REGION_BYTES_MIN_DEFAULT = 1024 * 1024;
export const COMPACTION_TARGET_BYTES_DEFAULT = 8 * 1024 * 1024;
export const COMPACTION_MIN_AGE_MS_DEFAULT = 60_000;

export interface RetentionPolicy {
  /** Regions uploaded longer ago than this are deleted; -1 keeps forever. */
  retentionMs: number;
  /** Oldest regions are deleted while the stream's uploaded bytes exceed this; -1 means no limit. */
  retentionBytes: number;
}

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
  /** Objects read whole for a read replica (one GET for all the partitions in them). */
  wholeObjectReads: number;
  indexCache: ObjectIndexCacheStats;
  objectsDeleted: number;
  compactions: number;
  regionsCompacted: number;
  /** Index commits refused because the stream's owner key moved on (this process was deposed). */
  fencedCommits: number;
  blockCache: CacheStats;
}

/** Who may append to a stream, and since when: the value of its owner key. */
export interface StreamOwner {
  /** The owning process (a broker's node id). */
  owner: number;
  /** Bumped on every change of owner; the partition's leader epoch. */
  epoch: number;
}

export class StreamFencedError extends Error {
  readonly code = 'FLOE_ERR_STREAM_FENCED';
  constructor(id: number, detail: string) {
    super(`stream ${id}: ${detail}`);
    this.name = 'StreamFencedError';
  }
}

export class StreamNotFoundError extends Error {
  readonly code = 'FLOE_ERR_STREAM_NOT_FOUND';
  constructor(id: number) {
    super(`stream ${id} does not exist`);
    this.name = 'StreamNotFoundError';
  }
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const streamKey = (id: number): string => `s/${pad(id, 12)}`;
/** The owner key of a stream: its value is a StreamOwner; its version is the fence. */
export const streamOwnerKey = (id: number): string => `e/${pad(id, 12)}`;
export const STREAM_OWNER_PREFIX = 'e/';
export const streamIdOfOwnerKey = (key: string): number => Number(key.slice(STREAM_OWNER_PREFIX.length));
const indexPrefix = (id: number): string => `i/${pad(id, 12)}/`;
const indexKey = (id: number, base: number): string => `${indexPrefix(id)}${pad(base, 16)}`;
const objectRefsKey = (objectKey: string): string => `o/${objectKey}`;
const gcKey = (objectKey: string): string => `gc/${objectKey}`;
/** Objects no longer referenced are deleted this long afterwards, so in-flight reads still find them. */
export const OBJECT_DELETE_GRACE_MS_DEFAULT = 60_000;

function newObjectKey(): string {
  return `data/${Date.now().toString(36).padStart(10, '0')}-${randomBytes(8).toString('hex')}`;
}

function walEntryHeader(streamId: number, base: number, end: number): Buffer {
  const h = Buffer.allocUnsafe(WAL_ENTRY_HEADER_BYTES);
  h.writeBigUInt64BE(BigInt(streamId), 0);
  h.writeBigUInt64BE(BigInt(base), 8);
  h.writeBigUInt64BE(BigInt(end), 16);
  return h;
}

interface CachedRegion {
  chunks: Chunk[];
  byteLength: number;
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
  private readonly regions: BlockCache<CachedRegion>;
  /** Index pages of the streams owned here (bounded; see ObjectIndexCache). */
  private readonly index = new ObjectIndexCache();
  private readonly regionLoads = new Map<string, Promise<CachedRegion>>();
  readonly stats: StreamStoreStats;

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
    this.regions = new BlockCache(this.opts.blockCacheBytesMax);
    this.stats = {
      streams: 0, pendingUploadBytes: 0, tailCacheBytes: 0, uploads: 0, uploadFailures: 0, uploadedBytes: 0,
      uploadSecondsTotal: 0, lastUploadError: undefined, readsFromMemory: 0, readsFromObjects: 0, wholeObjectReads: 0, indexCache: this.index.stats, objectsDeleted: 0, compactions: 0, regionsCompacted: 0, fencedCommits: 0, blockCache: this.regions.stats,
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
    const [last] = await this.opts.metadata.range(indexPrefix(id), { reverse: true, limit: 1 });
    const end = Math.max(start, last === undefined ? 0 : (last.value as unknown as IndexValue).e);
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
    const deadline = Date.now() + waitMs;
    const pending = (): boolean => { const s = this.streams.get(id); return s !== undefined && this.pendingOf(s) > 0; };
    while (pending() && Date.now() < deadline && !this.closed) {
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
    this.index.invalidate(s.id);
    let dropped = 0;
    for (const c of s.mem) {
      if (!c.uploaded) {
        this.pendingBytes -= c.data.length;
        dropped += c.data.length;
      }
      this.tailBytes -= c.data.length;
      c.settle?.reject(reason);
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
        const live = index.filter((e) => current(e.streamId));
        const ops: MetadataOp[] = live.map((e) => ({
          op: 'put', key: indexKey(e.streamId, e.baseOffset), value: { o: key, p: e.position, l: e.length, e: e.endOffset, t: now },
        }));
        for (const id of new Set(live.map((e) => e.streamId))) ops.push(...this.fenceOps(id));
        ops.push(live.length > 0
          ? { op: 'put', key: objectRefsKey(key), value: { n: live.length } }
          : { op: 'put', key: gcKey(key), value: { at: now } });
        if (await this.opts.metadata.commit(ops)) break;
        const fenced = await this.dropFenced(new Set(live.map((e) => e.streamId)));
        if (fenced.length === 0 || attempt >= 8) throw new Error('index commit refused');
      }
      this.stats.uploads++;
      this.stats.uploadedBytes += sizeBytes;
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
  async read(id: number, fromOffset: number, maxBytes: number, untilOffset?: number): Promise<Buffer[]> {
    return (await this.readChunks(id, fromOffset, maxBytes, untilOffset)).map((c) => c.data);
  }

  /** As `read`, with each chunk's offset range. */
  async readChunks(id: number, fromOffset: number, maxBytes: number, untilOffset?: number): Promise<Chunk[]> {
    const s = this.stream(id);
    return this.readRange(id, Math.max(fromOffset, s.startOffset), Math.min(untilOffset ?? s.endOffset, s.endOffset), maxBytes, s.mem);
  }

  /**
   * As `readChunks`, from object storage alone, for a stream this broker
   * does not own (a KIP-392 read replica): what its owner has uploaded and
   * indexed, up to `untilOffset`.
   */
  readUploaded(id: number, fromOffset: number, maxBytes: number, untilOffset: number, known?: RegionLookup): Promise<Chunk[]> {
    return this.readRange(id, fromOffset, untilOffset, maxBytes, undefined, known);
  }

  /**
   * Index entries of a stream with a base offset past `afterBase` (all
   * when undefined), oldest first, at most `limit`: for a reader that
   * follows a stream it does not own and keeps the recent entries itself.
   */
  async indexEntriesAfter(id: number, afterBase: number | undefined, limit: number): Promise<{ base: number; value: IndexValue }[]> {
    const entries = afterBase === undefined
      ? await this.opts.metadata.range(indexPrefix(id), { reverse: true, limit: 1 })
      : await this.opts.metadata.range(indexPrefix(id), { start: indexKey(id, afterBase + 1), limit });
    return entries.map((e) => ({ base: Number(e.key.slice(-16)), value: e.value as unknown as IndexValue }));
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
    if (region !== undefined) await this.loadRegion(region.value, { wholeObject: known !== undefined });
  }

  /** The region holding `offset` (or the next one): from the reader's own entries when it has them, else the index. */
  private locate(id: number, offset: number, known: RegionLookup | undefined): Promise<{ value: IndexValue } | undefined> {
    const hit = known?.(offset);
    return hit !== undefined ? Promise.resolve({ value: hit }) : this.findRegion(id, offset);
  }

  private async readRange(id: number, from: number, until: number, maxBytes: number, mem: FifoQueue<MemChunk> | undefined, known?: RegionLookup): Promise<Chunk[]> {
    const find = (offset: number): Promise<{ value: IndexValue } | undefined> => this.locate(id, offset, known);
    const out: Chunk[] = [];
    let bytes = 0;
    let cur = from;
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
      const region = await find(cur);
      if (region === undefined) break;
      this.stats.readsFromObjects++;
      const cached = await this.loadRegion(region.value, { wholeObject: known !== undefined });
      for (const c of cached.chunks) {
        if (c.endOffset <= cur) continue;
        if (c.baseOffset >= until || (out.length > 0 && bytes >= maxBytes)) break;
        out.push(c);
        bytes += c.data.length;
        cur = c.endOffset;
      }
      if (cur < region.value.e && cur < until) break; // stopped inside the region because of maxBytes
      // Read-ahead: a sequential reader will want the next region next.
      void find(region.value.e).then((next) => (next !== undefined ? this.loadRegion(next.value, { wholeObject: known !== undefined }) : undefined)).catch(() => undefined);
    }
    return out;
  }

  /**
   * The most recent chunks of a stream, about `bytesMax` of them (whole
   * object regions), oldest first. Used to rebuild state that only recent
   * data matters for, such as idempotent-producer sequences after a restart.
   */
  async readTail(id: number, bytesMax: number): Promise<Buffer[]> {
    const s = this.stream(id);
    let start = s.mem.at(0)?.baseOffset ?? s.endOffset;
    let bytes = 0;
    for (const c of s.mem) bytes += c.data.length;
    if (bytes < bytesMax) {
      for (const e of await this.opts.metadata.range(indexPrefix(id), { reverse: true, limit: 256 })) {
        const v = e.value as unknown as IndexValue;
        const base = Number(e.key.slice(-16));
        if (base >= start) continue;
        start = Math.max(base, s.startOffset);
        bytes += v.l;
        if (bytes >= bytesMax) break;
      }
    }
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

  private async findRegion(id: number, offset: number): Promise<{ value: IndexValue } | undefined> {
    // Streams owned here: the index cache, filled a page at a time from the region holding `offset`.
    const owned = this.openEpoch(id) !== undefined;
    if (owned) {
      const hit = this.index.lookup(id, offset);
      if (hit !== undefined) return { value: hit };
    }
    const generation = this.index.generation(id);
    const [floor] = await this.opts.metadata.range(indexPrefix(id), { start: indexKey(id, offset), reverse: true, limit: 1 });
    const from = floor !== undefined && (floor.value as unknown as IndexValue).e > offset ? floor.key : indexKey(id, offset);
    const page = await this.opts.metadata.range(indexPrefix(id), { start: from, limit: owned ? INDEX_CACHE_PAGE : 1 });
    if (owned && this.openEpoch(id) !== undefined) {
      this.index.add(id, page.map((e) => ({ base: Number(e.key.slice(-16)), value: e.value as unknown as IndexValue })), generation);
    }
    return page[0] === undefined ? undefined : { value: page[0].value as unknown as IndexValue };
  }

  /**
   * A region from the block cache, or read from its object. `cache: false` is
   * for compaction: the regions it reads are about to be replaced, so caching
   * them would only evict what consumers are reading (and grow memory).
   */
  private loadRegion(v: IndexValue, { cache = true, wholeObject = false }: { cache?: boolean; wholeObject?: boolean } = {}): Promise<CachedRegion> {
    const key = `${v.o}@${v.p}`;
    const hit = this.regions.get(key);
    if (hit !== undefined) return Promise.resolve(hit);
    const inFlight = this.regionLoads.get(key) ?? this.regionLoads.get(`${v.o}@*`);
    if (inFlight !== undefined) return inFlight.then((r) => this.regions.get(key) ?? r);
    if (wholeObject) return this.loadObject(v);
    const read = this.opts.objectStore.get(v.o, { start: v.p, end: v.p + v.l });
    if (!cache) return read.then((buf) => ({ chunks: parseRegion(buf), byteLength: buf.length }));
    const load = read.then((buf) => {
      const region: CachedRegion = { chunks: parseRegion(owned(buf)), byteLength: buf.length };
      this.regions.set(key, region);
      return region;
    }).finally(() => this.regionLoads.delete(key));
    this.regionLoads.set(key, load);
    return load;
  }

  /**
   * Reads a whole object once and caches every region in it: for a broker
   * reading other brokers' recent uploads (read replicas), whose consumers
   * want the object's other partitions next, one GET instead of one per
   * partition. An object without a readable footer falls back to a range read.
   */
  private loadObject(v: IndexValue): Promise<CachedRegion> {
    const objectLoad = `${v.o}@*`;
    const load = this.opts.objectStore.get(v.o).then((buf) => {
      const obj = owned(buf);
      let mine: CachedRegion | undefined;
      for (const e of readStreamSetFooter(obj)) {
        const region: CachedRegion = { chunks: parseRegion(obj.subarray(e.position, e.position + e.length)), byteLength: e.length };
        this.regions.set(`${v.o}@${e.position}`, region);
        if (e.position === v.p) mine = region;
      }
      this.stats.wholeObjectReads++;
      return mine;
    }).finally(() => this.regionLoads.delete(objectLoad));
    const region = load.then((r) => r ?? this.loadRegion(v), () => this.loadRegion(v));
    this.regionLoads.set(objectLoad, region);
    return region;
  }

  /** Moves the log start offset forward; index entries wholly below it are removed. */
  async trim(id: number, newStartOffset: number): Promise<void> {
    const s = this.stream(id);
    if (newStartOffset <= s.startOffset) return;
    const start = Math.min(newStartOffset, s.endOffset);
    const dropped: { key: string; value: IndexValue }[] = [];
    for (const e of await this.opts.metadata.range(indexPrefix(id))) {
      const v = e.value as unknown as IndexValue;
      if (v.e <= start) dropped.push({ key: e.key, value: v });
      else break;
    }
    await this.commitWithRefs([{ op: 'put', key: streamKey(id), value: { start } }, ...this.fenceOps(id)], dropped);
    s.startOffset = start;
    while (s.mem.length > 0 && s.mem.at(0)!.uploaded && s.mem.at(0)!.endOffset <= start) {
      this.tailBytes -= s.mem.shift()!.data.length;
    }
  }

  /**
   * Commits `ops` together with the removal of index regions, decrementing
   * each object's region count; an object left with none is scheduled for
   * deletion after the grace period (see collectGarbage).
   */
  private async commitWithRefs(ops: MetadataOp[], dropped: readonly DroppedRegion[]): Promise<void> {
    if (!(await this.tryCommitWithRefs(ops, dropped))) throw new Error('index change refused ten times: concurrent writers on the same objects');
  }

  /** As commitWithRefs; false when a dropped region's version check fails (it changed meanwhile). */
  private async tryCommitWithRefs(ops: MetadataOp[], dropped: readonly DroppedRegion[]): Promise<boolean> {
    // Index pages of these streams are dropped before and after: a page loaded across the commit is not kept.
    const changed = new Set(dropped.map((d) => Number(d.key.slice(2, 14))));
    for (const id of changed) this.index.invalidate(id);
    try {
      return await this.commitRefsOnce(ops, dropped);
    } finally {
      for (const id of changed) this.index.invalidate(id);
    }
  }

  private async commitRefsOnce(ops: MetadataOp[], dropped: readonly DroppedRegion[]): Promise<boolean> {
    for (let attempt = 0; attempt < 10; attempt++) {
      // A region replaced in place (compaction keeps the first region's key) is overwritten, not deleted.
      const replaced = new Map(dropped.filter((d) => ops.some((o) => o.op === 'put' && o.key === d.key)).map((d) => [d.key, d]));
      const all: MetadataOp[] = [
        ...ops.map((o) => {
          const d = replaced.get(o.key);
          return d?.version !== undefined ? { ...o, expectVersion: d.version } : o;
        }),
        ...dropped.filter((d) => !replaced.has(d.key)).map((d) => ({ op: 'delete' as const, key: d.key, ...(d.version !== undefined ? { expectVersion: d.version } : {}) })),
      ];
      if (dropped.some((d) => d.version !== undefined)) {
        // The regions themselves must be unchanged; only object counts may race and be retried.
        for (const d of dropped) {
          const cur = await this.opts.metadata.get(d.key);
          if (cur === undefined || (d.version !== undefined && cur.version !== d.version)) return false;
        }
      }
      const perObject = new Map<string, number>();
      for (const d of dropped) perObject.set(d.value.o, (perObject.get(d.value.o) ?? 0) + 1);
      const now = Date.now();
      for (const [objectKey, n] of perObject) {
        const cur = await this.opts.metadata.get(objectRefsKey(objectKey));
        const left = ((cur?.value as unknown as ObjectRefs | undefined)?.n ?? n) - n;
        if (left > 0) {
          all.push({ op: 'put', key: objectRefsKey(objectKey), value: { n: left }, expectVersion: cur?.version ?? 0 });
        } else {
          all.push({ op: 'delete', key: objectRefsKey(objectKey), expectVersion: cur?.version ?? 0 });
          all.push({ op: 'put', key: gcKey(objectKey), value: { at: now } });
        }
      }
      if (await this.opts.metadata.commit(all)) return true;
    }
    return false;
  }

  /**
   * Compaction: merges a stream's oldest run of small regions (each under
   * `regionBytesMin`, together at most `targetBytes`, all older than
   * `minAgeMs`) into one region of a new single-stream object, and swaps the
   * index entries in one compare-and-set commit. Replaced objects are deleted
   * by collectGarbage after the grace period, so in-flight readers are not
   * broken. Returns how many regions were merged (0: nothing to do, or a
   * concurrent trim won and the new object was left to GC).
   */
  async compact(id: number, opts: CompactionOptions = {}, now = Date.now()): Promise<number> {
    const regionBytesMin = opts.regionBytesMin ?? COMPACTION_REGION_BYTES_MIN_DEFAULT;
    const targetBytes = opts.targetBytes ?? COMPACTION_TARGET_BYTES_DEFAULT;
    const minAgeMs = opts.minAgeMs ?? COMPACTION_MIN_AGE_MS_DEFAULT;
    if (!this.streams.has(id)) return 0;
    const run: { key: string; value: IndexValue; version: number }[] = [];
    let bytes = 0;
    for (const e of await this.opts.metadata.range(indexPrefix(id))) {
      const v = e.value as unknown as IndexValue;
      const small = v.l < regionBytesMin && (v.t === undefined || now - v.t >= minAgeMs);
      if (!small || bytes + v.l > targetBytes) {
        if (run.length >= 2) break;
        run.length = 0;
        bytes = 0;
        if (!small) continue;
      }
      run.push({ key: e.key, value: v, version: e.version });
      bytes += v.l;
    }
    if (run.length < 2) return 0;
    const chunks: Chunk[] = [];
    for (const r of run) chunks.push(...(await this.loadRegion(r.value, { cache: false })).chunks);
    if ((await this.replaceRegions(id, run, chunks)) === undefined) return 0;
    this.stats.compactions++;
    this.stats.regionsCompacted += run.length;
    return run.length;
  }

  /**
   * Writes `chunks` as one region of a new object and swaps it in for the
   * `run` of regions in one fenced compare-and-set commit; undefined when the
   * commit lost (the run changed, or the stream was taken over): the new
   * object is left to GC.
   */
  private async replaceRegions(id: number, run: readonly { key: string; value: IndexValue; version: number }[], chunks: Chunk[]): Promise<{ endOffset: number; sizeBytes: number } | undefined> {
    const key = newObjectKey();
    const { body, index, sizeBytes } = buildStreamSetObject(new Map([[id, chunks]]));
    await this.opts.objectStore.put(key, body);
    const merged = index[0]!;
    const ok = await this.tryCommitWithRefs([
      { op: 'put', key: indexKey(id, merged.baseOffset), value: { o: key, p: merged.position, l: merged.length, e: merged.endOffset, t: Math.max(...run.map((r) => r.value.t ?? 0)) } },
      { op: 'put', key: objectRefsKey(key), value: { n: 1 } },
      ...this.fenceOps(id),
    ], run);
    if (!ok) {
      await this.opts.metadata.commit([{ op: 'put', key: gcKey(key), value: { at: Date.now() } }]);
      return undefined;
    }
    return { endOffset: merged.endOffset, sizeBytes };
  }

  /** The stream's uploaded regions, oldest first: their offset ranges, sizes and upload times. */
  async uploadedRegions(id: number): Promise<{ baseOffset: number; endOffset: number; bytes: number; uploadedAt: number | undefined }[]> {
    return (await this.opts.metadata.range(indexPrefix(id))).map((e) => {
      const v = e.value as unknown as IndexValue;
      return { baseOffset: Number(e.key.slice(e.key.lastIndexOf('/') + 1)), endOffset: v.e, bytes: v.l, uploadedAt: v.t };
    });
  }

  /**
   * Rewrites the uploaded regions lying wholly in [fromOffset, untilOffset)
   * through `transform` (each chunk keeps its offset range; its data may
   * lose batches, as a cleaned log does), a run of regions of about
   * `targetBytes` into one region of a new object at a time, each run
   * swapped in one fenced compare-and-set commit (a deposed leader, or a
   * trim or compaction that changed a region meanwhile, makes it fail: the
   * new object goes to GC and the rewrite stops). Returns the offset up to
   * which the log was rewritten, and bytes in and out.
   */
  async rewriteRegions(id: number, fromOffset: number, untilOffset: number, transform: (c: Chunk) => Chunk, targetBytes: number): Promise<{ rewrittenTo: number; bytesIn: number; bytesOut: number }> {
    const result = { rewrittenTo: fromOffset, bytesIn: 0, bytesOut: 0 };
    const entries = (await this.opts.metadata.range(indexPrefix(id)))
      .map((e) => ({ key: e.key, value: e.value as unknown as IndexValue, version: e.version, base: Number(e.key.slice(e.key.lastIndexOf('/') + 1)) }))
      .filter((e) => e.base >= fromOffset && e.value.e <= untilOffset);
    let i = 0;
    while (i < entries.length) {
      if (!this.streams.has(id)) return result;
      const run: typeof entries = [];
      let bytes = 0;
      while (i < entries.length && (run.length === 0 || bytes + entries[i]!.value.l <= targetBytes)) {
        run.push(entries[i]!);
        bytes += entries[i]!.value.l;
        i++;
      }
      const chunks: Chunk[] = [];
      for (const r of run) for (const c of (await this.loadRegion(r.value, { cache: false })).chunks) chunks.push(transform(c));
      const merged = await this.replaceRegions(id, run, chunks);
      if (merged === undefined) return result;
      const sizeBytes = merged.sizeBytes;
      result.rewrittenTo = merged.endOffset;
      // The tail cache still holds the old chunks of the range: readers must get the rewritten ones.
      const st = this.streams.get(id);
      while (st !== undefined && st.mem.length > 0 && st.mem.at(0)!.uploaded && st.mem.at(0)!.endOffset <= merged.endOffset) {
        this.tailBytes -= st.mem.shift()!.data.length;
      }
      this.stats.tailCacheBytes = this.tailBytes;
      result.bytesIn += bytes;
      result.bytesOut += sizeBytes;
    }
    return result;
  }

  /**
   * Retention by time and by bytes: deletes whole uploaded regions from the
   * start of the stream (as Kafka deletes whole segments), never data that is
   * only in memory. Time goes by upload time, at most one upload interval
   * after the data was appended.
   */
  async applyRetention(id: number, policy: RetentionPolicy, now = Date.now()): Promise<number> {
    const s = this.stream(id);
    if (policy.retentionMs < 0 && policy.retentionBytes < 0) return s.startOffset;
    const regions = (await this.opts.metadata.range(indexPrefix(id))).map((e) => e.value as unknown as IndexValue);
    let total = regions.reduce((a, r) => a + r.l, 0);
    let newStart = s.startOffset;
    for (const r of regions) {
      const tooOld = policy.retentionMs >= 0 && r.t !== undefined && now - r.t > policy.retentionMs;
      const tooBig = policy.retentionBytes >= 0 && total > policy.retentionBytes;
      if (!tooOld && !tooBig) break;
      newStart = r.e;
      total -= r.l;
    }
    if (newStart > s.startOffset) await this.trim(id, newStart);
    return s.startOffset;
  }

  /** Deletes objects whose grace period has passed; returns how many. */
  async collectGarbage(graceMs = OBJECT_DELETE_GRACE_MS_DEFAULT, now = Date.now()): Promise<number> {
    let deleted = 0;
    for (const e of await this.opts.metadata.range('gc/')) {
      const at = (e.value as { at: number }).at;
      if (now - at < graceMs) continue;
      const objectKey = e.key.slice(3);
      for (const k of this.regionCacheKeys(objectKey)) this.regions.delete(k);
      await this.opts.objectStore.delete(objectKey);
      await this.opts.metadata.commit([{ op: 'delete', key: e.key, expectVersion: e.version }]);
      deleted++;
    }
    this.stats.objectsDeleted += deleted;
    return deleted;
  }

  private regionCacheKeys(objectKey: string): string[] {
    return this.regions.keys().filter((k) => k.startsWith(`${objectKey}@`));
  }

  /**
   * Deletes a stream: its index regions and owner key go now (an owner still
   * uploading is fenced by that), its objects once nothing references them.
   * Any process may delete a stream, open here or not.
   */
  async deleteStream(id: number): Promise<void> {
    const s = this.streams.get(id);
    if (s !== undefined) this.forget(s, new StreamNotFoundError(id));
    const dropped = (await this.opts.metadata.range(indexPrefix(id))).map((e) => ({ key: e.key, value: e.value as unknown as IndexValue }));
    await this.commitWithRefs([{ op: 'delete', key: streamKey(id) }, { op: 'delete', key: streamOwnerKey(id) }], dropped);
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
  get walStats(): GroupCommitWal['stats'] | undefined {
    return this.wal?.stats;
  }
}
