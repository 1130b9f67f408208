// Owns the MetadataStore contract: an asynchronous key-value store with
// per-key versions and atomic multi-key commits guarded by compare-and-set,
// the shape both LMDB (one broker) and etcd (a fleet) can provide. Callers
// must never assume a write is visible before its commit promise resolves.

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
  | { op: 'delete'; key: string; expectVersion?: number };

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
  close(): Promise<void>;
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
