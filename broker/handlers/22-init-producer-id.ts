// InitProducerId for idempotent producers: a new producer id from this
// broker's block of ids (unique across the fleet), epoch 0. Transactional ids are refused (transactions
// are not built): the client gets a non-retriable error instead of a hang.

import { InitProducerIdApi } from '../../protocol/generated/index.ts';
import { defaultInitProducerIdResponse } from '../../protocol/generated/InitProducerIdResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { defineHandler } from './handler.ts';

export const initProducerIdHandler = defineHandler({
  api: InitProducerIdApi,
  minVersion: 0,
  maxVersion: 5,
  handle: async (req, ctx) => {
    if (req.transactionalId !== null) {
      return { ...defaultInitProducerIdResponse(), errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
    }
    // A producer re-initialising with its id (KIP-360) gets a bumped epoch for the same id.
    if (req.producerId >= 0n && req.producerEpoch >= 0) {
      return { ...defaultInitProducerIdResponse(), producerId: req.producerId, producerEpoch: req.producerEpoch + 1 };
    }
    const id = await ctx.broker.producerIds.nextId();
    return { ...defaultInitProducerIdResponse(), producerId: BigInt(id), producerEpoch: 0 };
  },
});
