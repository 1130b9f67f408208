// Owns the usage and cost report per consumer group: the records each
// group consumed of each topic (the progress of its commits on this
// broker's coordinator) and the share of each topic's reads from object
// storage that this stands for, priced. A topic's GETs serve every group
// reading it (the cache shares them), so a group's part is an estimate:
// its share of the records all groups consumed of the topic. Must not
// change anything; it reads.

import type { GroupTopicConsumption } from '../groups/group-consumption.ts';
import { requestsUsdPerDay, type PriceTable, type TopicUsage } from './topic-usage.ts';

export interface GroupUsage {
  group: string;
  records: number;
  topics: { topic: string; records: number; shareOfTopic: number; readsUsdPerDay: number }[];
  /** The group's estimated part of its topics' object-store reads, per day. */
  readsUsdPerDay: number;
}

/** One row per group, the costliest first (then the most records). */
export function groupUsage(consumption: readonly GroupTopicConsumption[], topics: readonly TopicUsage[], prices: PriceTable, uptimeSeconds: number): GroupUsage[] {
  const totalByTopic = new Map<string, number>();
  for (const c of consumption) totalByTopic.set(c.topic, (totalByTopic.get(c.topic) ?? 0) + c.records);
  const readsCost = new Map(topics.map((t) => [t.topic, requestsUsdPerDay(0, t.gets, prices, uptimeSeconds)]));
  const byGroup = new Map<string, GroupUsage>();
  for (const c of consumption) {
    const share = c.records / Math.max(1, totalByTopic.get(c.topic) ?? 0);
    const usd = share * (readsCost.get(c.topic) ?? 0);
    const g = byGroup.get(c.group) ?? { group: c.group, records: 0, topics: [], readsUsdPerDay: 0 };
    g.records += c.records;
    g.readsUsdPerDay += usd;
    g.topics.push({ topic: c.topic, records: c.records, shareOfTopic: share, readsUsdPerDay: usd });
    byGroup.set(c.group, g);
  }
  for (const g of byGroup.values()) g.topics.sort((a, b) => b.records - a.records || a.topic.localeCompare(b.topic));
  return [...byGroup.values()].sort((a, b) => b.readsUsdPerDay - a.readsUsdPerDay || b.records - a.records || a.group.localeCompare(b.group));
}
