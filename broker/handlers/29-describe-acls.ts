// DescribeAcls: the bindings a filter selects, grouped by resource pattern.
// Needs DESCRIBE on the cluster; SECURITY_DISABLED without an authorizer.

import { DescribeAclsApi } from '../../protocol/generated/index.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, CLUSTER_NAME, ResourceType, filterMatches, invalidFilter } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { AclServices } from './broker-services.ts';

export const describeAclsHandler = defineHandler({
  api: DescribeAclsApi,
  minVersion: 0,
  maxVersion: 3,
  handle: async (req, ctx: RequestContext<AclServices>) => {
    const fail = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, errorCode, errorMessage, resources: [] });
    if (!ctx.broker.authorizer.enabled) return fail(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    if (!ctx.allowed(AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME)) return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    const filter = {
      resourceType: req.resourceTypeFilter, resourceName: req.resourceNameFilter, patternType: ctx.apiVersion >= 1 ? req.patternTypeFilter : 3,
      principal: req.principalFilter, host: req.hostFilter, operation: req.operation, permission: req.permissionType,
    };
    const invalid = invalidFilter(filter);
    if (invalid !== undefined) return fail(ErrorCode.INVALID_REQUEST, invalid);
    const byResource = new Map<string, { resourceType: number; resourceName: string; patternType: number; acls: { principal: string; host: string; operation: number; permissionType: number }[] }>();
    for (const b of (await ctx.broker.acls.current()).filter((x) => filterMatches(filter, x))) {
      const key = JSON.stringify([b.resourceType, b.resourceName, b.patternType]);
      const r = byResource.get(key) ?? { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] };
      r.acls.push({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permission });
      byResource.set(key, r);
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: [...byResource.values()] };
  },
});
