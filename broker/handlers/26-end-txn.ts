// EndTxn: commit or abort the producer's open transaction; answered once
// the markers are written to every partition of it. v5 (KIP-890 part 2's
// epoch bump per transaction) is not served: clients use it only when the
// broker advertises transaction.version 2.

import { EndTxnApi } from '../../protocol/generated/index.ts';
import { defaultEndTxnResponse } from '../../protocol/generated/EndTxnResponse.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { TransactionServices } from './broker-services.ts';

export const endTxnHandler = defineHandler({
  api: EndTxnApi,
  minVersion: 0,
  maxVersion: 3,
  handle: async (req, ctx: RequestContext<TransactionServices>) => {
    const { transactions } = ctx.broker;
    if (!ctx.allowed(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) return { ...defaultEndTxnResponse(), errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    // Whether this broker coordinates the id is checked when the operation's turn comes.
    const errorCode = await transactions.endTransaction(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
    return { ...defaultEndTxnResponse(), errorCode };
  },
});
