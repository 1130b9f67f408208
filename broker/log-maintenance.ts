// Owns the broker's background log work: topic retention (retention.ms,
// retention.bytes, for cleanup.policy delete), the log cleaner of compacted
// topics (cleanup.policy compact), offsets.retention.minutes for empty
// groups, compaction of small object regions into larger ones, and the
// deletion of objects nothing references any more. Each runs on its own interval, one at a time.
// Each broker does this for the partitions it leads (their streams are the
// ones open here), so in a fleet every partition is handled once; object
// deletion is done by the controller alone. Internal topics are skipped: __consumer_offsets must keep every group's
// latest commit, and there is no compaction yet to do that any other way.

import type { Broker } from './broker.ts';
import { cleanupPolicyIncludes, effectiveTopicConfig } from './topics/topic-configs.ts';
import { OFFSETS_TOPIC } from './groups/group-coordinator.ts';
import { IoThrottle } from './partition/io-throttle.ts';
import { cleanPartition } from './partition/log-cleaner.ts';
import { COMPACTION_REGIONS_PER_RUN_MAX } from '../s3stream/region-rewriter.ts';

/** Compaction runs one stream gets per pass when it has a backlog (each merges up to COMPACTION_REGIONS_PER_RUN_MAX regions). */
const COMPACTION_RUNS_PER_STREAM_MAX = 8;

/** What the cleaner's key map is assumed to cost per key (JS Map entry and key string). */
const CLEANER_BYTES_PER_KEY = 128;

export class LogMaintenance {
  private readonly broker: Broker;
  private timers: NodeJS.Timeout[] = [];
  private running = false;
  private compacting = false;
  private cleaning = false;
  runs = 0;
  private io: IoThrottle | undefined;

  constructor(broker: Broker) {
    this.broker = broker;
  }

  /** log.cleaner.io.max.bytes.per.second, over every partition the cleaner reads and rewrites (made on first use: the broker's config is set after this object). */
  get cleanerIo(): IoThrottle {
    return this.io ??= new IoThrottle(this.broker.config.logCleanerIoMaxBytesPerSecond);
  }

  start(retentionIntervalMs: number, compactionIntervalMs: number, cleanerBackoffMs: number): void {
    this.timers.push(setInterval(() => void this.runOnce(), retentionIntervalMs));
    this.timers.push(setInterval(() => void this.cleanOnce(), cleanerBackoffMs));
    this.timers.push(setInterval(() => void this.compactOnce(), compactionIntervalMs));
    for (const t of this.timers) t.unref();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
  }

  /** Compacts every partition's oldest run of small regions (internal topics included). */
  async compactOnce(): Promise<void> {
    if (this.compacting) return;
    this.compacting = true;
    const { broker } = this;
    try {
      for (const t of broker.topics.all()) {
        for (const streamId of t.streams) {
          // A stream with a backlog gets further runs while its last one merged a full run (bounded per pass); a failure
          // of one stream's run (object storage, a hand-over) leaves the others to go on.
          for (let runs = 0; runs < COMPACTION_RUNS_PER_STREAM_MAX && broker.streams.has(streamId); runs++) {
            try {
              const merged = await broker.streams.compact(streamId, {
                regionBytesMin: broker.config.objectCompactionRegionBytesMin,
                targetBytes: broker.config.objectCompactionTargetBytes,
                minAgeMs: broker.config.objectCompactionMinAgeMs,
              });
              if (merged < COMPACTION_REGIONS_PER_RUN_MAX) break;
            } catch (e) {
              broker.log.warn({ err: (e as Error).message, streamId }, 'compaction failed; will retry at the next interval');
              break;
            }
          }
        }
      }
    } finally {
      this.compacting = false;
    }
  }

  /** Cleans the partitions led here of every compacted topic whose dirty ratio is high enough; one partition at a time. */
  async cleanOnce(now = Date.now()): Promise<void> {
    if (this.cleaning) return;
    this.cleaning = true;
    const { broker } = this;
    try {
      const layers = broker.brokerConfigs.layers();
      for (const t of broker.topics.all()) {
        // __consumer_offsets is compacted like any topic; the other internal topics keep their own bounds.
        if ((t.name.startsWith('__') && t.name !== OFFSETS_TOPIC) || !cleanupPolicyIncludes(t.configs, 'compact', layers)) continue;
        const policy = {
          minCleanableDirtyRatio: Number(effectiveTopicConfig(t.configs, 'min.cleanable.dirty.ratio', layers)),
          minCompactionLagMs: Number(effectiveTopicConfig(t.configs, 'min.compaction.lag.ms', layers)),
          maxCompactionLagMs: Number(effectiveTopicConfig(t.configs, 'max.compaction.lag.ms', layers)),
          deleteRetentionMs: Number(effectiveTopicConfig(t.configs, 'delete.retention.ms', layers)),
          keysMax: Math.floor(broker.config.logCleanerDedupeBufferSize / CLEANER_BYTES_PER_KEY),
          targetBytes: broker.config.objectCompactionTargetBytes,
          paced: (bytes: number) => this.cleanerIo.spend(bytes),
        };
        for (const [partition, streamId] of t.streams.entries()) {
          const log = broker.partition(t, partition);
          if (!broker.streams.has(streamId) || log === undefined) continue;
          const r = await cleanPartition(broker.streams, broker.metadata, streamId, policy, {
            lastStableOffset: log.lastStableOffset, abortedBetween: (from, to) => log.transactions.abortedBetween(from, to),
          }, now);
          broker.metrics.cleanerDirtyRatio.set({ topic: t.name, partition: String(partition) }, r.dirtyRatio);
          if (!r.cleaned) continue;
          broker.metrics.cleanerRuns.inc();
          broker.metrics.cleanerBytesIn.inc(r.bytesIn);
          broker.metrics.cleanerBytesOut.inc(r.bytesOut);
          broker.metrics.cleanerRecordsRemoved.inc(r.recordsRemoved);
          broker.log.info({ topic: t.name, partition, bytesIn: r.bytesIn, bytesOut: r.bytesOut, recordsRemoved: r.recordsRemoved }, 'partition cleaned');
        }
      }
    } catch (e) {
      broker.log.warn({ err: (e as Error).message }, 'log cleaning failed; will retry at the next interval');
    } finally {
      this.cleaning = false;
    }
  }

  async runOnce(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const { broker } = this;
    try {
      const layers = broker.brokerConfigs.layers();
      for (const t of broker.topics.all()) {
        if (t.name.startsWith('__')) continue;
        // A compact-only topic keeps every key's latest record however old (Kafka applies retention only with delete).
        if (!cleanupPolicyIncludes(t.configs, 'delete', layers)) continue;
        const policy = {
          retentionMs: Number(effectiveTopicConfig(t.configs, 'retention.ms', layers)),
          retentionBytes: Number(effectiveTopicConfig(t.configs, 'retention.bytes', layers)),
        };
        for (const streamId of t.streams) {
          if (broker.streams.has(streamId)) await broker.streams.applyRetention(streamId, policy);
        }
      }
      // Objects are shared by the whole fleet: one broker, the controller, deletes them.
      if (broker.member.controller.isController) await broker.streams.collectGarbage(broker.config.objectDeleteGraceMs);
      await broker.groups.expireOffsets(broker.config.offsetsRetentionMinutes * 60_000);
      this.runs++;
    } catch (e) {
      broker.log.warn({ err: (e as Error).message }, 'retention run failed; will retry at the next interval');
    } finally {
      this.running = false;
    }
  }
}
