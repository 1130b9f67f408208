// Owns broker configuration: one table of settings, each with a Kafka-style
// name where Kafka has one, a command-line flag, an environment variable and
// a default; read from flags, then environment, then an optional properties
// file (--config), validated at start with a message naming the bad key.

import { readFileSync } from 'node:fs';
import type { OAuthBearerConfig } from './security/oauthbearer.ts';
import { LISTENER_SECURITY_PROTOCOL_MAP_DEFAULT, ListenerConfigError, parseListeners, type ListenerConfig } from './listeners.ts';

type Kind = 'string' | 'int' | 'bool' | 'enum';

interface Setting {
  /** Property name (Kafka's where Kafka has the setting). */
  name: string;
  flag: string;
  env: string;
  kind: Kind;
  default: string | undefined;
  values?: readonly string[];
  help: string;
  secret?: boolean;
}

/** Kafka's class name for rack-aware fetching (KIP-392); floe's default, since every broker can serve every partition. */
export const RACK_AWARE_REPLICA_SELECTOR = 'org.apache.kafka.common.replica.RackAwareReplicaSelector';

/** Kafka's authorizer class names; floe's ACL authorizer answers to either. */
export const STANDARD_AUTHORIZER = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';
const LEGACY_AUTHORIZER = 'kafka.security.authorizer.AclAuthorizer';

