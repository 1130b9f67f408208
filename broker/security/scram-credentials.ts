// Owns SCRAM credentials (RFC 5802/7677) as Kafka keeps them: per user and
// mechanism, the salt, iteration count, StoredKey and ServerKey, derived from
// the salted password a client sends in AlterUserScramCredentials (the
// password itself is never seen or stored). Kept in the metadata store, so
// every broker of a fleet checks the same credentials. Must not decide who
// may change them.

import { createHash, createHmac, pbkdf2, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { MetadataStore } from '../../s3stream/metadata/metadata-store.ts';

const pbkdf2Async = promisify(pbkdf2);

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** Kafka's wire numbers of the mechanisms (ScramMechanism in the Java client). */
export const SCRAM_MECHANISM_BY_ID: ReadonlyMap<number, ScramMechanism> = new Map([[1, 'SCRAM-SHA-256'], [2, 'SCRAM-SHA-512']]);
export const scramMechanismId = (m: ScramMechanism): number => (m === 'SCRAM-SHA-256' ? 1 : 2);
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** Kafka's bounds on the iteration count. */
export const SCRAM_ITERATIONS_MIN = 4096;
export const SCRAM_ITERATIONS_MAX = 16384;

export interface ScramCredential {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

export const hashOf = (m: ScramMechanism): 'sha256' | 'sha512' => (m === 'SCRAM-SHA-256' ? 'sha256' : 'sha512');
export const hmac = (m: ScramMechanism, key: Buffer, data: string | Buffer): Buffer => createHmac(hashOf(m), key).update(data).digest();
export const digest = (m: ScramMechanism, data: Buffer): Buffer => createHash(hashOf(m)).update(data).digest();

export function credentialFromSaltedPassword(m: ScramMechanism, salt: Buffer, saltedPassword: Buffer, iterations: number): ScramCredential {
  return { salt, iterations, storedKey: digest(m, hmac(m, saltedPassword, 'Client Key')), serverKey: hmac(m, saltedPassword, 'Server Key') };
}

export async function saltedPassword(m: ScramMechanism, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return pbkdf2Async(Buffer.from(password, 'utf8'), salt, iterations, m === 'SCRAM-SHA-256' ? 32 : 64, hashOf(m));
}

/** Whether `password` is the one the credential was made from (PLAIN checks this way; no password is stored). */
export async function passwordMatches(m: ScramMechanism, c: ScramCredential, password: string): Promise<boolean> {
  const derived = credentialFromSaltedPassword(m, c.salt, await saltedPassword(m, password, c.salt, c.iterations), c.iterations);
  return derived.storedKey.length === c.storedKey.length && timingSafeEqual(derived.storedKey, c.storedKey);
}

const PREFIX = 'scram/';
const keyOf = (user: string, m: ScramMechanism): string => `${PREFIX}${encodeURIComponent(user)}/${m}`;

interface StoredCredential {
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
}

export class ScramCredentialStore {
  private readonly md: MetadataStore;

  constructor(md: MetadataStore) {
    this.md = md;
  }

  async get(user: string, m: ScramMechanism): Promise<ScramCredential | undefined> {
    const v = (await this.md.get(keyOf(user, m)))?.value as unknown as StoredCredential | undefined;
    if (v === undefined) return undefined;
    return { salt: Buffer.from(v.salt, 'base64'), iterations: v.iterations, storedKey: Buffer.from(v.storedKey, 'base64'), serverKey: Buffer.from(v.serverKey, 'base64') };
  }

  /** Every user's mechanisms and iteration counts (DescribeUserScramCredentials). */
  async list(): Promise<Map<string, { mechanism: ScramMechanism; iterations: number }[]>> {
    const out = new Map<string, { mechanism: ScramMechanism; iterations: number }[]>();
    for (const e of await this.md.range(PREFIX)) {
      const [user, mechanism] = e.key.slice(PREFIX.length).split('/') as [string, ScramMechanism];
      const name = decodeURIComponent(user);
      out.set(name, [...(out.get(name) ?? []), { mechanism, iterations: (e.value as unknown as StoredCredential).iterations }]);
    }
    return out;
  }

  /** Applies upsertions and deletions together (one commit). */
  async alter(upserts: { user: string; mechanism: ScramMechanism; credential: ScramCredential }[], deletes: { user: string; mechanism: ScramMechanism }[]): Promise<void> {
    await this.md.commit([
      ...upserts.map((u) => ({
        op: 'put' as const, key: keyOf(u.user, u.mechanism),
        value: { salt: u.credential.salt.toString('base64'), iterations: u.credential.iterations, storedKey: u.credential.storedKey.toString('base64'), serverKey: u.credential.serverKey.toString('base64') },
      })),
      ...deletes.map((d) => ({ op: 'delete' as const, key: keyOf(d.user, d.mechanism) })),
    ]);
  }
}
