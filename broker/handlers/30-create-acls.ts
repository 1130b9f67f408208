// CreateAcls: adds bindings, each checked as Kafka checks it (a bad one is
// answered INVALID_REQUEST, the others are created). Needs ALTER on the cluster.

import { CreateAclsApi } from '../../protocol/generated/index.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, CLUSTER_NAME, ResourceType, invalidBinding, type AclBinding } from '../security/acl.ts';
import { ACL_BINDINGS_MAX } from '../security/acl-store.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { AclServices } from './broker-services.ts';

export const createAclsHandler = defineHandler({
  api: CreateAclsApi,
  minVersion: 0,
  maxVersion: 3,
  handle: async (req, ctx: RequestContext<AclServices>) => {
    const all = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage })) });
    if (!ctx.broker.authorizer.enabled) return all(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    if (!ctx.allowed(AclOperation.ALTER, ResourceType.CLUSTER, CLUSTER_NAME)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    const bindings: (AclBinding | string)[] = req.creations.map((c) => {
      const b: AclBinding = {
        resourceType: c.resourceType, resourceName: c.resourceName, patternType: ctx.apiVersion >= 1 ? c.resourcePatternType : 3,
        principal: c.principal, host: c.host, operation: c.operation, permission: c.permissionType,
      };
      return invalidBinding(b) ?? b;
    });
    const valid = bindings.filter((b): b is AclBinding => typeof b !== 'string');
    if (!(await ctx.broker.acls.create(valid))) return all(ErrorCode.INVALID_REQUEST, `More than ${ACL_BINDINGS_MAX} ACL bindings`);
    return { throttleTimeMs: 0, results: bindings.map((b) => (typeof b === 'string' ? { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: b } : { errorCode: ErrorCode.NONE, errorMessage: null })) };
  },
});
