// Owns the REST API's routes, in Confluent REST Proxy v3's shapes so its
// users' scripts work: clusters, topics (list, describe, create) and
// produce (one record, or a batch with per-record results). Reading a
// partition from an offset is a floe addition under the same prefix. All of
// it goes through the shared admin layer (ClusterAdmin), never around it.
// Errors are {error_code, message, kafka_error}; nothing is written by a
// request that fails validation.

import type { FastifyInstance, FastifyReply } from 'fastify';
import { ErrorCode } from '../../protocol/errors.ts';
import type { RecordInput } from '../../protocol/records/record.ts';
import type { Broker } from '../broker.ts';
import { ADMIN_PRODUCE_RECORDS_MAX, ADMIN_READ_RECORDS_MAX, isAdminError, type AdminError } from '../admin/cluster-admin.ts';
import { decodeData, encodeData, schemaDecoderOf } from './record-encoding.ts';
import { httpAllowed } from './http-auth.ts';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl.ts';

const RETRIABLE = new Set<number>([ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.REQUEST_TIMED_OUT, ErrorCode.NOT_ENOUGH_REPLICAS]);

function httpStatusOf(e: AdminError): number {
  if (e.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return 404;
  if (RETRIABLE.has(e.errorCode)) return 503;
  if (e.errorCode === ErrorCode.UNKNOWN_SERVER_ERROR) return 500;
  return 400;
}

function fail(reply: FastifyReply, status: number, message: string, kafkaError?: string): { error_code: number; message: string; kafka_error?: string } {
  reply.code(status);
  return { error_code: status, message, ...(kafkaError !== undefined ? { kafka_error: kafkaError } : {}) };
}

const failAdmin = (reply: FastifyReply, e: AdminError): ReturnType<typeof fail> => fail(reply, httpStatusOf(e), e.message, e.error);

/** Confluent's answer to a caller the ACLs refuse. */
const denied = (reply: FastifyReply, kafkaError: string): ReturnType<typeof fail> => fail(reply, 403, 'Not authorized', kafkaError);


/** One v3 produce entry as a record and its partition, or why it is malformed. */
function parseEntry(body: unknown): { record: RecordInput; partition: number | undefined } | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'a record must be a JSON object';
  const b = body as { partition_id?: unknown; key?: unknown; value?: unknown; headers?: unknown; timestamp?: unknown };
  if (b.partition_id !== undefined && b.partition_id !== null && (typeof b.partition_id !== 'number' || !Number.isInteger(b.partition_id))) return 'partition_id must be an integer';
  const key = decodeData(b.key, 'key');
  if (typeof key === 'string') return key;
  const value = decodeData(b.value, 'value');
  if (typeof value === 'string') return value;
  const headers: { key: string; value: Buffer | null }[] = [];
  if (b.headers !== undefined) {
    if (!Array.isArray(b.headers)) return 'headers must be an array of {name, value}';
    for (const h of b.headers as unknown[]) {
      const { name, value: hv } = (h ?? {}) as { name?: unknown; value?: unknown };
      if (typeof name !== 'string' || (hv !== undefined && hv !== null && typeof hv !== 'string')) return 'each header is {name: string, value: base64 string}';
      headers.push({ key: name, value: typeof hv === 'string' ? Buffer.from(hv, 'base64') : null });
    }
  }
  let timestamp: bigint | undefined;
  if (b.timestamp !== undefined && b.timestamp !== null) {
    const ms = typeof b.timestamp === 'string' ? Date.parse(b.timestamp) : Number.NaN;
    if (Number.isNaN(ms)) return 'timestamp must be an ISO-8601 date';
    timestamp = BigInt(ms);
  }
  return { record: { key, value, headers, ...(timestamp !== undefined ? { timestamp } : {}) }, partition: (b.partition_id as number | undefined) ?? undefined };
}

/** A records:batch request is produced in batches of at most this many bytes per partition. */
const BATCH_PRODUCE_BYTES = 256 * 1024;

