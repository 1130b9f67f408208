// Owns reading the Apache Kafka JSON message specs (JSON with // comments)
// into a typed model: version ranges, field types, struct lookup. Used by the
// code generator and by tests that derive random messages from the specs
// independently of the generated code. It writes nothing.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface VersionRange {
  min: number;
  max: number; // Infinity for open ranges
}

export interface FieldSpec {
  name: string;
  type: string;
  versions: VersionRange | null;
  nullableVersions: VersionRange | null;
  taggedVersions: VersionRange | null;
  tag: number | undefined;
  default: string | undefined;
  ignorable: boolean;
  /** Field-level override of the message's flexible versions (RequestHeader.ClientId). */
  flexibleVersions: VersionRange | null | undefined;
  fields: FieldSpec[] | undefined;
  about: string;
}

export type MessageKind = 'request' | 'response' | 'header' | 'data';

export interface MessageSpec {
  name: string;
  kind: MessageKind;
  apiKey: number | undefined;
  validVersions: VersionRange;
  flexibleVersions: VersionRange | null;
  latestVersionUnstable: boolean;
  fields: FieldSpec[];
  commonStructs: Map<string, FieldSpec[]>;
}

export const PRIMITIVE_TYPES = [
  'bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64',
  'string', 'uuid', 'bytes', 'records',
] as const;
export type PrimitiveName = (typeof PRIMITIVE_TYPES)[number];

export type FieldType =
  | { kind: 'primitive'; name: PrimitiveName }
  | { kind: 'array'; element: FieldType }
  | { kind: 'struct'; name: string; fields: FieldSpec[] };

export function parseVersions(s: string | undefined): VersionRange | null {
  if (s === undefined || s === 'none') return null;
  const plus = /^(\d+)\+$/.exec(s);
  if (plus) return { min: Number(plus[1]), max: Infinity };
  const range = /^(\d+)-(\d+)$/.exec(s);
  if (range) return { min: Number(range[1]), max: Number(range[2]) };
  if (/^\d+$/.test(s)) return { min: Number(s), max: Number(s) };
  throw new Error(`bad version range ${JSON.stringify(s)}`);
}

export function inRange(r: VersionRange | null, v: number): boolean {
  return r !== null && v >= r.min && v <= r.max;
}

/** Removes // comments outside of string literals. */
export function stripJsonComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') {
        out += text[++i] ?? '';
      } else if (c === '"') {
        inString = false;
      }
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  return out;
}

interface RawField {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  ignorable?: boolean;
  flexibleVersions?: string;
  fields?: RawField[];
  about?: string;
}

interface RawMessage {
  name: string;
  type: MessageKind;
  apiKey?: number;
  validVersions: string;
  flexibleVersions?: string;
  latestVersionUnstable?: boolean;
  fields: RawField[];
  commonStructs?: { name: string; fields: RawField[] }[];
}

function toField(raw: RawField): FieldSpec {
  return {
    name: raw.name,
    type: raw.type,
    versions: parseVersions(raw.versions),
    nullableVersions: parseVersions(raw.nullableVersions),
    taggedVersions: parseVersions(raw.taggedVersions),
    tag: raw.tag,
    default: raw.default === undefined ? undefined : String(raw.default),
    ignorable: raw.ignorable ?? false,
    flexibleVersions: raw.flexibleVersions === undefined ? undefined : parseVersions(raw.flexibleVersions),
    fields: raw.fields?.map(toField),
    about: raw.about ?? '',
  };
}

export function parseMessage(text: string): MessageSpec {
  const raw = JSON.parse(stripJsonComments(text)) as RawMessage;
  const valid = parseVersions(raw.validVersions);
  if (valid === null) throw new Error(`${raw.name}: no valid versions`);
  const commonStructs = new Map<string, FieldSpec[]>();
  for (const s of raw.commonStructs ?? []) commonStructs.set(s.name, s.fields.map(toField));
  return {
    name: raw.name,
    kind: raw.type,
    apiKey: raw.apiKey,
    validVersions: valid,
    flexibleVersions: parseVersions(raw.flexibleVersions),
    latestVersionUnstable: raw.latestVersionUnstable ?? false,
    fields: raw.fields.map(toField),
    commonStructs,
  };
}

export function loadSpecs(dir: string): MessageSpec[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => parseMessage(readFileSync(join(dir, f), 'utf8')));
}

export function resolveType(msg: MessageSpec, field: FieldSpec): FieldType {
  return resolveTypeName(msg, field.type, field);
}

function resolveTypeName(msg: MessageSpec, type: string, field: FieldSpec): FieldType {
  if (type.startsWith('[]')) return { kind: 'array', element: resolveTypeName(msg, type.slice(2), field) };
  if ((PRIMITIVE_TYPES as readonly string[]).includes(type)) return { kind: 'primitive', name: type as PrimitiveName };
  const fields = field.fields ?? msg.commonStructs.get(type);
  if (fields === undefined) throw new Error(`${msg.name}.${field.name}: unknown type ${type}`);
  return { kind: 'struct', name: type, fields };
}

/** Kafka field names are PascalCase; TypeScript properties are camelCase. */
export function propertyName(fieldName: string): string {
  return fieldName[0]!.toLowerCase() + fieldName.slice(1);
}