export const SETTINGS = [
  { name: 'host', flag: '--host', env: 'FLOE_HOST', kind: 'string', default: '127.0.0.1', help: 'Address the Kafka listener binds to.' },
  { name: 'port', flag: '--port', env: 'FLOE_PORT', kind: 'int', default: '9092', help: 'Port of the Kafka listener.' },
  { name: 'advertised.host', flag: '--advertised-host', env: 'FLOE_ADVERTISED_HOST', kind: 'string', default: undefined, help: 'Host clients are told to connect to (default: --host).' },
  { name: 'advertised.port', flag: '--advertised-port', env: 'FLOE_ADVERTISED_PORT', kind: 'int', default: undefined, help: 'Port clients are told to connect to (default: --port).' },
  { name: 'listeners', flag: '--listeners', env: 'FLOE_LISTENERS', kind: 'string', default: undefined, help: 'Kafka listeners, NAME://HOST:PORT,... (replaces --host/--port). Requests are answered with the addresses of the listener they came in on.' },
  { name: 'advertised.listeners', flag: '--advertised-listeners', env: 'FLOE_ADVERTISED_LISTENERS', kind: 'string', default: undefined, help: 'What clients of each listener are told, NAME://HOST:PORT,... (default: each listener\'s own address; port 0: the bound port).' },
  { name: 'listener.security.protocol.map', flag: '--listener-security-protocol-map', env: 'FLOE_LISTENER_SECURITY_PROTOCOL_MAP', kind: 'string', default: LISTENER_SECURITY_PROTOCOL_MAP_DEFAULT, help: 'NAME:PROTOCOL for each listener; floe serves PLAINTEXT only so far.' },
  { name: 'inter.broker.listener.name', flag: '--inter-broker-listener-name', env: 'FLOE_INTER_BROKER_LISTENER_NAME', kind: 'string', default: undefined, help: 'The listener brokers of a fleet use to reach each other (default: the first).' },
  { name: 'data.dir', flag: '--data-dir', env: 'FLOE_DATA_DIR', kind: 'string', default: './data', help: 'Directory for the WAL, LMDB metadata and (by default) objects.' },
  { name: 'node.id', flag: '--node-id', env: 'FLOE_NODE_ID', kind: 'int', default: '1', help: 'This broker\'s id in metadata responses.' },
  { name: 'metadata', flag: '--metadata', env: 'FLOE_METADATA', kind: 'string', default: 'lmdb', help: 'Metadata store: lmdb (in the data directory, one broker) or a PostgreSQL URL postgres://USER@HOST:PORT/DB (a fleet: every broker on the same database and bucket is one cluster).' },
  { name: 'broker.rack', flag: '--broker-rack', env: 'FLOE_BROKER_RACK', kind: 'string', default: undefined, help: 'Rack or zone of this broker, as reported in Metadata.' },
  { name: 'replica.selector.class', flag: '--replica-selector-class', env: 'FLOE_REPLICA_SELECTOR_CLASS', kind: 'string', default: RACK_AWARE_REPLICA_SELECTOR, help: 'KIP-392: with the rack-aware selector, a consumer that sets client.rack is sent to a broker of its own rack, which serves the partition from object storage; empty: consumers always fetch from the leader.' },
  { name: 'broker.heartbeat.interval.ms', flag: '--broker-heartbeat-interval-ms', env: 'FLOE_BROKER_HEARTBEAT_INTERVAL_MS', kind: 'int', default: '500', help: 'How often this broker renews its registration in the metadata store.' },
  { name: 'broker.session.timeout.ms', flag: '--broker-session-timeout-ms', env: 'FLOE_BROKER_SESSION_TIMEOUT_MS', kind: 'int', default: '3000', help: 'A broker whose registration is not renewed for this long is dead; its partitions move.' },
  { name: 'unclean.leader.election.enable', flag: '--unclean-leader-election-enable', env: 'FLOE_UNCLEAN_LEADER_ELECTION_ENABLE', kind: 'bool', default: 'false', help: 'A fleet in local-wal mode: let the controller move the partitions of a dead broker that may hold acknowledged records not yet in object storage (those records are lost); false: they wait for it to come back.' },
  { name: 'controlled.shutdown.max.wait.ms', flag: '--controlled-shutdown-max-wait-ms', env: 'FLOE_CONTROLLED_SHUTDOWN_MAX_WAIT_MS', kind: 'int', default: '15000', help: 'On shutdown, how long to wait for the controller to move this broker\'s partitions to others.' },
  { name: 'durability', flag: '--durability', env: 'FLOE_DURABILITY', kind: 'enum', values: ['local-wal', 'object-wal'], default: 'local-wal', help: 'local-wal: ack after the local WAL fsync; object-wal: ack after the object is stored and indexed.' },
  { name: 's3.endpoint', flag: '--s3-endpoint', env: 'FLOE_S3_ENDPOINT', kind: 'string', default: undefined, help: 'S3 endpoint URL (MinIO, AWS). Unset: filesystem object store under the data directory.' },
  { name: 's3.bucket', flag: '--s3-bucket', env: 'FLOE_S3_BUCKET', kind: 'string', default: undefined, help: 'S3 bucket; with --s3-endpoint (or alone for AWS).' },
  { name: 's3.region', flag: '--s3-region', env: 'AWS_REGION', kind: 'string', default: 'us-east-1', help: 'S3 region.' },
  { name: 's3.key.prefix', flag: '--s3-key-prefix', env: 'FLOE_S3_KEY_PREFIX', kind: 'string', default: '', help: 'Prefix for every object key.' },
  { name: 'upload.interval.ms', flag: '--upload-interval-ms', env: 'FLOE_UPLOAD_INTERVAL_MS', kind: 'int', default: '250', help: 'Upload pending data at least this often.' },
  { name: 'upload.bytes', flag: '--upload-bytes', env: 'FLOE_UPLOAD_BYTES', kind: 'int', default: String(8 * 1024 * 1024), help: 'Upload as soon as this many bytes are pending.' },
  { name: 'pending.upload.bytes.max', flag: '--pending-upload-bytes-max', env: 'FLOE_PENDING_UPLOAD_BYTES_MAX', kind: 'int', default: String(256 * 1024 * 1024), help: 'Bound on appended but not uploaded bytes; past it producers are slowed down.' },
  { name: 'sequence.gap.grace.ms', flag: '--sequence-gap-grace-ms', env: 'FLOE_SEQUENCE_GAP_GRACE_MS', kind: 'int', default: '30000', help: 'For this long after taking over a partition, an idempotent batch ahead of the next expected sequence gets NOT_LEADER_OR_FOLLOWER (the batches before it may still come from the old leader\'s refusals), not OUT_OF_ORDER_SEQUENCE_NUMBER.' },
  { name: 'tail.cache.bytes.max', flag: '--tail-cache-bytes-max', env: 'FLOE_TAIL_CACHE_BYTES_MAX', kind: 'int', default: String(256 * 1024 * 1024), help: 'Bound on recent data kept in memory for tail reads.' },
  { name: 'block.cache.bytes.max', flag: '--block-cache-bytes-max', env: 'FLOE_BLOCK_CACHE_BYTES_MAX', kind: 'int', default: String(128 * 1024 * 1024), help: 'Bound on object regions cached for catch-up reads.' },
  { name: 'socket.request.max.bytes', flag: '--socket-request-max-bytes', env: 'FLOE_SOCKET_REQUEST_MAX_BYTES', kind: 'int', default: String(100 * 1024 * 1024), help: 'Largest request frame accepted; larger ones close the connection.' },
  { name: 'max.connections', flag: '--max-connections', env: 'FLOE_MAX_CONNECTIONS', kind: 'int', default: '1000', help: 'Connections beyond this are refused.' },
  { name: 'queued.max.requests.per.connection', flag: '--queued-max-requests', env: 'FLOE_QUEUED_MAX_REQUESTS', kind: 'int', default: '64', help: 'In-flight requests per connection before reading from it pauses.' },
  { name: 'ssl.keystore.type', flag: '--ssl-keystore-type', env: 'FLOE_SSL_KEYSTORE_TYPE', kind: 'enum', values: ['PEM', 'PKCS12'], default: 'PEM', help: 'Format of ssl.keystore.location: PEM (private key and certificate chain in one file) or PKCS12.' },
  { name: 'ssl.keystore.location', flag: '--ssl-keystore-location', env: 'FLOE_SSL_KEYSTORE_LOCATION', kind: 'string', default: undefined, help: 'The broker\'s private key and certificate chain, for SSL and SASL_SSL listeners.' },
  { name: 'ssl.keystore.password', flag: '--ssl-keystore-password', env: 'FLOE_SSL_KEYSTORE_PASSWORD', kind: 'string', default: undefined, help: 'Password of a PKCS12 keystore.' },
  { name: 'ssl.key.password', flag: '--ssl-key-password', env: 'FLOE_SSL_KEY_PASSWORD', kind: 'string', default: undefined, help: 'Passphrase of an encrypted PEM private key.' },
  { name: 'ssl.truststore.location', flag: '--ssl-truststore-location', env: 'FLOE_SSL_TRUSTSTORE_LOCATION', kind: 'string', default: undefined, help: 'PEM CA certificates that client certificates must chain to (mTLS).' },
  { name: 'ssl.client.auth', flag: '--ssl-client-auth', env: 'FLOE_SSL_CLIENT_AUTH', kind: 'enum', values: ['none', 'requested', 'required'], default: 'none', help: 'Whether SSL clients present a certificate; its subject is then the principal (SSL listeners).' },
  { name: 'floe.ssl.reload.check.ms', flag: '--ssl-reload-check-ms', env: 'FLOE_SSL_RELOAD_CHECK_MS', kind: 'int', default: '30000', help: 'How often the keystore and truststore files are checked; changed ones are loaded for new connections (0: never).' },
  { name: 'sasl.enabled.mechanisms', flag: '--sasl-enabled-mechanisms', env: 'FLOE_SASL_ENABLED_MECHANISMS', kind: 'string', default: 'SCRAM-SHA-256,SCRAM-SHA-512,PLAIN', help: 'SASL mechanisms offered on SASL listeners (PLAIN checks the SCRAM credentials).' },
  { name: 'sasl.oauthbearer.jwks.endpoint.url', flag: '--sasl-oauthbearer-jwks-endpoint-url', env: 'FLOE_SASL_OAUTHBEARER_JWKS_ENDPOINT_URL', kind: 'string', default: undefined, help: 'JWKS (https:// or file://) whose keys OAUTHBEARER tokens must be signed with.' },
  { name: 'sasl.oauthbearer.expected.audience', flag: '--sasl-oauthbearer-expected-audience', env: 'FLOE_SASL_OAUTHBEARER_EXPECTED_AUDIENCE', kind: 'string', default: '', help: 'Comma-separated audiences a token must name one of (empty: not checked).' },
  { name: 'sasl.oauthbearer.expected.issuer', flag: '--sasl-oauthbearer-expected-issuer', env: 'FLOE_SASL_OAUTHBEARER_EXPECTED_ISSUER', kind: 'string', default: undefined, help: 'The issuer a token must name (unset: not checked).' },
  { name: 'sasl.oauthbearer.sub.claim.name', flag: '--sasl-oauthbearer-sub-claim-name', env: 'FLOE_SASL_OAUTHBEARER_SUB_CLAIM_NAME', kind: 'string', default: 'sub', help: 'The claim whose value is the principal name.' },
  { name: 'sasl.oauthbearer.clock.skew.seconds', flag: '--sasl-oauthbearer-clock-skew-seconds', env: 'FLOE_SASL_OAUTHBEARER_CLOCK_SKEW_SECONDS', kind: 'int', default: '30', help: 'Clock skew allowed when checking exp, nbf and iat.' },
  { name: 'sasl.oauthbearer.jwks.endpoint.refresh.ms', flag: '--sasl-oauthbearer-jwks-endpoint-refresh-ms', env: 'FLOE_SASL_OAUTHBEARER_JWKS_ENDPOINT_REFRESH_MS', kind: 'int', default: '3600000', help: 'How often the JWKS is reloaded.' },
  { name: 'connections.max.reauth.ms', flag: '--connections-max-reauth-ms', env: 'FLOE_CONNECTIONS_MAX_REAUTH_MS', kind: 'int', default: '0', help: 'KIP-368: a SASL session lasts at most this long (an OAUTHBEARER one no longer than its token); the client re-authenticates on the same connection or it is closed. 0: sessions never expire.' },
  { name: 'sasl.server.max.receive.size', flag: '--sasl-server-max-receive-size', env: 'FLOE_SASL_SERVER_MAX_RECEIVE_SIZE', kind: 'int', default: '524288', help: 'Largest frame accepted before a SASL client has authenticated.' },
  { name: 'connection.failed.authentication.delay.ms', flag: '--connection-failed-authentication-delay-ms', env: 'FLOE_CONNECTION_FAILED_AUTHENTICATION_DELAY_MS', kind: 'int', default: '100', help: 'How long a failed authentication is held before it is answered and the connection closed.' },
  { name: 'authorizer.class.name', flag: '--authorizer-class-name', env: 'FLOE_AUTHORIZER_CLASS_NAME', kind: 'string', default: '', help: `Set to ${STANDARD_AUTHORIZER} to enforce ACLs (empty: everything is allowed).` },
  { name: 'super.users', flag: '--super-users', env: 'FLOE_SUPER_USERS', kind: 'string', default: '', help: 'Principals that bypass ACLs, separated by semicolons (User:admin;User:ANONYMOUS).' },
  { name: 'allow.everyone.if.no.acl.found', flag: '--allow-everyone-if-no-acl-found', env: 'FLOE_ALLOW_EVERYONE_IF_NO_ACL_FOUND', kind: 'bool', default: 'false', help: 'With ACLs on: whether a resource no ACL names is open to everyone.' },
  { name: 'quota.window.num', flag: '--quota-window-num', env: 'FLOE_QUOTA_WINDOW_NUM', kind: 'int', default: '11', help: 'Windows a client\'s byte rate is measured over.' },
  { name: 'quota.window.size.seconds', flag: '--quota-window-size-seconds', env: 'FLOE_QUOTA_WINDOW_SIZE_SECONDS', kind: 'int', default: '1', help: 'Length of one quota window.' },
  { name: 'connections.max.idle.ms', flag: '--connections-max-idle-ms', env: 'FLOE_CONNECTIONS_MAX_IDLE_MS', kind: 'int', default: '600000', help: 'Idle connections are closed after this long.' },
  { name: 'auto.create.topics.enable', flag: '--auto-create-topics-enable', env: 'FLOE_AUTO_CREATE_TOPICS_ENABLE', kind: 'bool', default: 'true', help: 'Create unknown topics on Metadata requests that allow it.' },
  { name: 'num.partitions', flag: '--num-partitions', env: 'FLOE_NUM_PARTITIONS', kind: 'int', default: '1', help: 'Partitions of auto-created topics and of CreateTopics with -1.' },
  { name: 'default.replication.factor', flag: '--default-replication-factor', env: 'FLOE_DEFAULT_REPLICATION_FACTOR', kind: 'int', default: '1', help: 'Reported replication factor for topics created with -1 (object storage replicates the data).' },
  { name: 'message.max.bytes', flag: '--message-max-bytes', env: 'FLOE_MESSAGE_MAX_BYTES', kind: 'int', default: '1048588', help: 'Largest record batch accepted (topic override: max.message.bytes).' },
  { name: 'group.initial.rebalance.delay.ms', flag: '--group-initial-rebalance-delay-ms', env: 'FLOE_GROUP_INITIAL_REBALANCE_DELAY_MS', kind: 'int', default: '3000', help: 'How long a new group waits for more members before its first rebalance.' },
  { name: 'group.min.session.timeout.ms', flag: '--group-min-session-timeout-ms', env: 'FLOE_GROUP_MIN_SESSION_TIMEOUT_MS', kind: 'int', default: '6000', help: 'Smallest session timeout a group member may ask for.' },
  { name: 'group.max.session.timeout.ms', flag: '--group-max-session-timeout-ms', env: 'FLOE_GROUP_MAX_SESSION_TIMEOUT_MS', kind: 'int', default: '1800000', help: 'Largest session timeout a group member may ask for.' },
  { name: 'group.max.size', flag: '--group-max-size', env: 'FLOE_GROUP_MAX_SIZE', kind: 'int', default: '1000', help: 'Members per group; more get GROUP_MAX_SIZE_REACHED.' },
  { name: 'group.consumer.session.timeout.ms', flag: '--group-consumer-session-timeout-ms', env: 'FLOE_GROUP_CONSUMER_SESSION_TIMEOUT_MS', kind: 'int', default: '45000', help: 'Consumer-protocol (KIP-848) members not heard from for this long are removed.' },
  { name: 'group.consumer.heartbeat.interval.ms', flag: '--group-consumer-heartbeat-interval-ms', env: 'FLOE_GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS', kind: 'int', default: '5000', help: 'How often consumer-protocol (KIP-848) members heartbeat.' },
  { name: 'group.consumer.max.size', flag: '--group-consumer-max-size', env: 'FLOE_GROUP_CONSUMER_MAX_SIZE', kind: 'int', default: '1000', help: 'Members per consumer-protocol (KIP-848) group; more get GROUP_MAX_SIZE_REACHED.' },
  { name: 'offsets.topic.segment.bytes', flag: '--offsets-topic-segment-bytes', env: 'FLOE_OFFSETS_TOPIC_SEGMENT_BYTES', kind: 'int', default: '104857600', help: 'segment.bytes of __consumer_offsets (as Kafka sets it); the topic is compacted by the log cleaner like any cleanup.policy=compact topic.' },
  { name: 'offsets.topic.num.partitions', flag: '--offsets-topic-num-partitions', env: 'FLOE_OFFSETS_TOPIC_NUM_PARTITIONS', kind: 'int', default: '50', help: 'Partitions of __consumer_offsets (fixed once created).' },
  { name: 'transaction.state.log.num.partitions', flag: '--transaction-state-log-num-partitions', env: 'FLOE_TRANSACTION_STATE_LOG_NUM_PARTITIONS', kind: 'int', default: '50', help: 'Partitions of __transaction_state (fixed once created).' },
  { name: 'transaction.state.log.segment.bytes', flag: '--transaction-state-log-segment-bytes', env: 'FLOE_TRANSACTION_STATE_LOG_SEGMENT_BYTES', kind: 'int', default: '104857600', help: 'Bytes written to a __transaction_state partition after which it is rewritten to the current state of each transactional id and trimmed.' },
  { name: 'transaction.max.timeout.ms', flag: '--transaction-max-timeout-ms', env: 'FLOE_TRANSACTION_MAX_TIMEOUT_MS', kind: 'int', default: '900000', help: 'Largest transaction.timeout.ms a producer may ask for; more gets INVALID_TRANSACTION_TIMEOUT.' },
  { name: 'transactional.id.expiration.ms', flag: '--transactional-id-expiration-ms', env: 'FLOE_TRANSACTIONAL_ID_EXPIRATION_MS', kind: 'int', default: '604800000', help: 'A transactional id with no transaction for this long is forgotten.' },
  { name: 'transaction.abort.timed.out.transaction.cleanup.interval.ms', flag: '--transaction-abort-timed-out-transaction-cleanup-interval-ms', env: 'FLOE_TRANSACTION_ABORT_TIMED_OUT_TRANSACTION_CLEANUP_INTERVAL_MS', kind: 'int', default: '10000', help: 'How often transactions past their timeout are aborted (and expired transactional ids removed).' },
  { name: 'log.cleaner.backoff.ms', flag: '--log-cleaner-backoff-ms', env: 'FLOE_LOG_CLEANER_BACKOFF_MS', kind: 'int', default: '15000', help: 'How often partitions of compacted topics are checked for cleaning.' },
  { name: 'log.cleaner.dedupe.buffer.size', flag: '--log-cleaner-dedupe-buffer-size', env: 'FLOE_LOG_CLEANER_DEDUPE_BUFFER_SIZE', kind: 'int', default: '134217728', help: 'Memory for the cleaner\'s key map, counted at 128 bytes a key; a partition with more keys is cleaned in parts.' },
  { name: 'log.cleaner.io.max.bytes.per.second', flag: '--log-cleaner-io-max-bytes-per-second', env: 'FLOE_LOG_CLEANER_IO_MAX_BYTES_PER_SECOND', kind: 'string', default: '1.7976931348623157E308', help: 'The log cleaner reads and rewrites at most this many bytes a second (as Kafka: reads and writes each count); the default is no limit.' },
  { name: 'usage.price.put.per.1000', flag: '--usage-price-put-per-1000', env: 'FLOE_USAGE_PRICE_PUT_PER_1000', kind: 'string', default: '0.005', help: 'USD per 1,000 object PUTs, for the cost per topic (/admin/usage, metrics); default S3 Standard in us-east-1.' },
  { name: 'usage.price.get.per.1000', flag: '--usage-price-get-per-1000', env: 'FLOE_USAGE_PRICE_GET_PER_1000', kind: 'string', default: '0.0004', help: 'USD per 1,000 object GETs, for the cost per topic; default S3 Standard in us-east-1.' },
  { name: 'usage.price.storage.gb.month', flag: '--usage-price-storage-gb-month', env: 'FLOE_USAGE_PRICE_STORAGE_GB_MONTH', kind: 'string', default: '0.023', help: 'USD per GB-month stored, for the cost per topic; default S3 Standard in us-east-1.' },
  { name: 'consumer.instance.timeout.ms', flag: '--consumer-instance-timeout-ms', env: 'FLOE_CONSUMER_INSTANCE_TIMEOUT_MS', kind: 'int', default: '300000', help: 'An HTTP consumer instance (REST Proxy v2 /consumers) with no request for this long is destroyed: it leaves its group (REST Proxy\'s name).' },
  { name: 'consumer.instances.max', flag: '--consumer-instances-max', env: 'FLOE_CONSUMER_INSTANCES_MAX', kind: 'int', default: '100', help: 'At most this many HTTP consumer instances per broker; more are refused with 429.' },
  { name: 'console.history.interval.ms', flag: '--console-history-interval-ms', env: 'FLOE_CONSOLE_HISTORY_INTERVAL_MS', kind: 'int', default: '10000', help: 'How often the console\'s charts (throughput per topic, lag per group, the last hour: /admin/history) take a sample.' },
  { name: 'http.port', flag: '--http-port', env: 'FLOE_HTTP_PORT', kind: 'int', default: '9644', help: 'Port of the HTTP server (/metrics, /healthz, /readyz, /admin); -1 disables it, 0 picks a free port.' },
  { name: 'log.retention.check.interval.ms', flag: '--log-retention-check-interval-ms', env: 'FLOE_LOG_RETENTION_CHECK_INTERVAL_MS', kind: 'int', default: '300000', help: 'How often retention.ms and retention.bytes are enforced.' },
  { name: 'object.delete.grace.ms', flag: '--object-delete-grace-ms', env: 'FLOE_OBJECT_DELETE_GRACE_MS', kind: 'int', default: '60000', help: 'How long an unreferenced object is kept before deletion, so in-flight reads still find it.' },
  { name: 'object.compaction.interval.ms', flag: '--object-compaction-interval-ms', env: 'FLOE_OBJECT_COMPACTION_INTERVAL_MS', kind: 'int', default: '60000', help: 'How often small object regions are merged.' },
  { name: 'object.compaction.region.bytes.min', flag: '--object-compaction-region-bytes-min', env: 'FLOE_OBJECT_COMPACTION_REGION_BYTES_MIN', kind: 'int', default: String(1024 * 1024), help: 'Regions smaller than this are merged by compaction.' },
  { name: 'object.compaction.target.bytes', flag: '--object-compaction-target-bytes', env: 'FLOE_OBJECT_COMPACTION_TARGET_BYTES', kind: 'int', default: String(8 * 1024 * 1024), help: 'Largest region compaction produces.' },
  { name: 'object.compaction.min.age.ms', flag: '--object-compaction-min-age-ms', env: 'FLOE_OBJECT_COMPACTION_MIN_AGE_MS', kind: 'int', default: '60000', help: 'Regions younger than this are not compacted yet.' },
  { name: 'offsets.retention.minutes', flag: '--offsets-retention-minutes', env: 'FLOE_OFFSETS_RETENTION_MINUTES', kind: 'int', default: '10080', help: 'Committed offsets of a group without members expire after this long.' },
  { name: 'log.level', flag: '--log-level', env: 'FLOE_LOG_LEVEL', kind: 'enum', values: ['debug', 'info', 'warn', 'error'], default: 'info', help: 'Log level.' },
] as const satisfies readonly Setting[];

