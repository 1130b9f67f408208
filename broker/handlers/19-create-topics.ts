// CreateTopics: name and config validation, validate_only, default
// partition count and replication factor (-1). The replication factor is
// accepted and reported back; durability comes from object storage, so one
// broker is every partition's only replica.

import { CreateTopicsApi } from '../../protocol/generated/index.ts';
import { defaultCreateTopicsResponse, defaultCreatableTopicResult, type CreatableTopicResult } from '../../protocol/generated/CreateTopicsResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { topicNameProblem } from '../topics/topic-registry.ts';
import { validateTopicConfigs, TOPIC_CONFIGS, resolveTopicConfig } from '../topics/topic-configs.ts';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { ClusterInfo, TopicAdmin } from './broker-services.ts';
import { replicaListProblem } from '../cluster/replica-assignment.ts';

/** Bound on partitions per topic, so one request cannot create millions of streams. */
export const PARTITIONS_PER_TOPIC_MAX = 10_000;

export const createTopicsHandler = defineHandler({
  api: CreateTopicsApi,
  minVersion: 0,
  maxVersion: 7,
  handle: async (req, ctx: RequestContext<TopicAdmin & ClusterInfo>) => {
    const { broker } = ctx;
    const topics: CreatableTopicResult[] = [];
    const seen = new Set<string>();
    for (const t of req.topics) {
      // Kafka's controller answers ApiError.NONE's message: null, not the schema's default "".
      const out: CreatableTopicResult = { ...defaultCreatableTopicResult(), name: t.name, errorMessage: null };
      topics.push(out);
      const fail = (code: number, msg: string): void => {
        out.errorCode = code;
        out.errorMessage = msg;
        out.numPartitions = -1;
        out.replicationFactor = -1;
      };
      if (seen.has(t.name)) {
        fail(ErrorCode.INVALID_REQUEST, `Create topics request from client contains duplicate topic name ${t.name}`);
        continue;
      }
      seen.add(t.name);
      if (!ctx.allowed(AclOperation.CREATE, ResourceType.CLUSTER, CLUSTER_NAME) && !ctx.allowed(AclOperation.CREATE, ResourceType.TOPIC, t.name)) {
        fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.');
        continue;
      }
      const nameProblem = topicNameProblem(t.name);
      if (nameProblem !== undefined) { fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem); continue; }
      if (broker.topics.get(t.name) !== undefined) { fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`); continue; }
      let partitions = t.numPartitions === -1 ? broker.config.numPartitions : t.numPartitions;
      let rf = t.replicationFactor === -1 ? broker.config.defaultReplicationFactor : t.replicationFactor;
      let leaders: number[] | undefined;
      if (t.assignments.length > 0) {
        if (t.numPartitions !== -1 || t.replicationFactor !== -1) { fail(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set.'); continue; }
        partitions = t.assignments.length;
        rf = t.assignments[0]!.brokerIds.length;
        const problem = assignmentProblem(t.assignments, (id) => broker.member.view.registration(id) !== undefined);
        if (problem !== undefined) { fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, problem); continue; }
        // Diskless: an assignment names no copies, only who leads (its first broker, kept there as by a reassignment).
        leaders = [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex).map((a) => a.brokerIds[0]!);
      }
      if (partitions <= 0 || partitions > PARTITIONS_PER_TOPIC_MAX) { fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be between 1 and ${PARTITIONS_PER_TOPIC_MAX}.`); continue; }
      if (rf <= 0) { fail(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.'); continue; }
      const configs: Record<string, string> = {};
      let nullConfig = false;
      for (const c of t.configs) {
        if (c.value === null) nullConfig = true;
        else configs[c.name] = c.value;
      }
      if (nullConfig) { fail(ErrorCode.INVALID_CONFIG, 'Null value not supported for topic configs'); continue; }
      const configProblem = validateTopicConfigs(configs);
      if (configProblem !== undefined) { fail(ErrorCode.INVALID_CONFIG, configProblem); continue; }
      out.numPartitions = partitions;
      out.replicationFactor = rf;
      const layers = broker.brokerConfigs.layers();
      out.configs = TOPIC_CONFIGS.map((d) => {
        const resolved = resolveTopicConfig(d, configs, layers);
        return { name: d.name, value: resolved.value, readOnly: false, configSource: resolved.source, isSensitive: false };
      });
      if (req.validateOnly) continue;
      const created = await broker.createTopic(t.name, partitions, configs, leaders);
      if (created === undefined) { fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`); continue; }
      out.topicId = created.id;
    }
    return { ...defaultCreateTopicsResponse(), topics };
  },
});

/** Kafka's checks of CreateTopics' replica assignments: partitions 0..n-1, the same replica count each, registered brokers once each. */
function assignmentProblem(assignments: readonly { partitionIndex: number; brokerIds: number[] }[], registered: (id: number) => boolean): string | undefined {
  const indexes = assignments.map((a) => a.partitionIndex).sort((a, b) => a - b);
  if (indexes.some((p, i) => p !== i)) return 'Partitions should be a consecutive 0-based integer sequence';
  if (assignments.some((a) => a.brokerIds.length !== assignments[0]!.brokerIds.length)) return 'All partitions should have the same number of replicas';
  for (const a of assignments) {
    const problem = replicaListProblem(a.brokerIds, registered);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