export function registerRestV3(app: FastifyInstance, broker: Broker): void {
  const admin = broker.admin;
  const schemas = schemaDecoderOf(broker.schemaRegistry);
  const clusterId = (): string => broker.clusterId;
  const checkCluster = (id: string, reply: FastifyReply): ReturnType<typeof fail> | undefined =>
    (id === clusterId() ? undefined : fail(reply, 404, `cluster ${id} not found`));
  const topicView = (t: { name: string; partitions: number; internal: boolean }): Record<string, unknown> => ({
    kind: 'KafkaTopic', cluster_id: clusterId(), topic_name: t.name, is_internal: t.internal, partitions_count: t.partitions, replication_factor: 1,
  });

  app.get('/v3/clusters', async () => ({ kind: 'KafkaClusterList', data: [{ kind: 'KafkaCluster', cluster_id: clusterId(), controller_id: broker.member.view.controllerId }] }));

  app.get<{ Params: { cid: string } }>('/v3/clusters/:cid/topics', async (req, reply) => checkCluster(req.params.cid, reply)
    ?? { kind: 'KafkaTopicList', data: admin.listTopics().filter((t) => httpAllowed(broker, req)(AclOperation.DESCRIBE, ResourceType.TOPIC, t.name)).map(topicView) });

  app.get<{ Params: { cid: string; topic: string } }>('/v3/clusters/:cid/topics/:topic', async (req, reply) => {
    const bad = checkCluster(req.params.cid, reply);
    if (bad !== undefined) return bad;
    if (!httpAllowed(broker, req)(AclOperation.DESCRIBE, ResourceType.TOPIC, req.params.topic)) return denied(reply, 'TOPIC_AUTHORIZATION_FAILED');
    const t = await admin.describeTopic(req.params.topic);
    if (t === undefined) return fail(reply, 404, `This server does not host this topic: ${req.params.topic}`, 'UNKNOWN_TOPIC_OR_PARTITION');
    return {
      ...topicView({ name: t.name, partitions: t.partitions.length, internal: t.internal }), topic_id: t.topicId, configs: t.configs,
      partitions: t.partitions.map((p) => ({ partition_id: p.partition, leader_id: p.leader, leader_epoch: p.leaderEpoch, log_start_offset: p.logStartOffset ?? null, high_watermark: p.highWatermark ?? null })),
    };
  });

  app.post<{ Params: { cid: string }; Body: unknown }>('/v3/clusters/:cid/topics', async (req, reply) => {
    const bad = checkCluster(req.params.cid, reply);
    if (bad !== undefined) return bad;
    const b = (req.body ?? {}) as { topic_name?: unknown; partitions_count?: unknown; configs?: unknown };
    if (typeof b.topic_name !== 'string') return fail(reply, 400, 'topic_name must be a string');
    const may = httpAllowed(broker, req);
    if (!may(AclOperation.CREATE, ResourceType.CLUSTER, CLUSTER_NAME) && !may(AclOperation.CREATE, ResourceType.TOPIC, b.topic_name)) return denied(reply, 'TOPIC_AUTHORIZATION_FAILED');
    const partitions = b.partitions_count === undefined ? -1 : b.partitions_count;
    if (typeof partitions !== 'number' || !Number.isInteger(partitions)) return fail(reply, 400, 'partitions_count must be an integer');
    const configs: Record<string, string> = {};
    if (b.configs !== undefined) {
      if (!Array.isArray(b.configs)) return fail(reply, 400, 'configs must be an array of {name, value}');
      for (const c of b.configs as unknown[]) {
        const { name, value } = (c ?? {}) as { name?: unknown; value?: unknown };
        if (typeof name !== 'string' || typeof value !== 'string') return fail(reply, 400, 'each config is {name: string, value: string}');
        configs[name] = value;
      }
    }
    const err = await admin.createTopic(b.topic_name, partitions, configs);
    if (err !== undefined) return failAdmin(reply, err);
    reply.code(201);
    const t = admin.listTopics().find((x) => x.name === b.topic_name)!;
    return topicView(t);
  });

  const produceOne = async (topic: string, entry: unknown): Promise<Record<string, unknown> | AdminError | string> => {
    const parsed = parseEntry(entry);
    if (typeof parsed === 'string') return parsed;
    const res = await admin.produce(topic, parsed.partition, [parsed.record]);
    if (isAdminError(res)) return res;
    const r = res[0]!;
    return {
      error_code: 200, cluster_id: clusterId(), topic_name: topic, partition_id: r.partition, offset: r.offset, timestamp: new Date(r.timestamp).toISOString(),
      key: parsed.record.key === null ? null : { size: (parsed.record.key as Buffer).length }, value: parsed.record.value === null ? null : { size: (parsed.record.value as Buffer).length },
    };
  };

  app.post<{ Params: { cid: string; topic: string }; Body: unknown }>('/v3/clusters/:cid/topics/:topic/records', async (req, reply) => {
    const bad = checkCluster(req.params.cid, reply);
    if (bad !== undefined) return bad;
    if (!httpAllowed(broker, req)(AclOperation.WRITE, ResourceType.TOPIC, req.params.topic)) return denied(reply, 'TOPIC_AUTHORIZATION_FAILED');
    const r = await produceOne(req.params.topic, req.body);
    if (typeof r === 'string') return fail(reply, 400, r);
    if (isAdminError(r)) return failAdmin(reply, r);
    return r;
  });

  // Confluent's batch form: {entries: [{id, ...record}]}, answered per entry.
  app.post<{ Params: { cid: string; topic: string }; Body: unknown }>('/v3/clusters/:cid/topics/:topic/records::batch', async (req, reply) => {
    const bad = checkCluster(req.params.cid, reply);
    if (bad !== undefined) return bad;
    if (!httpAllowed(broker, req)(AclOperation.WRITE, ResourceType.TOPIC, req.params.topic)) return denied(reply, 'TOPIC_AUTHORIZATION_FAILED');
    const entries = (req.body as { entries?: unknown } | null)?.entries;
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > ADMIN_PRODUCE_RECORDS_MAX) return fail(reply, 400, `entries must be an array of 1 to ${ADMIN_PRODUCE_RECORDS_MAX} records`);
    // Validated whole before anything is written.
    for (const e of entries) if (typeof parseEntry(e) === 'string') return fail(reply, 400, `entry ${String((e as { id?: unknown } | null)?.id ?? '?')}: ${parseEntry(e) as string}`);
    // One batch per partition (entries keep their order within it), the partitions' produces at once.
    const topic = req.params.topic;
    const outcome: (Record<string, unknown> | undefined)[] = [];
    const failures: Record<string, unknown>[] = [];
    const byPartition = new Map<number, { index: number; id: unknown; record: RecordInput }[]>();
    (entries as { id?: unknown }[]).forEach((e, index) => {
      const parsed = parseEntry(e) as { record: RecordInput; partition: number | undefined };
      const p = admin.partitionFor(topic, parsed.partition, parsed.record.key);
      if (isAdminError(p)) {
        failures.push({ id: e.id ?? null, error_code: httpStatusOf(p), message: p.message });
        return;
      }
      byPartition.set(p, [...(byPartition.get(p) ?? []), { index, id: e.id ?? null, record: parsed.record }]);
    });
    const size = (r: RecordInput): number => (r.value === null ? 0 : r.value.length) + (r.key === null || r.key === undefined ? 0 : r.key.length) + 64;
    await Promise.all([...byPartition].map(async ([p, entriesOfPartition]) => {
      // In batches of at most BATCH_PRODUCE_BYTES, one after another: a topic's max.message.bytes bounds a batch, not a request.
      const chunks: (typeof entriesOfPartition)[] = [[]];
      let bytes = 0;
      for (const e of entriesOfPartition) {
        if (chunks.at(-1)!.length > 0 && bytes + size(e.record) > BATCH_PRODUCE_BYTES) {
          chunks.push([]);
          bytes = 0;
        }
        chunks.at(-1)!.push(e);
        bytes += size(e.record);
      }
      for (const group of chunks) await produceGroup(p, group);
    }));
    async function produceGroup(p: number, group: { index: number; id: unknown; record: RecordInput }[]): Promise<void> {
      const res = await admin.produce(topic, p, group.map((g) => g.record));
      group.forEach((g, i) => {
        if (isAdminError(res)) {
          failures.push({ id: g.id, error_code: httpStatusOf(res), message: res.message });
          return;
        }
        const r = res[i]!;
        outcome[g.index] = {
          id: g.id, error_code: 200, cluster_id: clusterId(), topic_name: topic, partition_id: r.partition, offset: r.offset, timestamp: new Date(r.timestamp).toISOString(),
          key: g.record.key === null || g.record.key === undefined ? null : { size: (g.record.key as Buffer).length }, value: g.record.value === null ? null : { size: (g.record.value as Buffer).length },
        };
      });
    }
    reply.code(207);
    return { successes: outcome.filter((o) => o !== undefined), failures };
  });

  app.get<{ Params: { cid: string; topic: string; partition: string }; Querystring: { offset?: string; timestamp?: string; max_records?: string } }>(
    '/v3/clusters/:cid/topics/:topic/partitions/:partition/records', async (req, reply) => {
      const bad = checkCluster(req.params.cid, reply);
      if (bad !== undefined) return bad;
      if (!httpAllowed(broker, req)(AclOperation.READ, ResourceType.TOPIC, req.params.topic)) return denied(reply, 'TOPIC_AUTHORIZATION_FAILED');
      const partition = Number(req.params.partition);
      let offset = Number(req.query.offset ?? 0);
      const max = Number(req.query.max_records ?? 100);
      if (!Number.isInteger(partition) || !Number.isInteger(offset) || offset < 0 || !Number.isInteger(max) || max < 1 || max > ADMIN_READ_RECORDS_MAX) {
        return fail(reply, 400, `partition and offset must be non-negative integers, max_records 1 to ${ADMIN_READ_RECORDS_MAX}`);
      }
      // From a time instead of an offset: milliseconds since the epoch, or an ISO 8601 date.
      if (req.query.timestamp !== undefined) {
        if (req.query.offset !== undefined) return fail(reply, 400, 'give offset or timestamp, not both');
        const ts = /^\d+$/.test(req.query.timestamp) ? Number(req.query.timestamp) : Date.parse(req.query.timestamp);
        if (!Number.isFinite(ts)) return fail(reply, 400, 'timestamp must be milliseconds since the epoch or an ISO 8601 date');
        const at = await admin.offsetForTime(req.params.topic, partition, ts);
        if (isAdminError(at)) return failAdmin(reply, at);
        offset = at;
      }
      const r = await admin.read(req.params.topic, partition, offset, max);
      if (isAdminError(r)) return failAdmin(reply, r);
      return {
        kind: 'KafkaRecordList', high_watermark: r.highWatermark,
        data: r.records.map((x) => ({
          partition_id: x.partition, offset: x.offset, timestamp: new Date(x.timestamp).toISOString(), key: encodeData(x.key, schemas), value: encodeData(x.value, schemas),
          headers: x.headers.map((h) => ({ name: h.key, value: h.value === null ? null : h.value.toString('base64') })),
        })),
      };
    });

  app.get<{ Params: { cid: string; group: string } }>('/v3/clusters/:cid/consumer-groups/:group/lags', async (req, reply) => checkCluster(req.params.cid, reply)
    ?? (httpAllowed(broker, req)(AclOperation.DESCRIBE, ResourceType.GROUP, req.params.group) ? undefined : denied(reply, 'GROUP_AUTHORIZATION_FAILED'))
    ?? { kind: 'KafkaConsumerLagList', data: (await admin.lag(req.params.group)).map((l) => ({ consumer_group_id: l.group, topic_name: l.topic, partition_id: l.partition, current_offset: l.committed, log_end_offset: l.highWatermark, lag: l.lag })) });
}
