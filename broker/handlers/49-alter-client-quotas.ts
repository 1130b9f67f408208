// AlterClientQuotas: sets and removes quota values per entity (user and/or
// client-id, a null name being the default), each entry checked as Kafka
// checks it. Needs ALTER_CONFIGS on the cluster.

import { AlterClientQuotasApi } from '../../protocol/generated/index.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl.ts';
import { QUOTA_KEYS, type QuotaEntity, type QuotaKey } from '../quotas/client-quotas.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { QuotaServices } from './broker-services.ts';

const isQuotaKey = (k: string): k is QuotaKey => (QUOTA_KEYS as readonly string[]).includes(k);

export const alterClientQuotasHandler = defineHandler({
  api: AlterClientQuotasApi,
  minVersion: 0,
  maxVersion: 1,
  handle: async (req, ctx: RequestContext<QuotaServices>) => {
    const denied = !ctx.allowed(AclOperation.ALTER_CONFIGS, ResourceType.CLUSTER, CLUSTER_NAME);
    const entries = [];
    for (const e of req.entries) {
      const result = (errorCode: number, errorMessage: string | null) => ({ errorCode, errorMessage, entity: e.entity.map((x) => ({ entityType: x.entityType, entityName: x.entityName })) });
      if (denied) { entries.push(result(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.')); continue; }
      const entity: QuotaEntity = {};
      let problem: string | undefined;
      for (const x of e.entity) {
        if (x.entityType !== 'user' && x.entityType !== 'client-id') problem = `Unsupported entity type ${x.entityType}`;
        else if (entity[x.entityType] !== undefined) problem = `Duplicate entity type ${x.entityType}`;
        else entity[x.entityType] = x.entityName;
      }
      if (e.entity.length === 0) problem = 'Invalid empty client quota entity';
      const set: Partial<Record<QuotaKey, number>> = {};
      const remove: QuotaKey[] = [];
      for (const op of e.ops) {
        if (!isQuotaKey(op.key)) problem ??= `Unknown quota key ${op.key}`;
        else if (op.remove) remove.push(op.key);
        else if (!(op.value > 0) || (op.key !== 'request_percentage' && !Number.isInteger(op.value))) problem ??= `Invalid value ${op.value} for ${op.key}: a positive ${op.key === 'request_percentage' ? 'number' : 'integer'} is required`;
        else set[op.key] = op.value;
      }
      if (problem !== undefined) { entries.push(result(ErrorCode.INVALID_REQUEST, problem)); continue; }
      if (!req.validateOnly) await ctx.broker.quotas.alter(entity, set, remove);
      entries.push(result(ErrorCode.NONE, null));
    }
    return { throttleTimeMs: 0, entries };
  },
});
