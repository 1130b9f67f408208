// Shared by AlterConfigs and IncrementalAlterConfigs: validates the new set
// of a topic's config overrides (INVALID_CONFIG) or of a broker entity's
// dynamic configs (INVALID_REQUEST, as Kafka answers) and stores it (unless
// validate_only).

import { ErrorCode } from '../../protocol/errors.ts';
import { validateTopicConfigs } from '../topics/topic-configs.ts';
import type { TopicCatalog } from './broker-services.ts';
import { ResourceType } from './32-describe-configs.ts';
import { DynamicBrokerConfigs } from '../topics/dynamic-broker-configs.ts';

export interface AlterOutcome {
  errorCode: number;
  errorMessage: string | null;
}

export async function alterConfigs(
  broker: Pick<TopicCatalog, 'topics' | 'brokerConfigs'>, resourceType: number, resourceName: string, validateOnly: boolean,
  next: (current: Record<string, string>) => Record<string, string> | string,
): Promise<AlterOutcome> {
  if (resourceType === ResourceType.BROKER) {
    const problem = await broker.brokerConfigs.alter(resourceName, validateOnly, (configs) => {
      const wanted = next({ ...configs });
      if (typeof wanted === 'string') return wanted;
      for (const [name, value] of Object.entries(wanted)) {
        const bad = configs[name] === value ? undefined : DynamicBrokerConfigs.problem(name, value);
        if (bad !== undefined) return bad;
      }
      for (const name of Object.keys(configs)) {
        if (wanted[name] !== undefined) continue;
        const bad = DynamicBrokerConfigs.problem(name, null);
        if (bad !== undefined) return bad;
        delete configs[name];
      }
      Object.assign(configs, wanted);
      return undefined;
    });
    return problem === undefined ? { errorCode: ErrorCode.NONE, errorMessage: null } : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem };
  }
  if (resourceType !== ResourceType.TOPIC) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${resourceType}` };
  const t = await broker.topics.getFresh(resourceName);
  if (t === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${resourceName} does not exist` };
  const configs = next({ ...t.configs });
  if (typeof configs === 'string') return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: configs };
  const problem = validateTopicConfigs(configs);
  if (problem !== undefined) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: problem };
  if (!validateOnly && !(await broker.topics.setConfigs(resourceName, configs))) {
    return { errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: 'the topic changed meanwhile; retry' };
  }
  return { errorCode: ErrorCode.NONE, errorMessage: null };
}
