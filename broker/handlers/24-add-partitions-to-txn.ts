// AddPartitionsToTxn (v0-3, the producer's form): the partitions join the
// producer's open transaction at its coordinator. The v4+ batched form is
// what brokers send each other to verify produce requests; floe verifies
// locally and does not serve it.

import { AddPartitionsToTxnApi } from '../../protocol/generated/index.ts';
import { defaultAddPartitionsToTxnResponse } from '../../protocol/generated/AddPartitionsToTxnResponse.ts';
import { defineHandler } from './handler.ts';

export const addPartitionsToTxnHandler = defineHandler({
  api: AddPartitionsToTxnApi,
  minVersion: 0,
  maxVersion: 3,
  handle: async (req, ctx) => {
    const { transactions } = ctx.broker;
    const topics = req.v3AndBelowTopics.map((t) => ({ name: t.name, partitions: t.partitions }));
    const answer = (code: (topic: string, partition: number) => number) => ({
      ...defaultAddPartitionsToTxnResponse(),
      resultsByTopicV3AndBelow: topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code(t.name, p) })) })),
    });
    const notHere = transactions.coordinatorError(req.v3AndBelowTransactionalId);
    if (notHere !== undefined) return answer(() => notHere);
    const codes = await transactions.addPartitions(req.v3AndBelowTransactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch, topics);
    return answer((t, p) => codes.get(t)!.get(p)!);
  },
});
