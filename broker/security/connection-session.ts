// Owns what a connection knows about its client's identity: the listener's
// security protocol, the SASL mechanism chosen in SaslHandshake, the exchange
// under way, and the principal once authenticated (User:ANONYMOUS on a
// PLAINTEXT listener, the certificate subject with mTLS). Must not check
// credentials itself (the exchange does) or decide what a principal may do.

import type { SecurityProtocol } from '../listeners.ts';
import type { SaslExchange } from './sasl-exchange.ts';

export const ANONYMOUS = 'User:ANONYMOUS';

export class ConnectionSession {
  readonly protocol: SecurityProtocol;
  principal: string;
  /** Set by SaslHandshake; SaslAuthenticate continues its exchange. */
  mechanism: string | undefined;
  exchange: SaslExchange | undefined;
  /** KIP-368: when the authenticated session ends unless renewed (ms since the epoch); undefined: never. */
  expiresAt: number | undefined;
  /** A re-authentication is under way: the principal must come out the same. */
  reauthenticating = false;
  /** SaslHandshake v0: the tokens come raw (no Kafka header) until authenticated. */
  rawTokens = false;
  /** Authentication failed: the connection closes once the answer is written. */
  failed = false;
  private authenticatedNow: boolean;

  constructor(protocol: SecurityProtocol, tlsPrincipal: string | undefined) {
    this.protocol = protocol;
    this.principal = tlsPrincipal ?? ANONYMOUS;
    this.authenticatedNow = !this.needsSasl;
  }

  get needsSasl(): boolean {
    return this.protocol === 'SASL_PLAINTEXT' || this.protocol === 'SASL_SSL';
  }

  get authenticated(): boolean {
    return this.authenticatedNow;
  }

  authenticatedAs(principal: string, expiresAt: number | undefined): void {
    this.principal = principal;
    this.authenticatedNow = true;
    this.exchange = undefined;
    this.reauthenticating = false;
    this.expiresAt = expiresAt;
  }

  /** An expired session may only re-authenticate (KIP-368): anything else closes the connection. */
  expired(now = Date.now()): boolean {
    return this.expiresAt !== undefined && now > this.expiresAt;
  }
}
