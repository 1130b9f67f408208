// Metadata: the live brokers, cluster id, controller, topics with their ids
// and partitions, each with its leader and leader epoch from the cluster
// view (a partition whose leader is dead says LEADER_NOT_AVAILABLE until the
// controller moves it); creates unknown topics when the request allows it
// and auto.create.topics.enable is on.

import { MetadataApi } from '../../protocol/generated/index.ts';
import {
  defaultMetadataResponse, defaultMetadataResponsePartition, defaultMetadataResponseTopic, type MetadataResponseTopic,
} from '../../protocol/generated/MetadataResponse.ts';
import { ZERO_UUID } from '../../protocol/primitives/reader.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { topicNameProblem, type TopicRecord } from '../topics/topic-registry.ts';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import { endpointOn } from '../listeners.ts';
import type { ClusterInfo, TopicAdmin } from './broker-services.ts';

function describeTopic(broker: ClusterInfo, t: TopicRecord): MetadataResponseTopic {
  const view = broker.member.view;
  return {
    ...defaultMetadataResponseTopic(),
    name: t.name,
    topicId: t.id,
    isInternal: t.name.startsWith('__'),
    partitions: t.streams.map((streamId, i) => {
      const { leaderId, leaderEpoch } = view.leaderAndEpoch(streamId);
      const replicas = view.replicas(streamId);
      return {
        ...defaultMetadataResponsePartition(),
        errorCode: leaderId >= 0 ? ErrorCode.NONE : ErrorCode.LEADER_NOT_AVAILABLE,
        partitionIndex: i, leaderId, leaderEpoch, replicaNodes: replicas, isrNodes: replicas,
      };
    }),
  };
}

export const metadataHandler = defineHandler({
  api: MetadataApi,
  minVersion: 0,
  maxVersion: 12,
  handle: async (req, ctx: RequestContext<ClusterInfo & TopicAdmin>) => {
    const { broker } = ctx;
    const topics: MetadataResponseTopic[] = [];
    if (req.topics === null || (ctx.apiVersion === 0 && req.topics.length === 0)) {
      // Only the topics the principal may describe are listed.
      for (const t of broker.topics.all()) if (ctx.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, t.name)) topics.push(describeTopic(broker, t));
    } else {
      for (const rt of req.topics) {
        let t = rt.name !== null ? broker.topics.get(rt.name) : broker.topics.getById(rt.topicId);
        const name = rt.name ?? t?.name ?? null;
        if (name !== null && !ctx.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, name)) {
          topics.push({ ...defaultMetadataResponseTopic(), name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
          continue;
        }
        if (t === undefined && name !== null) {
          const problem = topicNameProblem(name);
          if (problem !== undefined) {
            topics.push({ ...defaultMetadataResponseTopic(), name, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION });
            continue;
          }
          const allow = ctx.apiVersion < 4 || req.allowAutoTopicCreation;
          const mayCreate = ctx.allowed(AclOperation.CREATE, ResourceType.CLUSTER, CLUSTER_NAME) || ctx.allowed(AclOperation.CREATE, ResourceType.TOPIC, name);
          if (allow && broker.config.autoCreateTopicsEnable && !mayCreate) {
            topics.push({ ...defaultMetadataResponseTopic(), name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
            continue;
          }
          if (allow && broker.config.autoCreateTopicsEnable) {
            // Creation is complete when it returns, so the topic is answered at once, ready to use
            // (Kafka's LEADER_NOT_AVAILABLE here only reflects its asynchronous creation).
            t = (await broker.createTopic(name, broker.config.numPartitions, {})) ?? broker.topics.get(name);
          }
        }
        if (t === undefined) {
          topics.push({ ...defaultMetadataResponseTopic(), name, topicId: rt.name === null ? rt.topicId : ZERO_UUID, errorCode: rt.name === null ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
          continue;
        }
        topics.push(describeTopic(broker, t));
      }
    }
    return {
      ...defaultMetadataResponse(),
      brokers: broker.member.view.liveBrokers().map((b) => ({ nodeId: b.nodeId, ...endpointOn(b, ctx.listener), rack: b.rack })),
      clusterId: broker.clusterId,
      controllerId: broker.member.view.controllerId,
      topics,
    };
  },
});
