// DeleteAcls: removes the bindings each filter selects and lists them.
// Needs ALTER on the cluster.

import { DeleteAclsApi } from '../../protocol/generated/index.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, CLUSTER_NAME, ResourceType, filterMatches, invalidFilter, type AclBinding } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { AclServices } from './broker-services.ts';

export const deleteAclsHandler = defineHandler({
  api: DeleteAclsApi,
  minVersion: 0,
  maxVersion: 3,
  handle: async (req, ctx: RequestContext<AclServices>) => {
    const all = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) });
    if (!ctx.broker.authorizer.enabled) return all(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    if (!ctx.allowed(AclOperation.ALTER, ResourceType.CLUSTER, CLUSTER_NAME)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    const current = await ctx.broker.acls.current();
    const doomed = new Set<AclBinding>();
    const filterResults = req.filters.map((f) => {
      const filter = {
        resourceType: f.resourceTypeFilter, resourceName: f.resourceNameFilter, patternType: ctx.apiVersion >= 1 ? f.patternTypeFilter : 3,
        principal: f.principalFilter, host: f.hostFilter, operation: f.operation, permission: f.permissionType,
      };
      const invalid = invalidFilter(filter);
      if (invalid !== undefined) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: invalid, matchingAcls: [] };
      const matching = current.filter((b) => filterMatches(filter, b));
      for (const b of matching) doomed.add(b);
      return {
        errorCode: ErrorCode.NONE, errorMessage: null,
        matchingAcls: matching.map((b) => ({
          errorCode: ErrorCode.NONE, errorMessage: null, resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType,
          principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permission,
        })),
      };
    });
    await ctx.broker.acls.delete([...doomed]);
    return { throttleTimeMs: 0, filterResults };
  },
});
