// Owns the narrow views of the broker that API handlers are given. Each
// handler's context names the views it uses, so a reader (and the type
// checker) knows what a handler can touch; the Broker provides them all
// (`HandlerServices`). Holds no state and no logic.

import type { ValidatedProducer } from '../schemas/validated-produce.ts';
import type { BrokerConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { BrokerMetrics } from '../metrics.ts';
import type { TopicRecord, TopicRegistry } from '../topics/topic-registry.ts';
import type { DynamicBrokerConfigs } from '../topics/dynamic-broker-configs.ts';
import type { PartitionLog } from '../partition/partition-log.ts';
import type { PartitionLeadership } from '../partition/partition-leadership.ts';
import type { PartitionReplicas } from '../partition/partition-replicas.ts';
import type { ClusterView } from '../cluster/cluster-view.ts';
import type { ProducerIdBlocks } from '../cluster/producer-id-blocks.ts';
import type { GroupCoordinator } from '../groups/group-coordinator.ts';
import type { TransactionCoordinator } from '../transactions/transaction-coordinator.ts';
import type { FetchSessionCache } from '../fetch-sessions.ts';
import type { StreamStore } from '../../s3stream/stream-store.ts';
import type { ApiVersion } from '../../protocol/generated/ApiVersionsResponse.ts';
import type { ScramCredentialStore } from '../security/scram-credentials.ts';
import type { SaslMechanisms } from '../security/sasl-exchange.ts';
import type { AclStore } from '../security/acl-store.ts';
import type { ClientQuotaStore } from '../quotas/client-quotas.ts';
import type { RateLimiter } from '../quotas/rate-limiter.ts';
import type { Authorizer } from '../security/authorizer.ts';

/** The topic catalogue every broker caches, and the broker's configuration. */
export interface TopicCatalog {
  readonly topics: TopicRegistry;
  readonly config: BrokerConfig;
  /** The dynamic broker configs, and the layers an unset topic config falls back on. */
  readonly brokerConfigs: DynamicBrokerConfigs;
}

/** The partitions this broker leads, and why one it does not lead cannot be served here. */
export interface PartitionLookup extends TopicCatalog {
  partition(topic: TopicRecord, index: number): PartitionLog | undefined;
  partitionError(topic: TopicRecord | undefined, index: number): number;
}

/** Creating, growing and deleting topics (spread over the fleet's live brokers). */
export interface TopicAdmin extends TopicCatalog {
  /** `leaders`: the first broker of each partition's assignment, when the client gave one (validated by the caller). */
  createTopic(name: string, partitions: number, configs: Record<string, string>, leaders?: readonly number[]): Promise<TopicRecord | undefined>;
  addPartitions(name: string, total: number, leaders?: readonly number[]): Promise<boolean>;
  deleteTopic(name: string): Promise<void>;
}

/** Who is in the fleet and who leads what. */
export interface ClusterInfo {
  readonly clusterId: string;
  readonly config: BrokerConfig;
  readonly member: { readonly view: ClusterView };
}

/** AlterPartitionReassignments: a partition pinned to a broker, which the controller then makes its leader. */
export interface PartitionReassignment extends TopicCatalog, ClusterInfo {
  pinPartition(streamId: number, nodeId: number | null): Promise<void>;
}

/** The consumer groups this broker coordinates (and, for the groups it does not, where they are). */
export interface GroupServices {
  readonly groups: GroupCoordinator;
  readonly log: Logger;
}

/** Transactions coordinated here, and the checks a partition leader makes of other coordinators. */
export interface TransactionServices {
  readonly transactions: TransactionCoordinator;
  readonly producerIds: Pick<ProducerIdBlocks, 'nextId'>;
}

/** What a produce needs beyond the partitions: capacity of the upload path, draining, metrics. */
export interface ProduceServices extends PartitionLookup {
  readonly log: Logger;
  readonly draining: boolean;
  readonly metrics: BrokerMetrics;
  readonly leadership: Pick<PartitionLeadership, 'whenServed'>;
  readonly streams: Pick<StreamStore, 'capacityAvailable' | 'hasCapacity' | 'waitForCapacity'>;
  readonly transactions: TransactionCoordinator;
  /** Schema validation of the topics that ask for it, and their dead-letter topics. */
  readonly validatedProducer: Pick<ValidatedProducer, 'check'>;
}

/** What a fetch needs beyond the partitions: sessions, read replicas (KIP-392), long polls ended at shutdown. */
export interface FetchServices extends PartitionLookup {
  readonly log: Logger;
  readonly metrics: BrokerMetrics;
  readonly stopping: boolean;
  readonly fetchSessions: FetchSessionCache;
  readonly member: { readonly view: ClusterView };
  readonly replicas: Pick<PartitionReplicas, 'get'>;
  onStop(fn: () => void): () => void;
}

/** Credentials, and the security settings authentication follows. */
export interface SecurityServices {
  readonly config: BrokerConfig;
  readonly scramCredentials: ScramCredentialStore;
  readonly sasl: SaslMechanisms;
  readonly metrics: BrokerMetrics;
  readonly log: Logger;
}

/** The ACL bindings of the cluster, and whether they are enforced. */
export interface AclServices {
  readonly acls: AclStore;
  readonly authorizer: Pick<Authorizer, 'enabled'>;
}

/** Client quotas (the cluster's, as this broker sees them) and the rates measured here. */
export interface QuotaServices {
  readonly quotas: ClientQuotaStore;
  readonly rateLimiter: RateLimiter;
}

/** The APIs and versions this broker serves. */
export interface ApiCatalog {
  readonly handlers: { advertised(): ApiVersion[] };
}

/** Everything a handler may be given; the Broker is one. */
export type HandlerServices = PartitionLookup & TopicAdmin & ClusterInfo & PartitionReassignment & GroupServices & TransactionServices & ProduceServices & FetchServices & ApiCatalog & SecurityServices & AclServices & QuotaServices;
