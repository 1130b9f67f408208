// Owns the retention rule: which log start offset Kafka's retention.ms and
// retention.bytes leave a stream at, deleting whole uploaded regions from the
// start (as Kafka deletes whole segments), never data only in memory. Time
// goes by a region's upload time. Pure: the caller trims.

import type { IndexValue } from './stream-keys.ts';

export interface RetentionPolicy {
  /** Regions uploaded longer ago than this are deleted; -1 keeps forever. */
  retentionMs: number;
  /** Oldest regions are deleted while the stream's uploaded bytes exceed this; -1 means no limit. */
  retentionBytes: number;
}

/** The start offset after retention, given the stream's regions oldest first (the current start when nothing is due). */
export function retentionStart(regions: readonly IndexValue[], startOffset: number, policy: RetentionPolicy, now: number): number {
  if (policy.retentionMs < 0 && policy.retentionBytes < 0) return startOffset;
  let total = regions.reduce((a, r) => a + r.l, 0);
  let newStart = startOffset;
  for (const r of regions) {
    const tooOld = policy.retentionMs >= 0 && r.t !== undefined && now - r.t > policy.retentionMs;
    const tooBig = policy.retentionBytes >= 0 && total > policy.retentionBytes;
    if (!tooOld && !tooBig) break;
    newStart = r.e;
    total -= r.l;
  }
  return Math.max(newStart, startOffset);
}
