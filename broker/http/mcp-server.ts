// Owns the MCP server at /mcp (Streamable HTTP transport, stateless: each
// POST is answered on its own, so any broker of a fleet can answer any
// call): tools for models to list and describe topics, create one, produce
// events, read a partition's events from an offset, and see a group's lag,
// all through the shared admin layer. Tool descriptions say what each does,
// its bounds and its errors; failures are tool results with isError, never
// exceptions that drop the session.

import type { FastifyInstance } from 'fastify';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import type { Broker } from '../broker.ts';
import { ADMIN_PRODUCE_RECORDS_MAX, ADMIN_READ_RECORDS_MAX, adminError, isAdminError, type AdminError, type ReadRecord } from '../admin/cluster-admin.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { encodeData, schemaDecoderOf } from './record-encoding.ts';
import { httpAllowed, type HttpAllowed } from './http-auth.ts';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl.ts';


type ToolResult = { content: { type: 'text'; text: string }[]; isError?: boolean; structuredContent?: Record<string, unknown> };

const ok = (value: Record<string, unknown>): ToolResult => ({ content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value });
const failed = (e: AdminError | string): ToolResult => ({
  content: [{ type: 'text', text: typeof e === 'string' ? e : `${e.error}: ${e.message}` }], isError: true,
});

