// Owns the broker's HTTP side (fastify, its own port): Prometheus /metrics,
// /healthz (the process is alive), /readyz (metadata store and object store
// answer), and a read-only JSON admin API. Must not be on the Kafka path.

import Fastify, { type FastifyInstance } from 'fastify';
import type { Broker } from '../broker.ts';
import { brokerConfigEntries } from '../config.ts';
import { groupLag, registerStateMetrics } from './state-metrics.ts';
import { OVERVIEW_HTML } from './overview-page.ts';
import { registerRestV3 } from './rest-v3.ts';
import { registerMcp } from './mcp-server.ts';

/** A readiness probe that takes longer than this counts as not ready. */
const READINESS_PROBE_MS = 2000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e instanceof Error ? e : new Error(String(e))); });
  });
}

export async function startHttpServer(broker: Broker, host: string, port: number): Promise<{ app: FastifyInstance; port: number }> {
  const app = Fastify({ logger: false });
  registerStateMetrics(broker, broker.metrics.registry);

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', broker.metrics.registry.contentType);
    return broker.metrics.registry.metrics();
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/', async (_req, reply) => {
    reply.header('content-type', 'text/html; charset=utf-8');
    return OVERVIEW_HTML;
  });

  // Everything the overview page shows, in one request.
  app.get('/admin/overview', async () => {
    const lag = groupLag(broker);
    const topics = broker.topics.all().map((t) => {
      let hw = 0;
      let start = 0;
      t.streams.forEach((_, i) => {
        const p = broker.partition(t, i);
        hw += p?.highWatermark ?? 0;
        start += p?.logStartOffset ?? 0;
      });
      return { name: t.name, partitions: t.streams.length, highWatermark: hw, logStartOffset: start };
    });
    return {
      at: Date.now(), clusterId: broker.clusterId, nodeId: broker.config.nodeId, durability: broker.config.durability,
      objectStore: broker.objectStore.kind, connections: broker.metrics.connectionsOpen,
      producedBytes: broker.metrics.producedBytesTotal(), fetchedBytes: broker.metrics.fetchedBytesTotal(),
      uploads: broker.streams.stats.uploads, pendingUploadBytes: broker.streams.stats.pendingUploadBytes,
      topics,
      groups: broker.groups.groupIds().map((id) => ({
        groupId: id, state: broker.groups.describeState(id).state, members: broker.groups.memberCount(id),
        lag: lag.filter((r) => r.group === id).reduce((a, r) => a + r.lag, 0),
      })),
    };
  });

  app.get('/readyz', async (_req, reply) => {
    const checks: Record<string, string> = {};
    try {
      await withTimeout(broker.metadata.get('cluster/id'), READINESS_PROBE_MS);
      checks.metadataStore = 'ok';
    } catch (e) {
      checks.metadataStore = (e as Error).message;
    }
    try {
      await withTimeout(broker.objectStoreBackend.head('floe-readiness-probe'), READINESS_PROBE_MS);
      checks.objectStore = 'ok';
    } catch (e) {
      checks.objectStore = (e as Error).message;
    }
    const ready = Object.values(checks).every((c) => c === 'ok') && !broker.stopping;
    reply.code(ready ? 200 : 503);
    return { ready, checks };
  });

  app.get('/admin/topics', async () => broker.topics.all().map((t) => ({
    name: t.name, topicId: t.id, partitions: t.streams.length, configs: t.configs,
  })));

  app.get<{ Params: { name: string } }>('/admin/topics/:name', async (req, reply) => {
    const t = broker.topics.get(req.params.name);
    if (t === undefined) {
      reply.code(404);
      return { error: 'UNKNOWN_TOPIC_OR_PARTITION' };
    }
    return {
      name: t.name, topicId: t.id, configs: t.configs,
      // Offsets are known where the partition is led; every broker knows who leads it.
      partitions: t.streams.map((streamId, i) => {
        const p = broker.partition(t, i);
        const { leaderId, leaderEpoch } = broker.member.view.leaderAndEpoch(streamId);
        return { partition: i, streamId, leader: leaderId, leaderEpoch, logStartOffset: p?.logStartOffset, highWatermark: p?.highWatermark, logEndOffset: p?.logEndOffset };
      }),
    };
  });

  app.get('/admin/groups', async () => {
    const lag = groupLag(broker);
    return broker.groups.groupIds().map((id) => {
      const g = broker.groups.group(id);
      const modern = broker.groups.consumerGroup(id);
      if (modern !== undefined) {
        return {
          groupId: id, type: 'consumer', state: modern.state, groupEpoch: modern.groupEpoch, assignor: modern.assignorName,
          members: modern.describeMembers().map((m) => ({
            memberId: m.memberId, groupInstanceId: m.instanceId, clientId: m.clientId, clientHost: m.clientHost, memberEpoch: m.memberEpoch,
            assignment: [...m.assignment].map(([topicId, ps]) => ({ topic: broker.topics.getById(topicId)?.name ?? topicId, partitions: [...ps].sort((a, b) => a - b) })),
          })),
          lag: lag.filter((r) => r.group === id),
        };
      }
      return {
        groupId: id, type: 'classic', state: g?.state ?? 'Empty', generationId: g?.generationId ?? 0, protocol: g?.protocolName ?? null,
        members: (g?.describeMembers() ?? []).map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost })),
        lag: lag.filter((r) => r.group === id),
      };
    });
  });

  // Nothing in the configuration is a secret: S3 credentials come from the environment and are never shown.
  app.get('/admin/config', async () => Object.fromEntries(brokerConfigEntries(broker.config)));

  app.get('/admin/object-store', async () => ({
    kind: broker.objectStore.kind,
    requests: Object.fromEntries(broker.objectStore.stats.requests),
    bytesWritten: broker.objectStore.stats.bytesWritten,
    bytesRead: broker.objectStore.stats.bytesRead,
    consecutiveFailures: broker.objectStore.stats.consecutiveFailures,
    lastError: broker.objectStore.stats.lastError ?? null,
    uploads: broker.streams.stats.uploads,
    uploadFailures: broker.streams.stats.uploadFailures,
    pendingUploadBytes: broker.streams.stats.pendingUploadBytes,
  }));

  registerRestV3(app, broker);
  registerMcp(app, broker);

  await app.listen({ host, port });
  const addr = app.server.address();
  return { app, port: typeof addr === 'object' && addr !== null ? addr.port : port };
}
