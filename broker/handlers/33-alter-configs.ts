// AlterConfigs (the legacy, replace-everything form): the given configs
// become the topic's whole set of overrides.

import { AlterConfigsApi } from '../../protocol/generated/index.ts';
import { defaultAlterConfigsResponse, type AlterConfigsResourceResponse } from '../../protocol/generated/AlterConfigsResponse.ts';
import { alterConfigs } from './alter-configs.ts';
import { AclOperation } from '../security/acl.ts';
import { configDenied } from './config-authorization.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { TopicCatalog } from './broker-services.ts';

export const alterConfigsHandler = defineHandler({
  api: AlterConfigsApi,
  minVersion: 0,
  maxVersion: 2,
  handle: async (req, ctx: RequestContext<TopicCatalog>) => {
    const responses: AlterConfigsResourceResponse[] = [];
    for (const r of req.resources) {
      const denied = configDenied(ctx, AclOperation.ALTER_CONFIGS, r.resourceType, r.resourceName);
      if (denied !== undefined) {
        responses.push({ errorCode: denied, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName });
        continue;
      }
      const outcome = await alterConfigs(ctx.broker, r.resourceType, r.resourceName, req.validateOnly, () => {
        const configs: Record<string, string> = {};
        for (const c of r.configs) {
          if (c.value === null) return `Null value not supported for ${c.name}`;
          configs[c.name] = c.value;
        }
        return configs;
      });
      responses.push({ ...outcome, resourceType: r.resourceType, resourceName: r.resourceName });
    }
    return { ...defaultAlterConfigsResponse(), responses };
  },
});
