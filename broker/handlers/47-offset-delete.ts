// OffsetDelete: removes a group's committed offsets for some partitions,
// refused with GROUP_SUBSCRIBED_TO_TOPIC while members subscribe to the topic.

import { OffsetDeleteApi } from '../../protocol/generated/index.ts';
import { defaultOffsetDeleteResponse, type OffsetDeleteResponseTopic } from '../../protocol/generated/OffsetDeleteResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { GroupServices, TopicCatalog } from './broker-services.ts';

export const offsetDeleteHandler = defineHandler({
  api: OffsetDeleteApi,
  minVersion: 0,
  maxVersion: 0,
  handle: async (req, ctx: RequestContext<GroupServices & TopicCatalog>) => {
    const groups = ctx.broker.groups;
    if (!ctx.allowed(AclOperation.DELETE, ResourceType.GROUP, req.groupId)) return { ...defaultOffsetDeleteResponse(), errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const notHere = groups.coordinatorError(req.groupId);
    if (notHere !== undefined) return { ...defaultOffsetDeleteResponse(), errorCode: notHere };
    if (!groups.groupIds().includes(req.groupId)) return { ...defaultOffsetDeleteResponse(), errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
    const subscribed = groups.group(req.groupId)?.subscribedTopics() ?? groups.consumerGroup(req.groupId)?.subscribedTopics() ?? new Set<string>();
    const tombstones: { topic: string; partition: number }[] = [];
    const topics: OffsetDeleteResponseTopic[] = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const topic = ctx.broker.topics.get(t.name);
        if (!ctx.allowed(AclOperation.READ, ResourceType.TOPIC, t.name)) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
        if (topic === undefined || p.partitionIndex < 0 || p.partitionIndex >= topic.streams.length) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        if (subscribed === 'all' || subscribed.has(t.name)) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
        if (groups.committed(req.groupId, t.name, p.partitionIndex) !== undefined) tombstones.push({ topic: t.name, partition: p.partitionIndex });
        return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE };
      }),
    }));
    await groups.commit(req.groupId, [], tombstones);
    return { ...defaultOffsetDeleteResponse(), topics };
  },
});
