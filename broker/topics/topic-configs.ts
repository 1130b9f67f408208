// Owns the topic configs floe understands: Kafka's names, defaults and
// validation. A value that is not valid, or a config floe cannot honour, is
// an INVALID_CONFIG error with a message.

/** Kafka's ConfigType, as DescribeConfigs v3+ reports it. */
export const ConfigType = { BOOLEAN: 1, STRING: 2, INT: 3, LONG: 5, DOUBLE: 6, LIST: 7 } as const;
export type ConfigTypeValue = (typeof ConfigType)[keyof typeof ConfigType];

export interface TopicConfigDef {
  name: string;
  default: string;
  type: ConfigTypeValue;
  validate(v: string): string | undefined;
  /**
   * Broker settings Kafka uses as this config's default, in its order of
   * precedence (log.retention.ms before log.retention.minutes before
   * log.retention.hours); the first is the one a broker sets dynamically.
   */
  brokerSynonyms: readonly string[];
  /** Whether floe acts on it; the others are accepted and kept, as a diskless log has nothing for them to tune. */
  honoured: boolean;
}

const LONG_MAX = '9223372036854775807';
// Kafka's ConfigDef messages, so a client shows the same text.
const isLong = (min: number) => (v: string): string | undefined => {
  if (!/^-?\d+$/.test(v) || BigInt(v) > BigInt(LONG_MAX) || BigInt(v) < -BigInt(LONG_MAX) - 1n) return 'Not a number of type LONG';
  return BigInt(v) >= BigInt(min) ? undefined : `Value must be at least ${min}`;
};
const isInt = (min: number, max?: number) => (v: string): string | undefined => {
  if (!/^-?\d+$/.test(v) || Number(v) > 2147483647 || Number(v) < -2147483648) return 'Not a number of type INT';
  if (max === undefined) return Number(v) >= min ? undefined : `Value must be at least ${min}`;
  return Number(v) < min ? `Value must be no less than ${min}` : Number(v) > max ? `Value must be no more than ${max}` : undefined;
};
const isBoolean = (v: string): string | undefined => (v === 'true' || v === 'false' ? undefined : 'Expected value to be either true or false');
const oneOf = (...values: string[]) => (v: string): string | undefined => (values.includes(v) ? undefined : `String must be one of: ${values.join(', ')}`);
/** Kafka's ThrottledReplicaListValidator: empty, `*`, or partition:broker pairs. */
const throttledReplicas = (v: string): string | undefined =>
  v.trim() === '' || v.trim() === '*' || v.split(',').every((p) => /^\s*\d+\s*:\s*\d+\s*$/.test(p)) ? undefined
    : 'must be the literal \'*\' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...';

/**
 * Apache Kafka 4.3's topic configs, with its defaults, types and bounds (checked
 * side by side in test/differential). Kafka 4 refuses the ones it removed
 * (message.format.version, message.timestamp.difference.max.ms,
 * message.downconversion.enable), and so does floe.
 */
