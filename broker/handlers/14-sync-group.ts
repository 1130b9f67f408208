// SyncGroup: the leader's assignment in, each member's share out.

import { SyncGroupApi } from '../../protocol/generated/index.ts';
import { defaultSyncGroupResponse } from '../../protocol/generated/SyncGroupResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { GroupServices } from './broker-services.ts';

export const syncGroupHandler = defineHandler({
  api: SyncGroupApi,
  minVersion: 0,
  maxVersion: 5,
  handle: async (req, ctx: RequestContext<GroupServices>) => {
    if (!ctx.allowed(AclOperation.READ, ResourceType.GROUP, req.groupId)) return { ...defaultSyncGroupResponse(), errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const notHere = ctx.broker.groups.coordinatorError(req.groupId);
    if (notHere !== undefined) return { ...defaultSyncGroupResponse(), errorCode: notHere };
    const group = ctx.broker.groups.group(req.groupId);
    if (group === undefined) return { ...defaultSyncGroupResponse(), errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    // v5+ name the protocol type and name the member joined with; Kafka refuses a sync that names others.
    if ((req.protocolType !== null && group.protocolType !== null && req.protocolType !== group.protocolType)
      || (req.protocolName !== null && group.protocolName !== null && req.protocolName !== group.protocolName)) {
      return { ...defaultSyncGroupResponse(), errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL };
    }
    const r = await group.sync(req.memberId, req.generationId, req.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })));
    // The completed generation is durable before anyone acts on it.
    await ctx.broker.groups.flushed(req.groupId);
    return { ...defaultSyncGroupResponse(), ...r };
  },
});
