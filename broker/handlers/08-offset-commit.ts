// OffsetCommit: checks the committer against its group (generation of a
// classic group, member epoch of a KIP-848 group, or a simple commit with
// generation -1 to an empty group; an older member epoch per partition, as
// KIP-1251 allows), then makes the offsets durable in
// __consumer_offsets before answering.

import { OffsetCommitApi } from '../../protocol/generated/index.ts';
import { defaultOffsetCommitResponse, type OffsetCommitResponseTopic } from '../../protocol/generated/OffsetCommitResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { offsetCommitEntries } from './offset-commit-entries.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { GroupServices, TopicCatalog } from './broker-services.ts';

export const offsetCommitHandler = defineHandler({
  api: OffsetCommitApi,
  minVersion: 0,
  maxVersion: 9,
  handle: async (req, ctx: RequestContext<GroupServices & TopicCatalog>) => {
    const { broker } = ctx;
    const topics: OffsetCommitResponseTopic[] = req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE })) }));
    const setAll = (code: number): OffsetCommitResponseTopic[] => {
      for (const t of topics) for (const p of t.partitions) p.errorCode = code;
      return topics;
    };
    if (req.groupId === '') return { ...defaultOffsetCommitResponse(), topics: setAll(ErrorCode.INVALID_GROUP_ID) };
    if (!ctx.allowed(AclOperation.READ, ResourceType.GROUP, req.groupId)) return { ...defaultOffsetCommitResponse(), topics: setAll(ErrorCode.GROUP_AUTHORIZATION_FAILED) };
    const notHere = broker.groups.coordinatorError(req.groupId);
    if (notHere !== undefined) return { ...defaultOffsetCommitResponse(), topics: setAll(notHere) };
    const group = broker.groups.group(req.groupId);
    const modern = broker.groups.consumerGroup(req.groupId);
    const generation = ctx.apiVersion === 0 ? -1 : req.generationIdOrMemberEpoch;
    const check = modern !== undefined
      ? modern.checkCommit(req.memberId, generation, ctx.apiVersion)
      : group === undefined
        ? (generation < 0 ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION)
        : group.checkCommitter(req.memberId, generation);
    if (typeof check === 'number' && check !== ErrorCode.NONE) return { ...defaultOffsetCommitResponse(), topics: setAll(check) };
    const partitionCheck = typeof check === 'function' ? check : undefined;
    // A topic the principal may not read is answered TOPIC_AUTHORIZATION_FAILED and not committed.
    for (const t of topics) {
      if (!ctx.allowed(AclOperation.READ, ResourceType.TOPIC, t.name)) for (const p of t.partitions) p.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
    }
    const entries = offsetCommitEntries(broker, req.topics, topics, partitionCheck);
    try {
      await broker.groups.commit(req.groupId, entries);
    } catch (e) {
      broker.log.warn({ err: (e as Error).message, group: req.groupId }, 'offset commit failed');
      for (const t of topics) for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE) p.errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    return { ...defaultOffsetCommitResponse(), topics };
  },
});
