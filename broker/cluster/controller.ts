// Owns the controller's job, run by whichever broker holds the controller
// key: electing itself when the key is free or its holder is dead, giving
// the partitions of dead or departing brokers to live ones, and spreading
// partitions evenly when a broker joins. Every move bumps the partition's
// epoch by compare-and-set on its owner key, in commits that also check the
// controller key, so a deposed controller can never move anything. A
// partition pinned by AlterPartitionReassignments goes to its pinned broker
// whenever that one is eligible and is left out of balancing. Moving a
// partition moves no data: the new owner opens the stream from the index.

import type { MetadataOp, MetadataStore, MetadataValue } from '../../s3stream/metadata/metadata-store.ts';
import { streamOwnerKey, type StreamOwner } from '../../s3stream/stream-keys.ts';
import { brokerKey, CONTROLLER_KEY, type ClusterView, type ControllerRecord } from './cluster-view.ts';
import type { Logger } from '../log.ts';

/** Owner-key changes per commit, so one commit stays a bounded statement. */
const MOVES_PER_COMMIT_MAX = 500;
/** Rebalancing moves per tick: a joining broker takes its share over a few ticks, not in one burst. */
export const REBALANCE_MOVES_PER_TICK_MAX = 256;

export interface ControllerStats {
  elections: number;
  moves: number;
  /** Moves of partitions whose owner was dead, departing or gone (failover). */
  failoverMoves: number;
  refusedCommits: number;
  /** Moves of partitions a dead local-wal broker listed as holding unuploaded data (unclean.leader.election.enable). */
  uncleanMoves: number;
  /** Partitions waiting now for their dead local-wal owner to come back. */
  waitingForOwner: number;
}

export class Controller {
  private readonly md: MetadataStore;
  private readonly view: ClusterView;
  private readonly log: Logger;
  readonly stats: ControllerStats = { elections: 0, moves: 0, failoverMoves: 0, refusedCommits: 0, uncleanMoves: 0, waitingForOwner: 0 };

  /** The stream ids of each topic's partitions, as this broker knows the topics. */
  private readonly partitionGroups: () => number[][];

  /** unclean.leader.election.enable: a dead local-wal broker's listed partitions move anyway (their unuploaded records are lost). */
  private readonly uncleanLeaderElection: boolean;
  /** Partitions reported as waiting for their dead owner, so the warning is logged once per wait. */
  private readonly waiting = new Set<number>();

  constructor(md: MetadataStore, view: ClusterView, log: Logger, partitionGroups: () => number[][], uncleanLeaderElection = false) {
    this.uncleanLeaderElection = uncleanLeaderElection;
    this.md = md;
    this.view = view;
    this.log = log;
    this.partitionGroups = partitionGroups;
  }

  get isController(): boolean {
    return this.view.controller?.record.nodeId === this.view.nodeId;
  }

  /** One round: elect if needed, then (as controller) reassign and rebalance. */
  async tick(shuttingDown: boolean): Promise<void> {
    if (!shuttingDown) await this.maybeElect();
    if (this.isController) await this.reconcile();
  }

  private async maybeElect(): Promise<void> {
    const c = this.view.controller;
    const holder = c === undefined ? undefined : this.view.registration(c.record.nodeId);
    if (c !== undefined && holder !== undefined && this.view.isAlive(c.record.nodeId) && !holder.shuttingDown) return;
    const next: ControllerRecord = { nodeId: this.view.nodeId, epoch: (c?.record.epoch ?? 0) + 1 };
    if (await this.md.commit([{ op: 'put', key: CONTROLLER_KEY, value: next as unknown as MetadataValue, expectVersion: c?.version ?? 0 }])) {
      this.stats.elections++;
      this.log.info({ controllerEpoch: next.epoch, previous: c?.record.nodeId ?? null }, 'elected controller');
    }
    await this.view.refresh();
  }

  /** Resigns (controlled shutdown): frees the key so another broker is elected at once. */
  async resign(): Promise<void> {
    const c = this.view.controller;
    if (c === undefined || c.record.nodeId !== this.view.nodeId) return;
    await this.md.commit([{ op: 'delete', key: CONTROLLER_KEY, expectVersion: c.version }]).catch(() => false);
  }

