// Owns REST Proxy v2's consumer API on the HTTP port, in Confluent's shapes
// so its users' scripts work: create and delete consumer instances,
// subscribe (topics or a pattern) or assign partitions, poll records
// (binary, json, or decoded with the Schema Registry: avro, jsonschema,
// protobuf), commit and read offsets, seek. The consumers themselves are
// the admin layer's (ConsumerInstances); here are only the wire shapes,
// bounds and ACL checks. Errors are {error_code, message} with Confluent's
// codes (40403: no such instance).

import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge } from 'prom-client';
import type { Broker } from '../broker.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { isAdminError, type AdminError, type PartitionPosition, type ReadRecord } from '../admin/cluster-admin.ts';
import { ConsumerInstances } from '../admin/consumer-instances.ts';
import type { ConsumerInstance, OffsetReset } from '../admin/consumer-instance.ts';
import { decodeWithRegistry } from '../schemas/wire-format.ts';
import { httpAllowed } from './http-auth.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';

const FORMATS = ['binary', 'json', 'avro', 'jsonschema', 'protobuf'] as const;
type Format = typeof FORMATS[number];
/** Bounds of one poll: its wait, its bytes (of keys and values) and its records. */
const POLL_WAIT_MAX_MS = 30_000;
const POLL_WAIT_DEFAULT_MS = 1_000;
const POLL_BYTES_MAX = 16 * 1024 * 1024;
const POLL_RECORDS_MAX = 1_000;
const GET_BODY_MAX_BYTES = 1024 * 1024;

type Failure = { error_code: number; message: string };

function fail(reply: FastifyReply, status: number, errorCode: number, message: string): Failure {
  reply.code(status);
  return { error_code: errorCode, message };
}

const notFound = (reply: FastifyReply): Failure => fail(reply, 404, 40403, 'Consumer instance not found.');

