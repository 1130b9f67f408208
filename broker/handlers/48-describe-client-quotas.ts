// DescribeClientQuotas: the quota entities that match the filter's
// components (a name, the default, or any), strictly (no other entity types)
// or not. Needs DESCRIBE_CONFIGS on the cluster.

import { DescribeClientQuotasApi } from '../../protocol/generated/index.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl.ts';
import type { QuotaEntity } from '../quotas/client-quotas.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { QuotaServices } from './broker-services.ts';

const MATCH_EXACT = 0;
const MATCH_DEFAULT = 1;
const ENTITY_TYPES = new Set(['user', 'client-id']);

export const describeClientQuotasHandler = defineHandler({
  api: DescribeClientQuotasApi,
  minVersion: 0,
  maxVersion: 1,
  handle: async (req, ctx: RequestContext<QuotaServices>) => {
    const fail = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, errorCode, errorMessage, entries: null });
    if (!ctx.allowed(AclOperation.DESCRIBE_CONFIGS, ResourceType.CLUSTER, CLUSTER_NAME)) return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    for (const c of req.components) {
      if (!ENTITY_TYPES.has(c.entityType)) return fail(ErrorCode.INVALID_REQUEST, `Unsupported entity type ${c.entityType}`);
    }
    if (new Set(req.components.map((c) => c.entityType)).size !== req.components.length) return fail(ErrorCode.INVALID_REQUEST, 'Duplicate entity type in the filter');
    const matches = (e: QuotaEntity): boolean => {
      for (const c of req.components) {
        const v = e[c.entityType as keyof QuotaEntity];
        if (v === undefined) return false;
        if (c.matchType === MATCH_EXACT && v !== c.match) return false;
        if (c.matchType === MATCH_DEFAULT && v !== null) return false;
      }
      if (req.strict) return (Object.keys(e) as (keyof QuotaEntity)[]).filter((k) => e[k] !== undefined).every((k) => req.components.some((c) => c.entityType === k));
      return true;
    };
    const entries = (await ctx.broker.quotas.current()).filter((q) => matches(q.entity)).map((q) => ({
      entity: (Object.entries(q.entity) as [string, string | null | undefined][]).filter(([, v]) => v !== undefined).map(([entityType, entityName]) => ({ entityType, entityName: entityName ?? null })),
      values: Object.entries(q.values).map(([key, value]) => ({ key, value: value! })),
    }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, entries };
  },
});
