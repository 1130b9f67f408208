// InitProducerId. Without a transactional id: a new producer id from this
// broker's block of ids (unique across the fleet), epoch 0 (or, re-init by
// KIP-360, the same id at the next epoch). With one: the transaction
// coordinator's id and a new epoch, fencing older instances of the producer.

import { InitProducerIdApi } from '../../protocol/generated/index.ts';
import { defaultInitProducerIdResponse } from '../../protocol/generated/InitProducerIdResponse.ts';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { TransactionServices } from './broker-services.ts';

export const initProducerIdHandler = defineHandler({
  api: InitProducerIdApi,
  minVersion: 0,
  maxVersion: 5,
  handle: async (req, ctx: RequestContext<TransactionServices>) => {
    const { transactions } = ctx.broker;
    if (req.transactionalId !== null) {
      if (!ctx.allowed(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) {
        return { ...defaultInitProducerIdResponse(), errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
      }
      const r = await transactions.initProducerId(req.transactionalId, req.transactionTimeoutMs, req.producerId, req.producerEpoch, ctx.apiVersion);
      return { ...defaultInitProducerIdResponse(), ...r };
    }
    // An idempotent producer needs IDEMPOTENT_WRITE on the cluster, or WRITE on some topic (as Kafka since 3.0).
    if (!ctx.allowed(AclOperation.IDEMPOTENT_WRITE, ResourceType.CLUSTER, CLUSTER_NAME) && !ctx.allowedOnSome(AclOperation.WRITE, ResourceType.TOPIC)) {
      return { ...defaultInitProducerIdResponse(), errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
    }
    // A producer re-initialising with its id (KIP-360) gets a bumped epoch for the same id.
    if (req.producerId >= 0n && req.producerEpoch >= 0) {
      return { ...defaultInitProducerIdResponse(), producerId: req.producerId, producerEpoch: req.producerEpoch + 1 };
    }
    const id = await ctx.broker.producerIds.nextId();
    return { ...defaultInitProducerIdResponse(), producerId: BigInt(id), producerEpoch: 0 };
  },
});
