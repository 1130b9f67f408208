// Owns this broker's view of the cluster, read from the metadata store and
// kept current by its watch: the registered brokers and which of them are
// alive, the controller, the owner (leader) and epoch of every partition's
// stream, and the broker a partition was reassigned to (its pin). Handlers
// ask it who leads what; it never writes.
//
// Liveness needs no shared clock: a broker renews its registration key
// every heartbeat, and a broker whose key version has not moved for the
// session timeout (measured on this broker's own monotonic clock) is dead.

import type { MetadataStore } from '../../s3stream/metadata/metadata-store.ts';
import { CoalescingTask } from '../coalescing-task.ts';
import { STREAM_OWNER_PREFIX, streamIdOfOwnerKey, type StreamOwner } from '../../s3stream/stream-keys.ts';
import type { ListenerEndpoint } from '../listeners.ts';

export const BROKER_PREFIX = 'b/';
export const CONTROLLER_KEY = 'controller';
/**
 * A partition's pin: the broker AlterPartitionReassignments named first,
 * which leads it while alive (Kafka's preferred leader) instead of the
 * controller's balancing; by stream id, deleted with the stream's reassignment.
 */
export const PIN_PREFIX = 'pin/';
export const pinKey = (streamId: number): string => `${PIN_PREFIX}${streamId}`;
export interface PartitionPin {
  broker: number;
}
export const brokerKey = (nodeId: number): string => `${BROKER_PREFIX}${nodeId}`;

export interface BrokerRegistration {
  nodeId: number;
  /** The first listener's advertised address (all a broker registered before listeners existed). */
  host: string;
  port: number;
  /** Every listener's advertised address: requests are answered with those of the listener they came in on. */
  listeners?: ListenerEndpoint[];
  rack: string | null;
  /** Random per process start: tells a restarted broker from its previous life. */
  instance: string;
  /** Set by a broker that is shutting down: the controller moves its partitions away. */
  shuttingDown: boolean;
  /** Renewal counter; each write bumps the key's version, which is what liveness watches. */
  beat: number;
  /**
   * local-wal brokers only: streams that may hold acknowledged data not yet
   * in object storage. The controller does not move them away from this
   * broker (unless unclean leader election is on).
   */
  unuploaded?: number[];
}

export interface ControllerRecord {
  nodeId: number;
  /** Bumped on every change of controller. */
  epoch: number;
}

export interface PartitionOwner extends StreamOwner {
  /** Version of the owner key: the controller's compare-and-set on a move. */
  version: number;
}

interface Liveness {
  version: number;
  changedAtMs: number;
}

const monotonicMs = (): number => performance.now();

export class ClusterView {
  private readonly md: MetadataStore;
  readonly nodeId: number;
  private readonly sessionTimeoutMs: number;
  private registrations = new Map<number, BrokerRegistration>();
  private readonly liveness = new Map<number, Liveness>();
  private owners = new Map<number, PartitionOwner>();
  private pins = new Map<number, number>();
  private controllerEntry: { record: ControllerRecord; version: number } | undefined;
  private listeners: (() => void)[] = [];
  private readonly refresher = new CoalescingTask(async () => {
    await this.readOnce();
    for (const fn of this.listeners) fn();
  });
  private readonly unwatch: (() => void)[] = [];
  /** When this broker last read the store: time it could not look is not held against the others. */
  private lastReadAtMs: number | undefined;

  constructor(md: MetadataStore, nodeId: number, sessionTimeoutMs: number) {
    this.md = md;
    this.nodeId = nodeId;
    this.sessionTimeoutMs = sessionTimeoutMs;
  }

  /** Loads the view and follows the store's changes from now on. */
  async start(): Promise<void> {
    await this.refresh();
    for (const prefix of [BROKER_PREFIX, STREAM_OWNER_PREFIX, CONTROLLER_KEY, PIN_PREFIX]) {
      this.unwatch.push(this.md.watch(prefix, () => void this.refresh().catch(() => undefined)));
    }
  }

  stop(): void {
    for (const u of this.unwatch) u();
  }

  /** Called after every refresh that may have changed something. */
  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** Re-reads brokers, controller and owners; one run at a time, a call during a run makes it go again. */
  refresh(): Promise<void> {
    return this.refresher.run();
  }

  private async readOnce(): Promise<void> {
    const [brokers, controller, owners, pins] = await Promise.all([
      this.md.range(BROKER_PREFIX), this.md.get(CONTROLLER_KEY), this.md.range(STREAM_OWNER_PREFIX), this.md.range(PIN_PREFIX),
    ]);
    const now = monotonicMs();
    // Blind for longer than a session (the store was unreachable for us too): nobody could renew,
    // so every broker starts a fresh session instead of all being declared dead at once.
    if (this.lastReadAtMs !== undefined && now - this.lastReadAtMs > this.sessionTimeoutMs) {
      for (const l of this.liveness.values()) l.changedAtMs = now;
    }
    this.lastReadAtMs = now;
    const regs = new Map<number, BrokerRegistration>();
    for (const e of brokers) {
      const r = e.value as unknown as BrokerRegistration;
      regs.set(r.nodeId, r);
      const l = this.liveness.get(r.nodeId);
      // First sight counts as a change: a broker gets a whole session before it is judged dead.
      if (l === undefined || l.version !== e.version) this.liveness.set(r.nodeId, { version: e.version, changedAtMs: now });
    }
    for (const id of [...this.liveness.keys()]) if (!regs.has(id)) this.liveness.delete(id);
    this.registrations = regs;
    this.controllerEntry = controller === undefined ? undefined : { record: controller.value as unknown as ControllerRecord, version: controller.version };
    const map = new Map<number, PartitionOwner>();
    for (const e of owners) {
      const o = e.value as unknown as StreamOwner;
      map.set(streamIdOfOwnerKey(e.key), { owner: o.owner, epoch: o.epoch, version: e.version });
    }
    this.owners = map;
    this.pins = new Map(pins.map((e) => [Number(e.key.slice(PIN_PREFIX.length)), (e.value as unknown as PartitionPin).broker]));
  }

