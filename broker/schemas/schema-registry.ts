// Owns the Schema Registry's operations (Confluent Schema Registry's
// semantics and error codes): register, look up, list, soft and hard delete,
// compatibility levels and modes. Its state is the `_schemas` topic, read
// to its end through the admin layer before every answer (so any broker of
// the fleet answers what any other wrote); a write is a record appended
// there. Errors are values (`RegistryError`: Confluent's error_code and
// HTTP status). Must not know about HTTP routes.

import { randomUUID } from 'node:crypto';
import { Counter, Gauge, type Registry } from 'prom-client';
import { ErrorCode } from '../../protocol/errors.ts';
import { isAdminError, type ClusterAdmin } from '../admin/cluster-admin.ts';
import { parseSchema, type ParsedSchema, type ResolvedReference, type SchemaReference, type SchemaType } from './parsed-schema.ts';
import {
  COMPATIBILITY_LEVELS, MODES, RegistryState, SCHEMAS_TOPIC, decodeRegistryRecord, encodeRegistryRecord,
  type CompatibilityLevel, type RegistryMode, type RegistryRecord, type SchemaVersion,
} from './registry-log.ts';

export interface RegistryError {
  httpStatus: number;
  errorCode: number;
  message: string;
}

export const isRegistryError = (x: unknown): x is RegistryError => typeof x === 'object' && x !== null && 'httpStatus' in x && 'errorCode' in x;

const err = (httpStatus: number, errorCode: number, message: string): RegistryError => ({ httpStatus, errorCode, message });
const subjectNotFound = (s: string): RegistryError => err(404, 40401, `Subject '${s}' not found.`);
const versionNotFound = (v: number | string): RegistryError => err(404, 40402, `Version ${v} not found.`);
const schemaNotFound = (): RegistryError => err(404, 40403, 'Schema not found');
const storeError = (m: string): RegistryError => err(500, 50001, `Error in the backend data store: ${m}`);

export const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD';
/** Bounds: schemas kept, references followed, parsed schemas cached, tries of a write that lost a race. */
export const REGISTRY_SCHEMAS_MAX = 100_000;
const REFERENCE_DEPTH_MAX = 32;
const PARSED_CACHE_MAX = 10_000;
const WRITE_TRIES = 8;
const READ_BATCH = 1_000;
/** How long the registry waits for its topic to be readable (created, led) before answering 50002. */
const TOPIC_WAIT_MS = 15_000;

export interface SchemaInput {
  schema: string;
  schemaType?: string;
  references?: SchemaReference[];
  /** IMPORT mode only. */
  id?: number;
  version?: number;
}

export interface RegisteredSchema {
  subject: string;
  id: number;
  version: number;
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
}

const view = (v: SchemaVersion): RegisteredSchema => ({ subject: v.subject, id: v.id, version: v.version, schemaType: v.schemaType, schema: v.schema, references: v.references });

export class SchemaRegistry {
  private readonly admin: ClusterAdmin;
  private readonly state = new RegistryState();
  private nextOffset = 0;
  private readTail: Promise<RegistryError | undefined> = Promise.resolve(undefined);
  private writeTail: Promise<unknown> = Promise.resolve();
  private topicReady = false;
  private readonly parsed = new Map<number, ParsedSchema>();
  readonly stats = { registered: 0, writeRetries: 0 };

  constructor(admin: ClusterAdmin, metrics: Registry) {
    this.admin = admin;
    const self = this;
    new Gauge({ name: 'floe_schema_registry_schemas', help: `Schemas (ids) in the registry, at most ${REGISTRY_SCHEMAS_MAX}.`, registers: [metrics], collect() { this.set(self.state.schemaCount); } });
    new Gauge({ name: 'floe_schema_registry_parsed_cached', help: `Parsed schemas cached for validation and compatibility checks, at most ${PARSED_CACHE_MAX}.`, registers: [metrics], collect() { this.set(self.parsed.size); } });
    new Counter({ name: 'floe_schema_registry_registered_total', help: 'Schemas this broker registered.', registers: [metrics], collect() { this.reset(); this.inc(self.stats.registered); } });
    new Counter({ name: 'floe_schema_registry_write_retries_total', help: 'Registrations this broker tried again because another broker registered in the same subject (or took the same id) first.', registers: [metrics], collect() { this.reset(); this.inc(self.stats.writeRetries); } });
  }