function buildServer(broker: Broker, may: HttpAllowed): McpServer {
  const refused = (what: string): ToolResult => failed(`${what}: not authorized by the cluster's ACLs`);
  const admin = broker.admin;
  const schemas = schemaDecoderOf(broker.schemaRegistry);
  /** A record as the read tools give it: keys and values decoded (see read_records), headers as text. */
  const recordView = (r: ReadRecord): Record<string, unknown> => ({
    partition: r.partition, offset: r.offset, timestamp: new Date(r.timestamp).toISOString(), key: encodeData(r.key, schemas), value: encodeData(r.value, schemas),
    headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString('utf8') ?? null])),
  });
  const server = new McpServer({ name: 'floe', version: '0.1.0' });

  server.registerTool('list_topics', {
    description: 'Lists every topic of the Kafka cluster with its partition count and whether it is internal (names starting with __). Takes no input.',
    inputSchema: {},
  }, async () => ok({ topics: admin.listTopics().filter((t) => may(AclOperation.DESCRIBE, ResourceType.TOPIC, t.name)) }));

  server.registerTool('describe_topic', {
    description: 'Describes one topic: its configs and, per partition, the leader broker, leader epoch, log start offset and high watermark (the offset the next record will get). Fails with UNKNOWN_TOPIC_OR_PARTITION for an unknown topic.',
    inputSchema: { topic: z.string().min(1).describe('topic name') },
  }, async ({ topic }) => {
    if (!may(AclOperation.DESCRIBE, ResourceType.TOPIC, topic)) return refused('TOPIC_AUTHORIZATION_FAILED');
    const t = await admin.describeTopic(topic);
    return t === undefined ? failed(`UNKNOWN_TOPIC_OR_PARTITION: unknown topic ${topic}`) : ok({ ...t });
  });

  server.registerTool('create_topic', {
    description: 'Creates a topic. partitions defaults to the broker\'s num.partitions; configs are Kafka topic configs (e.g. retention.ms, cleanup.policy). Fails with TOPIC_ALREADY_EXISTS, INVALID_TOPIC_EXCEPTION, INVALID_PARTITIONS or INVALID_CONFIG, as Kafka does.',
    inputSchema: {
      topic: z.string().min(1).describe('topic name'),
      partitions: z.number().int().min(1).max(10_000).optional().describe('number of partitions'),
      configs: z.record(z.string(), z.string()).optional().describe('topic configs by name'),
    },
  }, async ({ topic, partitions, configs }) => {
    if (!may(AclOperation.CREATE, ResourceType.CLUSTER, CLUSTER_NAME) && !may(AclOperation.CREATE, ResourceType.TOPIC, topic)) return refused('TOPIC_AUTHORIZATION_FAILED');
    const e = await admin.createTopic(topic, partitions ?? -1, configs ?? {});
    return e === undefined ? ok({ created: topic }) : failed(e);
  });

  server.registerTool('produce_records', {
    description: `Appends records (acks=all: durable when answered) to a topic, all to one partition: the given one, else the partition of the first record's key (as the Java client picks it), else round robin. Keys and values are strings (send JSON as a string). 1 to ${ADMIN_PRODUCE_RECORDS_MAX} records. Answers each record's partition and offset.`,
    inputSchema: {
      topic: z.string().min(1),
      partition: z.number().int().min(0).optional(),
      records: z.array(z.object({
        key: z.string().nullable().optional(),
        value: z.string().nullable(),
        headers: z.record(z.string(), z.string()).optional(),
      })).min(1).max(ADMIN_PRODUCE_RECORDS_MAX),
    },
  }, async ({ topic, partition, records }) => {
    if (!may(AclOperation.WRITE, ResourceType.TOPIC, topic)) return refused('TOPIC_AUTHORIZATION_FAILED');
    const res = await admin.produce(topic, partition, records.map((r) => ({
      key: r.key ?? null, value: r.value, headers: Object.entries(r.headers ?? {}).map(([key, value]) => ({ key, value })),
    })));
    return isAdminError(res) ? failed(res) : ok({ records: res });
  });

  server.registerTool('read_records', {
    description: `Reads committed records of one partition from an offset (use describe_topic for the log start offset and high watermark), or from a time (timestamp: ISO 8601 or milliseconds since the epoch; the first record at or after it), at most max_records (1 to ${ADMIN_READ_RECORDS_MAX}, default 20). Values written with a registered schema (Schema Registry wire format) come back decoded (type AVRO, JSONSCHEMA or PROTOBUF, with schema_id and subject); values that are JSON come back parsed (type JSON), UTF-8 text as STRING, other bytes as BINARY (base64). Fails with OFFSET_OUT_OF_RANGE past the high watermark.`,
    inputSchema: {
      topic: z.string().min(1),
      partition: z.number().int().min(0),
      offset: z.number().int().min(0).optional(),
      timestamp: z.union([z.string(), z.number().int().min(0)]).optional(),
      max_records: z.number().int().min(1).max(ADMIN_READ_RECORDS_MAX).optional(),
    },
  }, async ({ topic, partition, offset, timestamp, max_records }) => {
    if (!may(AclOperation.READ, ResourceType.TOPIC, topic)) return refused('TOPIC_AUTHORIZATION_FAILED');
    let from = offset ?? 0;
    if (timestamp !== undefined) {
      if (offset !== undefined) return failed(adminError(ErrorCode.INVALID_REQUEST, 'give offset or timestamp, not both'));
      const ts = typeof timestamp === 'number' ? timestamp : /^\d+$/.test(timestamp) ? Number(timestamp) : Date.parse(timestamp);
      if (!Number.isFinite(ts)) return failed(adminError(ErrorCode.INVALID_REQUEST, 'timestamp must be an ISO 8601 date or milliseconds since the epoch'));
      const at = await admin.offsetForTime(topic, partition, ts);
      if (isAdminError(at)) return failed(at);
      from = at;
    }
    const res = await admin.read(topic, partition, from, max_records ?? 20);
    if (isAdminError(res)) return failed(res);
    return ok({
      high_watermark: res.highWatermark,
      records: res.records.map(recordView),
    });
  });

  server.registerTool('consume_records', {
    description: `Consumes a topic as a named consumer group: reads up to max_records (1 to ${ADMIN_READ_RECORDS_MAX}, default 20) from the group's committed offsets (from the start where it has none), partition by partition, and commits the offsets after them (commit: false only reads), so the next call goes on where this one stopped and consumer_lag shows the progress. For a group no Kafka client is a member of; a group with members answers its error (UNKNOWN_MEMBER_ID or ILLEGAL_GENERATION). Values come back as read_records shows them.`,
    inputSchema: {
      group: z.string().min(1).describe('consumer group id'),
      topic: z.string().min(1),
      max_records: z.number().int().min(1).max(ADMIN_READ_RECORDS_MAX).optional(),
      commit: z.boolean().optional(),
    },
  }, async ({ group, topic, max_records, commit }) => {
    if (!may(AclOperation.READ, ResourceType.TOPIC, topic)) return refused('TOPIC_AUTHORIZATION_FAILED');
    if (!may(AclOperation.READ, ResourceType.GROUP, group)) return refused('GROUP_AUTHORIZATION_FAILED');
    const res = await admin.consumeForGroup(group, topic, max_records ?? 20, commit ?? true);
    if (isAdminError(res)) return failed(res);
    return ok({
      committed: res.committed,
      records: res.records.map(recordView),
    });
  });

  // Topics as resources: floe://topics/<name> is the topic's description (configs, partitions, offsets).
  server.registerResource('topic', new ResourceTemplate('floe://topics/{topic}', {
    list: async () => ({
      resources: admin.listTopics().filter((t) => may(AclOperation.DESCRIBE, ResourceType.TOPIC, t.name))
        .map((t) => ({ uri: `floe://topics/${encodeURIComponent(t.name)}`, name: t.name, mimeType: 'application/json', description: `topic ${t.name}, ${t.partitions} partitions` })),
    }),
  }), { description: 'A Kafka topic: its configs and, per partition, leader, log start offset and high watermark.', mimeType: 'application/json' }, async (uri, { topic }) => {
    const name = decodeURIComponent(String(topic));
    const t = may(AclOperation.DESCRIBE, ResourceType.TOPIC, name) ? await admin.describeTopic(name) : undefined;
    if (t === undefined) throw new Error(`UNKNOWN_TOPIC_OR_PARTITION: no topic ${name} (or not authorized)`);
    return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(t) }] };
  });

  server.registerTool('consumer_lag', {
    description: 'Reports a consumer group\'s lag per partition: its committed offset, the partition\'s high watermark and the difference, from the group\'s coordinator and the partitions\' leaders wherever they are in the fleet. An unknown group answers no rows.',
    inputSchema: { group: z.string().min(1) },
  }, async ({ group }) => (may(AclOperation.DESCRIBE, ResourceType.GROUP, group) ? ok({ lag: await admin.lag(group) }) : refused('GROUP_AUTHORIZATION_FAILED')));

  return server;
}

export function registerMcp(app: FastifyInstance, broker: Broker): void {
  app.post('/mcp', async (req, reply) => {
    const server = buildServer(broker, httpAllowed(broker, req));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    reply.hijack();
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req.raw, reply.raw, req.body);
  });
  // Stateless: no server-initiated stream to resume and no session to end.
  const notAllowed = { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this MCP endpoint is stateless (POST only).' }, id: null };
  app.get('/mcp', async (_req, reply) => reply.code(405).send(notAllowed));
  app.delete('/mcp', async (_req, reply) => reply.code(405).send(notAllowed));
}
