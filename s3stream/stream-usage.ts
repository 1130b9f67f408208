// Owns what each stream costs in object storage, as this process sees it:
// the bytes it uploaded and its share of the PUTs that carried them (a
// stream-set object is one PUT for many streams, split by bytes), and the
// GETs (and bytes) read for it. One entry per stream this process wrote or
// read, dropped when the stream is deleted. Rewrites (compaction, the
// cleaner) are not attributed here: they are the cluster's own cost.
// Must not do I/O.

export interface StreamUsageEntry {
  uploadedBytes: number;
  /** Fractions of PUTs: a PUT of three streams' data counts for each by its share of the bytes. */
  puts: number;
  gets: number;
  getBytes: number;
}

export class StreamUsage {
  private readonly entries = new Map<number, StreamUsageEntry>();

  private entry(id: number): StreamUsageEntry {
    let e = this.entries.get(id);
    if (e === undefined) this.entries.set(id, e = { uploadedBytes: 0, puts: 0, gets: 0, getBytes: 0 });
    return e;
  }

  /** One PUT carried these bytes of each stream. */
  uploaded(bytesByStream: ReadonlyMap<number, number>): void {
    let total = 0;
    for (const b of bytesByStream.values()) total += b;
    if (total === 0) return;
    for (const [id, b] of bytesByStream) {
      const e = this.entry(id);
      e.uploadedBytes += b;
      e.puts += b / total;
    }
  }

  /** One GET of `bytes`, for a read of stream `id`. */
  read(id: number, bytes: number): void {
    const e = this.entry(id);
    e.gets++;
    e.getBytes += bytes;
  }

  of(id: number): StreamUsageEntry | undefined {
    return this.entries.get(id);
  }

  forget(id: number): void {
    this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }
}