export const TOPIC_CONFIGS: readonly TopicConfigDef[] = [
  { name: 'cleanup.policy', default: 'delete', type: ConfigType.LIST, brokerSynonyms: ['log.cleanup.policy'], honoured: true, validate: (v) => {
    const parts = v.split(',').map((p) => p.trim()).filter((p) => p !== '');
    return parts.some((p) => p !== 'delete' && p !== 'compact') ? 'must be delete, compact or both' : undefined;
  } },
  { name: 'compression.gzip.level', default: '-1', type: ConfigType.INT, brokerSynonyms: ['compression.gzip.level'], honoured: true,
    validate: (v) => (v === '-1' ? undefined : isInt(1, 9)(v) === undefined ? undefined : 'Value must be -1 or in [1, 9]') },
  { name: 'compression.lz4.level', default: '9', type: ConfigType.INT, brokerSynonyms: ['compression.lz4.level'], honoured: false, validate: isInt(1, 17) },
  { name: 'compression.type', default: 'producer', type: ConfigType.STRING, brokerSynonyms: ['compression.type'], honoured: true,
    validate: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer') },
  { name: 'compression.zstd.level', default: '3', type: ConfigType.INT, brokerSynonyms: ['compression.zstd.level'], honoured: true, validate: isInt(-131072, 22) },
  { name: 'delete.retention.ms', default: '86400000', type: ConfigType.LONG, brokerSynonyms: ['log.cleaner.delete.retention.ms'], honoured: true, validate: isLong(0) },
  { name: 'file.delete.delay.ms', default: '60000', type: ConfigType.LONG, brokerSynonyms: ['log.segment.delete.delay.ms'], honoured: false, validate: isLong(0) },
  { name: 'flush.messages', default: LONG_MAX, type: ConfigType.LONG, brokerSynonyms: ['log.flush.interval.messages'], honoured: false, validate: isLong(1) },
  { name: 'flush.ms', default: LONG_MAX, type: ConfigType.LONG, brokerSynonyms: ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'], honoured: false, validate: isLong(0) },
  { name: 'follower.replication.throttled.replicas', default: '', type: ConfigType.LIST, brokerSynonyms: [], honoured: false, validate: throttledReplicas },
  { name: 'index.interval.bytes', default: '4096', type: ConfigType.INT, brokerSynonyms: ['log.index.interval.bytes'], honoured: false, validate: isInt(0) },
  { name: 'leader.replication.throttled.replicas', default: '', type: ConfigType.LIST, brokerSynonyms: [], honoured: false, validate: throttledReplicas },
  { name: 'local.retention.bytes', default: '-2', type: ConfigType.LONG, brokerSynonyms: ['log.local.retention.bytes'], honoured: false, validate: isLong(-2) },
  { name: 'local.retention.ms', default: '-2', type: ConfigType.LONG, brokerSynonyms: ['log.local.retention.ms'], honoured: false, validate: isLong(-2) },
  { name: 'max.compaction.lag.ms', default: LONG_MAX, type: ConfigType.LONG, brokerSynonyms: ['log.cleaner.max.compaction.lag.ms'], honoured: true, validate: isLong(1) },
  { name: 'max.message.bytes', default: '1048588', type: ConfigType.INT, brokerSynonyms: ['message.max.bytes'], honoured: true, validate: isInt(0) },
  { name: 'message.timestamp.after.max.ms', default: '3600000', type: ConfigType.LONG, brokerSynonyms: ['log.message.timestamp.after.max.ms'], honoured: true, validate: isLong(0) },
  { name: 'message.timestamp.before.max.ms', default: LONG_MAX, type: ConfigType.LONG, brokerSynonyms: ['log.message.timestamp.before.max.ms'], honoured: true, validate: isLong(0) },
  { name: 'message.timestamp.type', default: 'CreateTime', type: ConfigType.STRING, brokerSynonyms: ['log.message.timestamp.type'], honoured: true, validate: oneOf('CreateTime', 'LogAppendTime') },
  { name: 'min.cleanable.dirty.ratio', default: '0.5', type: ConfigType.DOUBLE, brokerSynonyms: ['log.cleaner.min.cleanable.ratio'], honoured: true,
    validate: (v) => (/^\d*\.?\d+$/.test(v) && Number(v) >= 0 && Number(v) <= 1 ? undefined : 'Value must be in [0, 1]') },
  { name: 'min.compaction.lag.ms', default: '0', type: ConfigType.LONG, brokerSynonyms: ['log.cleaner.min.compaction.lag.ms'], honoured: true, validate: isLong(0) },
  { name: 'min.insync.replicas', default: '1', type: ConfigType.INT, brokerSynonyms: ['min.insync.replicas'], honoured: false, validate: isInt(1) },
  { name: 'preallocate', default: 'false', type: ConfigType.BOOLEAN, brokerSynonyms: ['log.preallocate'], honoured: false, validate: isBoolean },
  { name: 'remote.log.copy.disable', default: 'false', type: ConfigType.BOOLEAN, brokerSynonyms: [], honoured: false, validate: isBoolean },
  { name: 'remote.log.delete.on.disable', default: 'false', type: ConfigType.BOOLEAN, brokerSynonyms: [], honoured: false, validate: isBoolean },
  // Kafka refuses true unless the broker has tiered storage; floe's whole log is in object storage already.
  { name: 'remote.storage.enable', default: 'false', type: ConfigType.BOOLEAN, brokerSynonyms: [], honoured: false,
    validate: (v) => (v === 'false' ? undefined : isBoolean(v) ?? 'Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.') },
  { name: 'retention.bytes', default: '-1', type: ConfigType.LONG, brokerSynonyms: ['log.retention.bytes'], honoured: true, validate: isLong(-1) },
  { name: 'retention.ms', default: '604800000', type: ConfigType.LONG, brokerSynonyms: ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'], honoured: true, validate: isLong(-1) },
  { name: 'segment.bytes', default: '1073741824', type: ConfigType.INT, brokerSynonyms: ['log.segment.bytes'], honoured: true, validate: isInt(1048576) },
  { name: 'segment.index.bytes', default: '10485760', type: ConfigType.INT, brokerSynonyms: ['log.index.size.max.bytes'], honoured: false, validate: isInt(4) },
  { name: 'segment.jitter.ms', default: '0', type: ConfigType.LONG, brokerSynonyms: ['log.roll.jitter.ms', 'log.roll.jitter.hours'], honoured: false, validate: isLong(0) },
  { name: 'segment.ms', default: '604800000', type: ConfigType.LONG, brokerSynonyms: ['log.roll.ms', 'log.roll.hours'], honoured: true, validate: isLong(1) },
  { name: 'unclean.leader.election.enable', default: 'false', type: ConfigType.BOOLEAN, brokerSynonyms: ['unclean.leader.election.enable'], honoured: false, validate: isBoolean },
];

const SUBJECT_NAME_STRATEGIES = ['TopicNameStrategy', 'RecordNameStrategy', 'TopicRecordNameStrategy'];

/**
 * floe's own topic configs (not Kafka's, so DescribeConfigs lists them only
 * where a topic sets them, and a Kafka tool sees Kafka's list): schema
 * validation of records on produce, and where records that fail it go. The
 * subject name strategies take Confluent's names.
 */
export const FLOE_TOPIC_CONFIGS: readonly TopicConfigDef[] = [
  { name: 'floe.key.schema.validation', default: 'off', type: ConfigType.STRING, brokerSynonyms: [], honoured: true, validate: oneOf('off', 'id', 'content') },
  { name: 'floe.value.schema.validation', default: 'off', type: ConfigType.STRING, brokerSynonyms: [], honoured: true, validate: oneOf('off', 'id', 'content') },
  { name: 'floe.key.subject.name.strategy', default: 'TopicNameStrategy', type: ConfigType.STRING, brokerSynonyms: [], honoured: true, validate: oneOf(...SUBJECT_NAME_STRATEGIES) },
  { name: 'floe.value.subject.name.strategy', default: 'TopicNameStrategy', type: ConfigType.STRING, brokerSynonyms: [], honoured: true, validate: oneOf(...SUBJECT_NAME_STRATEGIES) },
  { name: 'floe.validation.failure', default: 'reject', type: ConfigType.STRING, brokerSynonyms: [], honoured: true, validate: oneOf('reject', 'dead-letter') },
  // Empty: the topic's name and `.dlq`.
  { name: 'floe.dead.letter.topic', default: '', type: ConfigType.STRING, brokerSynonyms: [], honoured: true,
    validate: (v) => (v === '' || /^[a-zA-Z0-9._-]{1,249}$/.test(v) ? undefined : 'must be empty or a valid topic name') },
];

const BY_NAME: ReadonlyMap<string, TopicConfigDef> = new Map([...TOPIC_CONFIGS, ...FLOE_TOPIC_CONFIGS].map((d) => [d.name, d]));

export function topicConfigDef(name: string): TopicConfigDef | undefined {
  return BY_NAME.get(name);
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

/** Kafka's ConfigSource values (DescribeConfigs). */
export const ConfigSource = {
  TOPIC_CONFIG: 1, DYNAMIC_BROKER_CONFIG: 2, DYNAMIC_DEFAULT_BROKER_CONFIG: 3, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5,
} as const;

/**
 * The broker settings a topic's unset configs fall back on, in Kafka's order:
 * this broker's dynamic configs, then the cluster-wide dynamic defaults, then
 * the settings it started with, then Kafka's defaults.
 */
export interface BrokerConfigLayers {
  readonly dynamicBroker: Readonly<Record<string, string>>;
  readonly dynamicDefault: Readonly<Record<string, string>>;
  readonly staticBroker: Readonly<Record<string, string>>;
}

export const NO_BROKER_CONFIGS: BrokerConfigLayers = { dynamicBroker: {}, dynamicDefault: {}, staticBroker: {} };

/** Kafka's defaults of the broker synonyms that have one (those without none, e.g. log.retention.ms, are absent). */
const BROKER_SYNONYM_DEFAULTS: Readonly<Record<string, string>> = Object.fromEntries([
  ...TOPIC_CONFIGS.filter((d) => d.brokerSynonyms.length === 1).map((d) => [d.brokerSynonyms[0]!, d.default]),
  ['log.retention.hours', '168'], ['log.roll.hours', '168'], ['log.roll.jitter.hours', '0'], ['log.flush.scheduler.interval.ms', LONG_MAX],
]);
/** Kafka's default of a broker setting that is a topic config's synonym; null when it has none (log.retention.ms). */
export function brokerSynonymDefault(name: string): string | null {
  return BROKER_SYNONYM_DEFAULTS[name] ?? null;
}

/** Synonyms in another unit than the topic config's milliseconds. */
const SYNONYM_UNIT_MS: Readonly<Record<string, number>> = {
  'log.retention.minutes': 60_000, 'log.retention.hours': 3_600_000, 'log.roll.hours': 3_600_000, 'log.roll.jitter.hours': 3_600_000,
};

export interface ConfigSynonym {
  name: string;
  value: string;
  source: number;
}

export interface ResolvedTopicConfig {
  value: string;
  source: number;
  /** As Kafka lists them: the topic's override, then the broker synonyms from the first layer that sets the primary one. */
  synonyms: ConfigSynonym[];
}

/** A topic config's value, where it comes from, and its synonyms, as Kafka's DescribeConfigs reports them. */
export function resolveTopicConfig(def: TopicConfigDef, overrides: Readonly<Record<string, string>>, layers: BrokerConfigLayers): ResolvedTopicConfig {
  const fromBroker: ConfigSynonym[] = [];
  const add = (map: Readonly<Record<string, string>>, source: number) => {
    for (const name of def.brokerSynonyms) if (map[name] !== undefined) fromBroker.push({ name, value: map[name]!, source });
  };
  add(layers.dynamicBroker, ConfigSource.DYNAMIC_BROKER_CONFIG);
  add(layers.dynamicDefault, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
  add(layers.staticBroker, ConfigSource.STATIC_BROKER_CONFIG);
  add(BROKER_SYNONYM_DEFAULTS, ConfigSource.DEFAULT_CONFIG);
  // Kafka drops the synonyms before the first one named as the primary broker setting (so log.retention.hours=168
  // alone is not listed for retention.ms, while it is after a log.retention.ms that some layer sets).
  const primary = def.brokerSynonyms[0];
  const firstPrimary = fromBroker.findIndex((s) => s.name === primary);
  const synonyms = firstPrimary < 0 ? [] : fromBroker.slice(firstPrimary);
  const override = overrides[def.name];
  if (override !== undefined) {
    return { value: override, source: ConfigSource.TOPIC_CONFIG, synonyms: [{ name: def.name, value: override, source: ConfigSource.TOPIC_CONFIG }, ...synonyms] };
  }
  const set = fromBroker.find((s) => s.source !== ConfigSource.DEFAULT_CONFIG);
  if (set === undefined) return { value: def.default, source: ConfigSource.DEFAULT_CONFIG, synonyms };
  const unit = SYNONYM_UNIT_MS[set.name];
  return { value: unit === undefined ? set.value : String(BigInt(set.value) * BigInt(unit)), source: set.source, synonyms };
}

/** A topic config's value: its override, else the broker's (dynamic, then static) setting, else Kafka's default. */
export function effectiveTopicConfig(overrides: Readonly<Record<string, string>>, name: string, layers: BrokerConfigLayers): string {
  const override = overrides[name];
  if (override !== undefined) return override;
  const def = topicConfigDef(name);
  if (def === undefined) throw new Error(`unknown topic config ${name}`);
  // On the produce path: the common case (no broker setting) allocates nothing.
  for (const map of [layers.dynamicBroker, layers.dynamicDefault, layers.staticBroker]) {
    for (const synonym of def.brokerSynonyms) if (map[synonym] !== undefined) return resolveTopicConfig(def, overrides, layers).value;
  }
  return def.default;
}

/** Whether a topic's cleanup.policy (delete, compact, both or none) includes `policy`. */
export function cleanupPolicyIncludes(overrides: Readonly<Record<string, string>>, policy: 'compact' | 'delete', layers: BrokerConfigLayers): boolean {
  return effectiveTopicConfig(overrides, 'cleanup.policy', layers).split(',').some((p) => p.trim() === policy);
}