  /** Reads the log to its end (after every read asked before this one). */
  catchUp(): Promise<RegistryError | undefined> {
    const next = this.readTail.then(() => this.readToEnd());
    this.readTail = next;
    return next;
  }

  private async ensureTopic(): Promise<RegistryError | undefined> {
    if (this.topicReady) return undefined;
    const created = await this.admin.createTopic(SCHEMAS_TOPIC, 1, { 'cleanup.policy': 'compact' });
    if (created !== undefined && created.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) return storeError(created.message);
    this.topicReady = true;
    return undefined;
  }

  private async readToEnd(): Promise<RegistryError | undefined> {
    const deadline = Date.now() + TOPIC_WAIT_MS;
    let wait = 20;
    for (;;) {
      const failed = await this.ensureTopic();
      if (failed !== undefined) return failed;
      const r = await this.admin.read(SCHEMAS_TOPIC, 0, this.nextOffset, READ_BATCH);
      if (isAdminError(r)) {
        // Just created, or its leader moving: the fleet learns of it within moments.
        if (Date.now() > deadline) return err(500, 50002, `Operation timed out: ${SCHEMAS_TOPIC} could not be read: ${r.message}`);
        await new Promise((res) => setTimeout(res, wait));
        wait = Math.min(wait * 2, 500);
        continue;
      }
      for (const rec of r.records) {
        const decoded = decodeRegistryRecord(rec.key, rec.value);
        if (decoded !== undefined) this.apply(decoded);
        this.nextOffset = rec.offset + 1;
      }
      if (r.records.length === 0 || this.nextOffset >= r.highWatermark) return undefined;
    }
  }

  private apply(r: RegistryRecord): void {
    if (r.keytype === 'SCHEMA') {
      const held = this.state.subjects.get(r.subject)?.get(r.version);
      if (held !== undefined && r.value === null) this.parsed.delete(held.id);
    }
    this.state.apply(r);
  }

  private async append(records: RegistryRecord[]): Promise<RegistryError | undefined> {
    const r = await this.admin.produce(SCHEMAS_TOPIC, 0, records.map((x) => encodeRegistryRecord(x)));
    return isAdminError(r) ? storeError(r.message) : undefined;
  }

  /** Runs `write` alone among this broker's writes, after reading the log to its end. */
  private exclusive<T>(write: () => Promise<T | RegistryError>): Promise<T | RegistryError> {
    const run = this.writeTail.then(async () => {
      const failed = await this.catchUp();
      return failed ?? write();
    });
    this.writeTail = run.catch(() => undefined);
    return run;
  }

  /** The schema with this id as last read from the log (the produce path reads without waiting). */
  knownSchema(id: number): SchemaVersion | undefined {
    return this.state.byId(id);
  }

  /** Whether schema `id` is a version (not deleted) of `subject`, as last read. */
  subjectHasId(subject: string, id: number): boolean {
    for (const v of this.state.subjects.get(subject)?.values() ?? []) if (v.id === id && !v.deleted) return true;
    return false;
  }

  // ---- compatibility and modes

  levelOf(subject: string | null): CompatibilityLevel {
    return (subject !== null ? this.state.configs.get(subject) : undefined) ?? this.state.configs.get(null) ?? DEFAULT_COMPATIBILITY;
  }

  modeOf(subject: string | null): RegistryMode {
    return (subject !== null ? this.state.modes.get(subject) : undefined) ?? this.state.modes.get(null) ?? 'READWRITE';
  }

