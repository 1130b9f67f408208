// Owns REST Proxy v3's consumer-group routes: list and describe the fleet's
// groups, their consumers and each consumer's partitions, and a group's lag
// summary, in Confluent's shapes (related resources as links), through the
// admin layer. Only groups the caller may DESCRIBE are shown.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Broker } from '../broker.ts';
import type { GroupDescription } from '../admin/cluster-admin.ts';
import { httpAllowed } from './http-auth.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';

type Failure = { error_code: number; message: string; kafka_error?: string };

export function registerRestV3Groups(app: FastifyInstance, broker: Broker): void {
  const admin = broker.admin;
  const base = (req: FastifyRequest, cid: string): string => `${req.protocol}://${req.headers.host ?? ''}/v3/clusters/${cid}`;
  const fail = (reply: FastifyReply, status: number, message: string, kafkaError?: string): Failure => {
    reply.code(status);
    return { error_code: status, message, ...(kafkaError !== undefined ? { kafka_error: kafkaError } : {}) };
  };
  /** The group described, or the answer to give instead (unknown cluster, not allowed, no such group). */
  const describe = async (req: FastifyRequest<{ Params: { cid: string; group: string } }>, reply: FastifyReply): Promise<GroupDescription | Failure> => {
    if (req.params.cid !== broker.clusterId) return fail(reply, 404, `cluster ${req.params.cid} not found`);
    if (!httpAllowed(broker, req)(AclOperation.DESCRIBE, ResourceType.GROUP, req.params.group)) return fail(reply, 403, 'Not authorized', 'GROUP_AUTHORIZATION_FAILED');
    const listing = (await admin.listGroups()).find((g) => g.groupId === req.params.group);
    if (listing === undefined) return fail(reply, 404, `Consumer group ${req.params.group} not found.`, 'GROUP_ID_NOT_FOUND');
    return (await admin.describeGroups([listing]))[0]!;
  };
  const isFailure = (x: unknown): x is Failure => typeof x === 'object' && x !== null && 'error_code' in x;
  const groupView = (req: FastifyRequest, cid: string, g: GroupDescription): Record<string, unknown> => {
    const self = `${base(req, cid)}/consumer-groups/${encodeURIComponent(g.groupId)}`;
    return {
      kind: 'KafkaConsumerGroup', metadata: { self }, cluster_id: cid, consumer_group_id: g.groupId,
      is_simple: g.protocolType === '' && g.members.length === 0, partition_assignor: g.assignor ?? g.protocol ?? '', state: g.state.toUpperCase(), type: g.type.toUpperCase(),
      coordinator: { related: `${base(req, cid)}/brokers/${g.coordinator}` }, consumers: { related: `${self}/consumers` }, lag_summary: { related: `${self}/lag-summary` },
    };
  };

  app.get<{ Params: { cid: string } }>('/v3/clusters/:cid/consumer-groups', async (req, reply) => {
    if (req.params.cid !== broker.clusterId) return fail(reply, 404, `cluster ${req.params.cid} not found`);
    const may = httpAllowed(broker, req);
    const listing = (await admin.listGroups()).filter((g) => may(AclOperation.DESCRIBE, ResourceType.GROUP, g.groupId));
    return { kind: 'KafkaConsumerGroupList', metadata: { self: `${base(req, req.params.cid)}/consumer-groups` }, data: (await admin.describeGroups(listing)).map((g) => groupView(req, req.params.cid, g)) };
  });

  app.get<{ Params: { cid: string; group: string } }>('/v3/clusters/:cid/consumer-groups/:group', async (req, reply) => {
    const g = await describe(req, reply);
    return isFailure(g) ? g : groupView(req, req.params.cid, g);
  });

  app.get<{ Params: { cid: string; group: string } }>('/v3/clusters/:cid/consumer-groups/:group/consumers', async (req, reply) => {
    const g = await describe(req, reply);
    if (isFailure(g)) return g;
    const self = `${base(req, req.params.cid)}/consumer-groups/${encodeURIComponent(g.groupId)}/consumers`;
    return {
      kind: 'KafkaConsumerList', metadata: { self },
      data: g.members.map((m) => ({
        kind: 'KafkaConsumer', metadata: { self: `${self}/${encodeURIComponent(m.memberId)}` }, cluster_id: req.params.cid, consumer_group_id: g.groupId,
        consumer_id: m.memberId, instance_id: m.groupInstanceId, client_id: m.clientId, client_host: m.clientHost,
        assignments: { related: `${self}/${encodeURIComponent(m.memberId)}/assignments` },
      })),
    };
  });

  app.get<{ Params: { cid: string; group: string; consumer: string } }>('/v3/clusters/:cid/consumer-groups/:group/consumers/:consumer/assignments', async (req, reply) => {
    const g = await describe(req, reply);
    if (isFailure(g)) return g;
    const m = g.members.find((x) => x.memberId === req.params.consumer);
    if (m === undefined) return fail(reply, 404, `Consumer ${req.params.consumer} not found in group ${g.groupId}.`);
    return {
      kind: 'KafkaConsumerAssignmentList',
      data: (m.assignment ?? []).flatMap((a) => a.partitions.map((p) => ({
        kind: 'KafkaConsumerAssignment', cluster_id: req.params.cid, consumer_group_id: g.groupId, consumer_id: m.memberId, topic_name: a.topic, partition_id: p,
      }))),
    };
  });

  app.get<{ Params: { cid: string; group: string } }>('/v3/clusters/:cid/consumer-groups/:group/lag-summary', async (req, reply) => {
    const g = await describe(req, reply);
    if (isFailure(g)) return g;
    const rows = await admin.lag(g.groupId);
    const max = rows.reduce<(typeof rows)[number] | undefined>((a, r) => (a === undefined || r.lag > a.lag ? r : a), undefined);
    const owner = max === undefined ? undefined : g.members.find((m) => m.assignment?.some((a) => a.topic === max.topic && a.partitions.includes(max.partition)));
    return {
      kind: 'KafkaConsumerGroupLagSummary', cluster_id: req.params.cid, consumer_group_id: g.groupId,
      max_lag_consumer_id: owner?.memberId ?? '', max_lag_instance_id: owner?.groupInstanceId ?? null, max_lag_client_id: owner?.clientId ?? '',
      max_lag_topic_name: max?.topic ?? '', max_lag_partition_id: max?.partition ?? 0, max_lag: max?.lag ?? 0, total_lag: rows.reduce((n, r) => n + r.lag, 0),
    };
  });
}
