// Heartbeat: keeps a member's session alive and tells it when to rejoin.

import { HeartbeatApi } from '../../protocol/generated/index.ts';
import { defaultHeartbeatResponse } from '../../protocol/generated/HeartbeatResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { GroupServices } from './broker-services.ts';

export const heartbeatHandler = defineHandler({
  api: HeartbeatApi,
  minVersion: 0,
  maxVersion: 4,
  handle: (req, ctx: RequestContext<GroupServices>) => {
    if (!ctx.allowed(AclOperation.READ, ResourceType.GROUP, req.groupId)) return { ...defaultHeartbeatResponse(), errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const notHere = ctx.broker.groups.coordinatorError(req.groupId);
    if (notHere !== undefined) return { ...defaultHeartbeatResponse(), errorCode: notHere };
    const group = ctx.broker.groups.group(req.groupId);
    const errorCode = group === undefined ? ErrorCode.UNKNOWN_MEMBER_ID : group.heartbeat(req.memberId, req.generationId, req.groupInstanceId);
    return { ...defaultHeartbeatResponse(), errorCode };
  },
});
