// The ACL check of the config APIs: a topic's configs need the operation on
// the topic, a broker's on the cluster (Kafka's rule).

import { ErrorCode } from '../../protocol/errors.ts';
import { CLUSTER_NAME, ResourceType as AclResource } from '../security/acl.ts';
import { ResourceType } from './32-describe-configs.ts';

/** The error for a config resource the principal may not touch, or undefined. */
export function configDenied(ctx: { allowed(operation: number, resourceType: number, resourceName: string): boolean }, operation: number, resourceType: number, resourceName: string): number | undefined {
  if (resourceType === ResourceType.TOPIC) return ctx.allowed(operation, AclResource.TOPIC, resourceName) ? undefined : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  return ctx.allowed(operation, AclResource.CLUSTER, CLUSTER_NAME) ? undefined : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
}
