// Owns the broker's Prometheus metrics (prom-client): counters and
// histograms observed on the request path, and gauges read from the storage
// layers at scrape time, so the hot path never formats metrics. Label sets
// are bounded: API names and versions, error codes, topics and partitions
// that exist, groups that exist.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { errorName } from '../protocol/errors.ts';

export class BrokerMetrics {
  readonly registry = new Registry();
  connectionsOpen = 0;
  readonly connectionsRefused: Counter;
  readonly badFrames: Counter;
  readonly authentications: Counter;
  readonly tlsHandshakeFailures: Counter;
  readonly tlsReloads: Counter;
  readonly unauthenticatedRequests: Counter;
  readonly unsupportedRequests: Counter;
  readonly handlerErrors: Counter;
  readonly produceThrottled: Counter;
  readonly produceRefusedInOrder: Counter;
  readonly produceUnconfirmedOutOfOrder: Counter;
  readonly fetchStorageErrors: Counter;
  readonly fetchReadsOutlasted: Counter;
  readonly producerSnapshots: Counter<'outcome'>;
  readonly cleanerRuns: Counter;
  readonly cleanerBytesIn: Counter;
  readonly cleanerBytesOut: Counter;
  readonly cleanerRecordsRemoved: Counter;
  readonly cleanerDirtyRatio: Gauge;
  readonly bytesOut: Counter;
  private readonly requestSeconds: Histogram;
  private readonly producedBytes: Counter;
  private readonly fetchedBytes: Counter;
  private readonly produceErrors: Counter;
  private readonly fetchErrors: Counter;
  private readonly fetchedZoneBytes: Counter;