export type SettingName = (typeof SETTINGS)[number]['name'];

export class ConfigError extends Error {
  readonly code = 'FLOE_ERR_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface BrokerConfig {
  host: string;
  port: number;
  advertisedHost: string;
  advertisedPort: number;
  /** The Kafka listeners; the first is the one --host/--port describe when `listeners` is not set. */
  listeners: ListenerConfig[];
  interBrokerListenerName: string;
  dataDir: string;
  nodeId: number;
  /** PostgreSQL URL of a fleet's metadata store; undefined: LMDB in the data directory. */
  metadataUrl: string | undefined;
  brokerRack: string | null;
  /** replica.selector.class is the rack-aware selector: leaders send consumers with a rack to a broker of it. */
  rackAwareReplicaSelector: boolean;
  brokerHeartbeatIntervalMs: number;
  uncleanLeaderElectionEnable: boolean;
  brokerSessionTimeoutMs: number;
  controlledShutdownMaxWaitMs: number;
  durability: 'local-wal' | 'object-wal';
  s3: { endpoint: string | undefined; bucket: string; region: string; keyPrefix: string } | undefined;
  uploadIntervalMs: number;
  uploadBytes: number;
  pendingUploadBytesMax: number;
  sequenceGapGraceMs: number;
  tailCacheBytesMax: number;
  blockCacheBytesMax: number;
  socketRequestMaxBytes: number;
  quotaWindowNum: number;
  quotaWindowSizeSeconds: number;
  /** ACLs enforced (authorizer.class.name set), who bypasses them, and what a resource without ACLs allows. */
  authorizer: { enabled: boolean; superUsers: Set<string>; allowEveryoneIfNoAclFound: boolean };
  /** TLS of SSL and SASL_SSL listeners; undefined when no listener uses TLS. */
  ssl: SslConfig | undefined;
  saslEnabledMechanisms: string[];
  /** OAUTHBEARER token validation; undefined unless the mechanism is enabled. */
  oauthBearer: OAuthBearerConfig | undefined;
  saslServerMaxReceiveSize: number;
  connectionsMaxReauthMs: number;
  connectionFailedAuthenticationDelayMs: number;
  maxConnections: number;
  queuedMaxRequestsPerConnection: number;
  connectionsMaxIdleMs: number;
  autoCreateTopicsEnable: boolean;
  numPartitions: number;
  defaultReplicationFactor: number;
  messageMaxBytes: number;
  groupInitialRebalanceDelayMs: number;
  groupMinSessionTimeoutMs: number;
  groupMaxSessionTimeoutMs: number;
  groupMaxSize: number;
  groupConsumerSessionTimeoutMs: number;
  groupConsumerHeartbeatIntervalMs: number;
  groupConsumerMaxSize: number;
  offsetsTopicNumPartitions: number;
  offsetsTopicSegmentBytes: number;
  transactionStateLogNumPartitions: number;
  logCleanerBackoffMs: number;
  logCleanerDedupeBufferSize: number;
  /** log.cleaner.io.max.bytes.per.second (Infinity-like by default). */
  logCleanerIoMaxBytesPerSecond: number;
  /** The price table of the cost per topic (USD). */
  usagePrices: { putPer1000: number; getPer1000: number; storageGbMonth: number };
  transactionStateLogSegmentBytes: number;
  transactionMaxTimeoutMs: number;
  transactionalIdExpirationMs: number;
  transactionAbortTimedOutTransactionCleanupIntervalMs: number;
  httpPort: number;
  consumerInstanceTimeoutMs: number;
  consoleHistoryIntervalMs: number;
  consumerInstancesMax: number;
  logRetentionCheckIntervalMs: number;
  objectDeleteGraceMs: number;
  offsetsRetentionMinutes: number;
  objectCompactionIntervalMs: number;
  objectCompactionRegionBytesMin: number;
  objectCompactionTargetBytes: number;
  objectCompactionMinAgeMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const eq = line.search(/[=:]/);
    if (eq < 0) throw new ConfigError(`config file line without '=': ${line}`);
    out.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return out;
}

