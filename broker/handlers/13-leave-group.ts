// LeaveGroup: one member (v0-2) or a batch of members by id or instance id (v3+).

import { LeaveGroupApi } from '../../protocol/generated/index.ts';
import { defaultLeaveGroupResponse, type MemberResponse } from '../../protocol/generated/LeaveGroupResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { GroupServices } from './broker-services.ts';

export const leaveGroupHandler = defineHandler({
  api: LeaveGroupApi,
  minVersion: 0,
  maxVersion: 5,
  handle: async (req, ctx: RequestContext<GroupServices>) => {
    if (!ctx.allowed(AclOperation.READ, ResourceType.GROUP, req.groupId)) return { ...defaultLeaveGroupResponse(), errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const notHere = ctx.broker.groups.coordinatorError(req.groupId);
    if (notHere !== undefined) return { ...defaultLeaveGroupResponse(), errorCode: notHere };
    const group = ctx.broker.groups.group(req.groupId);
    if (ctx.apiVersion < 3) {
      const errorCode = group === undefined ? ErrorCode.UNKNOWN_MEMBER_ID : group.leave(req.memberId, null);
      await ctx.broker.groups.flushed(req.groupId);
      return { ...defaultLeaveGroupResponse(), errorCode };
    }
    const members: MemberResponse[] = req.members.map((m) => ({
      memberId: m.memberId, groupInstanceId: m.groupInstanceId,
      errorCode: group === undefined ? ErrorCode.UNKNOWN_MEMBER_ID : group.leave(m.memberId, m.groupInstanceId),
    }));
    await ctx.broker.groups.flushed(req.groupId);
    return { ...defaultLeaveGroupResponse(), members };
  },
});
