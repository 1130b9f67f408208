// Owns the object-index pages a broker keeps for the streams it owns, so a
// read from object storage finds its region without a metadata query (in
// a fleet, a PostgreSQL round trip per region). A page is a run of
// consecutive index entries as one range query returned them; it answers
// only for offsets inside what it covers, and anything else is a miss that
// the caller looks up in the metadata store. Only the owner may cache: it
// is the only writer of its streams' indexes, and it invalidates a stream
// around each of its own changes that drop or replace regions (trims,
// retention, compaction, cleaning, deletion). Appends need no invalidation:
// new regions lie past every page. A load that raced such a change is not
// kept (each stream has a generation, checked when the page is added).
//
// Bounded by entries across all streams; least recently used pages go first.

import type { IndexValue } from './stream-keys.ts';

export interface IndexEntry {
  base: number;
  value: IndexValue;
}

interface Page {
  streamId: number;
  entries: IndexEntry[];
}

export interface ObjectIndexCacheStats {
  entries: number;
  hits: number;
  misses: number;
}

export const OBJECT_INDEX_CACHE_ENTRIES_MAX_DEFAULT = 200_000;

export class ObjectIndexCache {
  private readonly maxEntries: number;
  /** Pages by stream. */
  private readonly byStream = new Map<number, Page[]>();
  /** Every page, least recently used first (a hit re-inserts). */
  private readonly lru = new Set<Page>();
  private readonly generations = new Map<number, number>();
  readonly stats: ObjectIndexCacheStats = { entries: 0, hits: 0, misses: 0 };

  constructor(maxEntries = OBJECT_INDEX_CACHE_ENTRIES_MAX_DEFAULT) {
    this.maxEntries = maxEntries;
  }

  /** The region holding `offset` or, in a gap, the next one; undefined on a miss. */
  lookup(streamId: number, offset: number): IndexValue | undefined {
    for (const page of this.byStream.get(streamId) ?? []) {
      const { entries } = page;
      if (offset < entries[0]!.base || offset >= entries[entries.length - 1]!.value.e) continue;
      let lo = 0;
      let hi = entries.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (entries[mid]!.value.e <= offset) lo = mid + 1;
        else hi = mid;
      }
      this.lru.delete(page);
      this.lru.add(page);
      this.stats.hits++;
      return entries[lo]!.value;
    }
    this.stats.misses++;
    return undefined;
  }

  /** What `add` must be given back: a page loaded under another generation is dropped. */
  generation(streamId: number): number {
    return this.generations.get(streamId) ?? 0;
  }

  /** Keeps consecutive entries read in one query, unless the stream's index changed since `generation`. */
  add(streamId: number, entries: IndexEntry[], generation: number): void {
    if (entries.length === 0 || generation !== this.generation(streamId) || entries.length > this.maxEntries) return;
    const page: Page = { streamId, entries };
    let pages = this.byStream.get(streamId);
    if (pages === undefined) {
      pages = [];
      this.byStream.set(streamId, pages);
    }
    pages.push(page);
    this.lru.add(page);
    this.stats.entries += entries.length;
    while (this.stats.entries > this.maxEntries) {
      const oldest = this.lru.values().next().value!;
      this.remove(oldest);
    }
  }

  /** Forgets a stream's pages; loads in flight are not kept either. */
  invalidate(streamId: number): void {
    this.generations.set(streamId, this.generation(streamId) + 1);
    for (const page of this.byStream.get(streamId) ?? []) this.remove(page);
  }

  private remove(page: Page): void {
    this.lru.delete(page);
    this.stats.entries -= page.entries.length;
    const pages = this.byStream.get(page.streamId);
    if (pages === undefined) return;
    const left = pages.filter((p) => p !== page);
    if (left.length === 0) this.byStream.delete(page.streamId);
    else this.byStream.set(page.streamId, left);
  }
}
