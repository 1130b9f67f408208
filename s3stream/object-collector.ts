// Owns deleting objects no index entry references any more, once their grace
// period (object.delete.grace.ms) has passed, so a reader that looked a
// region up just before still finds its object; the block cache forgets
// their regions first. Must not decide what is unreferenced: the index's
// reference counts do (StreamIndex).

import type { ObjectStore } from './object-store/object-store.ts';
import type { StreamIndex } from './stream-index.ts';
import type { RegionReader } from './region-reader.ts';

export class ObjectCollector {
  private readonly objectStore: ObjectStore;
  private readonly index: StreamIndex;
  private readonly reader: RegionReader;

  constructor(objectStore: ObjectStore, index: StreamIndex, reader: RegionReader) {
    this.objectStore = objectStore;
    this.index = index;
    this.reader = reader;
  }

  /** Deletes the objects due; returns how many. */
  async collect(graceMs: number, now: number): Promise<number> {
    let deleted = 0;
    for (const e of await this.index.dueForDeletion(graceMs, now)) {
      this.reader.evictObject(e.objectKey);
      await this.objectStore.delete(e.objectKey);
      await this.index.deleted(e);
      deleted++;
    }
    return deleted;
  }
}
