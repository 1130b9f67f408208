// Owns this broker's membership: its registration key (host, port, rack),
// renewed every heartbeat so others see it alive; the heartbeat loop that
// also refreshes the cluster view and runs the controller's round; and the
// controlled shutdown (mark departing, wait until the controller has moved
// every partition away, deregister). Failures to reach the metadata store
// are counted and retried next heartbeat: the broker stays up.

import { randomBytes } from 'node:crypto';
import type { MetadataStore, MetadataValue } from '../../s3stream/metadata/metadata-store.ts';
import { brokerKey, ClusterView, type BrokerRegistration } from './cluster-view.ts';
import { Controller } from './controller.ts';
import type { Logger } from '../log.ts';
import type { ListenerEndpoint } from '../listeners.ts';

export interface ClusterMemberOptions {
  nodeId: number;
  host: string;
  port: number;
  /** Every listener's advertised address (brokers reach each other on the inter-broker one). */
  listeners: ListenerEndpoint[];
  rack: string | null;
  heartbeatIntervalMs: number;
  sessionTimeoutMs: number;
  /**
   * local-wal mode: the streams with data not yet in object storage. The
   * registration lists every stream that may hold acknowledged data only in
   * this broker's WAL, so the controller never moves such a partition away
   * from a dead broker (see docs/decisions.md, "Fleet").
   */
  pendingStreams?: () => number[];
  /** Passed to the controller: move a dead broker's partitions even when they may hold acknowledged records only it has. */
  uncleanLeaderElection?: boolean;
}

/** A stream stays listed this long after its last unuploaded data, so a busy partition is not re-listed on every write. */
const UNUPLOADED_HOLD_MS = 10_000;

export class ClusterMember {
  readonly view: ClusterView;
  readonly controller: Controller;
  private readonly md: MetadataStore;
  private readonly log: Logger;
  private readonly opts: ClusterMemberOptions;
  private registration: BrokerRegistration;
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private stopped = false;
  /** Heartbeats that could not reach the metadata store. */
  heartbeatFailures = 0;
  /** local-wal: streams the committed registration lists as possibly holding unuploaded data. */
  private listed = new Set<number>();
  /** Streams to list at the next write, and when each was last seen with pending data. */
  private readonly lastPendingAtMs = new Map<number, number>();
  private listing: Promise<void> | undefined;
  /**
   * Streams the registration write in flight drops from the list (they had
   * nothing pending when it was computed). Until it commits they are still
   * in `listed`; an append to one of them must wait for a later write that
   * lists it again, or the controller may move it once this one commits,
   * leaving the append only in this broker's WAL.
   */
  private unlisting: ReadonlySet<number> = new Set();
  /** Shutting down in local-wal mode: nothing new is accepted, so streams are unlisted as soon as they are uploaded. */
  private draining = false;

  constructor(md: MetadataStore, log: Logger, opts: ClusterMemberOptions, partitionGroups: () => number[][]) {
    this.md = md;
    this.log = log;
    this.opts = opts;
    this.view = new ClusterView(md, opts.nodeId, opts.sessionTimeoutMs);
    this.controller = new Controller(md, this.view, log, partitionGroups, opts.uncleanLeaderElection ?? false);
    this.registration = {
      nodeId: opts.nodeId, host: opts.host, port: opts.port, listeners: opts.listeners, rack: opts.rack,
      instance: randomBytes(8).toString('hex'), shuttingDown: false, beat: 0,
      ...(opts.pendingStreams !== undefined ? { unuploaded: [] } : {}),
    };
  }

  get nodeId(): number {
    return this.opts.nodeId;
  }

  /** Registers, loads the view and runs the first controller round; then heartbeats until stopped. */
  async start(): Promise<void> {
    await this.renew();
    await this.view.start();
    await this.controller.tick(false);
    this.timer = setInterval(() => void this.heartbeat(), this.opts.heartbeatIntervalMs);
  }

  /** Registration writes, one at a time and in order: what `listed` says must be what the store holds last. */
  private renewChain: Promise<void> = Promise.resolve();

