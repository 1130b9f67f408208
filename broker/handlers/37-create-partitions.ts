// CreatePartitions: grows a topic to `count` partitions (never shrinks, as in
// Kafka); new partitions are new streams, so nothing moves.

import { CreatePartitionsApi } from '../../protocol/generated/index.ts';
import { defaultCreatePartitionsResponse, type CreatePartitionsTopicResult } from '../../protocol/generated/CreatePartitionsResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { PARTITIONS_PER_TOPIC_MAX } from './19-create-topics.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { ClusterInfo, TopicAdmin } from './broker-services.ts';
import { replicaListProblem } from '../cluster/replica-assignment.ts';

export const createPartitionsHandler = defineHandler({
  api: CreatePartitionsApi,
  minVersion: 0,
  maxVersion: 3,
  handle: async (req, ctx: RequestContext<TopicAdmin & ClusterInfo>) => {
    const results: CreatePartitionsTopicResult[] = [];
    for (const t of req.topics) {
      const topic = await ctx.broker.topics.getFresh(t.name);
      const result = (errorCode: number, errorMessage: string | null): void => { results.push({ name: t.name, errorCode, errorMessage }); };
      if (!ctx.allowed(AclOperation.ALTER, ResourceType.TOPIC, t.name)) { result(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.'); continue; }
      if (topic === undefined) { result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${t.name}' does not exist.`); continue; }
      const current = topic.streams.length;
      if (t.count < current) { result(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${current} partitions, which is higher than the requested ${t.count}.`); continue; }
      if (t.count === current) { result(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`); continue; }
      if (t.count > PARTITIONS_PER_TOPIC_MAX) { result(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be at most ${PARTITIONS_PER_TOPIC_MAX}.`); continue; }
      if (t.assignments !== null && t.assignments.length !== t.count - current) {
        result(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Increasing the number of partitions by ${t.count - current} but ${t.assignments.length} assignments provided.`);
        continue;
      }
      const view = ctx.broker.member.view;
      const badAssignment = (t.assignments ?? []).map((a) => replicaListProblem(a.brokerIds, (id) => view.registration(id) !== undefined)).find((p) => p !== undefined);
      if (badAssignment !== undefined) { result(ErrorCode.INVALID_REPLICA_ASSIGNMENT, badAssignment); continue; }
      // Another broker changed the topic meanwhile: a retriable error the admin client retries on.
      if (!req.validateOnly && !(await ctx.broker.addPartitions(t.name, t.count, t.assignments?.map((a) => a.brokerIds[0]!)))) { result(ErrorCode.NOT_CONTROLLER, 'the topic changed meanwhile; retry'); continue; }
      result(ErrorCode.NONE, null);
    }
    return { ...defaultCreatePartitionsResponse(), results };
  },
});
