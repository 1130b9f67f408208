// Owns the dynamic broker configs (kafka-configs --entity-type brokers with
// --entity-default or --entity-name N): one record per entity in the metadata
// store, a copy in memory on every broker, and the layers a topic's unset
// configs fall back on. Validates changes as Kafka does: a topic config's
// broker synonym (log.retention.ms, message.max.bytes, ...) takes a valid
// value, a setting Kafka cannot change at runtime is refused, a name Kafka
// does not know is kept. Must not act on the values: readers ask `layers()`.

import type { MetadataStore, MetadataValue } from '../../s3stream/metadata/metadata-store.ts';
import { WatchedRecords } from '../watched-records.ts';
import { TOPIC_CONFIGS, type BrokerConfigLayers, type TopicConfigDef } from './topic-configs.ts';

interface StoredBrokerConfigs {
  /** '' for the cluster-wide default, else a broker's node id. */
  entity: string;
  configs: Record<string, string>;
}

const PREFIX = 'brokerconfig/';
const keyOf = (entity: string): string => `${PREFIX}${entity === '' ? '-' : entity}`;
/** Bounds what a client can store: Kafka keeps these in its metadata log, floe in its metadata store. */
export const DYNAMIC_CONFIGS_PER_ENTITY_MAX = 1000;

/** The broker settings that can change at runtime, each with the topic config it is the default of. */
const DYNAMIC: ReadonlyMap<string, TopicConfigDef> = new Map(TOPIC_CONFIGS.filter((d) => d.brokerSynonyms.length > 0).map((d) => [d.brokerSynonyms[0]!, d]));

/** Settings Kafka knows but changes only at restart (the rest of floe's startup settings are in brokerConfigEntries). */
const READ_ONLY = new Set([
  'broker.id', 'node.id', 'process.roles', 'controller.quorum.voters', 'controller.listener.names', 'log.dir', 'log.dirs', 'zookeeper.connect',
  'broker.rack', 'listeners', 'advertised.listeners', 'inter.broker.listener.name', 'listener.security.protocol.map', 'auto.create.topics.enable',
  'num.partitions', 'default.replication.factor', 'socket.request.max.bytes', 'authorizer.class.name', 'super.users', 'sasl.enabled.mechanisms',
  'offsets.topic.num.partitions', 'transaction.state.log.num.partitions', 'group.initial.rebalance.delay.ms', 'delete.topic.enable',
  ...TOPIC_CONFIGS.flatMap((d) => d.brokerSynonyms.slice(1)),
]);

export type BrokerConfigChange = { name: string; value: string | null };

export class DynamicBrokerConfigs {
  private readonly md: MetadataStore;
  private readonly nodeId: number;
  private readonly staticBroker: Readonly<Record<string, string>>;
  private readonly copy: WatchedRecords<StoredBrokerConfigs>;

  /** `staticBroker`: the settings this broker started with that Kafka would take from server.properties. */
  constructor(md: MetadataStore, nodeId: number, staticBroker: Readonly<Record<string, string>>) {
    this.md = md;
    this.nodeId = nodeId;
    this.staticBroker = staticBroker;
    this.copy = new WatchedRecords<StoredBrokerConfigs>(md, PREFIX);
  }

  start(): Promise<void> {
    return this.copy.start();
  }

  stop(): void {
    this.copy.stop();
  }

  /** The dynamic configs of an entity ('' = cluster default), as last read. */
  configsOf(entity: string): Readonly<Record<string, string>> {
    return this.copy.all.find((r) => r.entity === entity)?.configs ?? {};
  }

  /** What this broker's topics fall back on now. */
  layers(): BrokerConfigLayers {
    return { dynamicBroker: this.configsOf(String(this.nodeId)), dynamicDefault: this.configsOf(''), staticBroker: this.staticBroker };
  }

  /** Why a change of `name` would be refused (Kafka answers INVALID_REQUEST), or undefined. */
  static problem(name: string, value: string | null): string | undefined {
    if (READ_ONLY.has(name)) return `Cannot update these configs dynamically: Set(${name})`;
    const def = DYNAMIC.get(name);
    if (def === undefined || value === null) return undefined;
    const bad = def.validate(value);
    return bad === undefined ? undefined : `Invalid value ${value} for configuration ${name}: ${bad}`;
  }

  static isDynamic(name: string): boolean {
    return DYNAMIC.has(name);
  }

  /** The settings a broker takes at runtime (each a topic config's primary broker synonym). */
  static dynamicNames(): IterableIterator<string> {
    return DYNAMIC.keys();
  }

  /** Whether Kafka knows the setting (it shows the values of those only: any other might be a secret). */
  static isKnown(name: string): boolean {
    return DYNAMIC.has(name) || READ_ONLY.has(name);
  }

  /** A valid entity name: '' or a node id. */
  static entityProblem(entity: string): string | undefined {
    return entity === '' || /^\d+$/.test(entity) ? undefined : `Broker id must be an integer, but it is: ${entity}`;
  }

  /**
   * Applies `mutate` to an entity's configs and stores the result (removing
   * the record when empty); a compare-and-set, retried when another broker
   * changed the entity meanwhile. Returns the problem instead when `mutate` or
   * a value is refused. Nothing is written when `validateOnly`.
   */
  async alter(entity: string, validateOnly: boolean, mutate: (configs: Record<string, string>) => string | undefined): Promise<string | undefined> {
    const entityProblem = DynamicBrokerConfigs.entityProblem(entity);
    if (entityProblem !== undefined) return entityProblem;
    const key = keyOf(entity);
    for (let attempt = 0; attempt < 10; attempt++) {
      const cur = await this.md.get(key);
      const configs = { ...((cur?.value as unknown as StoredBrokerConfigs | undefined)?.configs ?? {}) };
      const problem = mutate(configs);
      if (problem !== undefined) return problem;
      if (Object.keys(configs).length > DYNAMIC_CONFIGS_PER_ENTITY_MAX) return `At most ${DYNAMIC_CONFIGS_PER_ENTITY_MAX} dynamic configs per broker entity`;
      if (validateOnly || (cur === undefined && Object.keys(configs).length === 0)) return undefined;
      const ok = await this.md.commit([Object.keys(configs).length === 0
        ? { op: 'delete', key, expectVersion: cur?.version ?? 0 }
        : { op: 'put', key, value: { entity, configs } as unknown as MetadataValue, expectVersion: cur?.version ?? 0 }]);
      if (ok) {
        await this.copy.reload();
        return undefined;
      }
    }
    throw new Error(`dynamic broker configs of "${entity}" kept changing under 10 attempts`);
  }
}
