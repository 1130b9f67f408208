// Owns the table of API handlers by API key: dispatch and what ApiVersions
// advertises. An API key without a handler is not advertised.

import type { ApiVersion } from '../../protocol/generated/ApiVersionsResponse.ts';
import type { AnyApiHandler } from './handler.ts';
import { produceHandler } from './00-produce.ts';
import { fetchHandler } from './01-fetch.ts';
import { listOffsetsHandler } from './02-list-offsets.ts';
import { metadataHandler } from './03-metadata.ts';
import { apiVersionsHandler } from './18-api-versions.ts';
import { createTopicsHandler } from './19-create-topics.ts';
import { deleteTopicsHandler } from './20-delete-topics.ts';
import { initProducerIdHandler } from './22-init-producer-id.ts';
import { deleteRecordsHandler } from './21-delete-records.ts';
import { offsetForLeaderEpochHandler } from './23-offset-for-leader-epoch.ts';
import { describeConfigsHandler } from './32-describe-configs.ts';
import { alterConfigsHandler } from './33-alter-configs.ts';
import { createPartitionsHandler } from './37-create-partitions.ts';
import { incrementalAlterConfigsHandler } from './44-incremental-alter-configs.ts';
import { describeClusterHandler } from './60-describe-cluster.ts';
import { alterPartitionReassignmentsHandler } from './45-alter-partition-reassignments.ts';
import { listPartitionReassignmentsHandler } from './46-list-partition-reassignments.ts';
import { offsetCommitHandler } from './08-offset-commit.ts';
import { offsetFetchHandler } from './09-offset-fetch.ts';
import { findCoordinatorHandler } from './10-find-coordinator.ts';
import { joinGroupHandler } from './11-join-group.ts';
import { heartbeatHandler } from './12-heartbeat.ts';
import { leaveGroupHandler } from './13-leave-group.ts';
import { syncGroupHandler } from './14-sync-group.ts';
import { describeGroupsHandler } from './15-describe-groups.ts';
import { listGroupsHandler } from './16-list-groups.ts';
import { deleteGroupsHandler } from './42-delete-groups.ts';
import { offsetDeleteHandler } from './47-offset-delete.ts';
import { addPartitionsToTxnHandler } from './24-add-partitions-to-txn.ts';
import { addOffsetsToTxnHandler } from './25-add-offsets-to-txn.ts';
import { endTxnHandler } from './26-end-txn.ts';
import { txnOffsetCommitHandler } from './28-txn-offset-commit.ts';
import { writeTxnMarkersHandler } from './27-write-txn-markers.ts';
import { describeProducersHandler } from './61-describe-producers.ts';
import { describeTransactionsHandler } from './65-describe-transactions.ts';
import { listTransactionsHandler } from './66-list-transactions.ts';
import { describeTopicPartitionsHandler } from './75-describe-topic-partitions.ts';
import { consumerGroupHeartbeatHandler } from './68-consumer-group-heartbeat.ts';
import { consumerGroupDescribeHandler } from './69-consumer-group-describe.ts';
import { saslHandshakeHandler } from './17-sasl-handshake.ts';
import { describeAclsHandler } from './29-describe-acls.ts';
import { createAclsHandler } from './30-create-acls.ts';
import { deleteAclsHandler } from './31-delete-acls.ts';
import { saslAuthenticateHandler } from './36-sasl-authenticate.ts';
import { describeClientQuotasHandler } from './48-describe-client-quotas.ts';
import { alterClientQuotasHandler } from './49-alter-client-quotas.ts';
import { describeUserScramCredentialsHandler } from './50-describe-user-scram-credentials.ts';
import { alterUserScramCredentialsHandler } from './51-alter-user-scram-credentials.ts';

const ALL: readonly AnyApiHandler[] = [
  produceHandler, fetchHandler, listOffsetsHandler, metadataHandler, apiVersionsHandler,
  createTopicsHandler, deleteTopicsHandler, initProducerIdHandler, deleteRecordsHandler, offsetForLeaderEpochHandler,
  describeConfigsHandler, alterConfigsHandler, createPartitionsHandler, incrementalAlterConfigsHandler, describeClusterHandler,
  alterPartitionReassignmentsHandler, listPartitionReassignmentsHandler,
  offsetCommitHandler, offsetFetchHandler, findCoordinatorHandler, joinGroupHandler, heartbeatHandler, leaveGroupHandler,
  syncGroupHandler, describeGroupsHandler, listGroupsHandler, deleteGroupsHandler, offsetDeleteHandler,
  describeTopicPartitionsHandler, consumerGroupHeartbeatHandler, consumerGroupDescribeHandler,
  addPartitionsToTxnHandler, addOffsetsToTxnHandler, endTxnHandler, writeTxnMarkersHandler, txnOffsetCommitHandler,
  describeTransactionsHandler, listTransactionsHandler, describeProducersHandler,
  describeAclsHandler, createAclsHandler, deleteAclsHandler, describeClientQuotasHandler, alterClientQuotasHandler,
  saslHandshakeHandler, saslAuthenticateHandler, describeUserScramCredentialsHandler, alterUserScramCredentialsHandler,
];

export class HandlerRegistry {
  private readonly byKey: (AnyApiHandler | undefined)[] = [];

  constructor(handlers: readonly AnyApiHandler[] = ALL) {
    for (const h of handlers) {
      if (h.minVersion < h.api.minVersion || h.maxVersion > h.api.maxVersion) {
        throw new Error(`handler for ${h.api.name} serves versions outside the spec`);
      }
      this.byKey[h.api.apiKey] = h;
    }
  }

  get(apiKey: number): AnyApiHandler | undefined {
    return apiKey >= 0 ? this.byKey[apiKey] : undefined;
  }

  advertised(): ApiVersion[] {
    return this.byKey.filter((h): h is AnyApiHandler => h !== undefined)
      .map((h) => ({ apiKey: h.api.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }));
  }
}