function failAdmin(reply: FastifyReply, e: AdminError): Failure {
  if (e.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return fail(reply, 404, 40402, e.message);
  if (e.errorCode === ErrorCode.GROUP_AUTHORIZATION_FAILED || e.errorCode === ErrorCode.TOPIC_AUTHORIZATION_FAILED) return fail(reply, 403, 40301, e.message);
  if (e.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) return fail(reply, 422, 42202, e.message);
  if ([ErrorCode.GROUP_ID_NOT_FOUND, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, ErrorCode.GROUP_MAX_SIZE_REACHED, ErrorCode.INVALID_REGULAR_EXPRESSION, ErrorCode.FENCED_MEMBER_EPOCH, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION].includes(e.errorCode)) {
    return fail(reply, 409, 40900, `${e.error}: ${e.message}`);
  }
  return fail(reply, 500, 50002, `Kafka error: ${e.error}: ${e.message}`);
}

/** A list of {topic, partition} (and `offset` when `withOffset`), or why it is malformed. */
function parsePartitions(list: unknown, withOffset: boolean): PartitionPosition[] | string {
  if (!Array.isArray(list)) return withOffset ? 'offsets must be an array of {topic, partition, offset}' : 'partitions must be an array of {topic, partition}';
  const out: PartitionPosition[] = [];
  for (const e of list as unknown[]) {
    const { topic, partition, offset } = (e ?? {}) as { topic?: unknown; partition?: unknown; offset?: unknown };
    if (typeof topic !== 'string' || typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0) return 'each entry needs topic (string) and partition (integer)';
    if (withOffset && (typeof offset !== 'number' || !Number.isInteger(offset) || offset < -1)) return 'each entry needs offset (integer)';
    out.push({ topic, partition, offset: withOffset ? offset as number : 0 });
  }
  return out;
}

/** The embedded format an Accept header asks for (application/vnd.kafka.FORMAT.v2+json), undefined when it names none. */
function acceptedFormat(accept: string | undefined): string | undefined {
  return /application\/vnd\.kafka\.([a-z]+)\.v2\+json/.exec(accept ?? '')?.[1];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function registerRestV2Consumers(app: FastifyInstance, broker: Broker): void {
  const topics = {
    nameOf: (id: string) => broker.topics.getById(id)?.name,
    idOf: (name: string) => broker.topics.get(name)?.id,
  };
  const instances = new ConsumerInstances(broker.admin, topics, broker.config.consumerInstancesMax, broker.config.consumerInstanceTimeoutMs);
  const formatOf = new WeakMap<ConsumerInstance, Format>();
  app.addHook('onClose', async () => instances.closeAll());
  const registry = broker.metrics.registry;
  new Gauge({ name: 'floe_http_consumer_instances', help: `HTTP consumer instances (REST Proxy v2) open on this broker (at most consumer.instances.max).`, registers: [registry], collect() { this.set(instances.size); } });
  new Counter({ name: 'floe_http_consumer_instances_expired_total', help: 'HTTP consumer instances destroyed after consumer.instance.timeout.ms without a request.', registers: [registry], collect() { this.reset(); this.inc(instances.stats.expired); } });
  new Counter({ name: 'floe_http_consumer_instances_refused_total', help: 'HTTP consumer instances refused (429) because consumer.instances.max were open.', registers: [registry], collect() { this.reset(); this.inc(instances.stats.refused); } });

  // REST Proxy's media types: application/vnd.kafka[.FORMAT].v2+json; a commit may come without a body.
  app.addContentTypeParser(/^application\/vnd\.kafka(\.[a-z]+)?\.v2\+json/, { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text) as unknown);
    } catch {
      const err = new Error('Unexpected character in the JSON body') as Error & { statusCode: number };
      err.statusCode = 400;
      done(err, undefined);
    }
  });

  type InstanceParams = { Params: { group: string; instance: string }; Body: unknown };
  /** The instance a request names, if the caller may use its group. */
  const instanceOf = (req: FastifyRequest<InstanceParams>, reply: FastifyReply): ConsumerInstance | Failure => {
    if (!httpAllowed(broker, req)(AclOperation.READ, ResourceType.GROUP, req.params.group)) return fail(reply, 403, 40301, 'Not authorized to access group: ' + req.params.group);
    return instances.get(req.params.group, req.params.instance) ?? notFound(reply);
  };
  const isFailure = (x: unknown): x is Failure => typeof x === 'object' && x !== null && 'error_code' in x;
  const mayRead = (req: FastifyRequest, topicNames: Iterable<string>): string | undefined => {
    const may = httpAllowed(broker, req);
    for (const t of topicNames) if (!may(AclOperation.READ, ResourceType.TOPIC, t)) return t;
    return undefined;
  };

  app.post<{ Params: { group: string }; Body: unknown }>('/consumers/:group', async (req, reply) => {
    if (!httpAllowed(broker, req)(AclOperation.READ, ResourceType.GROUP, req.params.group)) return fail(reply, 403, 40301, 'Not authorized to access group: ' + req.params.group);
    const b = (req.body ?? {}) as Record<string, unknown>;
    if (typeof b !== 'object' || Array.isArray(b)) return fail(reply, 422, 42200, 'the body must be a JSON object');
    const name = b.name ?? `rest-consumer-${broker.config.nodeId}-${randomUUID()}`;
    if (typeof name !== 'string' || !/^[A-Za-z0-9._-]{1,249}$/.test(name)) return fail(reply, 422, 42200, 'name must be 1 to 249 letters, digits, ".", "_" or "-"');
    const format = (b.format ?? 'binary') as Format;
    if (!FORMATS.includes(format)) return fail(reply, 422, 42200, `format must be one of ${FORMATS.join(', ')}`);
    const reset = b['auto.offset.reset'] ?? 'latest';
    if (reset !== 'earliest' && reset !== 'latest' && reset !== 'none') return fail(reply, 422, 42200, 'auto.offset.reset must be earliest, latest or none');
    const autoCommit = b['auto.commit.enable'] ?? 'true';
    if (autoCommit !== 'true' && autoCommit !== 'false' && autoCommit !== true && autoCommit !== false) return fail(reply, 422, 42200, 'auto.commit.enable must be true or false');
    const created = instances.create({ group: req.params.group, name, autoOffsetReset: reset as OffsetReset, autoCommit: autoCommit === true || autoCommit === 'true' });
    if (created === 'exists') return fail(reply, 409, 40902, 'Consumer with specified consumer ID already exists in the specified consumer group.');
    if (created === 'full') return fail(reply, 429, 42900, `this broker runs ${instances.max} consumer instances already (consumer.instances.max)`);
    formatOf.set(created, format);
    reply.header('content-type', 'application/vnd.kafka.v2+json');
    return { instance_id: name, base_uri: `${req.protocol}://${req.headers.host ?? `${broker.config.host}:${broker.config.httpPort}`}/consumers/${encodeURIComponent(req.params.group)}/instances/${encodeURIComponent(name)}` };
  });

  app.delete<InstanceParams>('/consumers/:group/instances/:instance', async (req, reply) => {
    const i = instanceOf(req, reply);
    if (isFailure(i)) return i;
    await instances.destroy(req.params.group, req.params.instance);
    return reply.code(204).send();
  });

  app.post<InstanceParams>('/consumers/:group/instances/:instance/subscription', async (req, reply) => {
    const i = instanceOf(req, reply);
    if (isFailure(i)) return i;
    const b = (req.body ?? {}) as { topics?: unknown; topic_pattern?: unknown };
    const hasTopics = b.topics !== undefined;
    const hasPattern = b.topic_pattern !== undefined;
    if (hasTopics === hasPattern) return fail(reply, 422, 42204, 'give either topics (a list) or topic_pattern');
    if (hasTopics && (!Array.isArray(b.topics) || b.topics.length === 0 || !b.topics.every((t) => typeof t === 'string' && t.length > 0))) return fail(reply, 422, 42204, 'topics must be a list of topic names');
    if (hasPattern && (typeof b.topic_pattern !== 'string' || b.topic_pattern.length === 0)) return fail(reply, 422, 42204, 'topic_pattern must be a regular expression');
    if (hasTopics) {
      const denied = mayRead(req, b.topics as string[]);
      if (denied !== undefined) return fail(reply, 403, 40301, `Not authorized to access topics: [${denied}]`);
    }
    const ok = await i.setTarget(hasTopics ? { kind: 'topics', topics: [...new Set(b.topics as string[])] } : { kind: 'pattern', pattern: b.topic_pattern as string });
    if (!ok) return fail(reply, 409, 40903, 'Subscription to topics, partitions and pattern are mutually exclusive.');
    return reply.code(204).send();
  });

  app.get<InstanceParams>('/consumers/:group/instances/:instance/subscription', async (req, reply) => {
    const i = instanceOf(req, reply);
    if (isFailure(i)) return i;
    const s = i.subscription;
    return { topics: s?.kind === 'topics' ? s.topics : s?.kind === 'pattern' ? [...new Set(i.assignment().map((p) => p.topic))] : [] };
  });

  app.delete<InstanceParams>('/consumers/:group/instances/:instance/subscription', async (req, reply) => {
    const i = instanceOf(req, reply);
    if (isFailure(i)) return i;
    await i.clearTarget();
    return reply.code(204).send();
  });

  app.post<InstanceParams>('/consumers/:group/instances/:instance/assignments', async (req, reply) => {
    const i = instanceOf(req, reply);
    if (isFailure(i)) return i;
    const partitions = parsePartitions((req.body as { partitions?: unknown } | undefined)?.partitions, false);
    if (typeof partitions === 'string') return fail(reply, 422, 42200, partitions);
    const denied = mayRead(req, partitions.map((p) => p.topic));
    if (denied !== undefined) return fail(reply, 403, 40301, `Not authorized to access topics: [${denied}]`);
    for (const p of partitions) {
      const t = broker.topics.get(p.topic);
      if (t === undefined || p.partition >= t.streams.length) return fail(reply, 404, 40402, `Partition ${p.partition} of ${p.topic} not found.`);
    }
    if (!(await i.setTarget({ kind: 'assigned', partitions }))) return fail(reply, 409, 40903, 'Subscription to topics, partitions and pattern are mutually exclusive.');
    return reply.code(204).send();
  });

  app.get<InstanceParams>('/consumers/:group/instances/:instance/assignments', async (req, reply) => {
    const i = instanceOf(req, reply);
    if (isFailure(i)) return i;
    return { partitions: i.assignment() };
  });

  app.post<InstanceParams>('/consumers/:group/instances/:instance/positions', async (req, reply) => {
    const i = instanceOf(req, reply);
    if (isFailure(i)) return i;
    const offsets = parsePartitions((req.body as { offsets?: unknown } | undefined)?.offsets, true);
    if (typeof offsets === 'string') return fail(reply, 422, 42200, offsets);
    const err = await i.seek(offsets);
    return err === undefined ? reply.code(204).send() : failAdmin(reply, err);
  });

  for (const which of ['beginning', 'end'] as const) {
    app.post<InstanceParams>(`/consumers/:group/instances/:instance/positions/${which}`, async (req, reply) => {
      const i = instanceOf(req, reply);
      if (isFailure(i)) return i;
      const partitions = parsePartitions((req.body as { partitions?: unknown } | undefined)?.partitions, false);
      if (typeof partitions === 'string') return fail(reply, 422, 42200, partitions);
      const err = await i.seekTo(partitions, which);
      return err === undefined ? reply.code(204).send() : failAdmin(reply, err);
    });
  }

  app.get<InstanceParams & { Querystring: { timeout?: string; max_bytes?: string } }>('/consumers/:group/instances/:instance/records', async (req, reply) => {
    const i = instanceOf(req, reply);
    if (isFailure(i)) return i;
    const format = formatOf.get(i)!;
    const asked = acceptedFormat(req.headers.accept);
    if (asked !== undefined && asked !== format) return fail(reply, 406, 40601, `The requested embedded data format (${asked}) does not match the deserializer for this consumer instance (${format}).`);
    const timeout = req.query.timeout === undefined ? POLL_WAIT_DEFAULT_MS : Number(req.query.timeout);
    const maxBytes = req.query.max_bytes === undefined ? POLL_BYTES_MAX : Number(req.query.max_bytes);
    if (!Number.isInteger(timeout) || timeout < 0 || timeout > POLL_WAIT_MAX_MS) return fail(reply, 422, 42200, `timeout must be 0 to ${POLL_WAIT_MAX_MS} ms`);
    if (!Number.isInteger(maxBytes) || maxBytes < 1 || maxBytes > POLL_BYTES_MAX) return fail(reply, 422, 42200, `max_bytes must be 1 to ${POLL_BYTES_MAX}`);
    const denied = mayRead(req, new Set(i.assignment().map((p) => p.topic)));
    if (denied !== undefined) return fail(reply, 403, 40301, `Not authorized to access topics: [${denied}]`);
    const records = await i.poll(timeout, maxBytes, POLL_RECORDS_MAX);
    if (isAdminError(records)) return failAdmin(reply, records);
    const out = toWire(records, format, i);
    if (typeof out === 'string') return fail(reply, 500, 50002, out);
    reply.header('content-type', `application/vnd.kafka.${format}.v2+json`);
    return out;
  });

  /**
   * Records in the instance's format. A record that does not decode stops its
   * partition there: the records before it are answered and the partition's
   * position goes back to it (the error is answered when it comes first).
   */
  function toWire(records: (ReadRecord & { topic: string })[], format: Format, i: ConsumerInstance): Record<string, unknown>[] | string {
    const stopped = new Map<string, number>();
    const out: Record<string, unknown>[] = [];
    let firstError: string | undefined;
    for (const r of records) {
      const tp = `${r.topic}\u0000${r.partition}`;
      if (stopped.has(tp)) continue;
      const key = decode(r.key, format);
      const value = decode(r.value, format);
      if (key.ok && value.ok) {
        out.push({ topic: r.topic, key: key.data, value: value.data, partition: r.partition, offset: r.offset });
        continue;
      }
      stopped.set(tp, r.offset);
      firstError ??= `Error deserializing ${key.ok ? 'value' : 'key'} of the record at offset ${r.offset} of partition ${r.partition} of ${r.topic} as ${format}`;
    }
    if (stopped.size > 0) void i.seek([...stopped].map(([tp, offset]) => { const [topic, p] = tp.split('\u0000'); return { topic: topic!, partition: Number(p), offset }; }));
    return out.length === 0 && firstError !== undefined ? firstError : out;
  }

  function decode(b: Buffer | null, format: Format): { ok: true; data: unknown } | { ok: false } {
    if (b === null) return { ok: true, data: null };
    if (format === 'binary') return { ok: true, data: b.toString('base64') };
    if (format === 'json') {
      try {
        return { ok: true, data: JSON.parse(utf8.decode(b)) as unknown };
      } catch {
        return { ok: false };
      }
    }
    const decoded = decodeWithRegistry(broker.schemaRegistry, b);
    const expected = format === 'avro' ? 'AVRO' : format === 'jsonschema' ? 'JSONSCHEMA' : 'PROTOBUF';
    return decoded !== undefined && decoded.type === expected ? { ok: true, data: decoded.data } : { ok: false };
  }

  // Confluent's v2 commits the offset of the last record processed: the next to read is one past it.
  app.post<InstanceParams>('/consumers/:group/instances/:instance/offsets', async (req, reply) => {
    const i = instanceOf(req, reply);
    if (isFailure(i)) return i;
    const given = (req.body as { offsets?: unknown } | undefined)?.offsets;
    let offsets: PartitionPosition[] | undefined;
    if (given !== undefined) {
      const parsed = parsePartitions(given, true);
      if (typeof parsed === 'string') return fail(reply, 422, 42200, parsed);
      offsets = parsed.map((o) => ({ ...o, offset: o.offset + 1 }));
    }
    const err = await i.commit(offsets);
    return err === undefined ? reply.code(200).send() : failAdmin(reply, err);
  });

  const committedRoute = async (i: ConsumerInstance, body: unknown, reply: FastifyReply): Promise<unknown> => {
    const partitions = parsePartitions((body as { partitions?: unknown } | undefined)?.partitions, false);
    if (typeof partitions === 'string') return fail(reply, 422, 42200, partitions);
    const c = await i.committedOffsets(partitions);
    if (isAdminError(c)) return failAdmin(reply, c);
    return { offsets: partitions.flatMap((p) => { const o = c.get(p.topic)?.get(p.partition); return o === undefined ? [] : [{ topic: p.topic, partition: p.partition, offset: o, metadata: '' }]; }) };
  };
  // REST Proxy reads the partitions from a GET's body, which fastify leaves unread: it is read here, bounded.
  app.get<InstanceParams>('/consumers/:group/instances/:instance/offsets', async (req, reply) => {
    const i = instanceOf(req, reply);
    if (isFailure(i)) return i;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req.raw as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > GET_BODY_MAX_BYTES) return fail(reply, 413, 41300, `the body is larger than ${GET_BODY_MAX_BYTES} bytes`);
      chunks.push(c);
    }
    let body: unknown;
    try {
      body = size === 0 ? undefined : JSON.parse(Buffer.concat(chunks).toString()) as unknown;
    } catch {
      return fail(reply, 400, 400, 'Unexpected character in the JSON body');
    }
    return committedRoute(i, body, reply);
  });
}
