// Owns the cost and usage per topic on the HTTP side: GET /admin/usage (one
// row per topic, the costliest first, with the price table used) and the
// per-topic metrics in /metrics. The report reads the index for every
// partition, so a scrape reuses one made within the last USAGE_REPORT_TTL_MS.
// Must not compute the report itself (broker/usage/topic-usage.ts does).

import type { FastifyInstance } from 'fastify';
import { Gauge } from 'prom-client';
import type { Broker } from '../broker.ts';
import { topicUsage, type TopicUsage } from '../usage/topic-usage.ts';

const USAGE_REPORT_TTL_MS = 30_000;

export function registerUsage(app: FastifyInstance, broker: Broker): void {
  const prices = broker.config.usagePrices;
  let cached: { at: number; rows: Promise<TopicUsage[]> } | undefined;
  const report = (fresh: boolean): Promise<TopicUsage[]> => {
    if (fresh || cached === undefined || Date.now() - cached.at > USAGE_REPORT_TTL_MS) {
      const rows = topicUsage(broker, prices, process.uptime());
      cached = { at: Date.now(), rows };
      rows.catch(() => { cached = undefined; });
    }
    return cached.rows;
  };

  app.get('/admin/usage', async () => ({
    at: Date.now(), nodeId: broker.config.nodeId, uptimeSeconds: process.uptime(), prices,
    note: 'bytes in/out, PUTs and GETs are this broker\'s since it started; stored bytes are the fleet\'s',
    topics: await report(true),
  }));

  const r = broker.metrics.registry;
  const perTopic = (name: string, help: string, value: (u: TopicUsage) => number): void => {
    new Gauge({
      name, help, labelNames: ['topic'], registers: [r],
      async collect() {
        this.reset();
        for (const u of await report(false)) this.set({ topic: u.topic }, value(u));
      },
    });
  };
  perTopic('floe_topic_stored_bytes', 'Bytes of the topic\'s uploaded regions in object storage (the fleet\'s; refreshed at most every 30 s).', (u) => u.storedBytes);
  perTopic('floe_topic_object_puts', 'Object PUTs attributed to the topic since this broker started (shares of stream-set objects, by bytes).', (u) => u.puts);
  perTopic('floe_topic_object_gets', 'Object GETs for the topic\'s partitions since this broker started.', (u) => u.gets);
  perTopic('floe_topic_cost_usd_per_day', 'Storage plus requests per day in USD under the broker\'s price table (--usage-price-*).', (u) => u.usdPerDay.total);
}