export function helpText(): string {
  const lines = ['Usage: floe [options]', '', 'Every option can also be set by its environment variable or, by its property name, in a file given with --config FILE.', ''];
  for (const s of SETTINGS as readonly Setting[]) {
    lines.push(`  ${s.flag} <${s.kind === 'enum' ? s.values!.join('|') : s.kind}>`);
    lines.push(`      ${s.help}`);
    lines.push(`      property ${s.name}, env ${s.env}, default ${s.default ?? '(unset)'}`);
  }
  lines.push('  --config <file>', '      Properties file (name=value per line).', '  --help', '      This text.');
  return lines.join('\n');
}

/** Reads settings from argv, env and an optional file; throws ConfigError naming the bad key. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): BrokerConfig {
  const fromFlags = new Map<string, string>();
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new ConfigError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--config') {
      configFile = value();
      continue;
    }
    const s = (SETTINGS as readonly Setting[]).find((x) => x.flag === flag);
    if (s === undefined) throw new ConfigError(`unknown option ${flag} (see floe --help)`);
    fromFlags.set(s.name, value());
  }
  const fromFile = configFile !== undefined ? parseProperties(readFileSync(configFile, 'utf8')) : new Map<string, string>();
  for (const k of fromFile.keys()) {
    if (!(SETTINGS as readonly Setting[]).some((s) => s.name === k)) throw new ConfigError(`unknown setting ${k} in ${configFile}`);
  }
  const raw = new Map<string, string | undefined>();
  for (const s of SETTINGS as readonly Setting[]) {
    raw.set(s.name, fromFlags.get(s.name) ?? env[s.env] ?? fromFile.get(s.name) ?? s.default);
  }
  const str = (n: SettingName): string | undefined => raw.get(n);
  const int = (n: SettingName): number => {
    const v = raw.get(n)!;
    if (!/^-?\d+$/.test(v)) throw new ConfigError(`${n} must be an integer, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  const optInt = (n: SettingName): number | undefined => (raw.get(n) === undefined ? undefined : int(n));
  const bool = (n: SettingName): boolean => {
    const v = raw.get(n)!;
    if (v !== 'true' && v !== 'false') throw new ConfigError(`${n} must be true or false, got ${JSON.stringify(v)}`);
    return v === 'true';
  };
  const oneOf = <T extends string>(n: SettingName, values: readonly T[]): T => {
    const v = raw.get(n)!;
    if (!(values as readonly string[]).includes(v)) throw new ConfigError(`${n} must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  };
  const nonNegative = (n: SettingName): number => {
    const v = int(n);
    if (v < 0) throw new ConfigError(`${n} must not be negative, got ${v}`);
    return v;
  };
  const positiveNumber = (n: SettingName): number => {
    const v = Number(str(n));
    if (!(v > 0)) throw new ConfigError(`${n} must be a number > 0, got ${JSON.stringify(str(n))}`);
    return v;
  };
  const price = (n: SettingName): number => {
    const v = Number(str(n));
    if (!(v >= 0) || !Number.isFinite(v)) throw new ConfigError(`${n} must be a number >= 0, got ${JSON.stringify(str(n))}`);
    return v;
  };
  const positive = (n: SettingName): number => {
    const v = int(n);
    if (v <= 0) throw new ConfigError(`${n} must be positive, got ${v}`);
    return v;
  };
  const port = int('port');
  if (port < 0 || port > 65535) throw new ConfigError(`port must be 0-65535, got ${port}`);
  const host = str('host')!;
  const bucket = str('s3.bucket');
  const endpoint = str('s3.endpoint');
  if (endpoint !== undefined && bucket === undefined) throw new ConfigError('s3.endpoint is set but s3.bucket is not');
  const metadata = str('metadata')!;
  if (metadata !== 'lmdb' && !/^postgres(ql)?:\/\//.test(metadata)) throw new ConfigError(`metadata must be lmdb or a postgres:// URL, got ${JSON.stringify(metadata)}`);
  const fleet = metadata !== 'lmdb';
  const durability = oneOf('durability', ['local-wal', 'object-wal'] as const);
  // A fleet shares one bucket; and a broker's WAL is on its own disk, which no other broker can replay.
  if (fleet && bucket === undefined) throw new ConfigError('a fleet (metadata on PostgreSQL) needs shared object storage: set s3.bucket (and s3.endpoint for MinIO)');
  const selector = str('replica.selector.class') ?? '';
  if (selector !== '' && selector !== RACK_AWARE_REPLICA_SELECTOR) throw new ConfigError(`replica.selector.class must be ${RACK_AWARE_REPLICA_SELECTOR} or empty (leader only), got ${JSON.stringify(selector)}`);
  const heartbeatMs = positive('broker.heartbeat.interval.ms');
  const sessionMs = positive('broker.session.timeout.ms');
  if (sessionMs <= heartbeatMs * 2) throw new ConfigError(`broker.session.timeout.ms (${sessionMs}) must be more than twice broker.heartbeat.interval.ms (${heartbeatMs})`);
  let listeners: ReturnType<typeof parseListeners>;
  try {
    listeners = parseListeners({
      listeners: str('listeners'), advertisedListeners: str('advertised.listeners'), protocolMap: str('listener.security.protocol.map')!,
      interBrokerListenerName: str('inter.broker.listener.name'), host, port, advertisedHost: str('advertised.host'), advertisedPort: optInt('advertised.port'),
    });
  } catch (e) {
    if (e instanceof ListenerConfigError) throw new ConfigError(e.message);
    throw e;
  }
  const first = listeners.listeners[0]!;
  return {
    host: first.host,
    port: first.port,
    advertisedHost: first.advertisedHost,
    advertisedPort: first.advertisedPort,
    listeners: listeners.listeners,
    interBrokerListenerName: listeners.interBrokerListenerName,
    dataDir: str('data.dir')!,
    nodeId: int('node.id'),
    metadataUrl: fleet ? metadata : undefined,
    brokerRack: str('broker.rack') ?? null,
    rackAwareReplicaSelector: selector !== '',
    brokerHeartbeatIntervalMs: heartbeatMs,
    uncleanLeaderElectionEnable: bool('unclean.leader.election.enable'),
    brokerSessionTimeoutMs: sessionMs,
    controlledShutdownMaxWaitMs: int('controlled.shutdown.max.wait.ms'),
    durability,
    s3: bucket === undefined ? undefined : { endpoint, bucket, region: str('s3.region')!, keyPrefix: str('s3.key.prefix') ?? '' },
    uploadIntervalMs: positive('upload.interval.ms'),
    uploadBytes: positive('upload.bytes'),
    pendingUploadBytesMax: positive('pending.upload.bytes.max'),
    sequenceGapGraceMs: nonNegative('sequence.gap.grace.ms'),
    tailCacheBytesMax: int('tail.cache.bytes.max'),
    blockCacheBytesMax: int('block.cache.bytes.max'),
    socketRequestMaxBytes: positive('socket.request.max.bytes'),
    quotaWindowNum: positive('quota.window.num'),
    quotaWindowSizeSeconds: positive('quota.window.size.seconds'),
    authorizer: authorizerConfig(str('authorizer.class.name') ?? '', str('super.users') ?? '', bool('allow.everyone.if.no.acl.found')),
    ssl: sslConfig(listeners.listeners, {
      keystoreType: oneOf('ssl.keystore.type', ['PEM', 'PKCS12'] as const), keystoreLocation: str('ssl.keystore.location'), keystorePassword: str('ssl.keystore.password'),
      keyPassword: str('ssl.key.password'), truststoreLocation: str('ssl.truststore.location'), clientAuth: oneOf('ssl.client.auth', ['none', 'requested', 'required'] as const),
      reloadCheckMs: int('floe.ssl.reload.check.ms'),
    }),
    saslEnabledMechanisms: saslMechanisms(str('sasl.enabled.mechanisms')!),
    oauthBearer: oauthBearerConfig(saslMechanisms(str('sasl.enabled.mechanisms')!).includes('OAUTHBEARER'), {
      jwksUrl: str('sasl.oauthbearer.jwks.endpoint.url'), expectedAudience: (str('sasl.oauthbearer.expected.audience') ?? '').split(',').map((a) => a.trim()).filter((a) => a !== ''),
      expectedIssuer: str('sasl.oauthbearer.expected.issuer'), subClaimName: str('sasl.oauthbearer.sub.claim.name')!,
      clockSkewSeconds: int('sasl.oauthbearer.clock.skew.seconds'), jwksRefreshMs: positive('sasl.oauthbearer.jwks.endpoint.refresh.ms'),
    }),
    saslServerMaxReceiveSize: positive('sasl.server.max.receive.size'),
    connectionsMaxReauthMs: int('connections.max.reauth.ms'),
    connectionFailedAuthenticationDelayMs: int('connection.failed.authentication.delay.ms'),
    maxConnections: positive('max.connections'),
    queuedMaxRequestsPerConnection: positive('queued.max.requests.per.connection'),
    connectionsMaxIdleMs: positive('connections.max.idle.ms'),
    autoCreateTopicsEnable: bool('auto.create.topics.enable'),
    numPartitions: positive('num.partitions'),
    defaultReplicationFactor: positive('default.replication.factor'),
    messageMaxBytes: positive('message.max.bytes'),
    groupInitialRebalanceDelayMs: int('group.initial.rebalance.delay.ms'),
    groupMinSessionTimeoutMs: positive('group.min.session.timeout.ms'),
    groupMaxSessionTimeoutMs: positive('group.max.session.timeout.ms'),
    groupMaxSize: positive('group.max.size'),
    groupConsumerSessionTimeoutMs: positive('group.consumer.session.timeout.ms'),
    groupConsumerHeartbeatIntervalMs: positive('group.consumer.heartbeat.interval.ms'),
    groupConsumerMaxSize: positive('group.consumer.max.size'),
    offsetsTopicNumPartitions: positive('offsets.topic.num.partitions'),
    offsetsTopicSegmentBytes: positive('offsets.topic.segment.bytes'),
    transactionStateLogNumPartitions: positive('transaction.state.log.num.partitions'),
    logCleanerBackoffMs: positive('log.cleaner.backoff.ms'),
    logCleanerDedupeBufferSize: positive('log.cleaner.dedupe.buffer.size'),
    logCleanerIoMaxBytesPerSecond: positiveNumber('log.cleaner.io.max.bytes.per.second'),
    usagePrices: { putPer1000: price('usage.price.put.per.1000'), getPer1000: price('usage.price.get.per.1000'), storageGbMonth: price('usage.price.storage.gb.month') },
    transactionStateLogSegmentBytes: positive('transaction.state.log.segment.bytes'),
    transactionMaxTimeoutMs: positive('transaction.max.timeout.ms'),
    transactionalIdExpirationMs: positive('transactional.id.expiration.ms'),
    transactionAbortTimedOutTransactionCleanupIntervalMs: positive('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
    httpPort: int('http.port'),
    consumerInstanceTimeoutMs: positive('consumer.instance.timeout.ms'),
    consoleHistoryIntervalMs: positive('console.history.interval.ms'),
    consumerInstancesMax: positive('consumer.instances.max'),
    logRetentionCheckIntervalMs: positive('log.retention.check.interval.ms'),
    objectDeleteGraceMs: int('object.delete.grace.ms'),
    offsetsRetentionMinutes: positive('offsets.retention.minutes'),
    objectCompactionIntervalMs: positive('object.compaction.interval.ms'),
    objectCompactionRegionBytesMin: positive('object.compaction.region.bytes.min'),
    objectCompactionTargetBytes: positive('object.compaction.target.bytes'),
    objectCompactionMinAgeMs: int('object.compaction.min.age.ms'),
    logLevel: oneOf('log.level', ['debug', 'info', 'warn', 'error'] as const),
  };
}

export interface SslConfig {
  keystoreType: 'PEM' | 'PKCS12';
  reloadCheckMs: number;
  keystoreLocation: string;
  keystorePassword: string | undefined;
  keyPassword: string | undefined;
  truststoreLocation: string | undefined;
  clientAuth: 'none' | 'requested' | 'required';
}

function sslConfig(listeners: readonly ListenerConfig[], c: Omit<SslConfig, 'keystoreLocation'> & { keystoreLocation: string | undefined }): SslConfig | undefined {
  const tls = listeners.filter((l) => l.protocol === 'SSL' || l.protocol === 'SASL_SSL');
  if (tls.length === 0) return undefined;
  if (c.keystoreLocation === undefined) throw new ConfigError(`listener ${tls[0]!.name} is ${tls[0]!.protocol}: set ssl.keystore.location (the broker's key and certificate)`);
  if (c.clientAuth !== 'none' && c.truststoreLocation === undefined) throw new ConfigError(`ssl.client.auth=${c.clientAuth} needs ssl.truststore.location (the CA client certificates chain to)`);
  return { ...c, keystoreLocation: c.keystoreLocation };
}


function authorizerConfig(className: string, superUsers: string, allowEveryone: boolean): BrokerConfig['authorizer'] {
  if (className !== '' && className !== STANDARD_AUTHORIZER && className !== LEGACY_AUTHORIZER) {
    throw new ConfigError(`authorizer.class.name must be ${STANDARD_AUTHORIZER} (or empty), got ${JSON.stringify(className)}`);
  }
  const users = superUsers.split(';').map((u) => u.trim()).filter((u) => u !== '');
  for (const u of users) if (!/^[^:]+:.+$/.test(u)) throw new ConfigError(`super.users: ${JSON.stringify(u)} is not a principal (User:NAME)`);
  return { enabled: className !== '', superUsers: new Set(users), allowEveryoneIfNoAclFound: allowEveryone };
}

export const SUPPORTED_SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const;

function oauthBearerConfig(enabled: boolean, c: Omit<OAuthBearerConfig, 'jwksUrl'> & { jwksUrl: string | undefined }): OAuthBearerConfig | undefined {
  if (!enabled) return undefined;
  if (c.jwksUrl === undefined) throw new ConfigError('sasl.enabled.mechanisms has OAUTHBEARER: set sasl.oauthbearer.jwks.endpoint.url (the keys tokens are signed with)');
  if (!/^(https?|file):\/\//.test(c.jwksUrl)) throw new ConfigError(`sasl.oauthbearer.jwks.endpoint.url must be an https://, http:// or file:// URL, got ${JSON.stringify(c.jwksUrl)}`);
  return { ...c, jwksUrl: c.jwksUrl };
}

function saslMechanisms(value: string): string[] {
  const ms = value.split(',').map((m) => m.trim().toUpperCase()).filter((m) => m !== '');
  for (const m of ms) {
    if (!(SUPPORTED_SASL_MECHANISMS as readonly string[]).includes(m)) throw new ConfigError(`sasl.enabled.mechanisms: ${m} is not supported (${SUPPORTED_SASL_MECHANISMS.join(', ')})`);
  }
  return ms;
}

/** The settings as Kafka-style name/value pairs, for DescribeConfigs (nothing here is secret). */
export function brokerConfigEntries(c: BrokerConfig): [string, string][] {
  return [
    ['node.id', String(c.nodeId)],
    ['broker.rack', c.brokerRack ?? ''],
    ['replica.selector.class', c.rackAwareReplicaSelector ? RACK_AWARE_REPLICA_SELECTOR : ''],
    ['broker.heartbeat.interval.ms', String(c.brokerHeartbeatIntervalMs)],
    ['unclean.leader.election.enable', String(c.uncleanLeaderElectionEnable)],
    ['broker.session.timeout.ms', String(c.brokerSessionTimeoutMs)],
    ['listeners', c.listeners.map((l) => `${l.name}://${l.host}:${l.port}`).join(',')],
    ['advertised.listeners', c.listeners.map((l) => `${l.name}://${l.advertisedHost}:${l.advertisedPort}`).join(',')],
    ['inter.broker.listener.name', c.interBrokerListenerName],
    ['listener.security.protocol.map', c.listeners.map((l) => `${l.name}:${l.protocol}`).join(',')],
    ['sasl.enabled.mechanisms', c.saslEnabledMechanisms.join(',')],
    ['authorizer.class.name', c.authorizer.enabled ? STANDARD_AUTHORIZER : ''],
    ['super.users', [...c.authorizer.superUsers].join(';')],
    ['allow.everyone.if.no.acl.found', String(c.authorizer.allowEveryoneIfNoAclFound)],
    ['ssl.client.auth', c.ssl?.clientAuth ?? 'none'],
    ['log.dirs', c.dataDir],
    ['auto.create.topics.enable', String(c.autoCreateTopicsEnable)],
    ['num.partitions', String(c.numPartitions)],
    ['default.replication.factor', String(c.defaultReplicationFactor)],
    ['message.max.bytes', String(c.messageMaxBytes)],
    ['socket.request.max.bytes', String(c.socketRequestMaxBytes)],
    ['max.connections', String(c.maxConnections)],
    ['connections.max.idle.ms', String(c.connectionsMaxIdleMs)],
    ['floe.durability', c.durability],
    ['floe.upload.interval.ms', String(c.uploadIntervalMs)],
    ['floe.upload.bytes', String(c.uploadBytes)],
    ['floe.object.store', c.s3 === undefined ? 'filesystem' : `s3://${c.s3.bucket}/${c.s3.keyPrefix}`],
  ];
}

/**
 * The settings given at start that differ from their defaults, by Kafka name:
 * what Kafka would report with source STATIC_BROKER_CONFIG (those that are a
 * topic config's default, such as message.max.bytes, then feed the topics).
 */
/** Whether a setting's value is its default (Kafka reports those with source DEFAULT_CONFIG). */
export function isSettingDefault(name: string, value: string): boolean {
  return SETTINGS.some((s) => s.name === name && s.default === value);
}

export function staticBrokerOverrides(c: BrokerConfig): Record<string, string> {
  const defaults = new Map<string, string | undefined>(SETTINGS.map((s) => [s.name, s.default]));
  return Object.fromEntries(brokerConfigEntries(c).filter(([name, value]) => defaults.has(name) && defaults.get(name) !== undefined && defaults.get(name) !== value));
}
