// Owns the broker's HTTP side (fastify, its own port): Prometheus /metrics,
// /healthz (the process is alive), /readyz (metadata store and object store
// answer), and a read-only JSON admin API over the admin layer (the whole
// fleet, whichever broker is asked). Must not be on the Kafka path.

import Fastify, { type FastifyInstance } from 'fastify';
import { httpAllowed, registerHttpAuth } from './http-auth.ts';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl.ts';
import type { Broker } from '../broker.ts';
import { brokerConfigEntries } from '../config.ts';
import { registerStateMetrics } from './state-metrics.ts';
import { OVERVIEW_HTML } from './overview-page.ts';
import { registerRestV3 } from './rest-v3.ts';
import { registerRestV3Groups } from './rest-v3-groups.ts';
import { registerRestV2Consumers } from './rest-v2-consumers.ts';
import { registerMcp } from './mcp-server.ts';
import { registerRecordStream, STREAMS_MAX, type RecordStreamStats } from './record-stream.ts';
import { registerOversizedBodyAnswer } from './oversized-body.ts';
import { registerUsage } from './usage-routes.ts';
import { registerSchemaRegistryRoutes } from './schema-registry-routes.ts';
import { SCHEMAS_TOPIC } from '../schemas/registry-log.ts';
import { Counter, Gauge } from 'prom-client';

/** A readiness probe that takes longer than this counts as not ready. */
const READINESS_PROBE_MS = 2000;
/** The largest request body read (fastify's default); larger ones get 413. */
const HTTP_BODY_LIMIT_BYTES = 1024 * 1024;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e instanceof Error ? e : new Error(String(e))); });
  });
}

export async function startHttpServer(broker: Broker, host: string, port: number): Promise<{ app: FastifyInstance; port: number }> {
  const app = Fastify({ logger: false, bodyLimit: HTTP_BODY_LIMIT_BYTES });
  registerOversizedBodyAnswer(app, HTTP_BODY_LIMIT_BYTES);
  const admin = broker.admin;
  registerHttpAuth(app, broker);
  // The admin pages describe the whole cluster: DESCRIBE on it (always allowed with ACLs off).
  app.addHook('preHandler', async (req, reply) => {
    const path = req.url.split('?')[0]!;
    if (path !== '/' && !path.startsWith('/admin/')) return undefined;
    const operation = path === '/admin/config' ? AclOperation.DESCRIBE_CONFIGS : AclOperation.DESCRIBE;
    if (httpAllowed(broker, req)(operation, ResourceType.CLUSTER, CLUSTER_NAME)) return undefined;
    return reply.code(403).send({ error_code: 403, message: 'not authorized: DESCRIBE on the cluster is required' });
  });
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

  // Everything the overview page shows, in one request: the whole fleet, asked through the admin layer.
  app.get('/admin/overview', async () => {
    const [topics, groups, lag] = await Promise.all([admin.topicOffsets(), admin.listGroups(), admin.lag()]);
    return {
      at: Date.now(), clusterId: broker.clusterId, nodeId: broker.config.nodeId, durability: broker.config.durability,
      objectStore: broker.objectStore.kind, connections: broker.metrics.connectionsOpen,
      producedBytes: broker.metrics.producedBytesTotal(), fetchedBytes: broker.metrics.fetchedBytesTotal(),
      uploads: broker.streams.stats.uploads, pendingUploadBytes: broker.streams.stats.pendingUploadBytes,
      topics,
      groups: (await admin.describeGroups(groups)).map((g) => ({
        groupId: g.groupId, type: g.type, state: g.state, members: g.members.length, coordinator: g.coordinator,
        lag: lag.filter((r) => r.group === g.groupId).reduce((a, r) => a + r.lag, 0),
        assignments: g.members.map((m) => ({ clientId: m.clientId, clientHost: m.clientHost, assignment: m.assignment ?? null })),
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
    // A WAL that failed takes no more writes: this broker cannot serve produce until it restarts.
    if (broker.streams.walStats !== undefined) checks.wal = broker.streams.walFailure === undefined ? 'ok' : `failed: ${broker.streams.walFailure.message}`;
    const ready = Object.values(checks).every((c) => c === 'ok') && !broker.stopping;
    reply.code(ready ? 200 : 503);
    return { ready, checks };
  });

  app.get('/admin/topics', async () => admin.listTopics().map((t) => ({
    name: t.name, topicId: t.topicId, partitions: t.partitions, configs: broker.topics.get(t.name)?.configs ?? {},
  })));

  // Each partition's leader and epoch from the fleet's view, its offsets from the leader.
  app.get<{ Params: { name: string } }>('/admin/topics/:name', async (req, reply) => {
    const t = await admin.describeTopic(req.params.name);
    if (t === undefined) {
      reply.code(404);
      return { error: 'UNKNOWN_TOPIC_OR_PARTITION' };
    }
    return t;
  });

  app.get('/admin/groups', async () => {
    const [groups, lag] = await Promise.all([admin.listGroups().then((l) => admin.describeGroups(l)), admin.lag()]);
    return groups.map((g) => ({ ...g, lag: lag.filter((r) => r.group === g.groupId) }));
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
  registerRestV3Groups(app, broker);
  registerRestV2Consumers(app, broker);
  registerUsage(app, broker);
  const streams: RecordStreamStats = { open: 0, opened: 0, refused: 0 };
  new Gauge({ name: 'floe_http_record_streams_open', help: `Server-Sent Events record streams open now (at most ${STREAMS_MAX}).`, registers: [broker.metrics.registry], collect() { this.set(streams.open); } });
  new Counter({ name: 'floe_http_record_streams_refused_total', help: 'Record streams refused (429) because the bound was reached.', registers: [broker.metrics.registry], collect() { this.reset(); this.inc(streams.refused); } });
  registerRecordStream(app, broker, streams);
  registerMcp(app, broker);
  registerSchemaRegistryRoutes(app, broker.schemaRegistry, (req, write) => httpAllowed(broker, req)(write ? AclOperation.WRITE : AclOperation.READ, ResourceType.TOPIC, SCHEMAS_TOPIC));

  await app.listen({ host, port });
  const addr = app.server.address();
  return { app, port: typeof addr === 'object' && addr !== null ? addr.port : port };
}
