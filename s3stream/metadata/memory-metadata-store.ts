// Owns an in-memory MetadataStore for unit tests: the same contract as the
// LMDB and PostgreSQL stores (versions, compare-and-set, watches), nothing
// persisted. Values are deep-copied on the way in and out, as a real store
// serialises them, so callers cannot share mutable state through it.

import { WatchList, type MetadataOp, type MetadataStore, type MetadataValue, type RangeOptions, type VersionedEntry } from './metadata-store.ts';

const copy = (v: MetadataValue): MetadataValue => structuredClone(v);

export class MemoryMetadataStore implements MetadataStore {
  private readonly entries = new Map<string, { value: MetadataValue; version: number }>();
  private readonly watchers = new WatchList();

  async get(key: string): Promise<VersionedEntry | undefined> {
    const e = this.entries.get(key);
    return e === undefined ? undefined : { key, value: copy(e.value), version: e.version };
  }

  async range(prefix: string, opts: RangeOptions = {}): Promise<VersionedEntry[]> {
    const reverse = opts.reverse ?? false;
    let keys = [...this.entries.keys()].filter((k) => k.startsWith(prefix)).sort();
    if (reverse) keys.reverse();
    if (opts.start !== undefined) keys = keys.filter((k) => (reverse ? k <= opts.start! : k >= opts.start!));
    if (opts.limit !== undefined) keys = keys.slice(0, opts.limit);
    return keys.map((key) => ({ key, value: copy(this.entries.get(key)!.value), version: this.entries.get(key)!.version }));
  }

  async commit(ops: readonly MetadataOp[]): Promise<boolean> {
    for (const o of ops) {
      if (o.expectVersion !== undefined && (this.entries.get(o.key)?.version ?? 0) !== o.expectVersion) return false;
    }
    for (const o of ops) {
      if (o.op === 'put') this.entries.set(o.key, { value: copy(o.value), version: (this.entries.get(o.key)?.version ?? 0) + 1 });
      else if (o.op === 'delete') this.entries.delete(o.key);
    }
    this.watchers.changed(ops.map((o) => o.key));
    return true;
  }

  watch(prefix: string, fn: () => void): () => void {
    return this.watchers.add(prefix, fn);
  }

  async close(): Promise<void> {}
}
