// AlterPartitionReassignments: a partition's new replica list, validated as
// Kafka's controller does. floe is diskless, so a reassignment copies no data:
// the first replica becomes the partition's pinned broker, which the
// controller makes its leader (and keeps it there) while that broker is
// eligible. Cancelling finds nothing in progress once the move is done.

import { AlterPartitionReassignmentsApi } from '../../protocol/generated/index.ts';
import { defaultAlterPartitionReassignmentsResponse, type ReassignableTopicResponse } from '../../protocol/generated/AlterPartitionReassignmentsResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { PartitionReassignment } from './broker-services.ts';
import { ongoingReassignment } from './46-list-partition-reassignments.ts';
import { replicaListProblem } from '../cluster/replica-assignment.ts';

export const alterPartitionReassignmentsHandler = defineHandler({
  api: AlterPartitionReassignmentsApi,
  minVersion: 0,
  maxVersion: 0,
  handle: async (req, ctx: RequestContext<PartitionReassignment>) => {
    const { broker } = ctx;
    if (!ctx.allowed(AclOperation.ALTER, ResourceType.CLUSTER, CLUSTER_NAME)) {
      return { ...defaultAlterPartitionReassignmentsResponse(), errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.' };
    }
    const view = broker.member.view;
    const responses: ReassignableTopicResponse[] = [];
    for (const t of req.topics) {
      const topic = broker.topics.get(t.name);
      const out: ReassignableTopicResponse = { name: t.name, partitions: [] };
      responses.push(out);
      for (const p of t.partitions) {
        const answer = (errorCode: number, errorMessage: string | null): void => { out.partitions.push({ partitionIndex: p.partitionIndex, errorCode, errorMessage }); };
        const streamId = topic?.streams[p.partitionIndex];
        if (streamId === undefined) {
          answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find partition ${t.name}:${p.partitionIndex}.`);
          continue;
        }
        if (p.replicas === null) {
          // A move here copies nothing and is over once the new leader opens the partition; one not done yet is called off.
          if (ongoingReassignment(view, streamId) === undefined) {
            answer(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, null);
          } else {
            await broker.pinPartition(streamId, null);
            answer(ErrorCode.NONE, null);
          }
          continue;
        }
        const problem = replicaListProblem(p.replicas, (id) => view.registration(id) !== undefined);
        if (problem !== undefined) {
          answer(ErrorCode.INVALID_REPLICA_ASSIGNMENT, problem);
          continue;
        }
        await broker.pinPartition(streamId, p.replicas[0]!);
        answer(ErrorCode.NONE, null);
      }
    }
    return { ...defaultAlterPartitionReassignmentsResponse(), responses };
  },
});
