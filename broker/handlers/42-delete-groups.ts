// DeleteGroups: removes empty groups and their committed offsets.

import { DeleteGroupsApi } from '../../protocol/generated/index.ts';
import { defaultDeleteGroupsResponse } from '../../protocol/generated/DeleteGroupsResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { GroupServices } from './broker-services.ts';

export const deleteGroupsHandler = defineHandler({
  api: DeleteGroupsApi,
  minVersion: 0,
  maxVersion: 2,
  handle: async (req, ctx: RequestContext<GroupServices>) => {
    const groups = ctx.broker.groups;
    const results = [];
    for (const groupId of req.groupsNames) {
      const notHere = groups.coordinatorError(groupId);
      if (!ctx.allowed(AclOperation.DELETE, ResourceType.GROUP, groupId)) {
        results.push({ groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED });
      } else if (notHere !== undefined) {
        results.push({ groupId, errorCode: notHere });
      } else if (!groups.groupIds().includes(groupId)) {
        results.push({ groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND });
      } else if (groups.memberCount(groupId) > 0) {
        results.push({ groupId, errorCode: ErrorCode.NON_EMPTY_GROUP });
      } else {
        await groups.deleteGroup(groupId);
        results.push({ groupId, errorCode: ErrorCode.NONE });
      }
    }
    return { ...defaultDeleteGroupsResponse(), results };
  },
});
