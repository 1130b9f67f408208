// Owns one broker process's parts and their lifecycle: metadata store
// (LMDB alone, PostgreSQL in a fleet), object store, stream store, cluster
// membership, topics and the partitions this broker leads, API handlers and
// the Kafka listener. Start opens them in dependency order; stop hands its
// partitions over (controlled shutdown), stops accepting, lets in-flight
// requests finish, uploads what the WAL holds and closes everything.

import { abortedTransactionsFrom, publishedStability } from './partition/partition-transactions.ts';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { staticBrokerOverrides, type BrokerConfig } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { BrokerMetrics } from './metrics.ts';
import { Connection } from './connection.ts';
import { HandlerRegistry } from './handlers/registry.ts';
import type { HandlerServices } from './handlers/broker-services.ts';
import { TopicRegistry, type TopicRecord } from './topics/topic-registry.ts';
import { DynamicBrokerConfigs } from './topics/dynamic-broker-configs.ts';
import type { PartitionLog } from './partition/partition-log.ts';
import { PartitionLeadership } from './partition/partition-leadership.ts';
import { PartitionReplicas } from './partition/partition-replicas.ts';
import { forgetStreamTransactions } from './partition/partition-transactions.ts';
import { ClusterMember } from './cluster/cluster-member.ts';
import type { ListenerConfig, ListenerEndpoint } from './listeners.ts';
import { ScramCredentialStore } from './security/scram-credentials.ts';
import { SaslMechanisms } from './security/sasl-exchange.ts';
import { AclStore } from './security/acl-store.ts';
import { Authorizer } from './security/authorizer.ts';
import { ClientQuotaStore } from './quotas/client-quotas.ts';
import { RateLimiter } from './quotas/rate-limiter.ts';
import { ConnectionSession } from './security/connection-session.ts';
import { loadTlsOptions, tlsPrincipal, watchTlsFiles } from './security/tls-options.ts';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { BrokerLinks } from './cluster/broker-links.ts';
import { ClusterAdmin } from './admin/cluster-admin.ts';
import { SchemaRegistry } from './schemas/schema-registry.ts';
import { ValidatedProducer } from './schemas/validated-produce.ts';
import { ProducerIdBlocks } from './cluster/producer-id-blocks.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { PostgresMetadataStore } from '../s3stream/metadata/postgres-metadata-store.ts';
import { GroupCoordinator } from './groups/group-coordinator.ts';
import { TransactionCoordinator } from './transactions/transaction-coordinator.ts';
import { LogMaintenance } from './log-maintenance.ts';
import { FetchSessionCache } from './fetch-sessions.ts';
import { LmdbMetadataStore } from '../s3stream/metadata/lmdb-metadata-store.ts';
import type { MetadataStore, MetadataValue } from '../s3stream/metadata/metadata-store.ts';
import { pinKey, type PartitionPin } from './cluster/cluster-view.ts';
import { StreamFencedError, StreamStore } from '../s3stream/stream-store.ts';
import { InstrumentedObjectStore } from '../s3stream/object-store/object-store.ts';
import { FileSystemObjectStore } from '../s3stream/object-store/filesystem-object-store.ts';
import { S3ObjectStore } from '../s3stream/object-store/s3-object-store.ts';
import type { ObjectStore } from '../s3stream/object-store/object-store.ts';
import { startHttpServer } from './http/http-server.ts';
import type { FastifyInstance } from 'fastify';

/** A failed partition leadership sync is tried again after this long. */
const SYNC_RETRY_MS = 1_000;

/** Connections held while the broker starts (see Broker.held). */
const CONNECTIONS_HELD_MAX = 1024;

