// FindCoordinator: a group's coordinator is the live leader of its
// __consumer_offsets partition, a transactional id's the live leader of its
// __transaction_state partition, for one key (v0-3) or a batch (v4+).

import { FindCoordinatorApi } from '../../protocol/generated/index.ts';
import { defaultFindCoordinatorResponse, type Coordinator } from '../../protocol/generated/FindCoordinatorResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import { endpointOn } from '../listeners.ts';
import type { GroupServices, TransactionServices } from './broker-services.ts';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

export const findCoordinatorHandler = defineHandler({
  api: FindCoordinatorApi,
  minVersion: 0,
  maxVersion: 6,
  handle: (req, ctx: RequestContext<GroupServices & TransactionServices>) => {
    const { broker } = ctx;
    const one = (key: string): Coordinator => {
      const none = (errorCode: number, errorMessage: string): Coordinator => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage });
      if (req.keyType === KEY_TYPE_TRANSACTION) {
        if (key === '') return none(ErrorCode.INVALID_REQUEST, 'empty transactional id');
        if (!ctx.allowed(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, key)) return none(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'Transactional id authorization failed.');
        const coordinator = broker.transactions.coordinatorOf(key);
        if (coordinator === undefined) return none(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the transactional id\'s __transaction_state partition has no live leader yet');
        return { key, nodeId: coordinator.nodeId, ...endpointOn(coordinator, ctx.listener), errorCode: ErrorCode.NONE, errorMessage: null };
      }
      if (req.keyType !== KEY_TYPE_GROUP) return none(ErrorCode.INVALID_REQUEST, `unknown key type ${req.keyType}`);
      if (key === '') return none(ErrorCode.INVALID_REQUEST, 'empty group id');
      if (!ctx.allowed(AclOperation.DESCRIBE, ResourceType.GROUP, key)) return none(ErrorCode.GROUP_AUTHORIZATION_FAILED, 'Group authorization failed.');
      const leader = broker.groups.coordinatorOf(key);
      if (leader === undefined) return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'the group\'s offsets partition has no live leader yet' };
      return { key, nodeId: leader.nodeId, ...endpointOn(leader, ctx.listener), errorCode: ErrorCode.NONE, errorMessage: null };
    };
    if (ctx.apiVersion >= 4) return { ...defaultFindCoordinatorResponse(), coordinators: req.coordinatorKeys.map(one) };
    const c = one(req.key);
    return { ...defaultFindCoordinatorResponse(), errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port };
  },
});