  private resolveReferences(refs: SchemaReference[], depth = 0): ResolvedReference[] | RegistryError {
    if (depth > REFERENCE_DEPTH_MAX) return err(422, 42201, 'Invalid schema: references nest too deep');
    const out: ResolvedReference[] = [];
    for (const ref of refs) {
      if (typeof ref?.name !== 'string' || typeof ref.subject !== 'string' || typeof ref.version !== 'number') return err(422, 42201, 'Invalid schema: a reference needs name, subject and version');
      const versions = this.state.subjects.get(ref.subject);
      const v = ref.version === -1 ? this.latest(versions, false) : versions?.get(ref.version);
      if (v === undefined || v.deleted) return err(422, 42201, `Invalid schema: reference ${ref.name} (subject ${ref.subject}, version ${ref.version}) not found`);
      const nested = this.resolveReferences(v.references, depth + 1);
      if (!Array.isArray(nested)) return nested;
      out.push({ name: ref.name, type: v.schemaType, text: v.schema, references: nested });
    }
    return out;
  }

  private parse(type: SchemaType, text: string, refs: SchemaReference[]): ParsedSchema | RegistryError {
    const resolved = this.resolveReferences(refs);
    if (!Array.isArray(resolved)) return resolved;
    const p = parseSchema(type, text, resolved);
    return typeof p === 'string' ? err(422, 42201, p.startsWith('Invalid schema') ? p : `Invalid schema: ${p}`) : p;
  }

  /** The parsed schema of a registered version (cached by id). */
  parsedOf(v: Pick<SchemaVersion, 'id' | 'schemaType' | 'schema' | 'references'>): ParsedSchema | RegistryError {
    const cached = this.parsed.get(v.id);
    if (cached !== undefined) return cached;
    const p = this.parse(v.schemaType, v.schema, v.references);
    if (isRegistryError(p)) return p;
    if (this.parsed.size >= PARSED_CACHE_MAX) this.parsed.delete(this.parsed.keys().next().value!);
    this.parsed.set(v.id, p);
    return p;
  }

  private latest(versions: Map<number, SchemaVersion> | undefined, includeDeleted: boolean): SchemaVersion | undefined {
    let best: SchemaVersion | undefined;
    for (const v of versions?.values() ?? []) if ((includeDeleted || !v.deleted) && (best === undefined || v.version > best.version)) best = v;
    return best;
  }

  private live(subject: string): SchemaVersion[] {
    return [...this.state.subjects.get(subject)?.values() ?? []].filter((v) => !v.deleted).sort((a, b) => a.version - b.version);
  }

  /** Why `candidate` may not follow `previous` (oldest first) under `level`; empty when it may. */
  private incompatibilities(level: CompatibilityLevel, candidate: ParsedSchema, previous: SchemaVersion[]): string[] | RegistryError {
    if (level === 'NONE' || previous.length === 0) return [];
    const against = level.endsWith('_TRANSITIVE') ? previous : previous.slice(-1);
    const problems: string[] = [];
    for (const prev of against) {
      const old = this.parsedOf(prev);
      if (isRegistryError(old)) return old;
      const tag = (p: string): string => `version ${prev.version}: ${p}`;
      if (level.startsWith('BACKWARD') || level.startsWith('FULL')) problems.push(...candidate.readingProblems(old).map(tag));
      if (level.startsWith('FORWARD') || level.startsWith('FULL')) problems.push(...old.readingProblems(candidate).map(tag));
    }
    return problems;
  }

  private schemaTypeOf(input: SchemaInput): SchemaType | RegistryError {
    const t = input.schemaType ?? 'AVRO';
    return t === 'AVRO' || t === 'JSON' || t === 'PROTOBUF' ? t : err(422, 42201, `Invalid schema: unknown schema type ${t}`);
  }

