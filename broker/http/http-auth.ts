// Owns who an HTTP caller is and what it may do, when the broker enforces
// ACLs (authorizer.class.name set): every route but /healthz, /readyz and
// /metrics needs HTTP Basic credentials, checked like SASL/PLAIN against the
// SCRAM credentials (401 otherwise), and each route asks the same
// Authorizer as the Kafka handlers (403 when refused). With ACLs off,
// everyone may do everything, as on the Kafka listeners. Must not serve any
// route itself.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Broker } from '../broker.ts';
import { ANONYMOUS } from '../security/connection-session.ts';
import { PlainExchange } from '../security/sasl-exchange.ts';

const OPEN = new Set(['/healthz', '/readyz', '/metrics']);

/** The principal of each authenticated request. */
const principals = new WeakMap<FastifyRequest, string>();

export type HttpAllowed = (operation: number, resourceType: number, resourceName: string) => boolean;

export function registerHttpAuth(app: FastifyInstance, broker: Broker): void {
  if (!broker.authorizer.enabled) return;
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0]!;
    if (OPEN.has(path)) return;
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? '');
    const [user, ...rest] = m === null ? [] : Buffer.from(m[1]!, 'base64').toString('utf8').split(':');
    const password = rest.join(':');
    if (user === undefined || user === '' || password === '') {
      return reply.code(401).header('www-authenticate', 'Basic realm="floe"').send({ error_code: 401, message: 'authentication required (HTTP Basic, a SCRAM user of the cluster)' });
    }
    const step = await new PlainExchange(broker.scramCredentials).step(Buffer.from(`\u0000${user}\u0000${password}`, 'utf8'));
    if (step.kind !== 'done') {
      broker.metrics.authentications.inc({ mechanism: 'HTTP-BASIC', outcome: 'failed' });
      await new Promise((r) => setTimeout(r, broker.config.connectionFailedAuthenticationDelayMs));
      return reply.code(401).header('www-authenticate', 'Basic realm="floe"').send({ error_code: 401, message: 'invalid username or password' });
    }
    broker.metrics.authentications.inc({ mechanism: 'HTTP-BASIC', outcome: 'ok' });
    principals.set(req, step.principal);
    return undefined;
  });
}

/** What the request's caller may do (everything with ACLs off). */
export function httpAllowed(broker: Broker, req: FastifyRequest): HttpAllowed {
  const principal = principals.get(req) ?? ANONYMOUS;
  const host = (req.ip ?? '').replace(/^::ffff:/, '');
  return (operation, resourceType, resourceName) => broker.authorizer.authorize(principal, host, operation, resourceType, resourceName);
}
