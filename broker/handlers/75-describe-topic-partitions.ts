// DescribeTopicPartitions (KIP-966): topics and partitions with paging by
// response_partition_limit and a cursor, in topic-name order as Kafka pages.
// An empty topic list means every topic.

import { DescribeTopicPartitionsApi } from '../../protocol/generated/index.ts';
import {
  defaultDescribeTopicPartitionsResponse, defaultDescribeTopicPartitionsResponseTopic, type DescribeTopicPartitionsResponseTopic, type Cursor,
} from '../../protocol/generated/DescribeTopicPartitionsResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { ClusterInfo, TopicCatalog } from './broker-services.ts';

/** Kafka's max.request.partition.size.limit default: the most partitions one response carries. */
const PARTITIONS_PER_RESPONSE_MAX = 2000;

export const describeTopicPartitionsHandler = defineHandler({
  api: DescribeTopicPartitionsApi,
  minVersion: 0,
  maxVersion: 0,
  handle: (req, ctx: RequestContext<ClusterInfo & TopicCatalog>) => {
    const { broker } = ctx;
    const view = broker.member.view;
    // Listing all: only the topics the principal may describe; named ones it may not are answered TOPIC_AUTHORIZATION_FAILED.
    const names = (req.topics.length === 0 ? broker.topics.all().map((t) => t.name).filter((n) => ctx.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, n)) : req.topics.map((t) => t.name)).sort();
    let budget = Math.min(Math.max(1, req.responsePartitionLimit), PARTITIONS_PER_RESPONSE_MAX);
    const topics: DescribeTopicPartitionsResponseTopic[] = [];
    let nextCursor: Cursor | null = null;
    for (const name of names) {
      if (req.cursor !== null && name < req.cursor.topicName) continue;
      const t = broker.topics.get(name);
      if (!ctx.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, name)) {
        topics.push({ ...defaultDescribeTopicPartitionsResponseTopic(), name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
        continue;
      }
      if (t === undefined) {
        topics.push({ ...defaultDescribeTopicPartitionsResponseTopic(), name, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
        continue;
      }
      const first = req.cursor !== null && name === req.cursor.topicName ? req.cursor.partitionIndex : 0;
      const out: DescribeTopicPartitionsResponseTopic = { ...defaultDescribeTopicPartitionsResponseTopic(), name, topicId: t.id, isInternal: name.startsWith('__') };
      for (let i = first; i < t.streams.length; i++) {
        if (budget === 0) {
          nextCursor = { topicName: name, partitionIndex: i };
          break;
        }
        const { leaderId, leaderEpoch } = view.leaderAndEpoch(t.streams[i]!);
        const replicas = view.replicas(t.streams[i]!);
        out.partitions.push({
          errorCode: leaderId >= 0 ? ErrorCode.NONE : ErrorCode.LEADER_NOT_AVAILABLE, partitionIndex: i, leaderId, leaderEpoch, replicaNodes: replicas, isrNodes: replicas,
          eligibleLeaderReplicas: [], lastKnownElr: [], offlineReplicas: [],
        });
        budget--;
      }
      topics.push(out);
      if (nextCursor !== null) break;
    }
    return { ...defaultDescribeTopicPartitionsResponse(), topics, nextCursor };
  },
});
