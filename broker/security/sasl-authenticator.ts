// Owns one step of a connection's SASL authentication, the same whether the
// token came in a SaslAuthenticate request or raw after a v0 SaslHandshake:
// the exchange's answer, the session's new state, the count by outcome, and
// the delay that makes a failure slow (connection.failed.authentication.delay.ms).
// Must not write to the connection.

import type { BrokerMetrics } from '../metrics.ts';
import type { Logger } from '../log.ts';
import type { ConnectionSession } from './connection-session.ts';

export interface SaslStepEnv {
  /** connections.max.reauth.ms (0: sessions do not expire). */
  maxReauthMs: number;
  metrics: BrokerMetrics;
  log: Logger;
  failureDelayMs: number;
  listener: string;
  client: string;
}

export type SaslStepResult = { ok: true; response: Buffer } | { ok: false; message: string };

export async function saslStep(session: ConnectionSession, token: Buffer, env: SaslStepEnv): Promise<SaslStepResult> {
  const exchange = session.exchange;
  const mechanism = session.mechanism;
  if (exchange === undefined || mechanism === undefined) return { ok: false, message: 'no SASL exchange under way' };
  const step = await exchange.step(token);
  if (step.kind === 'continue') return { ok: true, response: step.response };
  if (step.kind === 'done' && session.reauthenticating && step.principal !== session.principal) {
    return fail(session, mechanism, env, `Cannot change principals during re-authentication from ${session.principal} to ${step.principal}`);
  }
  if (step.kind === 'done') {
    const now = Date.now();
    const limits = [env.maxReauthMs > 0 ? now + env.maxReauthMs : undefined, step.expiresAtMs].filter((x): x is number => x !== undefined);
    session.authenticatedAs(step.principal, env.maxReauthMs > 0 && limits.length > 0 ? Math.min(...limits) : undefined);
    env.metrics.authentications.inc({ mechanism, outcome: 'ok' });
    env.log.debug({ principal: step.principal, mechanism, listener: env.listener, client: env.client }, 'client authenticated');
    return { ok: true, response: step.response };
  }
  return fail(session, mechanism, env, step.message);
}

async function fail(session: ConnectionSession, mechanism: string, env: SaslStepEnv, message: string): Promise<SaslStepResult> {
  session.failed = true;
  session.exchange = undefined;
  env.metrics.authentications.inc({ mechanism, outcome: 'failed' });
  env.log.info({ mechanism, listener: env.listener, client: env.client, reason: message }, 'SASL authentication failed');
  await new Promise((resolve) => setTimeout(resolve, env.failureDelayMs));
  return { ok: false, message };
}
