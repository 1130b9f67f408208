// Owns the topic configs floe understands: Kafka's names, defaults and
// validation. A value that is not valid, or a config floe cannot honour, is
// an INVALID_CONFIG error with a message.

export interface TopicConfigDef {
  name: string;
  default: string;
  validate(v: string): string | undefined;
  /** Broker-level setting Kafka uses as this config's default (a "synonym"). */
  brokerSynonym?: string;
}

const isLong = (min: number) => (v: string): string | undefined =>
  /^-?\d+$/.test(v) && Number(v) >= min ? undefined : `must be an integer >= ${min}`;

export const TOPIC_CONFIGS: readonly TopicConfigDef[] = [
  { name: 'cleanup.policy', default: 'delete', brokerSynonym: 'log.cleanup.policy', validate: (v) => {
    const parts = v.split(',').map((p) => p.trim());
    return parts.some((p) => p !== 'delete' && p !== 'compact') ? 'must be delete, compact or both' : undefined;
  } },
  { name: 'min.cleanable.dirty.ratio', default: '0.5', brokerSynonym: 'log.cleaner.min.cleanable.ratio', validate: (v) => (/^\d*\.?\d+$/.test(v) && Number(v) >= 0 && Number(v) <= 1 ? undefined : 'must be a number between 0 and 1') },
  { name: 'min.compaction.lag.ms', default: '0', brokerSynonym: 'log.cleaner.min.compaction.lag.ms', validate: isLong(0) },
  { name: 'max.compaction.lag.ms', default: '9223372036854775807', brokerSynonym: 'log.cleaner.max.compaction.lag.ms', validate: isLong(1) },
  { name: 'delete.retention.ms', default: '86400000', brokerSynonym: 'log.cleaner.delete.retention.ms', validate: isLong(0) },
  { name: 'retention.ms', default: '604800000', brokerSynonym: 'log.retention.ms', validate: isLong(-1) },
  { name: 'retention.bytes', default: '-1', brokerSynonym: 'log.retention.bytes', validate: isLong(-1) },
  { name: 'max.message.bytes', default: '1048588', brokerSynonym: 'message.max.bytes', validate: isLong(0) },
  { name: 'message.timestamp.type', default: 'CreateTime', brokerSynonym: 'log.message.timestamp.type', validate: (v) => (v === 'CreateTime' || v === 'LogAppendTime' ? undefined : 'must be CreateTime or LogAppendTime') },
  { name: 'segment.bytes', default: '1073741824', brokerSynonym: 'log.segment.bytes', validate: isLong(14) },
  { name: 'segment.ms', default: '604800000', brokerSynonym: 'log.roll.ms', validate: isLong(1) },
  { name: 'min.insync.replicas', default: '1', brokerSynonym: 'min.insync.replicas', validate: isLong(1) },
  { name: 'compression.type', default: 'producer', brokerSynonym: 'compression.type', validate: (v) => (v === 'producer' ? undefined : 'only producer is supported: floe stores batches as the producer compressed them') },
];

export function topicConfigDef(name: string): TopicConfigDef | undefined {
  return TOPIC_CONFIGS.find((c) => c.name === name);
}

/** Validates a set of config overrides; returns an error message for the first bad one. */
export function validateTopicConfigs(configs: Record<string, string>): string | undefined {
  for (const [k, v] of Object.entries(configs)) {
    const def = topicConfigDef(k);
    if (def === undefined) return `Unknown topic config name: ${k}`;
    const err = def.validate(v);
    if (err !== undefined) return `Invalid value ${v} for configuration ${k}: ${err}`;
  }
  return undefined;
}

export function effectiveTopicConfig(overrides: Record<string, string>, name: string): string {
  return overrides[name] ?? topicConfigDef(name)?.default ?? '';
}

/** Whether a topic's cleanup.policy (delete, compact or both) includes `policy`. */
export function cleanupPolicyIncludes(overrides: Record<string, string>, policy: 'compact' | 'delete'): boolean {
  return effectiveTopicConfig(overrides, 'cleanup.policy').split(',').some((p) => p.trim() === policy);
}