  /** The broker a partition was reassigned to, if any. */
  pin(streamId: number): number | undefined {
    return this.pins.get(streamId);
  }

  /** Registered, renewing within the session timeout (this broker always counts itself while registered). */
  isAlive(nodeId: number): boolean {
    if (!this.registrations.has(nodeId)) return false;
    if (nodeId === this.nodeId) return true;
    const l = this.liveness.get(nodeId);
    return l !== undefined && monotonicMs() - l.changedAtMs < this.sessionTimeoutMs;
  }

  /** Live brokers in node-id order: what Metadata and DescribeCluster list. */
  liveBrokers(): BrokerRegistration[] {
    return [...this.registrations.values()].filter((r) => this.isAlive(r.nodeId)).sort((a, b) => a.nodeId - b.nodeId);
  }

  /** Live brokers that may take partitions (not shutting down). */
  eligibleBrokers(): BrokerRegistration[] {
    return this.liveBrokers().filter((r) => !r.shuttingDown);
  }

  /** The version of a broker's registration key as last read (a move can be made conditional on it). */
  registrationVersion(nodeId: number): number | undefined {
    return this.liveness.get(nodeId)?.version;
  }

  registration(nodeId: number): BrokerRegistration | undefined {
    return this.registrations.get(nodeId);
  }

  owner(streamId: number): PartitionOwner | undefined {
    return this.owners.get(streamId);
  }

  /** Every stream's owner, by stream id. */
  allOwners(): ReadonlyMap<number, PartitionOwner> {
    return this.owners;
  }

  /** The live leader of a stream, or undefined when its owner is dead or unknown. */
  liveLeader(streamId: number): BrokerRegistration | undefined {
    const o = this.owners.get(streamId);
    return o !== undefined && this.isAlive(o.owner) ? this.registrations.get(o.owner) : undefined;
  }

  /** What Metadata reports for a partition: its live leader (-1 when dead or unknown) and epoch. */
  leaderAndEpoch(streamId: number): { leaderId: number; leaderEpoch: number } {
    const o = this.owners.get(streamId);
    if (o === undefined) return { leaderId: -1, leaderEpoch: -1 };
    return { leaderId: this.isAlive(o.owner) ? o.owner : -1, leaderEpoch: o.epoch };
  }

  /**
   * The broker of `rack` that serves a stream's reads there (KIP-392), or
   * undefined when no live broker has that rack. Diskless: any broker can
   * read any partition from object storage, so "replica" means a broker of
   * the zone, picked by stream id to spread the partitions over the zone's
   * brokers; the leader when it is in that zone.
   */
  rackReplica(streamId: number, rack: string): number | undefined {
    const leader = this.liveLeader(streamId);
    if (leader === undefined) return undefined;
    if (leader.rack === rack) return leader.nodeId;
    const inRack = this.eligibleBrokers().filter((b) => b.rack === rack);
    return inRack.length === 0 ? undefined : inRack[streamId % inRack.length]!.nodeId;
  }

  /**
   * What Metadata reports as a partition's replicas (and in-sync replicas):
   * the leader, then the broker of each other rack that would serve that
   * rack's consumers. The Java client only fetches from a preferred read
   * replica listed among the partition's replicas; in a fleet without racks
   * the leader is the only one.
   */
  replicas(streamId: number): number[] {
    const leader = this.liveLeader(streamId);
    if (leader === undefined) return [];
    const out = [leader.nodeId];
    const racks = new Set<string>();
    for (const b of this.eligibleBrokers()) if (b.rack !== null && b.rack !== leader.rack) racks.add(b.rack);
    for (const rack of [...racks].sort()) out.push(this.rackReplica(streamId, rack)!);
    return out;
  }

  get controller(): { record: ControllerRecord; version: number } | undefined {
    return this.controllerEntry;
  }

  /** The controller's node id when it is alive, else -1 (as Kafka reports "no controller"). */
  get controllerId(): number {
    const c = this.controllerEntry?.record.nodeId;
    return c !== undefined && this.isAlive(c) ? c : -1;
  }

  /** Partitions owned per live broker, for spreading new ones and rebalancing. */
  ownedCounts(): Map<number, number> {
    const counts = new Map<number, number>();
    for (const r of this.eligibleBrokers()) counts.set(r.nodeId, 0);
    for (const o of this.owners.values()) if (counts.has(o.owner)) counts.set(o.owner, counts.get(o.owner)! + 1);
    return counts;
  }

  /**
   * Owners for the `n` partitions of a new topic (or new partitions of one):
   * round-robin over the eligible brokers, least loaded first, so the topic is
   * spread evenly (each broker gets n/B, give or take one) and the fleet's
   * counts even out.
   */
  pickOwners(n: number): number[] {
    const counts = this.ownedCounts();
    if (counts.size === 0) counts.set(this.nodeId, 0);
    const order = [...counts.entries()].sort((a, b) => a[1] - b[1] || a[0] - b[0]).map(([id]) => id);
    return Array.from({ length: n }, (_, i) => order[i % order.length]!);
  }
}
