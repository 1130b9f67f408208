// Owns the cost and usage per topic on the HTTP side: GET /admin/usage (one
// row per topic, the costliest first, with the price table used) and the
// per-topic metrics in /metrics. The report reads the index for every
// partition (the metadata store), so a scrape never waits for it: the
// metrics show the last report made (by /admin/usage, or in the background
// at most every USAGE_REPORT_TTL_MS), and /metrics keeps answering while the
// metadata store is down. Must not compute the report itself
// (broker/usage/topic-usage.ts does).

import type { FastifyInstance } from 'fastify';
import { Gauge } from 'prom-client';
import type { Broker } from '../broker.ts';
import { topicUsage, type TopicUsage } from '../usage/topic-usage.ts';

const USAGE_REPORT_TTL_MS = 30_000;

export function registerUsage(app: FastifyInstance, broker: Broker): void {
  const prices = broker.config.usagePrices;
  let last: TopicUsage[] = [];
  let lastAt = -Infinity;
  let refreshing: Promise<TopicUsage[]> | undefined;
  const report = (): Promise<TopicUsage[]> => {
    refreshing ??= topicUsage(broker, prices, process.uptime()).then((rows) => {
      last = rows;
      return rows;
    }).finally(() => {
      lastAt = Date.now();
      refreshing = undefined;
    });
    return refreshing;
  };

  app.get('/admin/usage', async () => ({
    at: Date.now(), nodeId: broker.config.nodeId, uptimeSeconds: process.uptime(), prices,
    note: 'bytes in/out, PUTs and GETs are this broker\'s since it started; stored bytes are the fleet\'s',
    topics: await report(),
  }));

  const r = broker.metrics.registry;
  const perTopic = (name: string, help: string, value: (u: TopicUsage) => number): void => {
    new Gauge({
      name, help, labelNames: ['topic'], registers: [r],
      collect() {
        if (Date.now() - lastAt > USAGE_REPORT_TTL_MS) void report().catch(() => undefined);
        this.reset();
        for (const u of last) this.set({ topic: u.topic }, value(u));
      },
    });
  };
  perTopic('floe_topic_stored_bytes', 'Bytes of the topic\'s uploaded regions in object storage (the fleet\'s), as of the last usage report (at most 30 s old while scraped).', (u) => u.storedBytes);
  perTopic('floe_topic_object_puts', 'Object PUTs attributed to the topic since this broker started (shares of stream-set objects, by bytes), as of the last usage report.', (u) => u.puts);
  perTopic('floe_topic_object_gets', 'Object GETs for the topic\'s partitions since this broker started, as of the last usage report.', (u) => u.gets);
  perTopic('floe_topic_cost_usd_per_day', 'Storage plus requests per day in USD under the broker\'s price table (--usage-price-*), as of the last usage report.', (u) => u.usdPerDay.total);
}
