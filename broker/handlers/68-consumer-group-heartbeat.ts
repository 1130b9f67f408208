// ConsumerGroupHeartbeat (KIP-848): joins, heartbeats and leaves of the
// consumer group protocol; the group computes the assignment server-side.

import { ConsumerGroupHeartbeatApi } from '../../protocol/generated/index.ts';
import { defaultConsumerGroupHeartbeatResponse, type TopicPartitions } from '../../protocol/generated/ConsumerGroupHeartbeatResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { TopicPartitionSet } from '../groups/assignors.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { GroupServices } from './broker-services.ts';

function toSet(tps: readonly { topicId: string; partitions: readonly number[] }[]): TopicPartitionSet {
  const out: TopicPartitionSet = new Map();
  for (const tp of tps) {
    const s = out.get(tp.topicId) ?? new Set<number>();
    for (const p of tp.partitions) s.add(p);
    out.set(tp.topicId, s);
  }
  return out;
}

function toWire(a: TopicPartitionSet): TopicPartitions[] {
  return [...a].filter(([, ps]) => ps.size > 0).map(([topicId, ps]) => ({ topicId, partitions: [...ps].sort((x, y) => x - y) }));
}

export const consumerGroupHeartbeatHandler = defineHandler({
  api: ConsumerGroupHeartbeatApi,
  minVersion: 0,
  maxVersion: 1,
  handle: async (req, ctx: RequestContext<GroupServices>) => {
    const fail = (errorCode: number, errorMessage: string) => ({ ...defaultConsumerGroupHeartbeatResponse(), errorCode, errorMessage });
    if (req.groupId === '') return fail(ErrorCode.INVALID_REQUEST, 'GroupId can\'t be empty.');
    if (req.memberEpoch !== 0 && req.memberId === '') return fail(ErrorCode.INVALID_REQUEST, 'MemberId can\'t be empty.');
    if (req.memberEpoch === -2 && req.instanceId === null) return fail(ErrorCode.INVALID_REQUEST, 'InstanceId can\'t be null.');
    if (req.memberEpoch < -2) return fail(ErrorCode.INVALID_REQUEST, `MemberEpoch is invalid: ${req.memberEpoch}.`);
    if (!ctx.allowed(AclOperation.READ, ResourceType.GROUP, req.groupId)) return fail(ErrorCode.GROUP_AUTHORIZATION_FAILED, 'Group authorization failed.');
    const denied = (req.subscribedTopicNames ?? []).filter((t) => !ctx.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, t));
    if (denied.length > 0) return fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `Topic authorization failed: ${denied.join(', ')}.`);
    const notHere = ctx.broker.groups.coordinatorError(req.groupId);
    if (notHere !== undefined) return fail(notHere, 'This is not the coordinator of the group (now).');
    const group = ctx.broker.groups.consumerGroupOrCreate(req.groupId);
    if (typeof group === 'number') {
      return fail(group, group === ErrorCode.GROUP_ID_NOT_FOUND ? `Group ${req.groupId} is not a consumer group.` : 'Too many groups on this coordinator.');
    }
    const r = group.heartbeat({
      apiVersion: ctx.apiVersion, memberId: req.memberId, memberEpoch: req.memberEpoch, instanceId: req.instanceId, rackId: req.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs, subscribedTopicNames: req.subscribedTopicNames, subscribedTopicRegex: req.subscribedTopicRegex,
      serverAssignor: req.serverAssignor, owned: req.topicPartitions === null ? null : toSet(req.topicPartitions),
      clientId: ctx.clientId ?? '', clientHost: ctx.clientHost,
    });
    // A new epoch or assignment is durable before the member acts on it.
    await ctx.broker.groups.flushed(req.groupId);
    return {
      ...defaultConsumerGroupHeartbeatResponse(), errorCode: r.errorCode, errorMessage: r.errorMessage, memberId: r.memberId,
      memberEpoch: r.memberEpoch, heartbeatIntervalMs: r.heartbeatIntervalMs,
      assignment: r.assignment === null ? null : { topicPartitions: toWire(r.assignment) },
    };
  },
});
