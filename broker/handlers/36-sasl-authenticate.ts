// SaslAuthenticate (v0-2): one token of the exchange chosen in SaslHandshake
// each way. A failure is held for connection.failed.authentication.delay.ms
// (so guessing passwords is slow), answered with SASL_AUTHENTICATION_FAILED,
// counted, and closes the connection, as Kafka does.

import { SaslAuthenticateApi } from '../../protocol/generated/index.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { saslStep } from '../security/sasl-authenticator.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { SecurityServices } from './broker-services.ts';

export const saslAuthenticateHandler = defineHandler({
  api: SaslAuthenticateApi,
  minVersion: 0,
  maxVersion: 2,
  handle: async (req, ctx: RequestContext<SecurityServices>) => {
    const { session, broker } = ctx;
    // v1+: how long the session lasts (KIP-368); the client re-authenticates before then.
    const lifetime = (): bigint => (session.authenticated && session.expiresAt !== undefined ? BigInt(Math.max(0, session.expiresAt - Date.now())) : 0n);
    const answer = (errorCode: number, errorMessage: string | null, authBytes: Buffer = Buffer.alloc(0)) => ({ errorCode, errorMessage, authBytes, sessionLifetimeMs: errorCode === ErrorCode.NONE ? lifetime() : 0n });
    if (session.exchange === undefined) {
      return answer(ErrorCode.ILLEGAL_SASL_STATE, 'SaslAuthenticate without a SaslHandshake choosing a mechanism');
    }
    const r = await saslStep(session, req.authBytes, {
      maxReauthMs: broker.config.connectionsMaxReauthMs, metrics: broker.metrics, log: broker.log, failureDelayMs: broker.config.connectionFailedAuthenticationDelayMs, listener: ctx.listener, client: ctx.clientHost,
    });
    return r.ok ? answer(ErrorCode.NONE, null, r.response) : answer(ErrorCode.SASL_AUTHENTICATION_FAILED, r.message);
  },
});
