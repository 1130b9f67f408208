// Owns which partitions this broker serves: after every change of the
// cluster view or of the topics, it opens the partitions whose stream this
// broker owns (at the owner epoch) and closes those it no longer owns,
// telling the group coordinator about __consumer_offsets partitions. A
// partition is served only between a successful open and the start of its
// close; handlers ask `get` and answer NOT_LEADER_OR_FOLLOWER otherwise.

import { StreamFencedError, StreamNotFoundError, type StreamStore } from '../../s3stream/stream-store.ts';
import type { ClusterView } from '../cluster/cluster-view.ts';
import type { MetadataStore } from '../../s3stream/metadata/metadata-store.ts';
import type { TopicRecord, TopicRegistry } from '../topics/topic-registry.ts';
import type { Logger } from '../log.ts';
import { PartitionLog } from './partition-log.ts';
import type { SnapshotOutcome } from './producer-state-snapshots.ts';
import { CoalescingTask } from '../coalescing-task.ts';

export interface LeadershipHooks {
  /** Called once the partition is open here (e.g. load its groups); awaited before the next sync step. */
  onLead(topic: TopicRecord, partition: number, log: PartitionLog): Promise<void>;
  /** Called when the partition stops being served here, before its stream closes. */
  onLose(topic: string, partition: number): void;
  /** Called when a partition's producer-state snapshot was stored, found superseded, or could not be stored. */
  onProducerSnapshot(outcome: SnapshotOutcome): void;
}

/** Partitions opened (or closed) at once by one sync. */
export const PARTITION_OPENS_IN_PARALLEL_MAX = 16;

/** Runs `fn` over `items`, at most `limit` at a time; every item is run, then the first failure (if any) is thrown. */
async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (e) {
        failure ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
}

export class PartitionLeadership {
  private readonly streams: StreamStore;
  private readonly metadata: MetadataStore;
  private readonly topics: TopicRegistry;
  private readonly view: ClusterView;
  private readonly log: Logger;
  private readonly hooks: LeadershipHooks;
  /** Served partition logs by topic id, indexed by partition: looked up for every partition of every request. */
  private readonly byTopic = new Map<string, (PartitionLog | undefined)[]>();
  private readonly byStream = new Map<number, { topic: TopicRecord; log: PartitionLog }>();
  private readonly syncer = new CoalescingTask(() => this.syncOnce());
  opened = 0;
  closed = 0;

  private readonly sequenceGapGraceMs: number;

  constructor(streams: StreamStore, metadata: MetadataStore, topics: TopicRegistry, view: ClusterView, log: Logger, hooks: LeadershipHooks, sequenceGapGraceMs: number) {
    this.sequenceGapGraceMs = sequenceGapGraceMs;
    this.streams = streams;
    this.metadata = metadata;
    this.topics = topics;
    this.view = view;
    this.log = log;
    this.hooks = hooks;
  }

  /** The served log of a partition, or undefined when this broker does not lead it (now). */
  get(topic: TopicRecord, index: number): PartitionLog | undefined {
    return this.byTopic.get(topic.id)?.[index];
  }

  /** The log of a stream this broker leads, else undefined. */
  ofStream(streamId: number): PartitionLog | undefined {
    return this.byStream.get(streamId)?.log;
  }

  /**
   * The log of a partition this broker owns by its view but is still opening
   * (rebuilding producer state, loading groups): waits for the open, at most
   * `maxWaitMs`. A produce that waits here, rather than being told
   * NOT_LEADER_OR_FOLLOWER, keeps a client's pipelined requests in sequence:
   * a refused first request and an accepted second one would be out of order.
   */
  async whenServed(topic: TopicRecord, index: number, maxWaitMs: number): Promise<PartitionLog | undefined> {
    const deadline = performance.now() + maxWaitMs;
    for (;;) {
      const log = this.get(topic, index);
      if (log !== undefined) return log;
      const streamId = topic.streams[index];
      const o = streamId === undefined ? undefined : this.view.owner(streamId);
      const left = deadline - performance.now();
      if (o === undefined || o.owner !== this.view.nodeId || left <= 0) return undefined;
      // The sync may open many partitions (and load their groups): look again as soon as it ends, or every 50 ms.
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise((r) => { timer = setTimeout(r, Math.min(left, 50)); });
      const running = this.syncer.current;
      await Promise.race(running === undefined ? [tick] : [running.catch(() => undefined), tick]);
      clearTimeout(timer);
    }
  }

