// DescribeUserScramCredentials: each user's SCRAM mechanisms and iteration
// counts (never salts or keys); every user when none are named.

import { DescribeUserScramCredentialsApi } from '../../protocol/generated/index.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { scramMechanismId } from '../security/scram-credentials.ts';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { SecurityServices } from './broker-services.ts';

export const describeUserScramCredentialsHandler = defineHandler({
  api: DescribeUserScramCredentialsApi,
  minVersion: 0,
  maxVersion: 0,
  handle: async (req, ctx: RequestContext<SecurityServices>) => {
    if (!ctx.allowed(AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.', results: [] };
    const all = await ctx.broker.scramCredentials.list();
    const names = req.users === null || req.users.length === 0 ? [...all.keys()].sort() : req.users.map((u) => u.name);
    const seen = new Map<string, number>();
    for (const n of names) seen.set(n, (seen.get(n) ?? 0) + 1);
    const results = [...new Set(names)].map((user) => {
      if (seen.get(user)! > 1) return { user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`, credentialInfos: [] };
      const creds = all.get(user);
      if (creds === undefined) return { user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] };
      return { user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: creds.map((c) => ({ mechanism: scramMechanismId(c.mechanism), iterations: c.iterations })) };
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
  },
});
