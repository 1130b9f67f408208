// Owns one step of a connection's SASL authentication, the same whether the
// token came in a SaslAuthenticate request or raw after a v0 SaslHandshake:
// the exchange's answer, the session's new state, the count by outcome, and
// the delay that makes a failure slow (connection.failed.authentication.delay.ms).
// Must not write to the connection.

import type { BrokerMetrics } from '../metrics.ts';
import type { Logger } from '../log.ts';
import type { ConnectionSession } from './connection-session.ts';

export interface SaslStepEnv {
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
  if (step.kind === 'done') {
    session.authenticatedAs(step.principal);
    env.metrics.authentications.inc({ mechanism, outcome: 'ok' });
    env.log.debug({ principal: step.principal, mechanism, listener: env.listener, client: env.client }, 'client authenticated');
    return { ok: true, response: step.response };
  }
  session.failed = true;
  session.exchange = undefined;
  env.metrics.authentications.inc({ mechanism, outcome: 'failed' });
  env.log.info({ mechanism, listener: env.listener, client: env.client, reason: step.message }, 'SASL authentication failed');
  await new Promise((resolve) => setTimeout(resolve, env.failureDelayMs));
  return { ok: false, message: step.message };
}
