// FindCoordinator: a group's coordinator is the live leader of its
// __consumer_offsets partition, for one key (v0-3) or a batch of keys (v4+).
// Transaction coordinators do not exist yet: those lookups get
// COORDINATOR_NOT_AVAILABLE.

import { FindCoordinatorApi } from '../../protocol/generated/index.ts';
import { defaultFindCoordinatorResponse, type Coordinator } from '../../protocol/generated/FindCoordinatorResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { defineHandler } from './handler.ts';

const KEY_TYPE_GROUP = 0;

export const findCoordinatorHandler = defineHandler({
  api: FindCoordinatorApi,
  minVersion: 0,
  maxVersion: 6,
  handle: (req, ctx) => {
    const { broker } = ctx;
    const one = (key: string): Coordinator => {
      if (req.keyType !== KEY_TYPE_GROUP) {
        return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'transactions are not supported by floe yet' };
      }
      if (key === '') return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'empty group id' };
      const leader = broker.groups.coordinatorOf(key);
      if (leader === undefined) return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'the group\'s offsets partition has no live leader yet' };
      return { key, nodeId: leader.nodeId, host: leader.host, port: leader.port, errorCode: ErrorCode.NONE, errorMessage: null };
    };
    if (ctx.apiVersion >= 4) return { ...defaultFindCoordinatorResponse(), coordinators: req.coordinatorKeys.map(one) };
    const c = one(req.key);
    return { ...defaultFindCoordinatorResponse(), errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port };
  },
});