  constructor() {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: 'floe_process_' });
    this.connectionsRefused = new Counter({ name: 'floe_connections_refused_total', help: 'Connections refused (max.connections or stopping).', registers: [r] });
    this.authentications = new Counter({ name: 'floe_authentications_total', help: 'SASL authentications by mechanism and outcome (a failure is answered after connection.failed.authentication.delay.ms and closes the connection).', labelNames: ['mechanism', 'outcome'], registers: [r] });
    this.tlsReloads = new Counter({ name: 'floe_tls_reloads_total', help: 'Times changed keystore or truststore files were loaded for new TLS connections.', registers: [r] });
    this.tlsHandshakeFailures = new Counter({ name: 'floe_tls_handshake_failures_total', help: 'TLS handshakes that failed (bad or missing client certificate, protocol errors).', registers: [r] });
    this.unauthenticatedRequests = new Counter({ name: 'floe_unauthenticated_requests_total', help: 'Requests other than ApiVersions and SASL sent before authenticating on a SASL listener; their connections were closed.', registers: [r] });
    this.badFrames = new Counter({ name: 'floe_bad_frames_total', help: 'Frames that could not be parsed or were too large; their connections were closed.', registers: [r] });
    this.unsupportedRequests = new Counter({ name: 'floe_unsupported_requests_total', help: 'Requests for an API or version floe does not serve.', registers: [r] });
    this.handlerErrors = new Counter({ name: 'floe_handler_errors_total', help: 'Request handlers that threw (bugs); their connections were closed.', registers: [r] });
    this.fetchStorageErrors = new Counter({ name: 'floe_fetch_storage_errors_total', help: 'Partitions of fetches answered KAFKA_STORAGE_ERROR because object storage could not be read.', registers: [r] });
    this.fetchReadsOutlasted = new Counter({ name: 'floe_fetch_reads_outlasted_wait_total', help: 'Partitions of fetches answered with no records because their object-storage read outlasted the fetch\'s wait (the read goes on into the caches).', registers: [r] });
    this.producerSnapshots = new Counter({ name: 'floe_producer_state_snapshots_total', help: 'Idempotent-producer state snapshots of led partitions, by outcome: written, superseded (one at a higher offset was there), failed (the metadata store could not be reached; tried again later).', labelNames: ['outcome'], registers: [r] });
    this.cleanerRuns = new Counter({ name: 'floe_log_cleaner_runs_total', help: 'Partitions of compacted topics cleaned (a run that rewrote regions).', registers: [r] });
    this.cleanerBytesIn = new Counter({ name: 'floe_log_cleaner_read_bytes_total', help: 'Bytes of log the cleaner rewrote.', registers: [r] });
    this.cleanerBytesOut = new Counter({ name: 'floe_log_cleaner_written_bytes_total', help: 'Bytes of objects the cleaner wrote.', registers: [r] });
    this.cleanerRecordsRemoved = new Counter({ name: 'floe_log_cleaner_records_removed_total', help: 'Records the cleaner removed (older versions of a key, expired tombstones).', registers: [r] });
    this.cleanerDirtyRatio = new Gauge({ name: 'floe_log_cleaner_dirty_ratio', help: 'Share of the cleanable log written since the last cleaning, by topic and partition, as last measured.', labelNames: ['topic', 'partition'], registers: [r] });
    this.produceRefusedInOrder = new Counter({ name: 'floe_produce_refused_in_order_total', help: 'Idempotent batches pipelined behind a batch refused as not written, refused the same way instead of OUT_OF_ORDER_SEQUENCE_NUMBER.', registers: [r] });
    this.produceUnconfirmedOutOfOrder = new Counter({ name: 'floe_produce_out_of_order_unconfirmed_total', help: 'Out-of-order idempotent batches answered NOT_LEADER_OR_FOLLOWER because the metadata store showed this broker deposed (or could not be read).', registers: [r] });
    this.produceThrottled = new Counter({ name: 'floe_produce_backpressure_timeouts_total', help: 'Produce requests that waited the whole request timeout for upload capacity.', registers: [r] });
    this.bytesOut = new Counter({ name: 'floe_network_out_bytes_total', help: 'Response bytes written to clients.', registers: [r] });
    this.requestSeconds = new Histogram({
      name: 'floe_request_seconds', help: 'Request handling time by API and version.', labelNames: ['api', 'version'], registers: [r],
      buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
    this.producedBytes = new Counter({ name: 'floe_produce_bytes_total', help: 'Record batch bytes appended, by topic.', labelNames: ['topic'], registers: [r] });
    this.fetchedBytes = new Counter({ name: 'floe_fetch_bytes_total', help: 'Record batch bytes returned by Fetch, by topic.', labelNames: ['topic'], registers: [r] });
    this.produceErrors = new Counter({ name: 'floe_produce_errors_total', help: 'Produce partition errors by Kafka error.', labelNames: ['error'], registers: [r] });
    this.fetchedZoneBytes = new Counter({
      name: 'floe_fetch_zone_bytes_total', help: 'Record batch bytes returned by Fetch, by whether the client (client.rack) is in this broker\'s zone (broker.rack): same, cross (cross-zone traffic) or unknown; and by role: leader, or read replica (KIP-392).',
      labelNames: ['zone', 'role'], registers: [r],
    });
    this.fetchErrors = new Counter({ name: 'floe_fetch_errors_total', help: 'Fetch partition errors by Kafka error.', labelNames: ['error'], registers: [r] });
  }

  observeRequest(api: string, version: number, seconds: number): void {
    this.requestSeconds.observe({ api, version: String(version) }, seconds);
  }

  private producedTotal = 0;
  private fetchedTotal = 0;

  produced(topic: string, bytes: number): void {
    this.producedBytes.inc({ topic }, bytes);
    this.producedTotal += bytes;
  }

  fetched(topic: string, bytes: number): void {
    if (bytes <= 0) return;
    this.fetchedBytes.inc({ topic }, bytes);
    this.fetchedTotal += bytes;
  }

  /** Bytes in (produced) and out (fetched) by topic since this broker started: the counters' values. */
  async bytesByTopic(): Promise<{ produced: Map<string, number>; fetched: Map<string, number> }> {
    const byTopic = async (c: Counter<'topic'>): Promise<Map<string, number>> => new Map((await c.get()).values.map((v) => [String(v.labels.topic), v.value]));
    const [produced, fetched] = await Promise.all([byTopic(this.producedBytes), byTopic(this.fetchedBytes)]);
    return { produced, fetched };
  }

  fetchedByZone(zone: 'same' | 'cross' | 'unknown', replica: boolean, bytes: number): void {
    if (bytes > 0) this.fetchedZoneBytes.inc({ zone, role: replica ? 'replica' : 'leader' }, bytes);
  }

  producedBytesTotal(): number {
    return this.producedTotal;
  }

  fetchedBytesTotal(): number {
    return this.fetchedTotal;
  }

  produceError(code: number): void {
    this.produceErrors.inc({ error: errorName(code) });
  }

  fetchError(code: number): void {
    this.fetchErrors.inc({ error: errorName(code) });
  }
}
