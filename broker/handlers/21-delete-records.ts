// DeleteRecords: moves a partition's log start offset forward (-1 means the
// high watermark). Index entries wholly below it go at once; the bytes are
// reclaimed with their objects (object GC is not built yet).

import { DeleteRecordsApi } from '../../protocol/generated/index.ts';
import { defaultDeleteRecordsResponse, type DeleteRecordsTopicResult } from '../../protocol/generated/DeleteRecordsResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { partitionFailure } from '../partition/partition-log.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { PartitionLookup } from './broker-services.ts';

export const deleteRecordsHandler = defineHandler({
  api: DeleteRecordsApi,
  minVersion: 0,
  maxVersion: 2,
  handle: async (req, ctx: RequestContext<PartitionLookup>) => {
    const topics: DeleteRecordsTopicResult[] = [];
    for (const t of req.topics) {
      const topic = ctx.broker.topics.get(t.name);
      const partitions = [];
      const denied = !ctx.allowed(AclOperation.DELETE, ResourceType.TOPIC, t.name);
      for (const p of t.partitions) {
        if (denied) {
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
          continue;
        }
        const log = topic === undefined ? undefined : ctx.broker.partition(topic, p.partitionIndex);
        if (log === undefined) {
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ctx.broker.partitionError(topic, p.partitionIndex) });
          continue;
        }
        const hw = log.highWatermark;
        const target = p.offset === -1n ? hw : Number(p.offset);
        if (target < 0 || target > hw) {
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: BigInt(log.logStartOffset), errorCode: ErrorCode.OFFSET_OUT_OF_RANGE });
          continue;
        }
        try {
          await log.deleteRecordsBefore(target);
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: BigInt(log.logStartOffset), errorCode: ErrorCode.NONE });
        } catch (e) {
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: partitionFailure(e) });
        }
      }
      topics.push({ name: t.name, partitions });
    }
    return { ...defaultDeleteRecordsResponse(), topics };
  },
});
