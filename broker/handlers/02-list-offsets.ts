// ListOffsets: earliest (-2), latest (-1, the high watermark), max timestamp
// (-3), earliest-local (-4, the same as earliest: everything is in object
// storage), and lookup by timestamp (a scan of batch headers; there is no
// time index yet). With isolation_level 1, latest is the last stable offset.

import { ListOffsetsApi } from '../../protocol/generated/index.ts';
import { defaultListOffsetsResponse, defaultListOffsetsPartitionResponse, type ListOffsetsTopicResponse } from '../../protocol/generated/ListOffsetsResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { partitionFailure } from '../partition/partition-log.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { PartitionLookup } from './broker-services.ts';

export const listOffsetsHandler = defineHandler({
  api: ListOffsetsApi,
  minVersion: 1,
  maxVersion: 9,
  handle: async (req, ctx: RequestContext<PartitionLookup>) => {
    const { broker } = ctx;
    const topics: ListOffsetsTopicResponse[] = [];
    for (const t of req.topics) {
      const topic = broker.topics.get(t.name);
      const partitions = [];
      for (const p of t.partitions) {
        const out = { ...defaultListOffsetsPartitionResponse(), partitionIndex: p.partitionIndex };
        partitions.push(out);
        if (!ctx.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, t.name)) {
          out.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
          continue;
        }
        const log = topic === undefined ? undefined : broker.partition(topic, p.partitionIndex);
        if (log === undefined) {
          out.errorCode = broker.partitionError(topic, p.partitionIndex);
          continue;
        }
        if (p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch !== log.leaderEpoch) {
          out.errorCode = p.currentLeaderEpoch > log.leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
          continue;
        }
        const ts = Number(p.timestamp);
        if (ts < -4) {
          out.errorCode = ErrorCode.INVALID_REQUEST;
          continue;
        }
        let found: { offset: number; timestamp: number };
        try {
          if (ts === -2 || ts === -4) found = { offset: log.logStartOffset, timestamp: -1 };
          else if (ts === -1) found = { offset: req.isolationLevel === 1 ? log.lastStableOffset : log.highWatermark, timestamp: -1 };
          else if (ts === -3) found = await log.maxTimestamp();
          else found = await log.offsetForTimestamp(ts);
        } catch (e) {
          out.errorCode = partitionFailure(e);
          continue;
        }
        out.offset = BigInt(found.offset);
        out.timestamp = BigInt(found.timestamp);
        out.leaderEpoch = log.leaderEpoch;
      }
      topics.push({ name: t.name, partitions });
    }
    // Apache Kafka answers unknown topics first, then the others in request order (checked side by side).
    const unknown = (t: ListOffsetsTopicResponse): boolean => broker.topics.get(t.name) === undefined;
    return { ...defaultListOffsetsResponse(), topics: [...topics.filter(unknown), ...topics.filter((t) => !unknown(t))] };
  },
});
