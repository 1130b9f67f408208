// Charges a request's bytes to its client's byte-rate quota: the throttle
// time Kafka puts in the response, and the connection muted for as long.
// Nothing is charged, and the bytes are not even counted, when no quota
// applies (the usual case costs one lookup).

import type { RequestContext } from './handler.ts';
import type { QuotaServices } from './broker-services.ts';

export function chargeBytes(ctx: RequestContext<QuotaServices>, key: 'producer_byte_rate' | 'consumer_byte_rate', bytes: () => number): number {
  const principal = ctx.session.principal;
  const user = principal.startsWith('User:') ? principal.slice(5) : principal;
  const clientId = ctx.clientId ?? '';
  const quota = ctx.broker.quotas.quotaFor(user, clientId, key);
  if (quota === undefined) return 0;
  const ms = ctx.broker.rateLimiter.record(key, user, clientId, bytes(), quota);
  ctx.throttle(ms);
  return ms;
}
