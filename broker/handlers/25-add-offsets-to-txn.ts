// AddOffsetsToTxn: the group's offsets become part of the producer's open
// transaction (its TxnOffsetCommit then goes to the group's coordinator).

import { AddOffsetsToTxnApi } from '../../protocol/generated/index.ts';
import { defaultAddOffsetsToTxnResponse } from '../../protocol/generated/AddOffsetsToTxnResponse.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { TransactionServices } from './broker-services.ts';

export const addOffsetsToTxnHandler = defineHandler({
  api: AddOffsetsToTxnApi,
  minVersion: 0,
  maxVersion: 3,
  handle: async (req, ctx: RequestContext<TransactionServices>) => {
    const { transactions } = ctx.broker;
    if (!ctx.allowed(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) return { ...defaultAddOffsetsToTxnResponse(), errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    if (!ctx.allowed(AclOperation.READ, ResourceType.GROUP, req.groupId)) return { ...defaultAddOffsetsToTxnResponse(), errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const errorCode = await transactions.addOffsets(req.transactionalId, req.producerId, req.producerEpoch, req.groupId);
    return { ...defaultAddOffsetsToTxnResponse(), errorCode };
  },
});
