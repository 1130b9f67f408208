// Owns the usage and cost report per topic: bytes in and out (this
// broker's produce and fetch), the records it holds, the object-store PUTs (shares of the
// stream-set objects this broker uploaded, by bytes) and GETs (reads for the
// topic's partitions) from its streams' usage, the bytes the topic keeps in
// object storage (from the shared index: the whole fleet's), and what they
// cost per day under the configured price table. Requests per day are the
// counts since this broker started, spread over its uptime. Must not change
// anything; it reads.

import type { StreamUsage } from '../../s3stream/stream-usage.ts';

export interface PriceTable {
  putPer1000: number;
  getPer1000: number;
  storageGbMonth: number;
}

export interface TopicUsage {
  topic: string;
  bytesIn: number;
  bytesOut: number;
  uploadedBytes: number;
  puts: number;
  gets: number;
  getBytes: number;
  /** Bytes of the topic's uploaded regions in object storage (the fleet's, from the index). */
  storedBytes: number;
  /** Records the topic holds now: its partitions' high watermarks less their log start offsets (asked of their leaders). */
  records: number;
  usdPerDay: { storage: number; requests: number; total: number };
}

export interface TopicUsageDeps {
  readonly topics: { all(): Iterable<{ name: string; streams: readonly number[] }> };
  readonly streams: { readonly usage: Pick<StreamUsage, 'of'>; uploadedRegions(id: number): Promise<{ bytes: number }[]> };
  readonly metrics: { bytesByTopic(): Promise<{ produced: ReadonlyMap<string, number>; fetched: ReadonlyMap<string, number> }> };
  readonly admin: { topicOffsets(): Promise<{ name: string; logStartOffset: number; highWatermark: number }[]> };
}

const DAYS_PER_MONTH = 30;

/** Requests so far, priced and spread over `uptimeSeconds` to a rate per day. */
export function requestsUsdPerDay(puts: number, gets: number, prices: PriceTable, uptimeSeconds: number): number {
  const days = Math.max(uptimeSeconds, 1) / 86_400;
  return ((puts * prices.putPer1000) / 1000 + (gets * prices.getPer1000) / 1000) / days;
}

export function storageUsdPerDay(storedBytes: number, prices: PriceTable): number {
  return ((storedBytes / 1e9) * prices.storageGbMonth) / DAYS_PER_MONTH;
}

/** One row per topic, the costliest first. */
export async function topicUsage(deps: TopicUsageDeps, prices: PriceTable, uptimeSeconds: number): Promise<TopicUsage[]> {
  const rows: TopicUsage[] = [];
  const [bytes, offsets] = await Promise.all([deps.metrics.bytesByTopic(), deps.admin.topicOffsets()]);
  const records = new Map(offsets.map((o) => [o.name, Math.max(0, o.highWatermark - o.logStartOffset)]));
  for (const t of deps.topics.all()) {
    let uploadedBytes = 0;
    let puts = 0;
    let gets = 0;
    let getBytes = 0;
    let storedBytes = 0;
    for (const id of t.streams) {
      const u = deps.streams.usage.of(id);
      if (u !== undefined) {
        uploadedBytes += u.uploadedBytes;
        puts += u.puts;
        gets += u.gets;
        getBytes += u.getBytes;
      }
      for (const r of await deps.streams.uploadedRegions(id)) storedBytes += r.bytes;
    }
    const storage = storageUsdPerDay(storedBytes, prices);
    const requests = requestsUsdPerDay(puts, gets, prices, uptimeSeconds);
    rows.push({
      topic: t.name, bytesIn: bytes.produced.get(t.name) ?? 0, bytesOut: bytes.fetched.get(t.name) ?? 0,
      uploadedBytes, puts, gets, getBytes, storedBytes, records: records.get(t.name) ?? 0, usdPerDay: { storage, requests, total: storage + requests },
    });
  }
  return rows.sort((a, b) => b.usdPerDay.total - a.usdPerDay.total || a.topic.localeCompare(b.topic));
}
