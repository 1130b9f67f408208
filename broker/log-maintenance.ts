// Owns the broker's background log work: topic retention (retention.ms,
// retention.bytes), offsets.retention.minutes for empty groups, compaction
// of small object regions into larger ones, and the deletion of objects
// nothing references any more. Each runs on its own interval, one at a time.
// Each broker does this for the partitions it leads (their streams are the
// ones open here), so in a fleet every partition is handled once; object
// deletion is done by the controller alone. Internal topics are skipped: __consumer_offsets must keep every group's
// latest commit, and there is no compaction yet to do that any other way.

import type { Broker } from './broker.ts';
import { effectiveTopicConfig } from './topics/topic-configs.ts';

export class LogMaintenance {
  private readonly broker: Broker;
  private timers: NodeJS.Timeout[] = [];
  private running = false;
  private compacting = false;
  runs = 0;

  constructor(broker: Broker) {
    this.broker = broker;
  }

  start(retentionIntervalMs: number, compactionIntervalMs: number): void {
    this.timers.push(setInterval(() => void this.runOnce(), retentionIntervalMs));
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
          if (broker.streams.has(streamId)) {
            await broker.streams.compact(streamId, {
              regionBytesMin: broker.config.objectCompactionRegionBytesMin,
              targetBytes: broker.config.objectCompactionTargetBytes,
              minAgeMs: broker.config.objectCompactionMinAgeMs,
            });
          }
        }
      }
    } catch (e) {
      broker.log.warn({ err: (e as Error).message }, 'compaction failed; will retry at the next interval');
    } finally {
      this.compacting = false;
    }
  }

  async runOnce(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const { broker } = this;
    try {
      for (const t of broker.topics.all()) {
        if (t.name.startsWith('__')) continue;
        const policy = {
          retentionMs: Number(effectiveTopicConfig(t.configs, 'retention.ms')),
          retentionBytes: Number(effectiveTopicConfig(t.configs, 'retention.bytes')),
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
