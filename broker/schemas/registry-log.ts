// Owns the registry's log: the records of the compacted `_schemas` topic
// (Confluent Schema Registry's key and value shapes, plus a `claim` in a
// schema's key) and the state they add up to. Any broker of the fleet may
// append; the log's order decides: the first record to claim a subject's
// version, or a schema id for some content, wins, and a later one claiming
// the same for something else is ignored (its writer sees that, tombstones
// its own record and tries again). Because a schema's key carries its
// writer's claim, compaction keeps every record the state was built from,
// so the state read back after compaction is the same. Must not parse
// schemas or do I/O.

import type { SchemaReference, SchemaType } from './parsed-schema.ts';

export const SCHEMAS_TOPIC = '_schemas';

export const COMPATIBILITY_LEVELS = ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];
export const MODES = ['READWRITE', 'READONLY', 'READONLY_OVERRIDE', 'IMPORT'] as const;
export type RegistryMode = (typeof MODES)[number];

export interface SchemaVersion {
  subject: string;
  version: number;
  id: number;
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
  deleted: boolean;
  /** Which write made this version: its key's claim. */
  claim: string;
}

export type RegistryRecord =
  | { keytype: 'SCHEMA'; subject: string; version: number; claim: string; value: Omit<SchemaVersion, 'claim'> | null }
  | { keytype: 'CONFIG'; subject: string | null; value: { compatibilityLevel: CompatibilityLevel } | null }
  | { keytype: 'MODE'; subject: string | null; value: { mode: RegistryMode } | null };

export function encodeRegistryRecord(r: RegistryRecord): { key: Buffer; value: Buffer | null } {
  const key = r.keytype === 'SCHEMA'
    ? { keytype: r.keytype, subject: r.subject, version: r.version, magic: 1, claim: r.claim }
    : { keytype: r.keytype, subject: r.subject, magic: 0 };
  return { key: Buffer.from(JSON.stringify(key)), value: r.value === null ? null : Buffer.from(JSON.stringify(r.value)) };
}

/** A record of the log; undefined for one this registry does not know (another tool's keytype), which is skipped. */
export function decodeRegistryRecord(key: Buffer | null, value: Buffer | null): RegistryRecord | undefined {
  if (key === null) return undefined;
  let k: Record<string, unknown>;
  let v: unknown;
  try {
    k = JSON.parse(key.toString('utf8')) as Record<string, unknown>;
    v = value === null ? null : JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
  const subject = typeof k.subject === 'string' ? k.subject : null;
  if (k.keytype === 'SCHEMA' && subject !== null && typeof k.version === 'number') {
    return { keytype: 'SCHEMA', subject, version: k.version, claim: typeof k.claim === 'string' ? k.claim : '', value: v as Omit<SchemaVersion, 'claim'> | null };
  }
  if (k.keytype === 'CONFIG') return { keytype: 'CONFIG', subject, value: v as { compatibilityLevel: CompatibilityLevel } | null };
  if (k.keytype === 'MODE') return { keytype: 'MODE', subject, value: v as { mode: RegistryMode } | null };
  return undefined;
}

const contentKey = (v: Pick<SchemaVersion, 'schemaType' | 'schema' | 'references'>): string => JSON.stringify([v.schemaType, v.schema, v.references]);

/** What the log adds up to. */
export class RegistryState {
  readonly subjects = new Map<string, Map<number, SchemaVersion>>();
  /** Schema id → the content it names (kept while any version, deleted or not, uses it). */
  private readonly idContent = new Map<number, { key: string; users: Set<string> }>();
  private readonly contentId = new Map<string, number>();
  readonly configs = new Map<string | null, CompatibilityLevel>();
  readonly modes = new Map<string | null, RegistryMode>();
  maxId = 0;

  apply(r: RegistryRecord): void {
    if (r.keytype === 'CONFIG') {
      if (r.value === null) this.configs.delete(r.subject);
      else this.configs.set(r.subject, r.value.compatibilityLevel);
      return;
    }
    if (r.keytype === 'MODE') {
      if (r.value === null) this.modes.delete(r.subject);
      else this.modes.set(r.subject, r.value.mode);
      return;
    }
    const versions = this.subjects.get(r.subject);
    const held = versions?.get(r.version);
    if (held !== undefined && held.claim !== r.claim) return;
    if (r.value === null) {
      if (held !== undefined) this.remove(held);
      return;
    }
    const next: SchemaVersion = { ...r.value, subject: r.subject, version: r.version, claim: r.claim };
    const key = contentKey(next);
    const claimed = this.idContent.get(next.id);
    if (claimed !== undefined && claimed.key !== key) return;
    if (held !== undefined) this.remove(held);
    const owner = this.idContent.get(next.id);
    let v = this.subjects.get(r.subject);
    if (v === undefined) this.subjects.set(r.subject, v = new Map());
    v.set(r.version, next);
    const user = `${r.subject}\u0000${r.version}`;
    if (owner === undefined) this.idContent.set(next.id, { key, users: new Set([user]) });
    else owner.users.add(user);
    if (!this.contentId.has(key)) this.contentId.set(key, next.id);
    this.maxId = Math.max(this.maxId, next.id);
  }

  private remove(v: SchemaVersion): void {
    const versions = this.subjects.get(v.subject)!;
    versions.delete(v.version);
    if (versions.size === 0) this.subjects.delete(v.subject);
    const owner = this.idContent.get(v.id);
    if (owner === undefined) return;
    owner.users.delete(`${v.subject}\u0000${v.version}`);
    if (owner.users.size === 0) {
      this.idContent.delete(v.id);
      if (this.contentId.get(owner.key) === v.id) this.contentId.delete(owner.key);
    }
  }

  /** The id already given to this content, if any. */
  idOf(v: Pick<SchemaVersion, 'schemaType' | 'schema' | 'references'>): number | undefined {
    return this.contentId.get(contentKey(v));
  }

  /** A version using schema `id` (the first found), for its content. */
  byId(id: number): SchemaVersion | undefined {
    const owner = this.idContent.get(id);
    if (owner === undefined) return undefined;
    const first = [...owner.users][0]!.split('\u0000');
    return this.subjects.get(first[0]!)?.get(Number(first[1]));
  }

  /** Every version using schema `id`. */
  usersOf(id: number): SchemaVersion[] {
    const owner = this.idContent.get(id);
    if (owner === undefined) return [];
    return [...owner.users].map((u) => u.split('\u0000')).map(([s, v]) => this.subjects.get(s!)!.get(Number(v))!);
  }

  get schemaCount(): number {
    return this.idContent.size;
  }
}
