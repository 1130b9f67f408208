// DescribeTransactions: state, producer, timeout, start time and partitions
// of each transactional id this broker coordinates (kafka-transactions
// describe); TRANSACTIONAL_ID_NOT_FOUND or the coordinator error otherwise.

import { DescribeTransactionsApi } from '../../protocol/generated/index.ts';
import { defaultDescribeTransactionsResponse } from '../../protocol/generated/DescribeTransactionsResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { TransactionServices } from './broker-services.ts';

export const describeTransactionsHandler = defineHandler({
  api: DescribeTransactionsApi,
  minVersion: 0,
  maxVersion: 0,
  handle: (req, ctx: RequestContext<TransactionServices>) => {
    const { transactions } = ctx.broker;
    return {
      ...defaultDescribeTransactionsResponse(),
      transactionStates: req.transactionalIds.map((transactionalId) => {
        const none = { transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
        if (!ctx.allowed(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, transactionalId)) return { ...none, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
        const notHere = transactions.coordinatorError(transactionalId);
        if (notHere !== undefined) return { ...none, errorCode: notHere };
        const t = transactions.describe(transactionalId);
        if (t === undefined) return { ...none, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND };
        return {
          errorCode: ErrorCode.NONE, transactionalId, transactionState: t.state, transactionTimeoutMs: t.timeoutMs, transactionStartTimeMs: BigInt(t.startMs),
          producerId: t.producerId, producerEpoch: t.producerEpoch, topics: [...t.partitions].map(([topic, ps]) => ({ topic, partitions: [...ps].sort((a, b) => a - b) })),
        };
      }),
    };
  },
});
