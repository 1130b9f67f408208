// AddPartitionsToTxn: the partitions join the producer's open transaction
// at its coordinator (v0-3, the producer's form). The v4+ batched form is
// what brokers send each other: with verifyOnly, a partition leader or group
// coordinator asks whether a partition is in the transaction before it
// accepts the transaction's first write there (KIP-890 part 1).

import { AddPartitionsToTxnApi } from '../../protocol/generated/index.ts';
import { defaultAddPartitionsToTxnResponse } from '../../protocol/generated/AddPartitionsToTxnResponse.ts';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { TransactionServices } from './broker-services.ts';

export const addPartitionsToTxnHandler = defineHandler({
  api: AddPartitionsToTxnApi,
  minVersion: 0,
  maxVersion: 5,
  handle: async (req, ctx: RequestContext<TransactionServices>) => {
    const { transactions } = ctx.broker;
    if (ctx.apiVersion >= 4) {
      // The batched form is what brokers send each other: CLUSTER_ACTION on the cluster.
      if (!ctx.allowed(AclOperation.CLUSTER_ACTION, ResourceType.CLUSTER, CLUSTER_NAME)) return { ...defaultAddPartitionsToTxnResponse(), errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
      const resultsByTransaction = await Promise.all(req.transactions.map(async (tx) => {
        const topics = tx.topics.map((t) => ({ name: t.name, partitions: t.partitions }));
        const notHere = transactions.coordinatorError(tx.transactionalId);
        const codes = notHere !== undefined ? undefined
          : tx.verifyOnly ? transactions.verifyPartitions(tx.transactionalId, tx.producerId, tx.producerEpoch, topics)
            : await transactions.addPartitions(tx.transactionalId, tx.producerId, tx.producerEpoch, topics);
        return {
          transactionalId: tx.transactionalId,
          topicResults: topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: notHere ?? codes!.get(t.name)!.get(p)! })) })),
        };
      }));
      return { ...defaultAddPartitionsToTxnResponse(), resultsByTransaction };
    }
    const topics = req.v3AndBelowTopics.map((t) => ({ name: t.name, partitions: t.partitions }));
    const answer = (code: (topic: string, partition: number) => number) => ({
      ...defaultAddPartitionsToTxnResponse(),
      resultsByTopicV3AndBelow: topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code(t.name, p) })) })),
    });
    if (!ctx.allowed(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.v3AndBelowTransactionalId)) return answer(() => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const deniedTopics = topics.filter((t) => !ctx.allowed(AclOperation.WRITE, ResourceType.TOPIC, t.name)).map((t) => t.name);
    // As Kafka: one topic refused fails the request; the others are answered OPERATION_NOT_ATTEMPTED.
    if (deniedTopics.length > 0) return answer((t) => (deniedTopics.includes(t) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.OPERATION_NOT_ATTEMPTED));
    const codes = await transactions.addPartitions(req.v3AndBelowTransactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch, topics);
    return answer((t, p) => codes.get(t)!.get(p)!);
  },
});
