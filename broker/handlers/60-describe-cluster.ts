// DescribeCluster: the live brokers, the cluster id and the controller.

import { DescribeClusterApi } from '../../protocol/generated/index.ts';
import { defaultDescribeClusterResponse } from '../../protocol/generated/DescribeClusterResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import { endpointOn } from '../listeners.ts';
import type { ClusterInfo } from './broker-services.ts';

const ENDPOINT_TYPE_BROKERS = 1;

export const describeClusterHandler = defineHandler({
  api: DescribeClusterApi,
  minVersion: 0,
  maxVersion: 1,
  handle: (req, ctx: RequestContext<ClusterInfo>) => {
    const { broker } = ctx;
    if (req.endpointType !== ENDPOINT_TYPE_BROKERS) {
      return { ...defaultDescribeClusterResponse(), errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: 'only broker endpoints are served' };
    }
    if (!ctx.allowed(AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME)) {
      return { ...defaultDescribeClusterResponse(), errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.' };
    }
    return {
      ...defaultDescribeClusterResponse(),
      clusterId: broker.clusterId,
      controllerId: broker.member.view.controllerId,
      brokers: broker.member.view.liveBrokers().map((b) => ({ brokerId: b.nodeId, ...endpointOn(b, ctx.listener), rack: b.rack })),
    };
  },
});
