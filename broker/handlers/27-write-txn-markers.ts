// WriteTxnMarkers (inter-broker): a transaction coordinator on another
// broker asks this one to write COMMIT/ABORT markers on partitions it
// leads (or to end a group's transactional offsets, for __consumer_offsets
// partitions). Each partition answers its own error; NOT_LEADER_OR_FOLLOWER
// sends the coordinator to the partition's new leader.

import { WriteTxnMarkersApi } from '../../protocol/generated/index.ts';
import { defaultWriteTxnMarkersResponse } from '../../protocol/generated/WriteTxnMarkersResponse.ts';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { TransactionServices } from './broker-services.ts';

export const writeTxnMarkersHandler = defineHandler({
  api: WriteTxnMarkersApi,
  minVersion: 0,
  maxVersion: 1,
  handle: async (req, ctx: RequestContext<TransactionServices>) => {
    const { markers } = ctx.broker.transactions;
    // Only brokers send markers: CLUSTER_ACTION on the cluster.
    const denied = !ctx.allowed(AclOperation.CLUSTER_ACTION, ResourceType.CLUSTER, CLUSTER_NAME);
    if (denied) {
      return {
        ...defaultWriteTxnMarkersResponse(),
        markers: req.markers.map((m) => ({ producerId: m.producerId, topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED })) })) })),
      };
    }
    return {
      ...defaultWriteTxnMarkersResponse(),
      markers: await Promise.all(req.markers.map(async (m) => {
        const marker = { producerId: m.producerId, producerEpoch: m.producerEpoch, commit: m.transactionResult, coordinatorEpoch: m.coordinatorEpoch };
        return {
          producerId: m.producerId,
          topics: await Promise.all(m.topics.map(async (t) => ({
            name: t.name,
            partitions: await Promise.all(t.partitionIndexes.map(async (partitionIndex) => ({
              partitionIndex, errorCode: await markers.writeLocal({ topic: t.name, partition: partitionIndex }, marker),
            }))),
          }))),
        };
      })),
    };
  },
});