  // ---- operations

  /** POST /subjects/{subject}/versions: the id of the schema in the subject, registering it if new. */
  register(subject: string, input: SchemaInput): Promise<{ id: number } | RegistryError> {
    if (typeof input?.schema !== 'string') return Promise.resolve(err(422, 42201, 'Invalid schema: the request has no schema'));
    return this.exclusive(async () => {
      for (let attempt = 0; attempt < WRITE_TRIES; attempt++) {
        if (attempt > 0) {
          this.stats.writeRetries++;
          const failed = await this.catchUp();
          if (failed !== undefined) return failed;
        }
        const mode = this.modeOf(subject);
        if (mode === 'READONLY' || mode === 'READONLY_OVERRIDE') return err(422, 42205, `Subject ${subject} is in read-only mode`);
        const importing = mode === 'IMPORT';
        if (!importing && (input.id !== undefined || input.version !== undefined)) return err(422, 42205, `Subject ${subject} is not in import mode: a schema id or version cannot be given`);
        const type = this.schemaTypeOf(input);
        if (isRegistryError(type)) return type;
        const parsed = this.parse(type, input.schema, input.references ?? []);
        if (isRegistryError(parsed)) return parsed;
        const references = input.references ?? [];
        const live = this.live(subject);
        for (const v of live) {
          const p = this.parsedOf(v);
          if (!isRegistryError(p) && v.schemaType === type && p.canonical === parsed.canonical && JSON.stringify(v.references) === JSON.stringify(references)) {
            if (input.id === undefined || input.id === v.id) return { id: v.id };
          }
        }
        if (!importing) {
          const problems = this.incompatibilities(this.levelOf(subject), parsed, live);
          if (isRegistryError(problems)) return problems;
          if (problems.length > 0) return err(409, 409, `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${problems.join(', ')}]`);
        }
        const content = { schemaType: type, schema: parsed.text, references };
        let id = input.id ?? this.state.idOf(content);
        if (id !== undefined && input.id !== undefined) {
          const owner = this.state.byId(id);
          if (owner !== undefined && (owner.schemaType !== type || owner.schema !== parsed.text || JSON.stringify(owner.references) !== JSON.stringify(references))) {
            return err(422, 42205, `Overwrite new schema with id ${id} is not permitted: another schema has it`);
          }
        }
        if (id === undefined) {
          if (this.state.schemaCount >= REGISTRY_SCHEMAS_MAX) return err(422, 42205, `the registry holds its maximum of ${REGISTRY_SCHEMAS_MAX} schemas`);
          id = this.state.maxId + 1;
        }
        const all = this.state.subjects.get(subject);
        const version = input.version ?? (this.latest(all, true)?.version ?? 0) + 1;
        if (all?.has(version) === true) return err(422, 42205, `Version ${version} of subject ${subject} exists`);
        const claim = randomUUID();
        const record: RegistryRecord = { keytype: 'SCHEMA', subject, version, claim, value: { subject, version, id, ...content, deleted: false } };
        const failed = await this.append([record]);
        if (failed !== undefined) return failed;
        const readFailed = await this.catchUp();
        if (readFailed !== undefined) return readFailed;
        if (this.state.subjects.get(subject)?.get(version)?.claim === claim) {
          this.stats.registered++;
          return { id };
        }
        // Another broker's write came first: withdraw ours so compaction cannot bring it back, and try again.
        const withdrawn = await this.append([{ keytype: 'SCHEMA', subject, version, claim, value: null }]);
        if (withdrawn !== undefined) return withdrawn;
      }
      return err(500, 50001, 'Error in the backend data store: the registration kept losing races with other brokers');
    });
  }

