// Owns the cost and usage per topic and group on the HTTP side: GET
// /admin/usage (one row per topic, the costliest first, with the price
// table used; one per group), GET /admin/history (the console's last hour)
// and the per-topic and per-group metrics in /metrics. The report reads the index for every
// partition (the metadata store), so a scrape never waits for it: the
// metrics show the last report made (by /admin/usage, or in the background
// at most every USAGE_REPORT_TTL_MS), and /metrics keeps answering while the
// metadata store is down. Must not compute the report itself
// (broker/usage/topic-usage.ts does).

import type { FastifyInstance } from 'fastify';
import { Gauge } from 'prom-client';
import type { Broker } from '../broker.ts';
import { topicUsage, type TopicUsage } from '../usage/topic-usage.ts';
import { groupUsage, type GroupUsage } from '../usage/group-usage.ts';
import { UsageHistory } from '../usage/usage-history.ts';

const USAGE_REPORT_TTL_MS = 30_000;

export function registerUsage(app: FastifyInstance, broker: Broker): void {
  const prices = broker.config.usagePrices;
  let last: { topics: TopicUsage[]; groups: GroupUsage[] } = { topics: [], groups: [] };
  let lastAt = -Infinity;
  let refreshing: Promise<typeof last> | undefined;
  const report = (): Promise<typeof last> => {
    refreshing ??= topicUsage(broker, prices, process.uptime()).then((topics) => {
      last = { topics, groups: groupUsage(broker.groups.consumption.all(), topics, prices, process.uptime()) };
      return last;
    }).finally(() => {
      lastAt = Date.now();
      refreshing = undefined;
    });
    return refreshing;
  };

  // The console's charts: the last hour, sampled in the background.
  const history = new UsageHistory({
    bytesByTopic: () => broker.metrics.bytesByTopic(),
    lagByGroup: async () => {
      const byGroup = new Map<string, number>();
      for (const row of await broker.admin.lag()) byGroup.set(row.group, (byGroup.get(row.group) ?? 0) + row.lag);
      return byGroup;
    },
  }, broker.config.consoleHistoryIntervalMs);
  history.start();
  app.addHook('onClose', async () => history.stop());
  app.get('/admin/history', async () => ({ intervalMs: history.intervalMs, capacity: history.capacity, samples: history.all() }));

  app.get('/admin/usage', async () => ({
    at: Date.now(), nodeId: broker.config.nodeId, uptimeSeconds: process.uptime(), prices,
    note: 'bytes in/out, PUTs and GETs are this broker\'s since it started; stored bytes are the fleet\'s; groups: records consumed (the progress of commits this broker coordinated since it started) and an estimate of their part of their topics\' reads (their share of the records all groups consumed)',
    ...(await report()),
  }));

  const r = broker.metrics.registry;
  const perTopic = (name: string, help: string, value: (u: TopicUsage) => number): void => {
    new Gauge({
      name, help, labelNames: ['topic'], registers: [r],
      collect() {
        if (Date.now() - lastAt > USAGE_REPORT_TTL_MS) void report().catch(() => undefined);
        this.reset();
        for (const u of last.topics) this.set({ topic: u.topic }, value(u));
      },
    });
  };
  perTopic('floe_topic_stored_bytes', 'Bytes of the topic\'s uploaded regions in object storage (the fleet\'s), as of the last usage report (at most 30 s old while scraped).', (u) => u.storedBytes);
  perTopic('floe_topic_object_puts', 'Object PUTs attributed to the topic since this broker started (shares of stream-set objects, by bytes), as of the last usage report.', (u) => u.puts);
  perTopic('floe_topic_object_gets', 'Object GETs for the topic\'s partitions since this broker started, as of the last usage report.', (u) => u.gets);
  perTopic('floe_topic_cost_usd_per_day', 'Storage plus requests per day in USD under the broker\'s price table (--usage-price-*), as of the last usage report.', (u) => u.usdPerDay.total);
  new Gauge({ name: 'floe_console_history_samples', help: 'Samples the console\'s last-hour charts keep now (at most an hour of console.history.interval.ms).', registers: [r], collect() { this.set(history.size); } });
  new Gauge({ name: 'floe_console_history_sample_failures', help: 'Console history samples skipped because the fleet did not answer, since this broker started.', registers: [r], collect() { this.set(history.failures); } });
  const perGroup = (name: string, help: string, value: (u: GroupUsage) => number): void => {
    new Gauge({
      name, help, labelNames: ['group'], registers: [r],
      collect() {
        this.reset();
        for (const u of last.groups) this.set({ group: u.group }, value(u));
      },
    });
  };
  perGroup('floe_group_consumed_records', 'Records the group consumed (the progress of its commits on this broker\'s coordinator since it started), as of the last usage report.', (u) => u.records);
  perGroup('floe_group_reads_cost_usd_per_day', 'The group\'s estimated part of its topics\' object-store reads per day in USD (its share of the records all groups consumed), as of the last usage report.', (u) => u.readsUsdPerDay);
}
