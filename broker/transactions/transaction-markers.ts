// Owns writing a transaction's markers where its partitions are led: on
// this broker directly, on the others with WriteTxnMarkers over their Kafka
// listeners, as Kafka's coordinator does. A group's transactional offsets
// are ended by a marker on the group's __consumer_offsets partition, which
// its group coordinator applies. Whatever moves meanwhile (a leader that
// changes, a broker that dies and whose partitions move) is retried until
// every marker is written or the deadline passes; then the coordinator
// retries the whole completion later (a marker written twice ends nothing).
// It does not decide outcomes: the coordinator does.

import { ErrorCode } from '../../protocol/errors.ts';
import { WriteTxnMarkersApi } from '../../protocol/generated/index.ts';
import type { Broker } from '../broker.ts';
import { partitionFailure } from '../partition/partition-log.ts';
import { OFFSETS_TOPIC } from '../groups/group-coordinator.ts';
import { BrokerUnreachableError } from '../cluster/broker-links.ts';

export interface MarkerTarget {
  topic: string;
  partition: number;
}

export interface Marker {
  producerId: bigint;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
}

/** How long a marker waits for its partition to be served here when this broker is taking it over. */
const LOCAL_OPEN_WAIT_MS = 2_000;
const RETRY_BACKOFF_MS = 100;

/** Some markers of a decided transaction were not written by the deadline; completing it again writes them. */
export class TransactionMarkersNotWrittenError extends Error {}

export class TransactionMarkers {
  private readonly broker: Broker;
  readonly stats = { local: 0, remote: 0, retries: 0 };

  constructor(broker: Broker) {
    this.broker = broker;
  }

  /** Applies a marker to a partition this broker leads; the error code WriteTxnMarkers answers for it. */
  async writeLocal(target: MarkerTarget, m: Marker): Promise<number> {
    const topic = this.broker.topics.get(target.topic);
    if (topic === undefined || target.partition < 0 || target.partition >= topic.streams.length) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    if (target.topic === OFFSETS_TOPIC) return this.broker.groups.endTransactionInPartition(target.partition, m.producerId, m.commit);
    const log = await this.broker.leadership.whenServed(topic, target.partition, LOCAL_OPEN_WAIT_MS);
    if (log === undefined) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    try {
      await log.appendMarker(m.producerId, m.producerEpoch, m.commit ? 'commit' : 'abort', m.coordinatorEpoch);
      this.stats.local++;
      return ErrorCode.NONE;
    } catch (e) {
      return partitionFailure(e);
    }
  }

  /**
   * Writes the marker on every target, each on its current leader; resolves
   * when all are written, throws when some are still not at `deadline`
   * (epoch ms). Targets of deleted topics need no marker.
   */
  async writeAll(targets: readonly MarkerTarget[], m: Marker, deadline: number): Promise<void> {
    let left = [...new Map(targets.map((t) => [`${t.topic}\u0000${t.partition}`, t])).values()];
    const view = this.broker.member.view;
    for (;;) {
      const byLeader = new Map<number, MarkerTarget[]>();
      const failed: MarkerTarget[] = [];
      for (const t of left) {
        const topic = this.broker.topics.get(t.topic);
        const streamId = topic?.streams[t.partition];
        if (streamId === undefined) continue;
        const leader = view.liveLeader(streamId);
        if (leader === undefined) {
          failed.push(t);
          continue;
        }
        const list = byLeader.get(leader.nodeId) ?? [];
        list.push(t);
        byLeader.set(leader.nodeId, list);
      }
      await Promise.all([...byLeader].map(async ([nodeId, ts]) => {
        if (nodeId === view.nodeId) {
          const codes = await Promise.all(ts.map((t) => this.writeLocal(t, m)));
          ts.forEach((t, i) => { if (codes[i] !== ErrorCode.NONE) failed.push(t); });
          return;
        }
        failed.push(...await this.writeRemote(nodeId, ts, m));
      }));
      if (failed.length === 0) return;
      if (performance.now() >= deadline) {
        throw new TransactionMarkersNotWrittenError(`transaction markers not written on ${failed.map((t) => `${t.topic}-${t.partition}`).join(', ')}`);
      }
      this.stats.retries++;
      left = failed;
      await new Promise((r) => setTimeout(r, RETRY_BACKOFF_MS));
      // The leaders may have moved: look at the store again rather than wait for the next notification.
      await view.refresh().catch(() => undefined);
    }
  }

  /** The targets the broker did not write (its answer's errors, or all of them when it could not be asked). */
  private async writeRemote(nodeId: number, ts: MarkerTarget[], m: Marker): Promise<MarkerTarget[]> {
    const topics = new Map<string, number[]>();
    for (const t of ts) topics.set(t.topic, [...(topics.get(t.topic) ?? []), t.partition]);
    try {
      const res = await this.broker.links.request(nodeId, WriteTxnMarkersApi, 1, {
        markers: [{
          producerId: m.producerId, producerEpoch: m.producerEpoch, transactionResult: m.commit, coordinatorEpoch: m.coordinatorEpoch,
          topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
        }],
      });
      const ok = new Set<string>();
      for (const r of res.markers) for (const t of r.topics) for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE) ok.add(`${t.name}\u0000${p.partitionIndex}`);
      this.stats.remote += ok.size;
      return ts.filter((t) => !ok.has(`${t.topic}\u0000${t.partition}`));
    } catch (e) {
      if (!(e instanceof BrokerUnreachableError)) throw e;
      this.broker.log.debug({ err: e.message, nodeId }, 'transaction markers: broker unreachable; retrying');
      return ts;
    }
  }
}
