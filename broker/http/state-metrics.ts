// Owns the gauges read from the broker's state at scrape time: connections,
// WAL, uploader, object store, caches, partitions and consumer-group lag.
// Nothing here runs on the request path.

import { Gauge, type Registry } from 'prom-client';
import type { Broker } from '../broker.ts';
import { PostgresMetadataStore } from '../../s3stream/metadata/postgres-metadata-store.ts';
import type { LagRow } from '../admin/cluster-admin.ts';

type Collect = (g: Gauge) => void;

const LAG_SNAPSHOT_MS = 5000;

export function registerStateMetrics(broker: Broker, registry: Registry): void {
  const gauge = (name: string, help: string, labelNames: string[], collect: Collect): void => {
    new Gauge({ name, help, labelNames, registers: [registry], collect() { this.reset(); collect(this); } });
  };
  const streams = broker.streams;
  gauge('floe_connections', 'Open client connections.', [], (g) => g.set(broker.metrics.connectionsOpen));
  gauge('floe_log_cleaner_throttled_seconds', 'Time the log cleaner waited to stay under log.cleaner.io.max.bytes.per.second, since start.', [], (g) => g.set(broker.maintenance.cleanerIo.waitedMs / 1000));

  const wal = (): NonNullable<typeof streams.walStats> | undefined => streams.walStats;
  gauge('floe_wal_appends', 'WAL appends since start.', [], (g) => g.set(wal()?.appends ?? 0));
  gauge('floe_wal_fsyncs', 'WAL write+fdatasync rounds since start (group commits).', [], (g) => g.set(wal()?.fsyncs ?? 0));
  gauge('floe_wal_fsync_seconds_sum', 'Time spent in WAL fdatasync since start.', [], (g) => g.set(wal()?.fsyncSecondsTotal ?? 0));
  gauge('floe_wal_queue_depth', 'Appends waiting for the next WAL write.', [], (g) => g.set(wal()?.queueDepth ?? 0));
  gauge('floe_wal_untrimmed_bytes', 'WAL bytes not yet trimmed after upload (bounded by pending.upload.bytes.max).', [], (g) => g.set(wal()?.untrimmedBytes ?? 0));
  gauge('floe_wal_segments', 'WAL segment files.', [], (g) => g.set(wal()?.segments ?? 0));
  gauge('floe_wal_failed', '1 once a WAL write or fsync failed (a full disk, an I/O error): produce answers KAFKA_STORAGE_ERROR until a restart; /readyz says why.', [], (g) => g.set(streams.walFailure === undefined ? 0 : 1));

  const s = streams.stats;
  gauge('floe_upload_pending_bytes', 'Bytes appended but not yet in object storage.', [], (g) => g.set(s.pendingUploadBytes));
  gauge('floe_uploads', 'Stream-set objects uploaded and indexed since start.', [], (g) => g.set(s.uploads));
  gauge('floe_upload_failures', 'Failed upload attempts since start (retried).', [], (g) => g.set(s.uploadFailures));
  gauge('floe_upload_bytes', 'Bytes uploaded since start.', [], (g) => g.set(s.uploadedBytes));
  gauge('floe_upload_seconds_sum', 'Time spent uploading and indexing since start.', [], (g) => g.set(s.uploadSecondsTotal));
  gauge('floe_compactions', 'Compactions (runs of small regions merged) since start.', [], (g) => g.set(s.rewrites.compactions));
  gauge('floe_regions_compacted', 'Regions merged away by compaction since start.', [], (g) => g.set(s.rewrites.regionsCompacted));
  gauge('floe_objects_deleted', 'Objects deleted after they were no longer referenced, since start.', [], (g) => g.set(s.objectsDeleted));
  gauge('floe_tail_cache_bytes', 'Recent data held in memory for tail reads.', [], (g) => g.set(s.tailCacheBytes));
  gauge('floe_block_cache_bytes', 'Object regions cached for catch-up reads.', [], (g) => g.set(s.blockCache.bytes));
  gauge('floe_block_cache_hits', 'Block cache hits since start.', [], (g) => g.set(s.blockCache.hits));
  gauge('floe_block_cache_misses', 'Block cache misses since start.', [], (g) => g.set(s.blockCache.misses));
  gauge('floe_reads_from_memory', 'Stream reads served from memory since start.', [], (g) => g.set(s.readsFromMemory));
  gauge('floe_object_index_cache_entries', 'Object-index entries cached for the streams this broker owns (bounded).', [], (g) => g.set(s.indexCache.entries));
  gauge('floe_object_index_cache_lookups', 'Object-index lookups of owned streams since start, by outcome (a miss is a metadata-store query).', ['outcome'], (g) => {
    g.set({ outcome: 'hit' }, s.indexCache.hits);
    g.set({ outcome: 'miss' }, s.indexCache.misses);
  });
  gauge('floe_whole_object_reads', 'Objects read whole for read replicas (one GET for every partition in them) since start.', [], (g) => g.set(s.regionReads.wholeObjectReads));
  gauge('floe_object_gets_in_flight', 'Object-store GETs of regions in flight (bounded; readers beyond the bound wait).', [], (g) => g.set(s.regionReads.getsInFlight));
  gauge('floe_object_gets_waiting', 'Region reads waiting for a GET slot.', [], (g) => g.set(s.regionReads.getsWaiting));
  gauge('floe_read_aheads_skipped', 'Read-aheads not sent because every GET slot was taken, since start.', [], (g) => g.set(s.regionReads.readAheadsSkipped));
  gauge('floe_reads_from_objects', 'Stream reads served from object storage since start.', [], (g) => g.set(s.readsFromObjects));

  gauge('floe_authorization_decisions', 'ACL checks since start, by outcome (only with authorizer.class.name set).', ['outcome'], (g) => {
    g.set({ outcome: 'allowed' }, broker.authorizer.stats.allowed);
    g.set({ outcome: 'denied' }, broker.authorizer.stats.denied);
  });
  gauge('floe_acl_bindings', 'ACL bindings this broker enforces (its copy of the metadata store\'s).', [], (g) => g.set(broker.acls.bindings().length));
  gauge('floe_quota_throttles', 'Responses that throttled a client over its byte-rate quota since start.', [], (g) => g.set(broker.rateLimiter.stats.throttled));
  gauge('floe_quota_throttle_ms_sum', 'Throttle time given to clients over their quotas since start (ms).', [], (g) => g.set(broker.rateLimiter.stats.throttleMsTotal));
  gauge('floe_quota_clients_tracked', 'Clients whose byte rate is being measured (bounded).', [], (g) => g.set(broker.rateLimiter.tracked));
  gauge('floe_stream_fenced_commits', 'Index commits refused because another broker had taken the partition over (this broker was deposed) since start.', [], (g) => g.set(s.fencedCommits));
  gauge('floe_stream_index_races', 'Trims and stream deletions that found their index regions changed by a concurrent compaction or trim, and read them again, since start.', [], (g) => g.set(s.indexRaces));

  const member = broker.member;
  gauge('floe_partitions_led', 'Partitions this broker leads now.', [], (g) => g.set(broker.leadership.size));
  gauge('floe_cluster_brokers_alive', 'Brokers this broker sees alive (registration renewed within broker.session.timeout.ms).', [], (g) => g.set(member.view.liveBrokers().length));
  gauge('floe_controller_active', '1 when this broker is the controller.', [], (g) => g.set(member.controller.isController ? 1 : 0));
  gauge('floe_controller_partition_moves', 'Partition moves committed by this broker as controller since start, by reason.', ['reason'], (g) => {
    g.set({ reason: 'failover' }, member.controller.stats.failoverMoves);
    g.set({ reason: 'rebalance' }, member.controller.stats.moves - member.controller.stats.failoverMoves);
  });
  gauge('floe_partitions_waiting_for_owner', 'As controller: partitions of dead local-wal brokers that wait for them because they may hold acknowledged records not yet in object storage.', [], (g) => g.set(member.controller.stats.waitingForOwner));
  gauge('floe_unclean_leader_elections', 'As controller: partitions moved off a dead local-wal broker that may have held acknowledged records not yet in object storage (unclean.leader.election.enable) since start.', [], (g) => g.set(member.controller.stats.uncleanMoves));
  gauge('floe_wal_bytes_dropped_at_start', 'Replayed WAL bytes dropped at start because their partitions had moved to other brokers (unclean leader election).', [], (g) => g.set(broker.walBytesDroppedAtStart));
  gauge('floe_cluster_heartbeat_failures', 'Registration renewals that could not reach the metadata store since start.', [], (g) => g.set(member.heartbeatFailures));
  gauge('floe_read_replicas', 'Partitions led elsewhere that this broker serves to consumers of its rack (KIP-392); bounded.', [], (g) => g.set(broker.replicas.size));
  gauge('floe_read_replica_index_reads', 'Index reads by read replicas (to learn the leader\'s uploaded end) since start.', [], (g) => g.set(broker.replicas.stats.refreshes));
  gauge('floe_read_replica_evictions', 'Read replicas dropped to stay within their bound since start.', [], (g) => g.set(broker.replicas.stats.evictions));
  gauge('floe_partitions_opened', 'Partitions this broker started leading since start.', [], (g) => g.set(broker.leadership.opened));
  gauge('floe_partitions_closed', 'Partitions this broker stopped leading since start.', [], (g) => g.set(broker.leadership.closed));
  const txn = broker.transactions;
  gauge('floe_transactions', 'Transactions this broker coordinated to an end since start, by outcome.', ['outcome'], (g) => {
    g.set({ outcome: 'committed' }, txn.stats.committed);
    g.set({ outcome: 'aborted' }, txn.stats.aborted);
  });
  gauge('floe_transaction_remote_verifications', 'First transactional writes to a partition (or TxnOffsetCommits) checked with the coordinator on another broker since start (AddPartitionsToTxn verifyOnly).', [], (g) => g.set(txn.stats.remoteVerifications));
  gauge('floe_transaction_markers', 'Transaction markers this broker wrote since start, by where: on partitions it leads (local) or sent to their leaders (remote).', ['where'], (g) => {
    g.set({ where: 'local' }, txn.markers.stats.local);
    g.set({ where: 'remote' }, txn.markers.stats.remote);
  });
  gauge('floe_transactions_timed_out', 'Transactions aborted at their transaction.timeout.ms since start.', [], (g) => g.set(txn.stats.timedOut));
  gauge('floe_transactions_fenced', 'Open transactions aborted because a new instance of their producer initialised, since start.', [], (g) => g.set(txn.stats.fenced));
  gauge('floe_transaction_markers_written', 'COMMIT/ABORT markers written to partitions since start.', [], (g) => g.set(txn.stats.markersWritten));
  gauge('floe_transactional_ids', 'Transactional ids this broker coordinates (bounded; one more gets COORDINATOR_NOT_AVAILABLE).', [], (g) => g.set(txn.size));
  gauge('floe_aborted_transactions_forgotten', 'Aborted transactions forgotten by partitions served here because of the per-partition bound.', [], (g) => {
    g.set(broker.leadership.served().reduce((n, log) => n + log.transactions.forgotten, 0));
  });
  if (broker.metadata instanceof PostgresMetadataStore) {
    const pg = broker.metadata.stats;
    gauge('floe_metadata_store_queries', 'Queries sent to PostgreSQL since start.', [], (g) => g.set(pg.queries));
    gauge('floe_metadata_store_retries', 'PostgreSQL queries retried after a lost connection since start.', [], (g) => g.set(pg.retries));
    gauge('floe_metadata_store_failures', 'PostgreSQL queries that failed past the retry bound since start.', [], (g) => g.set(pg.failures));
  }

  const os = broker.objectStore.stats;
  gauge('floe_object_store_requests', 'Object store requests since start by operation and outcome (ok, error, retry, not_found).', ['op', 'outcome'], (g) => {
    for (const [k, n] of os.requests) {
      const [op, outcome] = k.split(':') as [string, string];
      g.set({ op, outcome }, n);
    }
  });
  gauge('floe_object_store_consecutive_failures', 'Consecutive failed object store requests (> 0: storage is failing now).', [], (g) => g.set(os.consecutiveFailures));
  gauge('floe_object_store_bytes_written', 'Bytes written to object storage since start.', [], (g) => g.set(os.bytesWritten));
  gauge('floe_object_store_bytes_read', 'Bytes read from object storage since start.', [], (g) => g.set(os.bytesRead));

  gauge('floe_partition_high_watermark', 'High watermark by partition.', ['topic', 'partition'], (g) => {
    for (const t of broker.topics.all()) {
      t.streams.forEach((_, i) => {
        const p = broker.partition(t, i);
        if (p !== undefined) g.set({ topic: t.name, partition: String(i) }, p.highWatermark);
      });
    }
  });
  gauge('floe_partition_log_start_offset', 'Log start offset by partition.', ['topic', 'partition'], (g) => {
    for (const t of broker.topics.all()) {
      t.streams.forEach((_, i) => {
        const p = broker.partition(t, i);
        if (p !== undefined) g.set({ topic: t.name, partition: String(i) }, p.logStartOffset);
      });
    }
  });
  // Lag needs the high watermarks of partitions led anywhere in the fleet: a scrape reports the last
  // snapshot (at most LAG_SNAPSHOT_MS old) and starts the next one, so a scrape never waits on other brokers.
  // Each broker reports the groups it coordinates, so the fleet's series do not repeat.
  let lag: LagRow[] = [];
  let lagAt = 0;
  let lagRefreshing = false;
  gauge('floe_consumer_group_lag', `High watermark minus committed offset, by group and partition, for the groups this broker coordinates (a snapshot at most ${LAG_SNAPSHOT_MS / 1000} s old).`, ['group', 'topic', 'partition'], (g) => {
    if (!lagRefreshing && Date.now() - lagAt >= LAG_SNAPSHOT_MS) {
      lagRefreshing = true;
      broker.admin.lagOf(broker.groups.groupIds())
        .then((rows) => { lag = rows; lagAt = Date.now(); }, (e: unknown) => { broker.log.warn({ err: (e as Error).message }, 'consumer lag snapshot failed'); })
        .finally(() => { lagRefreshing = false; });
    }
    for (const row of lag) g.set({ group: row.group, topic: row.topic, partition: String(row.partition) }, row.lag);
  });
}
