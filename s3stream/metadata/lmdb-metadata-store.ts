// Owns the LMDB MetadataStore in the broker's data directory (the embedded,
// single-broker default). Each key holds { v: version, d: value }; commits
// run in one LMDB write transaction, so a failed version check applies none
// of the ops and a crash leaves either all or none of them.

import { open, type RootDatabase } from 'lmdb';
import { WatchList, type MetadataOp, type MetadataStore, type MetadataValue, type RangeOptions, type VersionedEntry } from './metadata-store.ts';

interface Stored {
  v: number;
  d: MetadataValue;
}

export class LmdbMetadataStore implements MetadataStore {
  private readonly db: RootDatabase<Stored, string>;
  /** One process owns an LMDB store, so every change is seen here. */
  private readonly watchers = new WatchList();

  constructor(path: string) {
    // Default sync behaviour: a resolved commit is on disk.
    this.db = open<Stored, string>({ path, compression: false });
  }

  async get(key: string): Promise<VersionedEntry | undefined> {
    const s = this.db.get(key);
    return s === undefined ? undefined : { key, value: s.d, version: s.v };
  }

  async range(prefix: string, opts: RangeOptions = {}): Promise<VersionedEntry[]> {
    const reverse = opts.reverse ?? false;
    // '\uffff' sorts after every key with this prefix.
    const lo = prefix;
    const hi = `${prefix}\uffff`;
    const start = opts.start ?? (reverse ? hi : lo);
    const end = reverse ? `${lo}` : hi;
    const out: VersionedEntry[] = [];
    for (const { key, value } of this.db.getRange({ start, end, reverse, ...(opts.limit !== undefined ? { limit: opts.limit } : {}) })) {
      if (!key.startsWith(prefix)) continue;
      out.push({ key, value: value.d, version: value.v });
    }
    return out;
  }

  async commit(ops: readonly MetadataOp[]): Promise<boolean> {
    const ok = await this.db.transaction(() => {
      for (const o of ops) {
        if (o.expectVersion === undefined) continue;
        const cur = this.db.get(o.key);
        if ((cur?.v ?? 0) !== o.expectVersion) return false;
      }
      for (const o of ops) {
        if (o.op === 'check') continue;
        if (o.op === 'put') {
          const cur = this.db.get(o.key);
          void this.db.put(o.key, { v: (cur?.v ?? 0) + 1, d: o.value });
        } else {
          void this.db.remove(o.key);
        }
      }
      return true;
    });
    if (ok) this.watchers.changed(ops.map((o) => o.key));
    return ok;
  }

  watch(prefix: string, fn: () => void): () => void {
    return this.watchers.add(prefix, fn);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
