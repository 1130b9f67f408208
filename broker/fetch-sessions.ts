// Owns incremental fetch sessions (KIP-227): a bounded cache of sessions,
// each remembering the partitions a client fetches, their fetch positions,
// and what the last response told the client, so an incremental request
// carries only changes and its response only partitions that changed.

import { randomInt } from 'node:crypto';

export interface SessionPartition {
  /** Topic name (v4-12 requests) or topic id (v13+), as the client names it. */
  topicKey: string;
  topicName: string;
  topicId: string;
  partition: number;
  fetchOffset: number;
  maxBytes: number;
  /** The leader epoch the client believes in (-1: not checked). */
  currentLeaderEpoch: number;
  /** What the previous response said; undefined until the partition was first sent. */
  sent: { highWatermark: bigint; logStartOffset: bigint; errorCode: number } | undefined;
}

export class FetchSession {
  readonly id: number;
  /** The epoch the next request must carry: 0 while the creating full fetch runs, then 1, 2, ... */
  epoch = 0;
  lastUsedMs = Date.now();
  readonly partitions = new Map<string, SessionPartition>();

  constructor(id: number) {
    this.id = id;
  }

  static key(topicKey: string, partition: number): string {
    return `${topicKey}\u0000${partition}`;
  }

  advance(): void {
    this.epoch = this.epoch === 0x7fffffff ? 1 : this.epoch + 1;
    this.lastUsedMs = Date.now();
  }
}

/** Kafka's max.incremental.fetch.session.cache.slots default. */
export const FETCH_SESSION_SLOTS_DEFAULT = 1000;

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  private readonly slots: number;
  evictions = 0;

  constructor(slots = FETCH_SESSION_SLOTS_DEFAULT) {
    this.slots = slots;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** A new session; when the cache is full the least recently used one is evicted (its client starts over). */
  create(): FetchSession {
    if (this.sessions.size >= this.slots) {
      let oldest: FetchSession | undefined;
      for (const s of this.sessions.values()) if (oldest === undefined || s.lastUsedMs < oldest.lastUsedMs) oldest = s;
      if (oldest !== undefined) {
        this.sessions.delete(oldest.id);
        this.evictions++;
      }
    }
    let id = 0;
    while (id === 0 || this.sessions.has(id)) id = randomInt(1, 0x7fffffff);
    const s = new FetchSession(id);
    this.sessions.set(id, s);
    return s;
  }

  get(id: number): FetchSession | undefined {
    return this.sessions.get(id);
  }

  remove(id: number): void {
    this.sessions.delete(id);
  }
}
