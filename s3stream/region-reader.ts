// Owns reading object regions: a byte-bounded block cache, one GET per
// region however many readers want it at once, whole-object reads for read
// replicas, read-ahead, and a bound on GETs in flight (readers beyond it
// wait their turn; read-ahead beyond it is skipped). Must not know about
// streams, the index or ownership: it is given where a region is.

import type { StreamUsage } from './stream-usage.ts';
import type { ObjectStore } from './object-store/object-store.ts';
import { parseRegion, readStreamSetFooter, type Chunk } from './stream-set-object.ts';
import { BlockCache } from './block-cache.ts';
import { owned } from './owned-buffer.ts';
import type { IndexValue } from './stream-keys.ts';

export interface CachedRegion {
  chunks: Chunk[];
  byteLength: number;
}

export const REGION_GETS_IN_FLIGHT_MAX_DEFAULT = 64;

export interface RegionReaderStats {
  /** GETs sent and not answered yet (at most the bound). */
  getsInFlight: number;
  /** Reads waiting for a GET slot. */
  getsWaiting: number;
  /** Read-aheads not sent because every GET slot was taken. */
  readAheadsSkipped: number;
  /** Objects read whole for read replicas (one GET for every partition in them). */
  wholeObjectReads: number;
}

export class RegionReader {
  private readonly objectStore: ObjectStore;
  readonly cache: BlockCache<CachedRegion>;
  private readonly loads = new Map<string, Promise<CachedRegion>>();
  private readonly getsMax: number;
  private readonly waiting: (() => void)[] = [];
  readonly stats: RegionReaderStats = { getsInFlight: 0, getsWaiting: 0, readAheadsSkipped: 0, wholeObjectReads: 0 };

  private readonly usage: StreamUsage | undefined;

  constructor(objectStore: ObjectStore, cacheBytesMax: number, getsInFlightMax = REGION_GETS_IN_FLIGHT_MAX_DEFAULT, usage?: StreamUsage) {
    this.objectStore = objectStore;
    this.usage = usage;
    this.cache = new BlockCache(cacheBytesMax);
    this.getsMax = getsInFlightMax;
  }

  /**
   * A region from the block cache, or read from its object. `cache: false` is
   * for rewrites (compaction, cleaning): the regions they read are about to be
   * replaced, so caching them would only evict what consumers are reading.
   * `wholeObject` reads the region's whole object and caches every region in it.
   */
  load(v: IndexValue, { cache = true, wholeObject = false, streamId }: { cache?: boolean; wholeObject?: boolean; streamId?: number } = {}): Promise<CachedRegion> {
    const key = `${v.o}@${v.p}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return Promise.resolve(hit);
    const inFlight = this.loads.get(key) ?? this.loads.get(`${v.o}@*`);
    if (inFlight !== undefined) return inFlight.then((r) => this.cache.get(key) ?? r);
    if (wholeObject) return this.loadObject(v, streamId);
    const read = this.get(v.o, { start: v.p, end: v.p + v.l }, streamId);
    if (!cache) return read.then((buf) => ({ chunks: parseRegion(buf), byteLength: buf.length }));
    const load = read.then((buf) => {
      const region: CachedRegion = { chunks: parseRegion(owned(buf)), byteLength: buf.length };
      this.cache.set(key, region);
      return region;
    }).finally(() => this.loads.delete(key));
    this.loads.set(key, load);
    return load;
  }

  /** Loads a region a sequential reader will want next, unless it is cached, loading, or every GET slot is taken. */
  readAhead(v: IndexValue, wholeObject: boolean, streamId?: number): void {
    if (this.cache.has(`${v.o}@${v.p}`) || this.loads.has(`${v.o}@${v.p}`)) return;
    if (this.stats.getsInFlight >= this.getsMax) {
      this.stats.readAheadsSkipped++;
      return;
    }
    void this.load(v, { wholeObject, ...(streamId !== undefined ? { streamId } : {}) }).catch(() => undefined);
  }

  /** Forgets the cached regions of an object (it is being deleted). */
  evictObject(objectKey: string): void {
    for (const k of this.cache.keys()) if (k.startsWith(`${objectKey}@`)) this.cache.delete(k);
  }

  /**
   * Reads a whole object once and caches every region in it: a broker reading
   * other brokers' recent uploads (read replicas) wants the object's other
   * partitions next. An object without a readable footer falls back to a range read.
   */
  private loadObject(v: IndexValue, streamId: number | undefined): Promise<CachedRegion> {
    const objectLoad = `${v.o}@*`;
    const load = this.get(v.o, undefined, streamId).then((buf) => {
      const obj = owned(buf);
      let mine: CachedRegion | undefined;
      for (const e of readStreamSetFooter(obj)) {
        const region: CachedRegion = { chunks: parseRegion(obj.subarray(e.position, e.position + e.length)), byteLength: e.length };
        this.cache.set(`${v.o}@${e.position}`, region);
        if (e.position === v.p) mine = region;
      }
      this.stats.wholeObjectReads++;
      return mine;
    }).finally(() => this.loads.delete(objectLoad));
    const alone = (): Promise<CachedRegion> => this.load(v, streamId !== undefined ? { streamId } : {});
    const region = load.then((r) => r ?? alone(), alone);
    this.loads.set(objectLoad, region);
    return region;
  }

  /** One GET, when a slot is free. */
  /** `streamId`: the stream the GET is for (its cost is counted there); none for rewrites. */
  private async get(key: string, range?: { start: number; end: number }, streamId?: number): Promise<Buffer> {
    if (this.stats.getsInFlight < this.getsMax) {
      this.stats.getsInFlight++;
    } else {
      this.stats.getsWaiting++;
      // The slot is handed over by the GET that frees it (the in-flight count does not change).
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      const buf = await this.objectStore.get(key, range);
      if (streamId !== undefined) this.usage?.read(streamId, buf.length);
      return buf;
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) {
        this.stats.getsWaiting--;
        next();
      } else {
        this.stats.getsInFlight--;
      }
    }
  }
}
