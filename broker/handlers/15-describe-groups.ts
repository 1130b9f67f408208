// DescribeGroups: state, protocol and members with their metadata and assignment.

import { DescribeGroupsApi } from '../../protocol/generated/index.ts';
import { defaultDescribeGroupsResponse, defaultDescribedGroup } from '../../protocol/generated/DescribeGroupsResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { GroupServices } from './broker-services.ts';

export const describeGroupsHandler = defineHandler({
  api: DescribeGroupsApi,
  minVersion: 0,
  maxVersion: 5,
  handle: (req, ctx: RequestContext<GroupServices>) => ({
    ...defaultDescribeGroupsResponse(),
    groups: req.groups.map((groupId) => {
      if (!ctx.allowed(AclOperation.DESCRIBE, ResourceType.GROUP, groupId)) return { ...defaultDescribedGroup(), groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
      const notHere = ctx.broker.groups.coordinatorError(groupId);
      if (notHere !== undefined) return { ...defaultDescribedGroup(), groupId, errorCode: notHere };
      const g = ctx.broker.groups.group(groupId);
      // Kafka describes KIP-848 groups only through ConsumerGroupDescribe.
      if (ctx.broker.groups.consumerGroup(groupId) !== undefined) {
        return { ...defaultDescribedGroup(), groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
      }
      if (g === undefined) return { ...defaultDescribedGroup(), groupId, groupState: ctx.broker.groups.groupIds().includes(groupId) ? 'Empty' : 'Dead' };
      return {
        ...defaultDescribedGroup(), groupId, groupState: g.state, protocolType: g.protocolType ?? '', protocolData: g.protocolName ?? '',
        members: g.describeMembers().map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost, memberMetadata: m.metadata, memberAssignment: m.assignment })),
      };
    }),
  }),
});