  /** POST /subjects/{subject}: the version of the subject that holds this schema. */
  async lookup(subject: string, input: SchemaInput, includeDeleted: boolean): Promise<RegisteredSchema | RegistryError> {
    const failed = await this.catchUp();
    if (failed !== undefined) return failed;
    const type = this.schemaTypeOf(input);
    if (isRegistryError(type)) return type;
    const versions = [...this.state.subjects.get(subject)?.values() ?? []].filter((v) => includeDeleted || !v.deleted);
    if (versions.length === 0) return subjectNotFound(subject);
    if (typeof input?.schema !== 'string') return err(422, 42201, 'Invalid schema: the request has no schema');
    const parsed = this.parse(type, input.schema, input.references ?? []);
    if (isRegistryError(parsed)) return parsed;
    const found = versions.sort((a, b) => b.version - a.version).find((v) => {
      const p = this.parsedOf(v);
      return v.schemaType === type && !isRegistryError(p) && p.canonical === parsed.canonical;
    });
    return found === undefined ? schemaNotFound() : view(found);
  }

  async schemaById(id: number): Promise<RegisteredSchema | RegistryError> {
    const failed = await this.catchUp();
    if (failed !== undefined) return failed;
    const v = this.state.byId(id);
    return v === undefined ? err(404, 40403, `Schema ${id} not found`) : view(v);
  }

  async idUsers(id: number, includeDeleted: boolean): Promise<{ subject: string; version: number }[] | RegistryError> {
    const failed = await this.catchUp();
    if (failed !== undefined) return failed;
    const users = this.state.usersOf(id);
    if (users.length === 0) return err(404, 40403, `Schema ${id} not found`);
    return users.filter((v) => includeDeleted || !v.deleted).map((v) => ({ subject: v.subject, version: v.version })).sort((a, b) => a.subject.localeCompare(b.subject) || a.version - b.version);
  }

  async subjects(includeDeleted: boolean, prefix: string): Promise<string[] | RegistryError> {
    const failed = await this.catchUp();
    if (failed !== undefined) return failed;
    return [...this.state.subjects.entries()].filter(([s, vs]) => s.startsWith(prefix) && [...vs.values()].some((v) => includeDeleted || !v.deleted)).map(([s]) => s).sort();
  }

