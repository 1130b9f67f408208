// Owns one broker process's parts and their lifecycle: metadata store,
// object store, stream store, topics and partition logs, API handlers and
// the Kafka listener. Start opens them in dependency order; stop stops
// accepting, lets in-flight requests finish, uploads what the WAL holds and
// closes everything.

import { createServer, type Server, type Socket } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { BrokerConfig } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { BrokerMetrics } from './metrics.ts';
import { Connection } from './connection.ts';
import { HandlerRegistry } from './handlers/registry.ts';
import { TopicRegistry, type TopicRecord } from './topics/topic-registry.ts';
import { PartitionLog } from './partition/partition-log.ts';
import { GroupCoordinator } from './groups/group-coordinator.ts';
import { LogMaintenance } from './log-maintenance.ts';
import { FetchSessionCache } from './fetch-sessions.ts';
import { LmdbMetadataStore } from '../s3stream/metadata/lmdb-metadata-store.ts';
import type { MetadataStore } from '../s3stream/metadata/metadata-store.ts';
import { StreamStore } from '../s3stream/stream-store.ts';
import { InstrumentedObjectStore } from '../s3stream/object-store/object-store.ts';
import { FileSystemObjectStore } from '../s3stream/object-store/filesystem-object-store.ts';
import { S3ObjectStore } from '../s3stream/object-store/s3-object-store.ts';
import type { ObjectStore } from '../s3stream/object-store/object-store.ts';
import { startHttpServer } from './http/http-server.ts';
import type { FastifyInstance } from 'fastify';

export class Broker {
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
  readonly groups: GroupCoordinator;
  readonly maintenance = new LogMaintenance(this);
  readonly fetchSessions = new FetchSessionCache();
  clusterId = '';
  stopping = false;
  private server: Server | undefined;
  private readonly connections = new Set<Connection>();
  /** Partition logs by topic id, indexed by partition: looked up for every partition of every fetch. */
  private readonly partitionLogs = new Map<string, (PartitionLog | undefined)[]>();
  private stopListeners: (() => void)[] = [];
  private boundPort = 0;

  private constructor(config: BrokerConfig, log: Logger, metadata: MetadataStore, objectStore: InstrumentedObjectStore, backend: ObjectStore, streams: StreamStore) {
    this.config = config;
    this.objectStoreBackend = backend;
    this.log = log;
    this.metadata = metadata;
    this.objectStore = objectStore;
    this.streams = streams;
    this.topics = new TopicRegistry(metadata, streams);
    this.groups = new GroupCoordinator(this, {
      initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs, minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
      maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs, maxSize: config.groupMaxSize,
    }, {
      sessionTimeoutMs: config.groupConsumerSessionTimeoutMs, heartbeatIntervalMs: config.groupConsumerHeartbeatIntervalMs, maxSize: config.groupConsumerMaxSize,
    }, config.offsetsTopicNumPartitions, config.offsetsTopicSegmentBytes);
  }

  static async start(config: BrokerConfig): Promise<Broker> {
    const log = createLogger(config.logLevel);
    mkdirSync(config.dataDir, { recursive: true });
    const metadata = new LmdbMetadataStore(join(config.dataDir, 'metadata'));
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
    });
    const broker = new Broker(config, log, metadata, objectStore, backend, streams);
    await broker.topics.load();
    broker.clusterId = await broker.loadClusterId();
    await broker.groups.load();
    await broker.listen();
    broker.maintenance.start(config.logRetentionCheckIntervalMs, config.objectCompactionIntervalMs);
    if (config.httpPort >= 0) {
      const http = await startHttpServer(broker, config.host, config.httpPort);
      broker.http = http.app;
      broker.httpPort = http.port;
    }
    log.info({ host: config.host, port: broker.boundPort, httpPort: broker.httpPort, dataDir: config.dataDir, durability: config.durability, objectStore: objectStore.kind, clusterId: broker.clusterId }, 'floe broker started');
    return broker;
  }

  private async loadClusterId(): Promise<string> {
    const existing = await this.metadata.get('cluster/id');
    if (typeof existing?.value === 'string') return existing.value;
    const id = randomBytes(16).toString('base64url');
    if (await this.metadata.commit([{ op: 'put', key: 'cluster/id', value: id, expectVersion: 0 }])) return id;
    return (await this.metadata.get('cluster/id'))!.value as string;
  }

  private listen(): Promise<void> {
    this.server = createServer((socket) => this.onConnection(socket));
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.config.port, this.config.host, () => {
        const addr = this.server!.address();
        this.boundPort = typeof addr === 'object' && addr !== null ? addr.port : this.config.port;
        resolve();
      });
    });
  }

  /** The port clients are told to use (the bound port when configured as 0). */
  get advertisedPort(): number {
    return this.config.port === 0 && this.config.advertisedPort === 0 ? this.boundPort : this.config.advertisedPort;
  }

  get port(): number {
    return this.boundPort;
  }

  private onConnection(socket: Socket): void {
    if (this.stopping || this.connections.size >= this.config.maxConnections) {
      this.metrics.connectionsRefused.inc();
      socket.destroy();
      return;
    }
    const c = new Connection(socket, this);
    this.connections.add(c);
    this.metrics.connectionsOpen = this.connections.size;
    socket.on('close', () => {
      this.connections.delete(c);
      this.metrics.connectionsOpen = this.connections.size;
    });
  }

  partition(topic: TopicRecord, index: number): PartitionLog | undefined {
    const streamId = topic.streams[index];
    if (streamId === undefined || !this.streams.has(streamId)) return undefined;
    let logs = this.partitionLogs.get(topic.id);
    if (logs === undefined) {
      logs = [];
      this.partitionLogs.set(topic.id, logs);
    }
    let p = logs[index];
    if (p === undefined) {
      p = new PartitionLog(topic.name, index, streamId, this.streams);
      logs[index] = p;
    }
    return p;
  }

  async createTopic(name: string, partitions: number, configs: Record<string, string>): Promise<TopicRecord | undefined> {
    const t = await this.topics.create(name, partitions, configs);
    if (t !== undefined) this.log.info({ topic: name, partitions, topicId: t.id }, 'topic created');
    return t;
  }

  async deleteTopic(name: string): Promise<void> {
    const t = await this.topics.delete(name);
    if (t === undefined) return;
    this.partitionLogs.delete(t.id);
    await this.groups.removeTopic(name);
    this.log.info({ topic: name }, 'topic deleted');
  }

  /** Registers a callback for shutdown (long polls end early); returns its canceller. */
  onStop(fn: () => void): () => void {
    this.stopListeners.push(fn);
    return () => { this.stopListeners = this.stopListeners.filter((f) => f !== fn); };
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.log.info('stopping: no new connections, finishing in-flight requests');
    const closed = new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
    for (const fn of this.stopListeners) fn();
    const deadline = Date.now() + 10_000;
    while ([...this.connections].some((c) => c.inFlightRequests > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    for (const c of this.connections) c.close('broker stopping');
    await closed;
    this.maintenance.stop();
    await this.http?.close();
    this.groups.close();
    await this.streams.close();
    await this.metadata.close();
    await this.objectStore.close();
    this.log.info('stopped');
  }
}
