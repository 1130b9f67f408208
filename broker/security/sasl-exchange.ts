// Owns the server side of the SASL mechanisms floe offers: PLAIN (RFC 4616,
// checked against the SCRAM credentials: no password is stored anywhere),
// SCRAM-SHA-256/512 (RFC 5802/7677, two round trips) and OAUTHBEARER
// (oauthbearer.ts). An exchange turns the
// client's tokens into the server's answers and, at the end, a principal.
// Must not know about Kafka framing or connections.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  SCRAM_MECHANISMS, digest, hmac, passwordMatches, type ScramCredentialStore, type ScramMechanism,
} from './scram-credentials.ts';
import { JwksKeys, OAuthBearerExchange, type OAuthBearerConfig } from './oauthbearer.ts';

export type SaslStep =
  | { kind: 'continue'; response: Buffer }
  | { kind: 'done'; response: Buffer; principal: string; /** When the credential itself expires (an OAUTHBEARER token), ms since the epoch. */ expiresAtMs?: number }
  | { kind: 'failed'; message: string };

export interface SaslExchange {
  step(token: Buffer): Promise<SaslStep>;
}

const failed = (message: string): SaslStep => ({ kind: 'failed', message });

/** PLAIN: "authzid NUL user NUL password"; the password must match one of the user's SCRAM credentials. */
export class PlainExchange implements SaslExchange {
  private readonly credentials: ScramCredentialStore;

  constructor(credentials: ScramCredentialStore) {
    this.credentials = credentials;
  }

  async step(token: Buffer): Promise<SaslStep> {
    const parts = token.toString('utf8').split('\u0000');
    if (parts.length !== 3) return failed('Invalid SASL/PLAIN response: expected 3 tokens');
    const [authzid, user, password] = parts as [string, string, string];
    if (user === '' || password === '') return failed('Authentication failed: username or password is empty');
    if (authzid !== '' && authzid !== user) return failed('Authentication failed: Client requested an authorization id that is different from username');
    // Both mechanisms are tried: a user may have credentials for either.
    for (const m of [...SCRAM_MECHANISMS].reverse()) {
      const c = await this.credentials.get(user, m);
      if (c !== undefined && await passwordMatches(m, c, password)) return { kind: 'done', response: Buffer.alloc(0), principal: `User:${user}` };
    }
    return failed('Authentication failed: Invalid username or password');
  }
}

/** RFC 5802 attribute list "a=1,b=2" (values may contain '='). */
function attributes(s: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of s.split(',')) {
    if (part.length < 2 || part[1] !== '=') continue;
    out.set(part[0]!, part.slice(2));
  }
  return out;
}

