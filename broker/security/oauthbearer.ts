// Owns SASL/OAUTHBEARER (RFC 7628) on the server as Kafka's built-in
// validator does it: the client's "auth=Bearer <JWT>" is checked against the
// keys of a JWKS (a file:// or https:// URL, reloaded every refresh interval
// and when a token names an unknown key id), its exp/nbf/iat with clock
// skew, and the expected issuer and audience when configured; the principal
// is User:<the sub claim>. Bounded: the JWKS keeps at most JWKS_KEYS_MAX
// keys. Must not know about Kafka framing.

import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { SaslExchange, SaslStep } from './sasl-exchange.ts';

export interface OAuthBearerConfig {
  jwksUrl: string;
  expectedAudience: string[];
  expectedIssuer: string | undefined;
  subClaimName: string;
  clockSkewSeconds: number;
  jwksRefreshMs: number;
}

const JWKS_KEYS_MAX = 100;
/** Signature algorithms and how Node verifies them. */
const ALGORITHMS: Record<string, { hash: string; dsaEncoding?: 'ieee-p1363'; pss?: boolean }> = {
  RS256: { hash: 'sha256' }, RS384: { hash: 'sha384' }, RS512: { hash: 'sha512' },
  PS256: { hash: 'sha256', pss: true }, PS384: { hash: 'sha384', pss: true }, PS512: { hash: 'sha512', pss: true },
  ES256: { hash: 'sha256', dsaEncoding: 'ieee-p1363' }, ES384: { hash: 'sha384', dsaEncoding: 'ieee-p1363' }, ES512: { hash: 'sha512', dsaEncoding: 'ieee-p1363' },
};

type Jwk = Record<string, unknown> & { kid?: string };

export class JwksKeys {
  private readonly cfg: OAuthBearerConfig;
  private keys = new Map<string, KeyObject>();
  private loadedAt = 0;
  private loading: Promise<void> | undefined;

  constructor(cfg: OAuthBearerConfig) {
    this.cfg = cfg;
  }

  private async load(): Promise<void> {
    const url = new URL(this.cfg.jwksUrl);
    const text = url.protocol === 'file:' ? await readFile(url, 'utf8') : await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).text();
    const jwks = JSON.parse(text) as { keys?: Jwk[] };
    const keys = new Map<string, KeyObject>();
    for (const k of (jwks.keys ?? []).slice(0, JWKS_KEYS_MAX)) {
      try {
        keys.set(k.kid ?? '', createPublicKey({ key: k as unknown as import('node:crypto').JsonWebKey, format: 'jwk' }));
      } catch {
        // A key Node cannot use is left out, as an unknown kid would be.
      }
    }
    this.keys = keys;
    this.loadedAt = Date.now();
  }

  /** The key for `kid`, reloading the JWKS when it is stale or does not have it (at most one load at a time). */
  async key(kid: string): Promise<KeyObject | undefined> {
    const stale = Date.now() - this.loadedAt > this.cfg.jwksRefreshMs;
    if (stale || !this.keys.has(kid)) {
      this.loading ??= this.load().finally(() => { this.loading = undefined; });
      await this.loading;
    }
    return this.keys.get(kid) ?? (kid === '' && this.keys.size === 1 ? [...this.keys.values()][0] : undefined);
  }
}

const b64json = (s: string): Record<string, unknown> => JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Record<string, unknown>;

export class OAuthBearerExchange implements SaslExchange {
  private readonly cfg: OAuthBearerConfig;
  private readonly jwks: JwksKeys;

  constructor(cfg: OAuthBearerConfig, jwks: JwksKeys) {
    this.cfg = cfg;
    this.jwks = jwks;
  }

  async step(token: Buffer): Promise<SaslStep> {
    const failed = (message: string): SaslStep => ({ kind: 'failed', message });
    // "n,a=authzid,\x01auth=Bearer <token>\x01[key=value\x01]*\x01"
    const msg = token.toString('utf8');
    const parts = msg.split('\u0001');
    if (!/^[ny],(a=[^,]*)?,$/.test(parts[0] ?? '')) return failed('Invalid OAUTHBEARER client first message');
    const auth = parts.find((p) => p.startsWith('auth='));
    const m = /^auth=Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/.exec(auth ?? '');
    if (m === null) return failed('Invalid OAUTHBEARER client first message: no bearer token');
    const [h, p, s] = m[1]!.split('.') as [string, string, string];
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = b64json(h);
      claims = b64json(p);
    } catch {
      return failed('Invalid JWT: header or payload is not base64url JSON');
    }
    const alg = ALGORITHMS[String(header.alg)];
    if (alg === undefined) return failed(`Invalid JWT: algorithm ${String(header.alg)} is not accepted`);
    let key: KeyObject | undefined;
    try {
      key = await this.jwks.key(typeof header.kid === 'string' ? header.kid : '');
    } catch (e) {
      return failed(`JWKS could not be loaded: ${(e as Error).message}`);
    }
    if (key === undefined) return failed('Invalid JWT: no key with its key id in the JWKS');
    const signed = Buffer.from(`${h}.${p}`, 'utf8');
    const sig = Buffer.from(s, 'base64url');
    const ok = verify(alg.hash, signed, {
      key, ...(alg.dsaEncoding !== undefined ? { dsaEncoding: alg.dsaEncoding } : {}), ...(alg.pss === true ? { padding: 6, saltLength: -1 } : {}),
    }, sig);
    if (!ok) return failed('Invalid JWT: signature does not verify');
    const now = Date.now() / 1000;
    const skew = this.cfg.clockSkewSeconds;
    if (typeof claims.exp !== 'number' || claims.exp + skew < now) return failed('Invalid JWT: expired (or no exp claim)');
    if (typeof claims.nbf === 'number' && claims.nbf - skew > now) return failed('Invalid JWT: not valid yet (nbf)');
    if (typeof claims.iat === 'number' && claims.iat - skew > now) return failed('Invalid JWT: issued in the future (iat)');
    if (this.cfg.expectedIssuer !== undefined && claims.iss !== this.cfg.expectedIssuer) return failed('Invalid JWT: unexpected issuer');
    if (this.cfg.expectedAudience.length > 0) {
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (!aud.some((a) => typeof a === 'string' && this.cfg.expectedAudience.includes(a))) return failed('Invalid JWT: unexpected audience');
    }
    const sub = claims[this.cfg.subClaimName];
    if (typeof sub !== 'string' || sub === '') return failed(`Invalid JWT: no ${this.cfg.subClaimName} claim`);
    return { kind: 'done', response: Buffer.alloc(0), principal: `User:${sub}`, expiresAtMs: claims.exp * 1000 };
  }
}
