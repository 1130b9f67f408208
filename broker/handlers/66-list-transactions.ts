// ListTransactions: the transactional ids this broker coordinates, filtered
// by state, producer id and (v1) how long an open transaction has run;
// state names the broker does not know are echoed as unknown, as Kafka does.

import { ListTransactionsApi } from '../../protocol/generated/index.ts';
import { defaultListTransactionsResponse } from '../../protocol/generated/ListTransactionsResponse.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { TransactionServices } from './broker-services.ts';

const STATES = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'];

export const listTransactionsHandler = defineHandler({
  api: ListTransactionsApi,
  minVersion: 0,
  maxVersion: 1,
  handle: (req, ctx: RequestContext<TransactionServices>) => {
    const unknownStateFilters = req.stateFilters.filter((s) => !STATES.includes(s));
    const listed = ctx.broker.transactions.list(req.stateFilters, req.producerIdFilters, ctx.apiVersion >= 1 ? Number(req.durationFilter) : -1)
      .filter((t) => ctx.allowed(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, t.transactionalId));
    return {
      ...defaultListTransactionsResponse(),
      unknownStateFilters,
      transactionStates: listed.map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, transactionState: t.state })),
    };
  },
});