  private renew(): Promise<void> {
    const next = this.renewChain.catch(() => undefined).then(() => this.renewOnce());
    this.renewChain = next;
    return next;
  }

  private async renewOnce(): Promise<void> {
    const unuploaded = this.unuploadedNow();
    this.registration = { ...this.registration, beat: this.registration.beat + 1, ...(unuploaded !== undefined ? { unuploaded } : {}) };
    if (unuploaded !== undefined) {
      const next = new Set(unuploaded);
      this.unlisting = new Set([...this.listed].filter((id) => !next.has(id)));
    }
    try {
      await this.md.commit([{ op: 'put', key: brokerKey(this.opts.nodeId), value: this.registration as unknown as MetadataValue }]);
      if (unuploaded !== undefined) this.listed = new Set(unuploaded);
    } finally {
      this.unlisting = new Set();
    }
  }

  /** local-wal: what the next registration lists (undefined in object-wal mode). */
  private unuploadedNow(): number[] | undefined {
    if (this.opts.pendingStreams === undefined) return undefined;
    const now = performance.now();
    const pendingNow = new Set(this.opts.pendingStreams());
    for (const id of pendingNow) this.lastPendingAtMs.set(id, now);
    const hold = this.draining ? 0 : UNUPLOADED_HOLD_MS;
    for (const [id, at] of this.lastPendingAtMs) if (!pendingNow.has(id) && now - at >= hold) this.lastPendingAtMs.delete(id);
    return [...this.lastPendingAtMs.keys()].sort((a, b) => a - b);
  }

  /**
   * local-wal: resolves once the committed registration lists the stream,
   * so its new data may be acknowledged; undefined when it already does (the
   * common case: a busy partition stays listed).
   */
  ensureListed(streamId: number): Promise<void> | undefined {
    if (this.opts.pendingStreams === undefined || (this.listed.has(streamId) && !this.unlisting.has(streamId))) return undefined;
    this.lastPendingAtMs.set(streamId, performance.now());
    // Every append waiting here shares the next registration write.
    this.listing ??= (async () => {
      try {
        await this.renew();
      } finally {
        this.listing = undefined;
      }
    })();
    const wait = this.listing;
    return wait.then(() => (this.listed.has(streamId) && !this.unlisting.has(streamId) ? undefined : this.ensureListed(streamId)));
  }

  /** local-wal shutdown: stop holding streams listed once their data is uploaded. */
  startDraining(): void {
    this.draining = true;
  }

  /** One heartbeat at a time: a slow metadata store delays the next, never stacks them. */
  private heartbeat(): Promise<void> {
    if (this.beating !== undefined || this.stopped) return this.beating ?? Promise.resolve();
    this.beating = (async () => {
      try {
        await this.renew();
        await this.view.refresh();
        await this.controller.tick(this.registration.shuttingDown);
      } catch (e) {
        this.heartbeatFailures++;
        this.log.warn({ err: (e as Error).message }, 'cluster heartbeat failed; retrying at the next interval');
      } finally {
        this.beating = undefined;
      }
    })();
    return this.beating;
  }

  /**
   * Controlled shutdown: says it is departing, then waits (at most `waitMs`)
   * until it owns no partition, as long as another broker can take them.
   * `ownsAny` tells whether this broker still leads something.
   */
  async depart(ownsAny: () => boolean, waitMs: number): Promise<void> {
    this.registration = { ...this.registration, shuttingDown: true };
    try {
      await this.renew();
      const deadline = performance.now() + waitMs;
      while (performance.now() < deadline && ownsAny() && this.view.eligibleBrokers().some((b) => b.nodeId !== this.opts.nodeId)) {
        await this.heartbeat();
        await new Promise((r) => setTimeout(r, Math.min(100, this.opts.heartbeatIntervalMs)));
      }
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'controlled shutdown could not reach the metadata store; partitions move when the lease expires');
    }
  }

  /** Stops heartbeating and removes the registration (and the controller key if held), so others act at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.beating;
    this.view.stop();
    try {
      await this.controller.resign();
      await this.md.commit([{ op: 'delete', key: brokerKey(this.opts.nodeId) }]);
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'could not deregister; the lease will expire');
    }
  }
}
