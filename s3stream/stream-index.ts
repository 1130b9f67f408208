// Owns the object index of streams in the metadata store: finding the region
// that holds an offset (through the bounded page cache for streams owned
// here), listing a stream's regions, committing index changes together with
// the reference counts of the objects they drop (an object left with none is
// scheduled for deletion), and listing objects due for deletion. Must not
// read objects or decide who owns a stream: callers pass the fence checks.

import type { MetadataOp, MetadataStore } from './metadata/metadata-store.ts';
import { ObjectIndexCache } from './object-index-cache.ts';
import {
  GC_PREFIX, baseOfIndexKey, gcKey, indexKey, indexPrefix, objectKeyOfGcKey, objectRefsKey, streamIdOfIndexKey,
  type IndexValue, type ObjectRefs,
} from './stream-keys.ts';

/** How many index entries a lookup of an owned stream loads into the cache at once. */
const INDEX_CACHE_PAGE = 128;
/** Attempts of a commit whose object counts race with another writer. */
const COMMIT_ATTEMPTS = 10;

export interface IndexEntry {
  key: string;
  base: number;
  value: IndexValue;
  version: number;
}

export interface DroppedRegion {
  key: string;
  value: IndexValue;
  /**
   * The version the region was read at: the commit fails if it changed or went meanwhile. Without
   * it, two rewrites of one region (a trim and a compaction) each released its object, which was
   * then deleted while other streams' regions still pointed into it.
   */
  version: number;
}

const entryOf = (e: { key: string; value: unknown; version: number }): IndexEntry => ({ key: e.key, base: baseOfIndexKey(e.key), value: e.value as IndexValue, version: e.version });

export class StreamIndex {
  private readonly metadata: MetadataStore;
  /** Index pages of the streams owned here (bounded; see ObjectIndexCache). */
  readonly cache = new ObjectIndexCache();

  constructor(metadata: MetadataStore) {
    this.metadata = metadata;
  }

  /**
   * The region holding `offset`, or the next one. For a stream owned here
   * (`owned()` asked before and after the query) from the page cache, filled
   * a page at a time from that region on.
   */
  async find(id: number, offset: number, owned: () => boolean): Promise<IndexValue | undefined> {
    const isOwned = owned();
    if (isOwned) {
      const hit = this.cache.lookup(id, offset);
      if (hit !== undefined) return hit;
    }
    const generation = this.cache.generation(id);
    const [floor] = await this.metadata.range(indexPrefix(id), { start: indexKey(id, offset), reverse: true, limit: 1 });
    const from = floor !== undefined && (floor.value as unknown as IndexValue).e > offset ? floor.key : indexKey(id, offset);
    const page = (await this.metadata.range(indexPrefix(id), { start: from, limit: isOwned ? INDEX_CACHE_PAGE : 1 })).map(entryOf);
    if (isOwned && owned()) this.cache.add(id, page.map((e) => ({ base: e.base, value: e.value })), generation);
    return page[0]?.value;
  }

  /** Every region of a stream, oldest first. */
  async entries(id: number): Promise<IndexEntry[]> {
    return (await this.metadata.range(indexPrefix(id))).map(entryOf);
  }

  /** The newest regions of a stream, newest first, at most `limit`. */
  async newest(id: number, limit: number): Promise<IndexEntry[]> {
    return (await this.metadata.range(indexPrefix(id), { reverse: true, limit })).map(entryOf);
  }

  /** Regions with a base offset past `afterBase`, oldest first, at most `limit`. */
  async after(id: number, afterBase: number, limit: number): Promise<IndexEntry[]> {
    return (await this.metadata.range(indexPrefix(id), { start: indexKey(id, afterBase + 1), limit })).map(entryOf);
  }

