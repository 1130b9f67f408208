// Owns the MetadataStore contract: an asynchronous key-value store with
// per-key versions, atomic multi-key commits guarded by compare-and-set, and
// coarse change notifications — the shape LMDB (one broker), PostgreSQL (a
// fleet) and memory (unit tests) all provide. Callers must never assume a
// write is visible before its commit promise resolves, nor that a watch
// callback names what changed: it says "look again".

export type MetadataValue = null | boolean | number | string | MetadataValue[] | { [k: string]: MetadataValue };

export interface VersionedEntry {
  key: string;
  value: MetadataValue;
  /** Increases on every write of the key; 0 never appears for a present key. */
  version: number;
}

/** `expectVersion`: a number = the key's current version, 0 = the key must be absent. */
export type MetadataOp =
  | { op: 'put'; key: string; value: MetadataValue; expectVersion?: number }
  | { op: 'delete'; key: string; expectVersion?: number }
  /** Writes nothing; the commit fails unless the key is at this version (fencing by epoch keys). */
  | { op: 'check'; key: string; expectVersion: number };

export interface RangeOptions {
  /** Only keys >= start (or <= start when reverse). */
  start?: string;
  limit?: number;
  reverse?: boolean;
}

export interface MetadataStore {
  get(key: string): Promise<VersionedEntry | undefined>;
  /** Entries whose key starts with `prefix`, in key order. */
  range(prefix: string, opts?: RangeOptions): Promise<VersionedEntry[]>;
  /** Applies every op atomically; false (and nothing applied) if any version check fails. */
  commit(ops: readonly MetadataOp[]): Promise<boolean>;
  /**
   * Calls `fn` (soon, at least once) after any committed change to a key
   * under `prefix`, by this process or another. Coarse: several changes may
   * give one call, and a call may come with no change. Returns the canceller.
   */
  watch(prefix: string, fn: () => void): () => void;
  close(): Promise<void>;
}

/** In-process watchers by prefix; stores call `changed` with the keys of each commit. */
export class WatchList {
  private readonly watchers = new Set<{ prefix: string; fn: () => void }>();

  add(prefix: string, fn: () => void): () => void {
    const w = { prefix, fn };
    this.watchers.add(w);
    return () => { this.watchers.delete(w); };
  }

  /**
   * Calls the watchers of any of `keys` (or every watcher when `keys` is
   * undefined) on a later tick. A key may be a whole key or a leading segment
   * ("t/", as PostgreSQL notifications carry), so both directions match.
   */
  changed(keys: readonly string[] | undefined): void {
    for (const w of this.watchers) {
      // A watcher cancelled before its turn comes is not called.
      if (keys === undefined || keys.some((k) => k.startsWith(w.prefix) || w.prefix.startsWith(k))) setImmediate(() => { if (this.watchers.has(w)) w.fn(); });
    }
  }
}

/** Increments a counter key with compare-and-set and returns the new value. */
export async function nextCounter(store: MetadataStore, key: string): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const cur = await store.get(key);
    const next = (typeof cur?.value === 'number' ? cur.value : 0) + 1;
    if (await store.commit([{ op: 'put', key, value: next, expectVersion: cur?.version ?? 0 }])) return next;
  }
  throw new Error(`counter ${key}: too much contention`);
}
