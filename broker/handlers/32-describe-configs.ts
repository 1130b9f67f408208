// DescribeConfigs for topics (overrides and defaults, with Kafka's config
// sources and synonyms) and for this broker (its static settings; secrets
// are never returned).

import { DescribeConfigsApi } from '../../protocol/generated/index.ts';
import { defaultDescribeConfigsResponse, type DescribeConfigsResourceResult, type DescribeConfigsResult } from '../../protocol/generated/DescribeConfigsResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { TOPIC_CONFIGS } from '../topics/topic-configs.ts';
import { brokerConfigEntries } from '../config.ts';
import { AclOperation } from '../security/acl.ts';
import { configDenied } from './config-authorization.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { TopicCatalog } from './broker-services.ts';

export const ResourceType = { TOPIC: 2, BROKER: 4 } as const;
/** Kafka's ConfigSource values. */
export const ConfigSource = { TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;
const CONFIG_TYPE_STRING = 2;

export const describeConfigsHandler = defineHandler({
  api: DescribeConfigsApi,
  minVersion: 0,
  maxVersion: 4,
  handle: (req, ctx: RequestContext<TopicCatalog>) => {
    const { broker } = ctx;
    const results: DescribeConfigsResult[] = [];
    for (const r of req.resources) {
      const out: DescribeConfigsResult = { errorCode: 0, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] };
      results.push(out);
      const denied = configDenied(ctx, AclOperation.DESCRIBE_CONFIGS, r.resourceType, r.resourceName);
      if (denied !== undefined) {
        out.errorCode = denied;
        continue;
      }
      const wanted = (name: string): boolean => r.configurationKeys === null || r.configurationKeys.length === 0 || r.configurationKeys.includes(name);
      if (r.resourceType === ResourceType.TOPIC) {
        const t = broker.topics.get(r.resourceName);
        if (t === undefined) {
          out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          out.errorMessage = `Topic ${r.resourceName} does not exist`;
          continue;
        }
        for (const def of TOPIC_CONFIGS) {
          if (!wanted(def.name)) continue;
          const override = t.configs[def.name];
          const entry: DescribeConfigsResourceResult = {
            name: def.name, value: override ?? def.default, readOnly: false, isDefault: override === undefined,
            configSource: override !== undefined ? ConfigSource.TOPIC_CONFIG : ConfigSource.DEFAULT_CONFIG,
            isSensitive: false, synonyms: [], configType: CONFIG_TYPE_STRING, documentation: null,
          };
          if (req.includeSynonyms) {
            if (override !== undefined) entry.synonyms.push({ name: def.name, value: override, source: ConfigSource.TOPIC_CONFIG });
            if (def.brokerSynonym !== undefined) entry.synonyms.push({ name: def.brokerSynonym, value: def.default, source: ConfigSource.DEFAULT_CONFIG });
          }
          out.configs.push(entry);
        }
      } else if (r.resourceType === ResourceType.BROKER) {
        if (r.resourceName !== '' && r.resourceName !== String(broker.config.nodeId)) {
          out.errorCode = ErrorCode.INVALID_REQUEST;
          out.errorMessage = `Unexpected broker id, expected ${broker.config.nodeId} but received ${r.resourceName}`;
          continue;
        }
        for (const [name, value] of brokerConfigEntries(broker.config)) {
          if (!wanted(name)) continue;
          out.configs.push({
            name, value, readOnly: true, isDefault: false, configSource: ConfigSource.STATIC_BROKER_CONFIG,
            isSensitive: false, synonyms: [], configType: CONFIG_TYPE_STRING, documentation: null,
          });
        }
      } else {
        out.errorCode = ErrorCode.INVALID_REQUEST;
        out.errorMessage = `Unsupported resource type ${r.resourceType}`;
      }
    }
    return { ...defaultDescribeConfigsResponse(), results };
  },
});