export class Broker implements HandlerServices {
  readonly config: BrokerConfig;
  readonly log: Logger;
  readonly metrics = new BrokerMetrics();
  readonly handlers = new HandlerRegistry();
  readonly metadata: MetadataStore;
  readonly objectStore: InstrumentedObjectStore;
  /** The backend without retries, for readiness probes that must answer quickly. */
  readonly objectStoreBackend: ObjectStore;
  private http: FastifyInstance | undefined;
  httpPort = 0;
  readonly streams: StreamStore;
  readonly topics: TopicRegistry;
  /** kafka-configs --entity-type brokers: what unset topic configs fall back on. */
  readonly brokerConfigs: DynamicBrokerConfigs;
  readonly groups: GroupCoordinator;
  readonly transactions: TransactionCoordinator;
  readonly maintenance = new LogMaintenance(this);
  readonly fetchSessions = new FetchSessionCache();
  /** Partitions led elsewhere that this broker serves to consumers of its rack (KIP-392). */
  readonly replicas: PartitionReplicas;
  readonly producerIds: ProducerIdBlocks;
  readonly scramCredentials: ScramCredentialStore;
  readonly sasl: SaslMechanisms;
  readonly acls: AclStore;
  readonly authorizer: Authorizer;
  readonly quotas: ClientQuotaStore;
  readonly rateLimiter: RateLimiter;
  clusterId = '';
  stopping = false;
  /** local-wal fleet, shutting down: produce is refused so every partition can be uploaded and handed over. */
  draining = false;
  /** Bytes of replayed WAL data dropped at start because their partitions had moved (unclean leader election). */
  walBytesDroppedAtStart = 0;
  /** Set in start(), before any request is served. */
  member!: ClusterMember;
  /** Connections to the brokers of the fleet, this one included (transaction markers, the admin layer). */
  links!: BrokerLinks;
  /** What the HTTP API, MCP and admin pages ask of the cluster. */
  readonly admin = new ClusterAdmin(this);
  /** The Schema Registry (Confluent's API on the HTTP port), kept in the `_schemas` topic. */
  readonly schemaRegistry = new SchemaRegistry(this.admin, this.metrics.registry);
  readonly validatedProducer = new ValidatedProducer(this.schemaRegistry, this.admin, this.metrics.registry);
  leadership!: PartitionLeadership;
  /** One server per Kafka listener, in the order configured. */
  private readonly servers: { name: string; server: Server; boundPort: number }[] = [];
  private readonly connections = new Set<Connection>();
  /**
   * Connections accepted before this broker knows its fleet (the listener is bound first: the
   * registration carries its port). Their requests are read once it does: a Metadata answered
   * before would list no broker, and clients that drop brokers missing from Metadata (librdkafka)
   * would be left with none. At most CONNECTIONS_HELD_MAX; more are closed (clients retry).
   */
  private held: { socket: Socket; listener: ListenerConfig; principal: string | undefined }[] | undefined = [];
  private unwatchTopics: (() => void) | undefined;
  private syncRetry: NodeJS.Timeout | undefined;
  private stopListeners: (() => void)[] = [];

  private constructor(config: BrokerConfig, log: Logger, metadata: MetadataStore, objectStore: InstrumentedObjectStore, backend: ObjectStore, streams: StreamStore) {
    this.config = config;
    this.objectStoreBackend = backend;
    this.log = log;
    this.metadata = metadata;
    this.objectStore = objectStore;
    this.streams = streams;
    this.topics = new TopicRegistry(metadata, streams);
    this.brokerConfigs = new DynamicBrokerConfigs(metadata, config.nodeId, staticBrokerOverrides(config));
    this.producerIds = new ProducerIdBlocks(metadata);
    this.scramCredentials = new ScramCredentialStore(metadata);
    this.sasl = new SaslMechanisms(this.scramCredentials, config.oauthBearer);
    this.acls = new AclStore(metadata);
    this.authorizer = new Authorizer(config.authorizer, () => this.acls.bindings());
    this.quotas = new ClientQuotaStore(metadata);
    this.rateLimiter = new RateLimiter(config.quotaWindowNum, config.quotaWindowSizeSeconds * 1000);
    this.replicas = new PartitionReplicas(streams, metadata, {
      abortedFrom: (streamId, from) => abortedTransactionsFrom(metadata, streamId, from),
      stability: (streamId) => publishedStability(metadata, streamId),
    });
    this.groups = new GroupCoordinator(this, {
      initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs, minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
      maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs, maxSize: config.groupMaxSize,
    }, {
      sessionTimeoutMs: config.groupConsumerSessionTimeoutMs, heartbeatIntervalMs: config.groupConsumerHeartbeatIntervalMs, maxSize: config.groupConsumerMaxSize,
    }, config.offsetsTopicNumPartitions, config.offsetsTopicSegmentBytes);
    this.transactions = new TransactionCoordinator(this, config.transactionStateLogNumPartitions, config.transactionStateLogSegmentBytes);
  }

