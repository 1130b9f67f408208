// AlterUserScramCredentials: upserts (salt, salted password, iterations: the
// client derives them, the broker keeps StoredKey/ServerKey) and deletions,
// checked as Kafka checks them, applied together for the users that pass.

import { AlterUserScramCredentialsApi } from '../../protocol/generated/index.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import {
  SCRAM_ITERATIONS_MAX, SCRAM_ITERATIONS_MIN, SCRAM_MECHANISM_BY_ID, credentialFromSaltedPassword, type ScramCredential, type ScramMechanism,
} from '../security/scram-credentials.ts';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { SecurityServices } from './broker-services.ts';

export const alterUserScramCredentialsHandler = defineHandler({
  api: AlterUserScramCredentialsApi,
  minVersion: 0,
  maxVersion: 0,
  handle: async (req, ctx: RequestContext<SecurityServices>) => {
    const store = ctx.broker.scramCredentials;
    if (!ctx.allowed(AclOperation.ALTER, ResourceType.CLUSTER, CLUSTER_NAME)) {
      const users = [...new Set([...req.deletions.map((d) => d.name), ...req.upsertions.map((u) => u.name)])];
      return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.' })) };
    }
    const errors = new Map<string, { code: number; message: string }>();
    const fail = (user: string, code: number, message: string): void => { if (!errors.has(user)) errors.set(user, { code, message }); };
    const users = [...new Set([...req.deletions.map((d) => d.name), ...req.upsertions.map((u) => u.name)])];
    const pairs = new Map<string, number>();
    for (const x of [...req.deletions, ...req.upsertions]) pairs.set(`${x.name}\u0000${x.mechanism}`, (pairs.get(`${x.name}\u0000${x.mechanism}`) ?? 0) + 1);
    const existing = await store.list();
    const upserts: { user: string; mechanism: ScramMechanism; credential: ScramCredential }[] = [];
    const deletes: { user: string; mechanism: ScramMechanism }[] = [];
    for (const d of req.deletions) {
      const m = SCRAM_MECHANISM_BY_ID.get(d.mechanism);
      if (d.name === '') fail(d.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
      else if (m === undefined) fail(d.name, ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
      else if (pairs.get(`${d.name}\u0000${d.mechanism}`)! > 1) fail(d.name, ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request');
      else if (!(existing.get(d.name) ?? []).some((c) => c.mechanism === m)) fail(d.name, ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist');
      else deletes.push({ user: d.name, mechanism: m });
    }
    for (const u of req.upsertions) {
      const m = SCRAM_MECHANISM_BY_ID.get(u.mechanism);
      if (u.name === '') fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
      else if (m === undefined) fail(u.name, ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
      else if (pairs.get(`${u.name}\u0000${u.mechanism}`)! > 1) fail(u.name, ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request');
      else if (u.iterations < SCRAM_ITERATIONS_MIN) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, `Too few iterations: at least ${SCRAM_ITERATIONS_MIN}`);
      else if (u.iterations > SCRAM_ITERATIONS_MAX) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, `Too many iterations: at most ${SCRAM_ITERATIONS_MAX}`);
      else if (u.salt.length === 0 || u.saltedPassword.length === 0) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Salt and salted password must not be empty');
      else upserts.push({ user: u.name, mechanism: m, credential: credentialFromSaltedPassword(m, Buffer.from(u.salt), Buffer.from(u.saltedPassword), u.iterations) });
    }
    const ok = (user: string): boolean => !errors.has(user);
    await store.alter(upserts.filter((u) => ok(u.user)), deletes.filter((d) => ok(d.user)));
    return {
      throttleTimeMs: 0,
      results: users.map((user) => ({ user, errorCode: errors.get(user)?.code ?? ErrorCode.NONE, errorMessage: errors.get(user)?.message ?? null })),
    };
  },
});
