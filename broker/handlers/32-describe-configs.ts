// DescribeConfigs for topics (overrides and defaults, with Kafka's config
// sources and synonyms) and for this broker (its static settings; secrets
// are never returned).

import { DescribeConfigsApi } from '../../protocol/generated/index.ts';
import { defaultDescribeConfigsResponse, type DescribeConfigsResourceResult, type DescribeConfigsResult } from '../../protocol/generated/DescribeConfigsResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { ConfigSource, ConfigType, FLOE_TOPIC_CONFIGS, TOPIC_CONFIGS, brokerSynonymDefault, resolveTopicConfig, topicConfigDef, type TopicConfigDef } from '../topics/topic-configs.ts';
import { brokerConfigEntries, isSettingDefault } from '../config.ts';
import { DynamicBrokerConfigs } from '../topics/dynamic-broker-configs.ts';
import { AclOperation } from '../security/acl.ts';
import { configDenied } from './config-authorization.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { TopicCatalog } from './broker-services.ts';

export const ResourceType = { TOPIC: 2, BROKER: 4 } as const;

export const describeConfigsHandler = defineHandler({
  api: DescribeConfigsApi,
  minVersion: 0,
  maxVersion: 4,
  handle: async (req, ctx: RequestContext<TopicCatalog>) => {
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
        const t = await broker.topics.getFresh(r.resourceName);
        if (t === undefined) {
          out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          out.errorMessage = `Topic ${r.resourceName} does not exist`;
          continue;
        }
        // Named configs come back in the order asked (unknown names are left out), all of them in Kafka's.
        const defs: TopicConfigDef[] = r.configurationKeys === null || r.configurationKeys.length === 0 ? [...TOPIC_CONFIGS, ...FLOE_TOPIC_CONFIGS.filter((d) => t.configs[d.name] !== undefined)]
          : [...new Set(r.configurationKeys)].map((name) => topicConfigDef(name)).filter((d) => d !== undefined);
        const layers = broker.brokerConfigs.layers();
        for (const def of defs) {
          const resolved = resolveTopicConfig(def, t.configs, layers);
          out.configs.push({
            name: def.name, value: resolved.value, readOnly: false, isDefault: resolved.source === ConfigSource.DEFAULT_CONFIG,
            configSource: resolved.source, isSensitive: false, synonyms: req.includeSynonyms ? resolved.synonyms : [],
            configType: def.type, documentation: null,
          });
        }
      } else if (r.resourceType === ResourceType.BROKER) {
        if (r.resourceName !== '' && r.resourceName !== String(broker.config.nodeId)) {
          out.errorCode = ErrorCode.INVALID_REQUEST;
          out.errorMessage = `Unexpected broker id, expected ${broker.config.nodeId} but received ${r.resourceName}`;
          continue;
        }
        // The cluster-wide default ('') has only its dynamic configs; a broker, its settings with the dynamic ones over them.
        const dynamicDefault = broker.brokerConfigs.configsOf('');
        const dynamicBroker = r.resourceName === '' ? {} : broker.brokerConfigs.configsOf(r.resourceName);
        const entries = new Map<string, { value: string | null; source: number; readOnly: boolean }>();
        if (r.resourceName !== '') {
          // Kafka lists every setting: the dynamic ones (topic defaults) at their defaults unless set, then what it started with.
          for (const name of DynamicBrokerConfigs.dynamicNames()) entries.set(name, { value: brokerSynonymDefault(name), source: ConfigSource.DEFAULT_CONFIG, readOnly: false });
          for (const [name, value] of brokerConfigEntries(broker.config)) {
            entries.set(name, {
              value, source: isSettingDefault(name, value) ? ConfigSource.DEFAULT_CONFIG : ConfigSource.STATIC_BROKER_CONFIG, readOnly: !DynamicBrokerConfigs.isDynamic(name),
            });
          }
        }
        for (const [name, value] of Object.entries(dynamicDefault)) entries.set(name, { value, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, readOnly: false });
        for (const [name, value] of Object.entries(dynamicBroker)) entries.set(name, { value, source: ConfigSource.DYNAMIC_BROKER_CONFIG, readOnly: false });
        for (const [name, e] of entries) {
          if (!wanted(name)) continue;
          // As Kafka: a name it does not know might be a secret, so its value is not shown.
          const known = e.source === ConfigSource.STATIC_BROKER_CONFIG || e.source === ConfigSource.DEFAULT_CONFIG || DynamicBrokerConfigs.isKnown(name);
          out.configs.push({
            name, value: known ? e.value : null, readOnly: e.readOnly, isDefault: false, configSource: e.source,
            isSensitive: !known, synonyms: [], configType: ConfigType.STRING, documentation: null,
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