  /** The index entries of a newly uploaded object, and its reference count (or its deletion, when every stream in it was dropped). */
  uploadOps(objectKey: string, regions: readonly { streamId: number; baseOffset: number; position: number; length: number; endOffset: number; stableOffset?: number; abortedUpTo?: number }[], now: number): MetadataOp[] {
    const ops: MetadataOp[] = regions.map((e) => ({
      op: 'put', key: indexKey(e.streamId, e.baseOffset),
      value: {
        o: objectKey, p: e.position, l: e.length, e: e.endOffset, t: now,
        ...(e.stableOffset !== undefined ? { s: e.stableOffset } : {}), ...(e.abortedUpTo !== undefined ? { a: e.abortedUpTo } : {}),
      },
    }));
    ops.push(regions.length > 0
      ? { op: 'put', key: objectRefsKey(objectKey), value: { n: regions.length } }
      : { op: 'put', key: gcKey(objectKey), value: { at: now } });
    return ops;
  }

  /** Schedules an object nothing references (a rewrite that lost its commit) for deletion. */
  async abandon(objectKey: string): Promise<void> {
    await this.metadata.commit([{ op: 'put', key: gcKey(objectKey), value: { at: Date.now() } }]);
  }

  /**
   * Commits `ops` together with the removal of index regions, decrementing
   * each object's region count; an object left with none is scheduled for
   * deletion after the grace period.
   */
  async commitWithRefs(ops: MetadataOp[], dropped: readonly DroppedRegion[]): Promise<void> {
    if (!(await this.tryCommitWithRefs(ops, dropped))) throw new Error(`index change refused ${COMMIT_ATTEMPTS} times: concurrent writers on the same objects`);
  }

  /** As commitWithRefs; false when a dropped region's version check fails (it changed meanwhile). */
  async tryCommitWithRefs(ops: MetadataOp[], dropped: readonly DroppedRegion[]): Promise<boolean> {
    // Index pages of these streams are dropped before and after: a page loaded across the commit is not kept.
    const changed = new Set(dropped.map((d) => streamIdOfIndexKey(d.key)));
    for (const id of changed) this.cache.invalidate(id);
    try {
      return await this.commitRefsOnce(ops, dropped);
    } finally {
      for (const id of changed) this.cache.invalidate(id);
    }
  }

  private async commitRefsOnce(ops: MetadataOp[], dropped: readonly DroppedRegion[]): Promise<boolean> {
    for (let attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
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
          const cur = await this.metadata.get(d.key);
          if (cur === undefined || (d.version !== undefined && cur.version !== d.version)) return false;
        }
      }
      const perObject = new Map<string, number>();
      for (const d of dropped) perObject.set(d.value.o, (perObject.get(d.value.o) ?? 0) + 1);
      const now = Date.now();
      for (const [objectKey, n] of perObject) {
        const cur = await this.metadata.get(objectRefsKey(objectKey));
        const left = ((cur?.value as unknown as ObjectRefs | undefined)?.n ?? n) - n;
        if (left > 0) {
          all.push({ op: 'put', key: objectRefsKey(objectKey), value: { n: left }, expectVersion: cur?.version ?? 0 });
        } else {
          all.push({ op: 'delete', key: objectRefsKey(objectKey), expectVersion: cur?.version ?? 0 });
          all.push({ op: 'put', key: gcKey(objectKey), value: { at: now } });
        }
      }
      if (await this.metadata.commit(all)) return true;
    }
    return false;
  }

  /** Objects scheduled for deletion at least `graceMs` ago. */
  async dueForDeletion(graceMs: number, now: number): Promise<{ objectKey: string; key: string; version: number }[]> {
    return (await this.metadata.range(GC_PREFIX))
      .filter((e) => now - (e.value as { at: number }).at >= graceMs)
      .map((e) => ({ objectKey: objectKeyOfGcKey(e.key), key: e.key, version: e.version }));
  }

  /** Forgets a deleted object's deletion record. */
  async deleted(entry: { key: string; version: number }): Promise<void> {
    await this.metadata.commit([{ op: 'delete', key: entry.key, expectVersion: entry.version }]);
  }
}
