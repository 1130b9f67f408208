// Owns what OffsetCommit and TxnOffsetCommit check alike before offsets are
// written: each partition exists, passes the committer's own check (KIP-1251
// epochs), and carries metadata within offset.metadata.max.bytes. Writes the
// per-partition error into the response; returns the entries to commit.

import { ErrorCode } from '../../protocol/errors.ts';
import { OFFSET_METADATA_BYTES_MAX, type OffsetCommitEntry } from '../groups/group-coordinator.ts';
import type { TopicCatalog } from './broker-services.ts';

interface CommitRequestTopic {
  name: string;
  partitions: { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }[];
}

export function offsetCommitEntries(
  broker: Pick<TopicCatalog, 'topics'>,
  requested: readonly CommitRequestTopic[],
  answers: readonly { partitions: { errorCode: number }[] }[],
  partitionCheck?: (topic: string, partition: number) => number,
): OffsetCommitEntry[] {
  const entries: OffsetCommitEntry[] = [];
  requested.forEach((t, ti) => {
    const topic = broker.topics.get(t.name);
    t.partitions.forEach((p, pi) => {
      const out = answers[ti]!.partitions[pi]!;
      if (topic === undefined || p.partitionIndex < 0 || p.partitionIndex >= topic.streams.length) {
        out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      } else if ((out.errorCode = partitionCheck?.(t.name, p.partitionIndex) ?? ErrorCode.NONE) !== ErrorCode.NONE) {
        // Not this member's partition at the epoch it sent (KIP-1251).
      } else if (p.committedMetadata !== null && Buffer.byteLength(p.committedMetadata) > OFFSET_METADATA_BYTES_MAX) {
        out.errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
      } else {
        entries.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata });
      }
    });
  });
  return entries;
}