/** saslname: "=2C" is ",", "=3D" is "="; any other '=' is invalid. */
function unescapeUser(s: string): string | undefined {
  if (/=(?!2C|3D)/.test(s)) return undefined;
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

export class ScramExchange implements SaslExchange {
  private readonly mechanism: ScramMechanism;
  private readonly credentials: ScramCredentialStore;
  private state: 'first' | 'final' | 'ended' = 'first';
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private gs2Header = '';
  private user = '';
  private storedKey: Buffer = Buffer.alloc(0);
  private serverKey: Buffer = Buffer.alloc(0);

  constructor(mechanism: ScramMechanism, credentials: ScramCredentialStore) {
    this.mechanism = mechanism;
    this.credentials = credentials;
  }

  async step(token: Buffer): Promise<SaslStep> {
    if (this.state === 'first') return this.first(token.toString('utf8'));
    if (this.state === 'final') return this.final(token.toString('utf8'));
    return failed('SCRAM exchange already ended');
  }

  private async first(msg: string): Promise<SaslStep> {
    this.state = 'ended';
    // gs2-header: "n,," or "y,," (no channel binding), optionally with "a=authzid".
    const m = /^([ny]),(a=[^,]*)?,(.*)$/.exec(msg);
    if (m === null) return failed('Invalid SCRAM client first message');
    this.gs2Header = `${m[1]},${m[2] ?? ''},`;
    this.clientFirstBare = m[3]!;
    const attrs = attributes(this.clientFirstBare);
    const user = unescapeUser(attrs.get('n') ?? '');
    const clientNonce = attrs.get('r');
    if (user === undefined || user === '' || clientNonce === undefined || clientNonce === '') return failed('Invalid SCRAM client first message: user name and nonce are required');
    if (attrs.get('m') !== undefined) return failed('SCRAM mandatory extensions are not supported');
    if (/(^|,)tokenauth=true(,|$)/.test(this.clientFirstBare)) return failed('Delegation token authentication is not supported');
    const authzid = m[2]?.slice(2);
    if (authzid !== undefined && authzid !== '' && unescapeUser(authzid) !== user) return failed('Authentication failed: Invalid user credentials');
    const c = await this.credentials.get(user, this.mechanism);
    // Unknown users get the same shape of answer, so a client cannot tell them from a wrong password.
    const salt = c?.salt ?? randomBytes(32);
    const iterations = c?.iterations ?? 4096;
    this.user = user;
    this.storedKey = c?.storedKey ?? Buffer.alloc(0);
    this.serverKey = c?.serverKey ?? Buffer.alloc(0);
    this.nonce = clientNonce + randomBytes(18).toString('base64url');
    this.serverFirst = `r=${this.nonce},s=${salt.toString('base64')},i=${iterations}`;
    this.state = 'final';
    return { kind: 'continue', response: Buffer.from(this.serverFirst, 'utf8') };
  }

  private async final(msg: string): Promise<SaslStep> {
    this.state = 'ended';
    const proofAt = msg.lastIndexOf(',p=');
    if (proofAt < 0) return failed('Invalid SCRAM client final message: no proof');
    const withoutProof = msg.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    if (attrs.get('c') !== Buffer.from(this.gs2Header, 'utf8').toString('base64')) return failed('Invalid SCRAM client final message: channel binding');
    // Kafka accepts a final nonce that ends with the server's (librdkafka sends its client nonce twice); so does floe.
    if (!(attrs.get('r') ?? '').endsWith(this.nonce)) return failed('Invalid SCRAM client final message: nonce');
    const proof = Buffer.from(msg.slice(proofAt + 3), 'base64');
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    if (this.storedKey.length === 0 || proof.length !== this.storedKey.length) return failed('Authentication failed: Invalid user credentials');
    const signature = hmac(this.mechanism, this.storedKey, authMessage);
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ signature[i]!;
    if (!timingSafeEqual(digest(this.mechanism, clientKey), this.storedKey)) return failed('Authentication failed: Invalid user credentials');
    const serverSignature = hmac(this.mechanism, this.serverKey, authMessage).toString('base64');
    return { kind: 'done', response: Buffer.from(`v=${serverSignature}`, 'utf8'), principal: `User:${this.user}` };
  }
}

/** The mechanisms a broker offers, each a new exchange per authentication. */
export class SaslMechanisms {
  private readonly credentials: ScramCredentialStore;
  private readonly oauth: { cfg: OAuthBearerConfig; jwks: JwksKeys } | undefined;

  constructor(credentials: ScramCredentialStore, oauth: OAuthBearerConfig | undefined) {
    this.credentials = credentials;
    this.oauth = oauth === undefined ? undefined : { cfg: oauth, jwks: new JwksKeys(oauth) };
  }

  exchange(mechanism: string): SaslExchange | undefined {
    if (mechanism === 'PLAIN') return new PlainExchange(this.credentials);
    if (mechanism === 'SCRAM-SHA-256' || mechanism === 'SCRAM-SHA-512') return new ScramExchange(mechanism, this.credentials);
    if (mechanism === 'OAUTHBEARER' && this.oauth !== undefined) return new OAuthBearerExchange(this.oauth.cfg, this.oauth.jwks);
    return undefined;
  }
}