  async schemas(includeDeleted: boolean, prefix: string, latestOnly: boolean): Promise<RegisteredSchema[] | RegistryError> {
    const failed = await this.catchUp();
    if (failed !== undefined) return failed;
    const out: RegisteredSchema[] = [];
    for (const [s, vs] of [...this.state.subjects.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      if (!s.startsWith(prefix)) continue;
      const listed = [...vs.values()].filter((v) => includeDeleted || !v.deleted).sort((a, b) => a.version - b.version);
      out.push(...(latestOnly ? listed.slice(-1) : listed).map(view));
    }
    return out;
  }

  async versions(subject: string, includeDeleted: boolean): Promise<number[] | RegistryError> {
    const failed = await this.catchUp();
    if (failed !== undefined) return failed;
    const vs = [...this.state.subjects.get(subject)?.values() ?? []].filter((v) => includeDeleted || !v.deleted).map((v) => v.version).sort((a, b) => a - b);
    return vs.length === 0 ? subjectNotFound(subject) : vs;
  }

  /** A version by number, or 'latest' (-1). */
  async version(subject: string, version: string, includeDeleted: boolean): Promise<RegisteredSchema | RegistryError> {
    const failed = await this.catchUp();
    if (failed !== undefined) return failed;
    return this.versionNow(subject, version, includeDeleted);
  }

  private versionNow(subject: string, version: string, includeDeleted: boolean): SchemaVersion | RegistryError {
    const n = version === 'latest' ? -1 : /^-?\d+$/.test(version) ? Number(version) : NaN;
    if (!Number.isSafeInteger(n) || (n < 1 && n !== -1)) return err(422, 42202, `The specified version '${version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`);
    const versions = this.state.subjects.get(subject);
    if (versions === undefined || ![...versions.values()].some((v) => includeDeleted || !v.deleted)) return subjectNotFound(subject);
    const v = n === -1 ? this.latest(versions, includeDeleted) : versions.get(n);
    return v === undefined || (v.deleted && !includeDeleted) ? versionNotFound(version) : v;
  }

  /** Ids of the schemas that reference a version. */
  async referencedBy(subject: string, version: string): Promise<number[] | RegistryError> {
    const failed = await this.catchUp();
    if (failed !== undefined) return failed;
    const v = this.versionNow(subject, version, false);
    if (isRegistryError(v)) return v;
    return this.referrers(v);
  }

  private referrers(v: SchemaVersion): number[] {
    const ids = new Set<number>();
    for (const vs of this.state.subjects.values()) {
      for (const o of vs.values()) {
        if (!o.deleted && o.references.some((r) => r.subject === v.subject && (r.version === v.version || (r.version === -1 && this.latest(this.state.subjects.get(v.subject), false) === v)))) ids.add(o.id);
      }
    }
    return [...ids].sort((a, b) => a - b);
  }

  /** DELETE /subjects/{subject}: soft (marks every version deleted) or, after that, permanent. */
  deleteSubject(subject: string, permanent: boolean): Promise<number[] | RegistryError> {
    return this.exclusive(async () => {
      if (this.modeOf(subject).startsWith('READONLY')) return err(422, 42205, `Subject ${subject} is in read-only mode`);
      const all = [...this.state.subjects.get(subject)?.values() ?? []].sort((a, b) => a.version - b.version);
      if (all.length === 0) return subjectNotFound(subject);
      const live = all.filter((v) => !v.deleted);
      if (!permanent && live.length === 0) return err(404, 40404, `Subject '${subject}' was soft deleted.Set permanent=true to delete permanently`);
      if (permanent && live.length > 0) return err(404, 40405, `Subject '${subject}' was not deleted first before being permanently deleted`);
      for (const v of live) {
        if (this.referrers(v).length > 0) return err(422, 42206, `One or more references exist to the schema {subject=${subject},version=${v.version}}.`);
      }
      const records: RegistryRecord[] = permanent
        ? all.map((v) => ({ keytype: 'SCHEMA', subject, version: v.version, claim: v.claim, value: null }))
        : live.map((v) => ({ keytype: 'SCHEMA', subject, version: v.version, claim: v.claim, value: { ...withoutClaim(v), deleted: true } }));
      if (permanent) records.push({ keytype: 'CONFIG', subject, value: null }, { keytype: 'MODE', subject, value: null });
      const failed = await this.append(records);
      if (failed !== undefined) return failed;
      return (permanent ? all : live).map((v) => v.version);
    });
  }

  /** DELETE /subjects/{subject}/versions/{version}. */
  deleteVersion(subject: string, version: string, permanent: boolean): Promise<number | RegistryError> {
    return this.exclusive(async () => {
      if (this.modeOf(subject).startsWith('READONLY')) return err(422, 42205, `Subject ${subject} is in read-only mode`);
      const v = this.versionNow(subject, version, true);
      if (isRegistryError(v)) return v;
      if (!permanent && v.deleted) return err(404, 40406, `Subject '${subject}' Version ${v.version} was soft deleted.Set permanent=true to delete permanently`);
      if (permanent && !v.deleted) return err(404, 40407, `Subject '${subject}' Version ${v.version} was not deleted first before being permanently deleted`);
      if (!v.deleted && this.referrers(v).length > 0) return err(422, 42206, `One or more references exist to the schema {subject=${subject},version=${v.version}}.`);
      const failed = await this.append([{ keytype: 'SCHEMA', subject, version: v.version, claim: v.claim, value: permanent ? null : { ...withoutClaim(v), deleted: true } }]);
      return failed ?? v.version;
    });
  }

  /** POST /compatibility/subjects/{subject}/versions[/{version}]: is it compatible, and why not. */
  async testCompatibility(subject: string, version: string | undefined, input: SchemaInput): Promise<{ compatible: boolean; messages: string[] } | RegistryError> {
    const failed = await this.catchUp();
    if (failed !== undefined) return failed;
    const type = this.schemaTypeOf(input);
    if (isRegistryError(type)) return type;
    if (typeof input?.schema !== 'string') return err(422, 42201, 'Invalid schema: the request has no schema');
    const parsed = this.parse(type, input.schema, input.references ?? []);
    if (isRegistryError(parsed)) return parsed;
    let against: SchemaVersion[];
    const level = this.levelOf(subject);
    if (version === undefined) {
      against = this.live(subject);
    } else {
      const v = this.versionNow(subject, version, false);
      if (isRegistryError(v)) return v;
      against = [v];
    }
    const problems = this.incompatibilities(version === undefined ? level : level.replace('_TRANSITIVE', '') as CompatibilityLevel, parsed, against);
    if (isRegistryError(problems)) return problems;
    return { compatible: problems.length === 0, messages: problems };
  }

  // ---- config and mode

  async config(subject: string | null, defaultToGlobal: boolean): Promise<CompatibilityLevel | RegistryError> {
    const failed = await this.catchUp();
    if (failed !== undefined) return failed;
    if (subject === null) return this.levelOf(null);
    const own = this.state.configs.get(subject);
    if (own !== undefined) return own;
    if (defaultToGlobal) return this.levelOf(null);
    return err(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`);
  }

  setConfig(subject: string | null, level: unknown): Promise<CompatibilityLevel | RegistryError> {
    if (typeof level !== 'string' || !(COMPATIBILITY_LEVELS as readonly string[]).includes(level)) {
      return Promise.resolve(err(422, 42203, 'Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive'));
    }
    return this.exclusive(async () => {
      const failed = await this.append([{ keytype: 'CONFIG', subject, value: { compatibilityLevel: level as CompatibilityLevel } }]);
      return failed ?? (level as CompatibilityLevel);
    });
  }

  deleteConfig(subject: string | null): Promise<CompatibilityLevel | RegistryError> {
    return this.exclusive(async () => {
      const before = this.levelOf(subject);
      if (subject !== null && !this.state.configs.has(subject)) return subjectNotFound(subject);
      const failed = await this.append([{ keytype: 'CONFIG', subject, value: null }]);
      return failed ?? before;
    });
  }

  async mode(subject: string | null, defaultToGlobal: boolean): Promise<RegistryMode | RegistryError> {
    const failed = await this.catchUp();
    if (failed !== undefined) return failed;
    if (subject === null) return this.modeOf(null);
    const own = this.state.modes.get(subject);
    if (own !== undefined) return own;
    if (defaultToGlobal) return this.modeOf(null);
    return err(404, 40409, `Subject '${subject}' does not have subject-level mode configured`);
  }

  setMode(subject: string | null, mode: unknown): Promise<RegistryMode | RegistryError> {
    if (typeof mode !== 'string' || !(MODES as readonly string[]).includes(mode)) {
      return Promise.resolve(err(422, 42204, 'Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE and IMPORT'));
    }
    return this.exclusive(async () => {
      const failed = await this.append([{ keytype: 'MODE', subject, value: { mode: mode as RegistryMode } }]);
      return failed ?? (mode as RegistryMode);
    });
  }

  deleteMode(subject: string): Promise<RegistryMode | RegistryError> {
    return this.exclusive(async () => {
      const before = this.modeOf(subject);
      if (!this.state.modes.has(subject)) return subjectNotFound(subject);
      const failed = await this.append([{ keytype: 'MODE', subject, value: null }]);
      return failed ?? before;
    });
  }
}

function withoutClaim(v: SchemaVersion): Omit<SchemaVersion, 'claim'> {
  const { claim: _claim, ...rest } = v;
  return rest;
}
