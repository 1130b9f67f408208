// SaslHandshake: the client names its SASL mechanism; the tokens follow in
// SaslAuthenticate (v1), or raw, each a size-prefixed frame without a Kafka
// header, until authenticated (v0, which older clients and librdkafka's
// feature check still need).

import { SaslHandshakeApi } from '../../protocol/generated/index.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { SecurityServices } from './broker-services.ts';

export const saslHandshakeHandler = defineHandler({
  api: SaslHandshakeApi,
  minVersion: 0,
  maxVersion: 1,
  handle: (req, ctx: RequestContext<SecurityServices>) => {
    const { session } = ctx;
    const mechanisms = ctx.broker.config.saslEnabledMechanisms;
    if (!session.needsSasl || session.exchange !== undefined) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    // KIP-368: an authenticated client re-authenticates, with the same mechanism, only when sessions expire.
    if (session.authenticated && (ctx.broker.config.connectionsMaxReauthMs <= 0 || req.mechanism !== session.mechanism || ctx.apiVersion === 0)) {
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    }
    session.reauthenticating = session.authenticated;
    const exchange = mechanisms.includes(req.mechanism) ? ctx.broker.sasl.exchange(req.mechanism) : undefined;
    if (exchange === undefined) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
    session.mechanism = req.mechanism;
    session.exchange = exchange;
    session.rawTokens = ctx.apiVersion === 0 && !session.authenticated;
    return { errorCode: ErrorCode.NONE, mechanisms };
  },
});
