// TxnOffsetCommit: offsets committed inside a transaction, sent to the
// group's coordinator. They are checked against the transaction (open, the
// group added to it) and, when the request names a member (KIP-447), against
// the group's generation; then kept pending, durably, until the
// transaction's end makes them visible (commit) or drops them (abort).

import { TxnOffsetCommitApi } from '../../protocol/generated/index.ts';
import { defaultTxnOffsetCommitResponse, type TxnOffsetCommitResponseTopic } from '../../protocol/generated/TxnOffsetCommitResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { offsetCommitEntries } from './offset-commit-entries.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { GroupServices, TopicCatalog, TransactionServices } from './broker-services.ts';
import { OFFSETS_TOPIC } from '../groups/group-coordinator.ts';

export const txnOffsetCommitHandler = defineHandler({
  api: TxnOffsetCommitApi,
  minVersion: 0,
  maxVersion: 3,
  handle: async (req, ctx: RequestContext<GroupServices & TransactionServices & TopicCatalog>) => {
    const { broker } = ctx;
    const topics: TxnOffsetCommitResponseTopic[] = req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE })) }));
    const setAll = (code: number): { throttleTimeMs: number; topics: TxnOffsetCommitResponseTopic[] } => {
      for (const t of topics) for (const p of t.partitions) p.errorCode = code;
      return { ...defaultTxnOffsetCommitResponse(), topics };
    };
    if (!ctx.allowed(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) return setAll(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    if (!ctx.allowed(AclOperation.READ, ResourceType.GROUP, req.groupId)) return setAll(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const notHere = broker.groups.coordinatorError(req.groupId);
    if (notHere !== undefined) return setAll(notHere);
    const txn = broker.transactions.coordinatedElsewhere(req.transactionalId)
      ? await broker.transactions.verifyWithCoordinator(req.transactionalId, req.producerId, req.producerEpoch, OFFSETS_TOPIC, broker.groups.offsetsPartition(req.groupId))
      : broker.transactions.verifyOffsetCommit(req.transactionalId, req.producerId, req.producerEpoch, req.groupId);
    if (txn !== ErrorCode.NONE) return setAll(txn);
    // KIP-447: a member of a live group commits only in its current generation.
    if (ctx.apiVersion >= 3 && req.memberId !== '' && req.generationId >= 0) {
      const classic = broker.groups.group(req.groupId);
      const modern = broker.groups.consumerGroup(req.groupId);
      const check = modern !== undefined
        ? modern.checkCommit(req.memberId, req.generationId, 9)
        : classic !== undefined ? classic.checkCommitter(req.memberId, req.generationId) : ErrorCode.NONE;
      // Transactional commits keep Kafka's classic answer for a stale member.
      if (typeof check === 'number' && check !== ErrorCode.NONE) return setAll(check === ErrorCode.STALE_MEMBER_EPOCH ? ErrorCode.ILLEGAL_GENERATION : check);
    }
    const entries = offsetCommitEntries(broker, req.topics, topics);
    try {
      await broker.groups.commitInTransaction(req.groupId, req.producerId, entries);
    } catch (e) {
      broker.log.warn({ err: (e as Error).message, group: req.groupId }, 'transactional offset commit failed');
      for (const t of topics) for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE) p.errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    return { ...defaultTxnOffsetCommitResponse(), topics };
  },
});
