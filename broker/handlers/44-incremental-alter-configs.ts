// IncrementalAlterConfigs: SET, DELETE, APPEND and SUBTRACT on a topic's
// config overrides (list values are comma-separated, as in Kafka).

import { IncrementalAlterConfigsApi } from '../../protocol/generated/index.ts';
import { defaultIncrementalAlterConfigsResponse, type AlterConfigsResourceResponse } from '../../protocol/generated/IncrementalAlterConfigsResponse.ts';
import { effectiveTopicConfig, topicConfigDef } from '../topics/topic-configs.ts';
import { ResourceType } from './32-describe-configs.ts';
import { alterConfigs } from './alter-configs.ts';
import { AclOperation } from '../security/acl.ts';
import { configDenied } from './config-authorization.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { TopicCatalog } from './broker-services.ts';

const Op = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export const incrementalAlterConfigsHandler = defineHandler({
  api: IncrementalAlterConfigsApi,
  minVersion: 0,
  maxVersion: 1,
  handle: async (req, ctx: RequestContext<TopicCatalog>) => {
    const responses: AlterConfigsResourceResponse[] = [];
    for (const r of req.resources) {
      const denied = configDenied(ctx, AclOperation.ALTER_CONFIGS, r.resourceType, r.resourceName);
      if (denied !== undefined) {
        responses.push({ errorCode: denied, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName });
        continue;
      }
      const outcome = await alterConfigs(ctx.broker, r.resourceType, r.resourceName, req.validateOnly, (configs) => {
        for (const c of r.configs) {
          // APPEND and SUBTRACT start from the current value: the override, else (a topic's list config) its default.
          const current = (): string => configs[c.name] ?? (r.resourceType === ResourceType.TOPIC && topicConfigDef(c.name) !== undefined
            ? effectiveTopicConfig(configs, c.name, ctx.broker.brokerConfigs.layers()) : '');
          const list = (): string[] => current().split(',').map((s) => s.trim()).filter((s) => s.length > 0);
          switch (c.configOperation) {
            case Op.SET:
              if (c.value === null) return `Null value not supported for ${c.name}`;
              configs[c.name] = c.value;
              break;
            case Op.DELETE:
              delete configs[c.name];
              break;
            case Op.APPEND:
              configs[c.name] = [...new Set([...list(), ...(c.value ?? '').split(',')])].join(',');
              break;
            case Op.SUBTRACT: {
              const remove = new Set((c.value ?? '').split(','));
              configs[c.name] = list().filter((v) => !remove.has(v)).join(',');
              break;
            }
            default:
              return `Unknown config operation ${c.configOperation}`;
          }
        }
        return configs;
      });
      responses.push({ ...outcome, resourceType: r.resourceType, resourceName: r.resourceName });
    }
    return { ...defaultIncrementalAlterConfigsResponse(), responses };
  },
});
