// Owns the periodic enforcement of topic retention (retention.ms,
// retention.bytes), of offsets.retention.minutes for empty groups, and the
// deletion of objects nothing references any more.
// Internal topics are skipped: __consumer_offsets must keep every group's
// latest commit, and there is no compaction yet to do that any other way.

import type { Broker } from './broker.ts';
import { effectiveTopicConfig } from './topics/topic-configs.ts';

export class RetentionEnforcer {
  private readonly broker: Broker;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  runs = 0;

  constructor(broker: Broker) {
    this.broker = broker;
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.runOnce(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
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
      await broker.streams.collectGarbage(broker.config.objectDeleteGraceMs);
      await broker.groups.expireOffsets(broker.config.offsetsRetentionMinutes * 60_000);
      this.runs++;
    } catch (e) {
      broker.log.warn({ err: (e as Error).message }, 'retention run failed; will retry at the next interval');
    } finally {
      this.running = false;
    }
  }
}