  /** How many partitions this broker serves. */
  /** The partition logs served here now. */
  served(): PartitionLog[] {
    return [...this.byStream.values()].map((s) => s.log);
  }

  get size(): number {
    return this.byStream.size;
  }

  /** Brings the served set in line with the view; one run at a time, a call during a run makes it go again. */
  sync(): Promise<void> {
    return this.syncer.run();
  }

  private async syncOnce(): Promise<void> {
    const wanted = new Map<number, { topic: TopicRecord; partition: number; epoch: number }>();
    for (const t of this.topics.all()) {
      for (const [i, streamId] of t.streams.entries()) {
        const o = this.view.owner(streamId);
        if (o !== undefined && o.owner === this.view.nodeId) wanted.set(streamId, { topic: t, partition: i, epoch: o.epoch });
      }
    }
    const toClose = [...this.byStream].filter(([streamId, served]) => {
      const w = wanted.get(streamId);
      return w === undefined || w.epoch !== served.log.leaderEpoch || w.topic.id !== served.topic.id;
    });
    // Closes and opens go in parallel (bounded): a close may wait for uploads and an open re-reads its
    // partition's tail from object storage; a broker handing over or taking over many partitions (a
    // restart, a failover) must not pay for them one by one.
    await forEachBounded(toClose, PARTITION_OPENS_IN_PARALLEL_MAX, ([streamId, served]) => this.close(streamId, served.topic, served.log));
    const toOpen = [...wanted].filter(([streamId]) => !this.byStream.has(streamId));
    await forEachBounded(toOpen, PARTITION_OPENS_IN_PARALLEL_MAX, ([streamId, w]) => this.open(streamId, w));
  }

  private async open(streamId: number, w: { topic: TopicRecord; partition: number; epoch: number }): Promise<void> {
    try {
      await this.streams.openStream(streamId, w.epoch);
    } catch (e) {
      // The view was behind the store (moved again, or deleted): the next sync sees it.
      if (e instanceof StreamFencedError || e instanceof StreamNotFoundError) return;
      throw e;
    }
    const log = new PartitionLog(w.topic.name, w.partition, streamId, this.streams, w.epoch, this.metadata, this.hooks.onProducerSnapshot, this.sequenceGapGraceMs);
    await log.ready;
    this.byStream.set(streamId, { topic: w.topic, log });
    let logs = this.byTopic.get(w.topic.id);
    if (logs === undefined) {
      logs = [];
      this.byTopic.set(w.topic.id, logs);
    }
    logs[w.partition] = log;
    this.opened++;
    this.log.debug({ topic: w.topic.name, partition: w.partition, leaderEpoch: w.epoch }, 'leading partition');
    await this.hooks.onLead(w.topic, w.partition, log);
  }

  private async close(streamId: number, topic: TopicRecord, log: PartitionLog): Promise<void> {
    log.closed = true;
    this.byStream.delete(streamId);
    const logs = this.byTopic.get(topic.id);
    if (logs !== undefined) {
      logs[log.partition] = undefined;
      if (logs.every((l) => l === undefined)) this.byTopic.delete(topic.id);
    }
    this.hooks.onLose(topic.name, log.partition);
    const dropped = await this.streams.closeStream(streamId);
    this.closed++;
    this.log.debug({ topic: topic.name, partition: log.partition, leaderEpoch: log.leaderEpoch, droppedBytes: dropped }, 'stopped leading partition');
  }
}
