// Owns this broker's copy of the records under one metadata-store prefix
// (ACL bindings, client quotas): loaded at start, reloaded whenever any
// broker changes one (the store's watch), so a check on the request path
// reads memory and never waits on the database. Must not interpret the
// records.

import type { MetadataStore } from '../s3stream/metadata/metadata-store.ts';

export class WatchedRecords<T> {
  private readonly md: MetadataStore;
  private readonly prefix: string;
  private cached: T[] = [];
  private unwatch: (() => void) | undefined;

  constructor(md: MetadataStore, prefix: string) {
    this.md = md;
    this.prefix = prefix;
  }

  async start(): Promise<void> {
    await this.reload();
    this.unwatch = this.md.watch(this.prefix, () => { void this.reload().catch(() => undefined); });
  }

  stop(): void {
    this.unwatch?.();
  }

  /** Re-reads the records (after a write of this broker's, so its own change is seen at once). */
  async reload(): Promise<readonly T[]> {
    this.cached = (await this.md.range(this.prefix)).map((e) => e.value as unknown as T);
    return this.cached;
  }

  /** The copy: at most one watch round behind the store. */
  get all(): readonly T[] {
    return this.cached;
  }
}