  static async start(config: BrokerConfig): Promise<Broker> {
    const log = createLogger(config.logLevel);
    mkdirSync(config.dataDir, { recursive: true });
    const metadata: MetadataStore = config.metadataUrl === undefined
      ? new LmdbMetadataStore(join(config.dataDir, 'metadata'))
      : await PostgresMetadataStore.open({ url: config.metadataUrl });
    const backend = config.s3 !== undefined
      ? new S3ObjectStore({
        bucket: config.s3.bucket, region: config.s3.region, keyPrefix: config.s3.keyPrefix,
        ...(config.s3.endpoint !== undefined ? { endpoint: config.s3.endpoint } : {}),
        ...(process.env.AWS_ACCESS_KEY_ID !== undefined && process.env.AWS_SECRET_ACCESS_KEY !== undefined
          ? { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY } : {}),
      })
      : new FileSystemObjectStore(join(config.dataDir, 'objects'));
    // Retries are bounded but long enough to ride out a short outage; the WAL keeps acked data meanwhile.
    const objectStore = new InstrumentedObjectStore(backend, { attemptsMax: 8, backoffMsBase: 100, backoffMsMax: 5000 });
    const streams = await StreamStore.open({
      dataDir: config.dataDir, objectStore, metadata, durability: config.durability,
      uploadIntervalMs: config.uploadIntervalMs, uploadBytes: config.uploadBytes, pendingBytesMax: config.pendingUploadBytesMax,
      tailCacheBytesMax: config.tailCacheBytesMax, blockCacheBytesMax: config.blockCacheBytesMax,
      fencedUploadsOnly: config.metadataUrl !== undefined,
    });
    const broker = new Broker(config, log, metadata, objectStore, backend, streams);
    await broker.topics.load();
    await broker.brokerConfigs.start();
    broker.clusterId = await broker.loadClusterId();
    // ACLs are known before the first request is authorized.
    await broker.acls.start();
    await broker.quotas.start();
    // The listener first: the registration carries the port it got.
    await broker.listen();
    await broker.joinCluster();
    broker.serveHeldConnections();
    await broker.groups.load();
    await broker.transactions.load();
    await broker.leadership.sync();
    if (broker.localWalFleet) {
      // WAL data of partitions that moved while this broker was down (unclean leader election only) cannot be kept.
      const view = broker.member.view;
      const dropped = broker.streams.dropUnopened((id) => view.owner(id) === undefined || view.owner(id)!.owner === view.nodeId);
      broker.walBytesDroppedAtStart = dropped.bytes;
      if (dropped.bytes > 0) log.warn({ streams: dropped.streams, bytes: dropped.bytes }, 'WAL records of partitions now led by other brokers were dropped (they were moved by unclean leader election)');
    }
    broker.maintenance.start(config.logRetentionCheckIntervalMs, config.objectCompactionIntervalMs, config.logCleanerBackoffMs);
    if (config.httpPort >= 0) {
      const http = await startHttpServer(broker, config.host, config.httpPort);
      broker.http = http.app;
      broker.httpPort = http.port;
    }
    log.info({
      host: config.host, port: broker.port, listeners: broker.servers.map((l) => ({ name: l.name, port: l.boundPort })), httpPort: broker.httpPort, nodeId: config.nodeId, dataDir: config.dataDir, durability: config.durability,
      objectStore: objectStore.kind, metadata: metadata instanceof PostgresMetadataStore ? 'postgres' : 'lmdb', clusterId: broker.clusterId,
      controller: broker.member.view.controllerId, partitionsLed: broker.leadership.size,
    }, 'floe broker started');
    return broker;
  }

  private async loadClusterId(): Promise<string> {
    const existing = await this.metadata.get('cluster/id');
    if (typeof existing?.value === 'string') return existing.value;
    const id = randomBytes(16).toString('base64url');
    if (await this.metadata.commit([{ op: 'put', key: 'cluster/id', value: id, expectVersion: 0 }])) return id;
    return (await this.metadata.get('cluster/id'))!.value as string;
  }

