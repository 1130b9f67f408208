// DescribeProducers: the producers with idempotent or transactional state on
// partitions this broker leads (kafka-transactions describe-producers), with
// the start of each one's open transaction; the partition's leadership error
// otherwise.

import { DescribeProducersApi } from '../../protocol/generated/index.ts';
import { defaultDescribeProducersResponse } from '../../protocol/generated/DescribeProducersResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { PartitionLookup } from './broker-services.ts';

export const describeProducersHandler = defineHandler({
  api: DescribeProducersApi,
  minVersion: 0,
  maxVersion: 0,
  handle: (req, ctx: RequestContext<PartitionLookup>) => {
    const { broker } = ctx;
    return {
      ...defaultDescribeProducersResponse(),
      topics: req.topics.map((t) => {
        const topic = broker.topics.get(t.name);
        return {
          name: t.name,
          partitions: t.partitionIndexes.map((partitionIndex) => {
            if (!ctx.allowed(AclOperation.READ, ResourceType.TOPIC, t.name)) return { partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null, activeProducers: [] };
            const log = topic === undefined ? undefined : broker.partition(topic, partitionIndex);
            if (log === undefined) return { partitionIndex, errorCode: broker.partitionError(topic, partitionIndex), errorMessage: null, activeProducers: [] };
            return {
              partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null,
              activeProducers: log.activeProducers().map((p) => ({
                producerId: p.producerId, producerEpoch: p.epoch, lastSequence: p.lastSequence, lastTimestamp: BigInt(p.lastTimestamp),
                coordinatorEpoch: -1, currentTxnStartOffset: BigInt(p.currentTxnStartOffset),
              })),
            };
          }),
        };
      }),
    };
  },
});
