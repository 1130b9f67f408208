// Shared by AlterConfigs and IncrementalAlterConfigs: validates a topic's
// new set of config overrides and stores it (unless validate_only).
// Dynamic broker configs are not supported and say so.

import { ErrorCode } from '../../protocol/errors.ts';
import { validateTopicConfigs } from '../topics/topic-configs.ts';
import type { TopicCatalog } from './broker-services.ts';
import { ResourceType } from './32-describe-configs.ts';

export interface AlterOutcome {
  errorCode: number;
  errorMessage: string | null;
}

export async function alterTopicConfigs(
  broker: Pick<TopicCatalog, 'topics'>, resourceType: number, resourceName: string, validateOnly: boolean,
  next: (current: Record<string, string>) => Record<string, string> | string,
): Promise<AlterOutcome> {
  if (resourceType === ResourceType.BROKER) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'dynamic broker configs are not supported by floe; set them at start' };
  }
  if (resourceType !== ResourceType.TOPIC) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${resourceType}` };
  const t = broker.topics.get(resourceName);
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
