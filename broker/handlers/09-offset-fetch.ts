// OffsetFetch: committed offsets of one group (v0-7) or several (v8+); all
// committed partitions when topics is null; -1 for partitions never committed.
// With require_stable (v7+), a partition a transaction has offsets pending
// for answers UNSTABLE_OFFSET_COMMIT (retriable) until that transaction ends.

import { OffsetFetchApi } from '../../protocol/generated/index.ts';
import { defaultOffsetFetchResponse, type OffsetFetchResponseTopics } from '../../protocol/generated/OffsetFetchResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { GroupCoordinator } from '../groups/group-coordinator.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { GroupServices } from './broker-services.ts';

function fetchGroup(groups: GroupCoordinator, groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, requireStable: boolean): OffsetFetchResponseTopics[] {
  const wanted = topics ?? [...groups.allCommitted(groupId)].map(([name, ps]) => ({ name, partitionIndexes: ps.map((p) => p.partition).sort((a, b) => a - b) }));
  return wanted.map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((i) => {
      const c = groups.committed(groupId, t.name, i);
      return {
        partitionIndex: i, committedOffset: c?.offset ?? -1n, committedLeaderEpoch: c?.leaderEpoch ?? -1,
        metadata: c?.metadata ?? '',
        errorCode: requireStable && groups.hasPendingTxnOffsets(groupId, t.name, i) ? ErrorCode.UNSTABLE_OFFSET_COMMIT : ErrorCode.NONE,
      };
    }),
  }));
}

export const offsetFetchHandler = defineHandler({
  api: OffsetFetchApi,
  minVersion: 0,
  maxVersion: 9,
  handle: (req, ctx: RequestContext<GroupServices>) => {
    const groups = ctx.broker.groups;
    // Offsets of topics the principal may not describe are left out, as Kafka does.
    const describable = <T extends { name: string }>(ts: T[]): T[] => ts.filter((t) => ctx.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, t.name));
    if (ctx.apiVersion >= 8) {
      return {
        ...defaultOffsetFetchResponse(),
        groups: req.groups.map((g) => {
          if (g.groupId === '') return { groupId: g.groupId, topics: [], errorCode: ErrorCode.INVALID_GROUP_ID };
          if (!ctx.allowed(AclOperation.DESCRIBE, ResourceType.GROUP, g.groupId)) return { groupId: g.groupId, topics: [], errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
          const notHere = groups.coordinatorError(g.groupId);
          if (notHere !== undefined) return { groupId: g.groupId, topics: [], errorCode: notHere };
          // v9: a KIP-848 member fetching with its id and epoch must be current.
          const modern = g.memberId !== null ? groups.consumerGroup(g.groupId) : undefined;
          const errorCode = modern === undefined ? ErrorCode.NONE : modern.checkFetch(g.memberId!, g.memberEpoch);
          return { groupId: g.groupId, topics: errorCode === ErrorCode.NONE ? describable(fetchGroup(groups, g.groupId, g.topics, req.requireStable)) : [], errorCode };
        }),
      };
    }
    if (req.groupId === '') return { ...defaultOffsetFetchResponse(), errorCode: ErrorCode.INVALID_GROUP_ID };
    if (!ctx.allowed(AclOperation.DESCRIBE, ResourceType.GROUP, req.groupId)) return { ...defaultOffsetFetchResponse(), errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const notHere = groups.coordinatorError(req.groupId);
    if (notHere !== undefined) return { ...defaultOffsetFetchResponse(), errorCode: notHere };
    return { ...defaultOffsetFetchResponse(), topics: describable(fetchGroup(groups, req.groupId, req.topics, ctx.apiVersion >= 7 && req.requireStable)) };
  },
});
