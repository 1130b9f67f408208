// Owns rewriting a stream's uploaded regions: compaction (a run of small
// regions merged into one region of a new object) and rewrites through a
// transform (a cleaned log: chunks keep their offset ranges, their data may
// lose batches). Each run is swapped into the index in one fenced
// compare-and-set commit; a commit that loses (the stream was taken over, or
// a trim changed a region meanwhile) leaves the new object to GC. Replaced
// objects are deleted after the grace period, so in-flight readers are not
// broken. Must not decide what to keep: the transform does.

import type { MetadataOp } from './metadata/metadata-store.ts';
import type { ObjectStore } from './object-store/object-store.ts';
import { buildStreamSetObject, type Chunk } from './stream-set-object.ts';
import type { RegionReader } from './region-reader.ts';
import type { IndexEntry, StreamIndex } from './stream-index.ts';
import { indexKey, newObjectKey, objectRefsKey } from './stream-keys.ts';

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
/**
 * Regions merged by one run at most: a run reads each, so a backlog of
 * thousands of tiny regions (uploads every few milliseconds under load, or
 * runs cut short by faults) is worked off in runs that each finish and commit
 * in seconds rather than one that never does.
 */
export const COMPACTION_REGIONS_PER_RUN_MAX = 256;
/** Regions a run loads from object storage at once. */
const COMPACTION_LOADS_IN_PARALLEL = 8;

/** What the rewriter needs of the stream store. */
export interface RewrittenStreams {
  /** Whether the stream is open here (a rewrite of a stream closed meanwhile stops). */
  isOpen(id: number): boolean;
  /** The check that the stream's owner key is unchanged, for every index commit. */
  fenceOps(id: number): MetadataOp[];
  /** Drops the tail cache's uploaded chunks that end at or before `endOffset`: they were rewritten. */
  dropCachedUpTo(id: number, endOffset: number): void;
}

export interface RegionRewriterStats {
  compactions: number;
  regionsCompacted: number;
}

export class RegionRewriter {
  private readonly objectStore: ObjectStore;
  private readonly index: StreamIndex;
  private readonly reader: RegionReader;
  private readonly streams: RewrittenStreams;
  readonly stats: RegionRewriterStats = { compactions: 0, regionsCompacted: 0 };

  constructor(objectStore: ObjectStore, index: StreamIndex, reader: RegionReader, streams: RewrittenStreams) {
    this.objectStore = objectStore;
    this.index = index;
    this.reader = reader;
    this.streams = streams;
  }

  /**
   * Merges a stream's oldest run of small regions (each under
   * `regionBytesMin`, together at most `targetBytes`, all older than
   * `minAgeMs`) into one. Returns how many regions were merged (0: nothing to
   * do, or the commit lost).
   */
  async compact(id: number, opts: CompactionOptions = {}, now = Date.now()): Promise<number> {
    const regionBytesMin = opts.regionBytesMin ?? COMPACTION_REGION_BYTES_MIN_DEFAULT;
    const targetBytes = opts.targetBytes ?? COMPACTION_TARGET_BYTES_DEFAULT;
    const minAgeMs = opts.minAgeMs ?? COMPACTION_MIN_AGE_MS_DEFAULT;
    if (!this.streams.isOpen(id)) return 0;
    const run: IndexEntry[] = [];
    let bytes = 0;
    for (const e of await this.index.entries(id)) {
      const v = e.value;
      const small = v.l < regionBytesMin && (v.t === undefined || now - v.t >= minAgeMs);
      if (!small || bytes + v.l > targetBytes) {
        if (run.length >= 2) break;
        run.length = 0;
        bytes = 0;
        if (!small) continue;
      }
      run.push(e);
      bytes += v.l;
      if (run.length >= COMPACTION_REGIONS_PER_RUN_MAX) break;
    }
    if (run.length < 2) return 0;
    const chunks: Chunk[] = [];
    for (let i = 0; i < run.length; i += COMPACTION_LOADS_IN_PARALLEL) {
      const loaded = await Promise.all(run.slice(i, i + COMPACTION_LOADS_IN_PARALLEL).map((r) => this.reader.load(r.value, { cache: false })));
      for (const l of loaded) chunks.push(...l.chunks);
    }
    if ((await this.replace(id, run, chunks)) === undefined) return 0;
    this.stats.compactions++;
    this.stats.regionsCompacted += run.length;
    return run.length;
  }

  /**
   * Rewrites the uploaded regions lying wholly in [fromOffset, untilOffset)
   * through `transform`, a run of about `targetBytes` at a time. Returns the
   * offset up to which the log was rewritten, and bytes in and out.
   */
  async rewrite(id: number, fromOffset: number, untilOffset: number, transform: (c: Chunk) => Chunk, targetBytes: number, paced?: (bytes: number) => Promise<void>): Promise<{ rewrittenTo: number; bytesIn: number; bytesOut: number }> {
    const result = { rewrittenTo: fromOffset, bytesIn: 0, bytesOut: 0 };
    const entries = (await this.index.entries(id)).filter((e) => e.base >= fromOffset && e.value.e <= untilOffset);
    let i = 0;
    while (i < entries.length) {
      if (!this.streams.isOpen(id)) return result;
      const run: IndexEntry[] = [];
      let bytes = 0;
      while (i < entries.length && (run.length === 0 || bytes + entries[i]!.value.l <= targetBytes)) {
        run.push(entries[i]!);
        bytes += entries[i]!.value.l;
        i++;
      }
      const chunks: Chunk[] = [];
      for (const r of run) for (const c of (await this.reader.load(r.value, { cache: false })).chunks) chunks.push(transform(c));
      // A caller's I/O bound (the log cleaner's): the run read, and what it writes.
      await paced?.(bytes + chunks.reduce((n, c) => n + c.data.length, 0));
      const merged = await this.replace(id, run, chunks);
      if (merged === undefined) return result;
      result.rewrittenTo = merged.endOffset;
      this.streams.dropCachedUpTo(id, merged.endOffset);
      result.bytesIn += bytes;
      result.bytesOut += merged.sizeBytes;
    }
    return result;
  }

  /** Writes `chunks` as one region of a new object and swaps it in for `run`; undefined when the commit lost. */
  private async replace(id: number, run: readonly IndexEntry[], chunks: Chunk[]): Promise<{ endOffset: number; sizeBytes: number } | undefined> {
    const key = newObjectKey();
    const { body, index, sizeBytes } = buildStreamSetObject(new Map([[id, chunks]]));
    await this.objectStore.put(key, body);
    const merged = index[0]!;
    // The run's newest stable offset stays (a read replica's last stable offset must not move back).
    const stable = run.map((r) => r.value.s).filter((s): s is number => s !== undefined);
    const aborted = run.map((r) => r.value.a).filter((a): a is number => a !== undefined);
    const ok = await this.index.tryCommitWithRefs([
      {
        op: 'put', key: indexKey(id, merged.baseOffset),
        value: { o: key, p: merged.position, l: merged.length, e: merged.endOffset, t: Math.max(...run.map((r) => r.value.t ?? 0)), ...(stable.length > 0 ? { s: Math.max(...stable) } : {}), ...(aborted.length > 0 ? { a: Math.max(...aborted) } : {}) },
      },
      { op: 'put', key: objectRefsKey(key), value: { n: 1 } },
      ...this.streams.fenceOps(id),
    ], run);
    if (!ok) {
      await this.index.abandon(key);
      return undefined;
    }
    return { endOffset: merged.endOffset, sizeBytes };
  }
}
