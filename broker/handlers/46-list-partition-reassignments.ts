// ListPartitionReassignments: the partitions whose pinned broker (from
// AlterPartitionReassignments) is eligible but does not lead them yet — the
// only kind of reassignment in progress when no data is copied.

import { ListPartitionReassignmentsApi } from '../../protocol/generated/index.ts';
import { defaultListPartitionReassignmentsResponse, type OngoingTopicReassignment } from '../../protocol/generated/ListPartitionReassignmentsResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { PartitionReassignment } from './broker-services.ts';
import type { ClusterView } from '../cluster/cluster-view.ts';

/** The move a partition still waits for: to its pinned broker, from its current leader. */
export function ongoingReassignment(view: ClusterView, streamId: number): { to: number; from: number } | undefined {
  const to = view.pin(streamId);
  const from = view.owner(streamId)?.owner;
  if (to === undefined || from === undefined || to === from) return undefined;
  return view.eligibleBrokers().some((b) => b.nodeId === to) ? { to, from } : undefined;
}

export const listPartitionReassignmentsHandler = defineHandler({
  api: ListPartitionReassignmentsApi,
  minVersion: 0,
  maxVersion: 0,
  handle: (req, ctx: RequestContext<PartitionReassignment>) => {
    const { broker } = ctx;
    if (!ctx.allowed(AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME)) {
      return { ...defaultListPartitionReassignmentsResponse(), errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.' };
    }
    const asked = req.topics === null
      ? broker.topics.all().map((t) => ({ name: t.name, partitionIndexes: t.streams.map((_, i) => i) }))
      : req.topics;
    const topics: OngoingTopicReassignment[] = [];
    for (const a of asked) {
      const t = broker.topics.get(a.name);
      if (t === undefined) continue;
      const partitions = a.partitionIndexes.flatMap((i) => {
        const streamId = t.streams[i];
        const move = streamId === undefined ? undefined : ongoingReassignment(broker.member.view, streamId);
        return move === undefined ? [] : [{ partitionIndex: i, replicas: [move.to, move.from], addingReplicas: [move.to], removingReplicas: [move.from] }];
      });
      if (partitions.length > 0) topics.push({ name: a.name, partitions });
    }
    return { ...defaultListPartitionReassignmentsResponse(), topics };
  },
});
