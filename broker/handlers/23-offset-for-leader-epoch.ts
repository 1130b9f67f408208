// OffsetForLeaderEpoch: a single broker leads every partition at epoch 0,
// so the end offset of epoch 0 is the log end; a later epoch is unknown.
// Clients use this after a leader change to detect log truncation.

import { OffsetForLeaderEpochApi } from '../../protocol/generated/index.ts';
import { defaultOffsetForLeaderEpochResponse, type OffsetForLeaderTopicResult } from '../../protocol/generated/OffsetForLeaderEpochResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { PartitionLookup } from './broker-services.ts';

export const offsetForLeaderEpochHandler = defineHandler({
  api: OffsetForLeaderEpochApi,
  minVersion: 0,
  maxVersion: 4,
  handle: (req, ctx: RequestContext<PartitionLookup>) => {
    const topics: OffsetForLeaderTopicResult[] = [];
    for (const t of req.topics) {
      const topic = ctx.broker.topics.get(t.topic);
      topics.push({
        topic: t.topic,
        partitions: t.partitions.map((p) => {
          if (!ctx.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, t.topic)) return { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, partition: p.partition, leaderEpoch: -1, endOffset: -1n };
          const log = topic === undefined ? undefined : ctx.broker.partition(topic, p.partition);
          if (log === undefined) return { errorCode: ctx.broker.partitionError(topic, p.partition), partition: p.partition, leaderEpoch: -1, endOffset: -1n };
          if (p.currentLeaderEpoch > log.leaderEpoch) return { errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH, partition: p.partition, leaderEpoch: -1, endOffset: -1n };
          if (p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch < log.leaderEpoch) return { errorCode: ErrorCode.FENCED_LEADER_EPOCH, partition: p.partition, leaderEpoch: -1, endOffset: -1n };
          if (p.leaderEpoch > log.leaderEpoch) return { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch: -1, endOffset: -1n };
          return { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch: log.leaderEpoch, endOffset: BigInt(log.logEndOffset) };
        }),
      });
    }
    return { ...defaultOffsetForLeaderEpochResponse(), topics };
  },
});