  /**
   * Registers with the cluster, follows its changes (topics and owners, by
   * this broker or any other), and serves what it is given to lead.
   */
  /** The fleet is known: requests are served from now on, those of connections held meanwhile first. */
  private serveHeldConnections(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const h of held) {
      if (h.socket.destroyed) continue;
      this.onConnection(h.socket, h.listener, h.principal);
      // What the client sent meanwhile is read now.
      h.socket.resume();
    }
  }

  private async joinCluster(): Promise<void> {
    this.member = new ClusterMember(this.metadata, this.log, {
      nodeId: this.config.nodeId, host: this.config.advertisedHost, port: this.advertisedPort, listeners: this.advertisedListeners(), rack: this.config.brokerRack,
      heartbeatIntervalMs: this.config.brokerHeartbeatIntervalMs, sessionTimeoutMs: this.config.brokerSessionTimeoutMs,
      uncleanLeaderElection: this.config.uncleanLeaderElectionEnable,
      ...(this.localWalFleet ? { pendingStreams: () => this.streams.streamsWithPendingData() } : {}),
    }, () => this.topics.all().map((t) => t.streams));
    // local-wal fleet: nothing is acknowledged before the registration lists its stream as holding WAL-only data.
    if (this.localWalFleet) this.streams.setAckGate((id) => this.ackGate(id));
    this.links = new BrokerLinks(this.member.view, this.config.interBrokerListenerName, this.config.brokerSessionTimeoutMs);
    this.leadership = new PartitionLeadership(this.streams, this.metadata, this.topics, this.member.view, this.log, {
      onLead: async (topic, partition, log) => {
        this.replicas.drop(log.streamId);
        await this.groups.onLead(topic.name, partition, log);
        await this.transactions.onLead(topic.name, partition, log);
      },
      onLose: (topic, partition) => {
        this.groups.onLose(topic, partition);
        this.transactions.onLose(topic, partition);
      },
      onProducerSnapshot: (outcome) => this.metrics.producerSnapshots.inc({ outcome }),
    }, this.config.sequenceGapGraceMs);
    // Each upload publishes how far its partitions are stable, for read replicas serving read_committed consumers.
    this.streams.transactionState = (id) => this.leadership.ofStream(id)?.transactions.published();
    // A failed sync (object storage or PostgreSQL down while a partition's tail is read) is tried
    // again soon: waiting for the next change of the view could leave partitions unserved for good.
    const sync = (): void => {
      this.leadership.sync().catch((e: unknown) => {
        this.log.warn({ err: (e as Error).message }, `partition leadership sync failed; retrying in ${SYNC_RETRY_MS} ms`);
        if (this.stopping || this.syncRetry !== undefined) return;
        this.syncRetry = setTimeout(() => {
          this.syncRetry = undefined;
          if (!this.stopping) sync();
        }, SYNC_RETRY_MS);
      });
    };
    this.member.view.onChange(sync);
    this.unwatchTopics = this.metadata.watch('t/', () => {
      this.topics.refresh().then(sync, (e: unknown) => this.log.warn({ err: (e as Error).message }, 'topic refresh failed'));
    });
    await this.member.start();
  }

  private async listen(): Promise<void> {
    for (const l of this.config.listeners) {
      const ssl = this.config.ssl;
      const tls = ssl === undefined ? undefined : loadTlsOptions(ssl, l.protocol === 'SSL' ? ssl.clientAuth : 'none');
      const server = this.listenerServer(l, tls);
      const boundPort = await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(l.port, l.host, () => {
          const addr = server.address();
          resolve(typeof addr === 'object' && addr !== null ? addr.port : l.port);
        });
      });
      this.servers.push({ name: l.name, server, boundPort });
    }
  }

  /** A plain TCP server, or a TLS one for SSL and SASL_SSL listeners (a failed handshake is counted, never fatal). */
  private listenerServer(l: ListenerConfig, tls: ReturnType<typeof loadTlsOptions> | undefined): Server {
    if (l.protocol !== 'SSL' && l.protocol !== 'SASL_SSL') return createServer((socket) => this.onConnection(socket, l));
    const server = createTlsServer(tls!, (socket: TLSSocket) => this.onConnection(socket, l, l.protocol === 'SSL' ? tlsPrincipal(socket) : undefined));
    // Renewed certificates (same files, new contents) serve new connections without a restart.
    const ssl = this.config.ssl!;
    const stop = watchTlsFiles(ssl, (e) => {
      if (e !== undefined) {
        this.log.warn({ err: e.message, listener: l.name }, 'TLS files changed but could not be loaded; the previous certificates stay in use');
        return;
      }
      try {
        server.setSecureContext(loadTlsOptions(ssl, l.protocol === 'SSL' ? ssl.clientAuth : 'none'));
      } catch (err) {
        this.log.warn({ err: (err as Error).message, listener: l.name }, 'TLS files changed but are not a usable key and certificate; the previous ones stay in use');
        return;
      }
      this.metrics.tlsReloads.inc();
      this.log.info({ listener: l.name }, 'TLS certificates reloaded');
    });
    this.stopListeners.push(stop);
    server.on('tlsClientError', (e, socket) => {
      this.metrics.tlsHandshakeFailures.inc();
      this.log.debug({ err: e.message, remote: socket.remoteAddress, listener: l.name }, 'TLS handshake failed');
    });
    return server;
  }

  /** Each listener's address as clients of it are told (an advertised port 0 is the bound port). */
  advertisedListeners(): ListenerEndpoint[] {
    return this.config.listeners.map((l) => ({
      name: l.name, host: l.advertisedHost, port: l.advertisedPort === 0 ? (this.servers.find((x) => x.name === l.name)?.boundPort ?? 0) : l.advertisedPort,
    }));
  }

  /** The port clients of the first listener are told (the bound port when configured as 0). */
  get advertisedPort(): number {
    return this.advertisedListeners()[0]!.port;
  }

  /** The first listener's bound port. */
  get port(): number {
    return this.servers[0]?.boundPort ?? 0;
  }

  private onConnection(socket: Socket, listener: ListenerConfig, principal?: string): void {
    if (this.stopping || this.connections.size >= this.config.maxConnections || (this.held !== undefined && this.held.length >= CONNECTIONS_HELD_MAX)) {
      this.metrics.connectionsRefused.inc();
      socket.destroy();
      return;
    }
    if (this.held !== undefined) {
      socket.pause();
      const entry = { socket, listener, principal };
      this.held.push(entry);
      socket.once('close', () => { if (this.held !== undefined) this.held = this.held.filter((h) => h !== entry); });
      return;
    }
    const c = new Connection(socket, this, listener.name, new ConnectionSession(listener.protocol, principal));
    this.connections.add(c);
    this.metrics.connectionsOpen = this.connections.size;
    socket.on('close', () => {
      this.connections.delete(c);
      this.metrics.connectionsOpen = this.connections.size;
    });
  }

  /** A fleet whose acknowledgements wait for this broker's WAL only (partitions of a dead broker then wait for it). */
  get localWalFleet(): boolean {
    return this.config.metadataUrl !== undefined && this.config.durability === 'local-wal';
  }

  /** The partition's log when this broker leads it, else undefined. */
  partition(topic: TopicRecord, index: number): PartitionLog | undefined {
    return this.leadership.get(topic, index);
  }

  /** Why a partition cannot be served here: unknown, or led by another broker (clients then refresh metadata). */
  partitionError(topic: TopicRecord | undefined, index: number): number {
    if (topic === undefined || index < 0 || index >= topic.streams.length) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    return ErrorCode.NOT_LEADER_OR_FOLLOWER;
  }

  /** Creates a topic with its partitions spread over the live brokers; undefined if the name is taken. */
  /** `leaders`: the first broker of each partition's replica assignment, if the client gave one; each is pinned there. */
  async createTopic(name: string, partitions: number, configs: Record<string, string>, leaders?: readonly number[]): Promise<TopicRecord | undefined> {
    const t = await this.topics.create(name, configs, leaders ?? this.member.view.pickOwners(partitions));
    if (t === undefined) return undefined;
    if (leaders !== undefined) await this.pinStreams(t.streams, leaders);
    this.log.info({ topic: name, partitions, topicId: t.id }, 'topic created');
    // The partitions this broker leads are served before the creation is answered.
    await this.member.view.refresh();
    await this.leadership.sync();
    return t;
  }

  /** Adds partitions, spread over the live brokers; false if the topic changed meanwhile. */
  async addPartitions(name: string, total: number, leaders?: readonly number[]): Promise<boolean> {
    const t = this.topics.get(name);
    if (t === undefined) return false;
    const before = t.streams.length;
    const ok = await this.topics.addPartitions(name, total, leaders ?? this.member.view.pickOwners(total - before));
    if (ok && leaders !== undefined) await this.pinStreams(this.topics.get(name)!.streams.slice(before), leaders);
    if (ok) {
      await this.member.view.refresh();
      await this.leadership.sync();
    }
    return ok;
  }

  /**
   * local-wal fleet: an append to a stream the registration does not list yet
   * is acknowledged only once it does and the stream is still ours. The
   * controller's move checks the registration's version, so of a move and a
   * listing the later one fails or sees the other: a listing committed after a
   * move (a draining broker's last appends, a rebalance of an idle partition)
   * finds the owner changed, and the append is refused instead of acknowledged
   * where the new leader will never read it.
   */
  private ackGate(streamId: number): Promise<void> | undefined {
    const listing = this.member.ensureListed(streamId);
    if (listing === undefined) return undefined;
    return listing.then(async () => {
      if (!(await this.streams.stillOwned(streamId))) throw new StreamFencedError(streamId, 'moved to another broker before this one listed it');
    });
  }

  /** Pins new partitions to the brokers their assignment named first, as a reassignment would. */
  private async pinStreams(streams: readonly number[], leaders: readonly number[]): Promise<void> {
    await this.metadata.commit(streams.map((id, i) => ({ op: 'put', key: pinKey(id), value: { broker: leaders[i]! } satisfies PartitionPin as unknown as MetadataValue })));
  }

  /** AlterPartitionReassignments: the controller moves the partition to `nodeId` and keeps it there while that broker is eligible; null unpins. */
  async pinPartition(streamId: number, nodeId: number | null): Promise<void> {
    await this.metadata.commit([nodeId === null ? { op: 'delete', key: pinKey(streamId) }
      : { op: 'put', key: pinKey(streamId), value: { broker: nodeId } satisfies PartitionPin as unknown as MetadataValue }]);
    await this.member.view.refresh();
  }

  async deleteTopic(name: string): Promise<void> {
    const t = await this.topics.delete(name);
    if (t === undefined) return;
    await this.leadership.sync();
    await this.groups.removeTopic(name);
    const forget = (await Promise.all(t.streams.map((id) => forgetStreamTransactions(this.metadata, id)))).flat();
    for (const id of t.streams) forget.push({ op: 'delete', key: pinKey(id) });
    if (forget.length > 0) await this.metadata.commit(forget);
    this.log.info({ topic: name }, 'topic deleted');
  }

  /** Registers a callback for shutdown (long polls end early); returns its canceller. */
  onStop(fn: () => void): () => void {
    this.stopListeners.push(fn);
    return () => { this.stopListeners = this.stopListeners.filter((f) => f !== fn); };
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    // Controlled shutdown: the controller moves this broker's partitions while it still answers
    // (NOT_LEADER_OR_FOLLOWER sends clients to the new leaders); alone, it keeps them.
    this.log.info({ partitionsLed: this.leadership.size }, 'stopping: handing partitions over');
    if (this.localWalFleet) {
      // A partition moves only once everything acknowledged is in object storage: stop taking more.
      this.draining = true;
      this.member.startDraining();
      void this.streams.flush().catch(() => undefined);
    }
    await this.member.depart(() => this.leadership.size > 0, this.config.controlledShutdownMaxWaitMs);
    this.stopping = true;
    this.log.info({ partitionsLed: this.leadership.size }, 'stopping: no new connections, finishing in-flight requests');
    const closed = Promise.all(this.servers.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve()))));
    for (const fn of this.stopListeners) fn();
    const deadline = performance.now() + 10_000;
    while ([...this.connections].some((c) => c.inFlightRequests > 0) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    for (const c of this.connections) c.close('broker stopping');
    await closed;
    this.maintenance.stop();
    await this.http?.close();
    this.groups.close();
    this.transactions.close();
    this.links.close();
    this.unwatchTopics?.();
    clearTimeout(this.syncRetry);
    this.acls.stop();
    this.quotas.stop();
    this.brokerConfigs.stop();
    this.replicas.close();
    await this.streams.close();
    await this.member.stop();
    await this.metadata.close();
    await this.objectStore.close();
    this.log.info('stopped');
  }
}
