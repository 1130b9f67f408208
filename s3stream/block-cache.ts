// Owns a byte-bounded LRU cache of object regions read from object storage,
// with hit/miss counters. A Map's insertion order is the recency order.

export interface CacheStats {
  hits: number;
  misses: number;
  evictions: number;
  bytes: number;
  entries: number;
}

export class BlockCache<V extends { byteLength: number }> {
  private readonly map = new Map<string, V>();
  private readonly bytesMax: number;
  readonly stats: CacheStats = { hits: 0, misses: 0, evictions: 0, bytes: 0, entries: 0 };

  constructor(bytesMax: number) {
    this.bytesMax = bytesMax;
  }

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  keys(): string[] {
    return [...this.map.keys()];
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  set(key: string, v: V): void {
    if (v.byteLength > this.bytesMax) return;
    const old = this.map.get(key);
    if (old !== undefined) {
      this.stats.bytes -= old.byteLength;
      this.map.delete(key);
    }
    this.map.set(key, v);
    this.stats.bytes += v.byteLength;
    while (this.stats.bytes > this.bytesMax) {
      const [k, oldest] = this.map.entries().next().value as [string, V];
      this.map.delete(k);
      this.stats.bytes -= oldest.byteLength;
      this.stats.evictions++;
    }
    this.stats.entries = this.map.size;
  }

  delete(key: string): void {
    const v = this.map.get(key);
    if (v === undefined) return;
    this.map.delete(key);
    this.stats.bytes -= v.byteLength;
    this.stats.entries = this.map.size;
  }
}
