// ConsumerGroupDescribe (KIP-848): epochs, assignor and every member's
// subscription, current assignment and target assignment.

import { ConsumerGroupDescribeApi } from '../../protocol/generated/index.ts';
import { defaultConsumerGroupDescribeResponse, defaultDescribedGroup, defaultMember, type TopicPartitions } from '../../protocol/generated/ConsumerGroupDescribeResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { TopicPartitionSet } from '../groups/assignors.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { GroupServices, TopicCatalog } from './broker-services.ts';

function toWire(broker: Pick<TopicCatalog, 'topics'>, a: TopicPartitionSet): { topicPartitions: TopicPartitions[] } {
  return {
    topicPartitions: [...a].filter(([, ps]) => ps.size > 0).map(([topicId, ps]) => ({
      topicId, topicName: broker.topics.getById(topicId)?.name ?? '', partitions: [...ps].sort((x, y) => x - y),
    })),
  };
}

export const consumerGroupDescribeHandler = defineHandler({
  api: ConsumerGroupDescribeApi,
  minVersion: 0,
  maxVersion: 0,
  handle: (req, ctx: RequestContext<GroupServices & TopicCatalog>) => ({
    ...defaultConsumerGroupDescribeResponse(),
    groups: req.groupIds.map((groupId) => {
      if (!ctx.allowed(AclOperation.DESCRIBE, ResourceType.GROUP, groupId)) return { ...defaultDescribedGroup(), groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: 'Group authorization failed.' };
      const notHere = ctx.broker.groups.coordinatorError(groupId);
      if (notHere !== undefined) return { ...defaultDescribedGroup(), groupId, errorCode: notHere };
      const g = ctx.broker.groups.consumerGroup(groupId);
      if (g === undefined) {
        const known = ctx.broker.groups.groupIds().includes(groupId);
        return {
          ...defaultDescribedGroup(), groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
          errorMessage: known ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.`,
        };
      }
      return {
        ...defaultDescribedGroup(), groupId, groupState: g.state, groupEpoch: g.groupEpoch, assignmentEpoch: g.assignmentEpoch, assignorName: g.assignorName,
        members: g.describeMembers().map((m) => ({
          ...defaultMember(), memberId: m.memberId, instanceId: m.instanceId, rackId: m.rackId, memberEpoch: m.memberEpoch,
          clientId: m.clientId, clientHost: m.clientHost, subscribedTopicNames: m.subscribedTopicNames, subscribedTopicRegex: m.subscribedTopicRegex,
          assignment: toWire(ctx.broker, m.assignment), targetAssignment: toWire(ctx.broker, m.targetAssignment),
        })),
      };
    }),
  }),
});
