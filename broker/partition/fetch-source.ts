// What Fetch reads a partition through: the leader's own log
// (`PartitionLog`) or, for a consumer of this broker's rack, a read replica
// of a partition another broker leads (`PartitionReplica`, KIP-392). Only
// the reading side; appends and transactions stay on the leader.

export interface AbortedRange {
  producerId: bigint;
  firstOffset: number;
}

export interface FetchSource {
  /** Set when this broker stops serving the partition this way; reads answer NOT_LEADER_OR_FOLLOWER. */
  readonly closed: boolean;
  /** The leader epoch clients' current_leader_epoch is checked against (KIP-320). */
  readonly leaderEpoch: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  /** Whole batches from `offset` up to `upTo`: the first one always, then up to `maxBytes`, or what is read by `stopBy` (performance.now()). */
  read(offset: number, maxBytes: number, upTo: number, stopBy?: number): Promise<Buffer[]>;
  /** The aborted transactions meeting [from, to), for read_committed fetches. */
  abortedBetween(from: number, to: number): AbortedRange[];
  /**
   * Whether the answer "offset past the log end" may be given: the leader
   * re-reads its ownership from the metadata store (a deposed leader that
   * does not know it yet has a shorter log than the partition); a replica
   * already re-reads the index for an offset past what it knows.
   */
  confirmLeadership(): Promise<boolean>;
  /** Registers a one-shot callback for the next high-watermark move; returns its canceller. */
  onHighWatermarkChange(fn: () => void): () => void;
}