  private async reconcile(): Promise<void> {
    const eligible = this.view.eligibleBrokers().map((b) => b.nodeId);
    if (eligible.length === 0) return;
    const owners = this.view.allOwners();
    const global = new Map<number, number>(eligible.map((id) => [id, 0]));
    for (const o of owners.values()) if (global.has(o.owner)) global.set(o.owner, global.get(o.owner)! + 1);
    // Partitions are balanced per topic (as Kafka spreads a topic's replicas), ties going to the broker with fewer overall.
    const grouped = new Set<number>();
    const groups: number[][] = [];
    for (const g of this.partitionGroups()) {
      const live = g.filter((id) => owners.has(id));
      for (const id of live) grouped.add(id);
      if (live.length > 0) groups.push(live);
    }
    // Owner keys of a topic this broker has not read yet still fail over; they are balanced once it has.
    for (const id of owners.keys()) if (!grouped.has(id)) groups.push([id]);
    const moves: { streamId: number; from: number; to: number; failover: boolean }[] = [];
    let rebalanceBudget = REBALANCE_MOVES_PER_TICK_MAX;
    // local-wal brokers list the streams that may hold acknowledged data only in their WAL: those stay put.
    const listed = (owner: number, streamId: number): boolean => this.view.registration(owner)?.unuploaded?.includes(streamId) === true;
    let waiting = 0;
    const move = (streamId: number, from: number | undefined, to: number, failover: boolean, perTopic: Map<number, number>): void => {
      moves.push({ streamId, from: owners.get(streamId)!.owner, to, failover });
      if (from !== undefined) {
        perTopic.set(from, perTopic.get(from)! - 1);
        global.set(from, global.get(from)! - 1);
      }
      perTopic.set(to, perTopic.get(to)! + 1);
      global.set(to, global.get(to)! + 1);
    };
    const fewest = (perTopic: Map<number, number>): number => {
      let best = -1;
      for (const id of eligible) {
        if (best < 0) { best = id; continue; }
        const d = perTopic.get(id)! - perTopic.get(best)! || global.get(id)! - global.get(best)! || id - best;
        if (d < 0) best = id;
      }
      return best;
    };
    const most = (perTopic: Map<number, number>): number => {
      let best = -1;
      for (const id of eligible) {
        if (best < 0) { best = id; continue; }
        const d = perTopic.get(id)! - perTopic.get(best)! || global.get(id)! - global.get(best)! || best - id;
        if (d > 0) best = id;
      }
      return best;
    };
    for (const group of groups) {
      const perTopic = new Map<number, number>(eligible.map((id) => [id, 0]));
      const byOwner = new Map<number, number[]>(eligible.map((id) => [id, []]));
      const orphans: number[] = [];
      for (const streamId of group) {
        const o = owners.get(streamId)!.owner;
        if (perTopic.has(o)) {
          perTopic.set(o, perTopic.get(o)! + 1);
          byOwner.get(o)!.push(streamId);
        } else {
          orphans.push(streamId);
        }
      }
      // Reassigned partitions go to their pinned broker while it is eligible (off a local-wal broker only once uploaded).
      const pinned = (streamId: number): number | undefined => {
        const to = this.view.pin(streamId);
        return to !== undefined && global.has(to) ? to : undefined;
      };
      for (const [owner, streams] of byOwner) {
        for (let i = streams.length - 1; i >= 0; i--) {
          const to = pinned(streams[i]!);
          if (to === undefined || to === owner || listed(owner, streams[i]!)) continue;
          move(streams.splice(i, 1)[0]!, owner, to, false, perTopic);
        }
      }
      for (const streamId of orphans) {
        const owner = owners.get(streamId)!.owner;
        if (listed(owner, streamId)) {
          // Alive (departing): it uploads and unlists, then the partition moves. Dead: it waits, unless unclean.
          if (this.view.isAlive(owner) || !this.uncleanLeaderElection) {
            if (!this.view.isAlive(owner)) {
              waiting++;
              if (!this.waiting.has(streamId)) {
                this.waiting.add(streamId);
                this.log.warn({ streamId, owner }, 'partition waits for its dead broker: it may hold acknowledged records not yet in object storage (local-wal; unclean.leader.election.enable moves it and loses them)');
              }
            }
            continue;
          }
          this.stats.uncleanMoves++;
          this.log.warn({ streamId, owner }, 'unclean leader election: moving a partition whose dead broker may hold acknowledged records not yet in object storage; those records are lost');
        }
        this.waiting.delete(streamId);
        move(streamId, undefined, pinned(streamId) ?? fewest(perTopic), true, perTopic);
      }
      while (rebalanceBudget > 0) {
        const from = most(perTopic);
        const to = fewest(perTopic);
        if (perTopic.get(from)! - perTopic.get(to)! <= 1) break;
        // Only a partition with everything in object storage moves off a live local-wal broker.
        const candidates = byOwner.get(from)!;
        const i = candidates.findLastIndex((id) => !listed(from, id) && pinned(id) === undefined);
        if (i < 0) break;
        move(candidates.splice(i, 1)[0]!, from, to, false, perTopic);
        rebalanceBudget--;
      }
    }
    this.stats.waitingForOwner = waiting;
    if (moves.length === 0) return;
    const controller = this.view.controller!;
    for (let i = 0; i < moves.length; i += MOVES_PER_COMMIT_MAX) {
      const batch = moves.slice(i, i + MOVES_PER_COMMIT_MAX);
      const ops: MetadataOp[] = [{ op: 'check', key: CONTROLLER_KEY, expectVersion: controller.version }];
      // A local-wal owner that listed a stream after we read its registration refuses the move.
      for (const from of new Set(batch.map((m) => m.from))) {
        const version = this.view.registrationVersion(from);
        if (this.view.registration(from)?.unuploaded !== undefined && version !== undefined) ops.push({ op: 'check', key: brokerKey(from), expectVersion: version });
      }
      for (const m of batch) {
        const cur = this.view.owner(m.streamId)!;
        const next: StreamOwner = { owner: m.to, epoch: cur.epoch + 1 };
        ops.push({ op: 'put', key: streamOwnerKey(m.streamId), value: next as unknown as MetadataValue, expectVersion: cur.version });
      }
      if (!(await this.md.commit(ops))) {
        // Something moved under us (a topic deleted, another controller): look again next tick.
        this.stats.refusedCommits++;
        break;
      }
      this.stats.moves += batch.length;
      this.stats.failoverMoves += batch.filter((m) => m.failover).length;
      this.log.info({ moves: batch.length, failover: batch.filter((m) => m.failover).length, to: [...new Set(batch.map((m) => m.to))] }, 'partitions reassigned');
    }
    await this.view.refresh();
  }
}
