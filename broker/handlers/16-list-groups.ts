// ListGroups, with the state filter (v4+) and type filter (v5+).

import { ListGroupsApi } from '../../protocol/generated/index.ts';
import { defaultListGroupsResponse } from '../../protocol/generated/ListGroupsResponse.ts';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { GroupServices } from './broker-services.ts';

export const listGroupsHandler = defineHandler({
  api: ListGroupsApi,
  minVersion: 0,
  maxVersion: 5,
  handle: (req, ctx: RequestContext<GroupServices>) => {
    const groups = ctx.broker.groups;
    const states = new Set(req.statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(req.typesFilter.map((s) => s.toLowerCase()));
    // DESCRIBE on the cluster lists every group; otherwise only those the principal may describe.
    const all = ctx.allowed(AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME);
    const listed = groups.groupIds().filter((g) => all || ctx.allowed(AclOperation.DESCRIBE, ResourceType.GROUP, g)).map((groupId) => {
      const d = groups.describeState(groupId);
      return { groupId, protocolType: d.protocolType, groupState: d.state, groupType: d.type as string };
    }).filter((g) => (states.size === 0 || states.has(g.groupState.toLowerCase())) && (types.size === 0 || types.has(g.groupType)));
    return { ...defaultListGroupsResponse(), groups: listed };
  },
});
