// Owns JSON Schema schemas (ajv): parsing with referenced schemas, checking
// a record's JSON against one, and deciding whether a reader schema accepts
// everything a writer schema allows. That last check follows the main rules
// of Confluent Schema Registry's JSON Schema compatibility (types may only
// widen, a reader may not newly require a property, enums may only grow,
// bounds may only loosen, a property may not appear in or vanish from an
// open or closed content model where that changes what is accepted); it is
// a subset of them, not all. Must not know about subjects or storage.

import { Ajv, type AnySchema, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ParsedSchema, ResolvedReference } from './parsed-schema.ts';

type JsonSchemaNode = boolean | Record<string, unknown>;

class JsonSchema implements ParsedSchema {
  readonly type = 'JSON' as const;
  readonly text: string;
  readonly canonical: string;
  readonly root: JsonSchemaNode;
  private readonly check: ValidateFunction;

  constructor(text: string, root: JsonSchemaNode, check: ValidateFunction) {
    this.text = text;
    this.canonical = text;
    this.root = root;
    this.check = check;
  }

  readingProblems(writer: ParsedSchema): string[] {
    if (!(writer instanceof JsonSchema)) return [`the schema type changed from ${writer.type} to JSON`];
    const problems: string[] = [];
    acceptsAll(writer.root, this.root, '#', problems);
    return problems;
  }

  decode(payload: Buffer): unknown {
    return JSON.parse(payload.toString('utf8')) as unknown;
  }

  recordName(): string | undefined {
    return typeof this.root === 'object' && typeof this.root.title === 'string' ? this.root.title : undefined;
  }

  validate(payload: Buffer): string | undefined {
    let value: unknown;
    try {
      value = JSON.parse(payload.toString('utf8'));
    } catch (e) {
      return `not JSON: ${(e as Error).message}`;
    }
    if (this.check(value)) return undefined;
    return (this.check.errors ?? []).map((e) => `${e.instancePath === '' ? '/' : e.instancePath}: ${e.message ?? 'invalid'} (${e.keyword})`).join('; ');
  }
}

function ajvFor(root: JsonSchemaNode): Ajv | Ajv2019 | Ajv2020 {
  const dialect = typeof root === 'object' && typeof root.$schema === 'string' ? root.$schema : '';
  const options = { strict: false, allErrors: true, validateFormats: false };
  if (dialect.includes('2020-12')) return new Ajv2020(options);
  if (dialect.includes('2019-09')) return new Ajv2019(options);
  return new Ajv(options);
}

/** Without the dialect ajv does not know (drafts 4 and 6), a schema is read as draft 7. */
function withKnownDialect(root: JsonSchemaNode): JsonSchemaNode {
  if (typeof root !== 'object' || typeof root.$schema !== 'string') return root;
  if (/draft-0[46]/.test(root.$schema)) {
    const { $schema: _dropped, ...rest } = root;
    return rest;
  }
  return root;
}

function addReferences(ajv: Ajv | Ajv2019 | Ajv2020, references: ResolvedReference[]): void {
  for (const r of references) {
    if (r.type !== 'JSON') throw new Error(`reference ${r.name} is a ${r.type} schema, not JSON`);
    addReferences(ajv, r.references);
    if (ajv.getSchema(r.name) === undefined) ajv.addSchema(withKnownDialect(JSON.parse(r.text) as JsonSchemaNode) as AnySchema, r.name);
  }
}

export function parseJsonSchema(text: string, references: ResolvedReference[]): ParsedSchema {
  let root: JsonSchemaNode;
  try {
    root = JSON.parse(text) as JsonSchemaNode;
  } catch (e) {
    throw new Error(`Invalid schema: not JSON: ${(e as Error).message}`);
  }
  if (typeof root !== 'boolean' && (typeof root !== 'object' || root === null || Array.isArray(root))) throw new Error('Invalid schema: a JSON Schema is an object or a boolean');
  const known = withKnownDialect(root);
  const ajv = ajvFor(known);
  try {
    addReferences(ajv, references);
    return new JsonSchema(JSON.stringify(root), root, ajv.compile(known as AnySchema));
  } catch (e) {
    throw new Error(`Invalid schema: ${(e as Error).message}`);
  }
}

const typesOf = (s: Record<string, unknown>): Set<string> | undefined => {
  const t = s.type;
  if (typeof t === 'string') return new Set([t]);
  if (Array.isArray(t)) return new Set(t.filter((x): x is string => typeof x === 'string'));
  return undefined;
};

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** A bound the reader keeps must be no tighter than the writer's. */
function looserBound(writer: Record<string, unknown>, reader: Record<string, unknown>, key: string, lowerIsLooser: boolean, at: string, problems: string[]): void {
  const r = reader[key];
  if (typeof r !== 'number') return;
  const w = writer[key];
  if (typeof w !== 'number' || (lowerIsLooser ? r > w : r < w)) problems.push(`${at}: ${key} ${typeof w === 'number' ? `tightened from ${w}` : 'added'} to ${r}`);
}

/** Adds to `problems` why `reader` rejects something `writer` accepts (the rules this module follows). */
function acceptsAll(writer: JsonSchemaNode, reader: JsonSchemaNode, at: string, problems: string[]): void {
  if (reader === true || (isObject(reader) && Object.keys(reader).filter((k) => !['$schema', '$id', 'title', 'description'].includes(k)).length === 0)) return;
  if (writer === false) return;
  if (reader === false) {
    problems.push(`${at}: the reader accepts nothing`);
    return;
  }
  if (writer === true) {
    problems.push(`${at}: the writer accepts anything, the reader does not`);
    return;
  }
  if ('$ref' in writer || '$ref' in reader) {
    if (JSON.stringify(writer.$ref) !== JSON.stringify(reader.$ref)) problems.push(`${at}: $ref changed`);
    return;
  }
  const wt = typesOf(writer);
  const rt = typesOf(reader);
  if (rt !== undefined) {
    const widened = (t: string): boolean => rt.has(t) || (t === 'integer' && rt.has('number'));
    const lost = wt === undefined ? ['(any)'] : [...wt].filter((t) => !widened(t));
    if (lost.length > 0) problems.push(`${at}: type ${lost.join(', ')} no longer accepted`);
  }
  if (Array.isArray(reader.enum)) {
    const renum = reader.enum.map((v) => JSON.stringify(v));
    const wenum = Array.isArray(writer.enum) ? writer.enum.map((v) => JSON.stringify(v)) : undefined;
    const lost = wenum === undefined ? ['(any value)'] : wenum.filter((v) => !renum.includes(v));
    if (lost.length > 0) problems.push(`${at}: enum no longer accepts ${lost.join(', ')}`);
  }
  for (const [key, lower] of [['minimum', false], ['exclusiveMinimum', false], ['minLength', false], ['minItems', false], ['minProperties', false],
    ['maximum', true], ['exclusiveMaximum', true], ['maxLength', true], ['maxItems', true], ['maxProperties', true]] as const) {
    looserBound(writer, reader, key, !lower, at, problems);
  }
  if (typeof reader.pattern === 'string' && reader.pattern !== writer.pattern) problems.push(`${at}: pattern changed`);
  // Objects: required properties and the content model.
  const wreq = new Set(Array.isArray(writer.required) ? writer.required as string[] : []);
  for (const r of Array.isArray(reader.required) ? reader.required as string[] : []) {
    if (!wreq.has(r)) problems.push(`${at}: property ${r} newly required`);
  }
  const wprops = isObject(writer.properties) ? writer.properties : {};
  const rprops = isObject(reader.properties) ? reader.properties : {};
  const writerOpen = writer.additionalProperties !== false;
  for (const [name, rs] of Object.entries(rprops)) {
    const ws = wprops[name];
    if (ws !== undefined) acceptsAll(ws as JsonSchemaNode, rs as JsonSchemaNode, `${at}/properties/${name}`, problems);
    else if (writerOpen) {
      const before = problems.length;
      acceptsAll(isObject(writer.additionalProperties) ? writer.additionalProperties : true, rs as JsonSchemaNode, `${at}/properties/${name}`, problems);
      if (problems.length > before) problems.splice(before, problems.length - before, `${at}: property ${name} added to an open content model`);
    }
  }
  if (reader.additionalProperties === false || isObject(reader.additionalProperties)) {
    for (const [name, ws] of Object.entries(wprops)) {
      if (name in rprops) continue;
      if (reader.additionalProperties === false) problems.push(`${at}: property ${name} removed from a closed content model`);
      else acceptsAll(ws as JsonSchemaNode, reader.additionalProperties as JsonSchemaNode, `${at}/properties/${name}`, problems);
    }
    if (writerOpen && reader.additionalProperties === false) problems.push(`${at}: additional properties no longer accepted`);
  }
  // Arrays: items.
  if (reader.items !== undefined && !Array.isArray(reader.items)) {
    acceptsAll(writer.items !== undefined && !Array.isArray(writer.items) ? writer.items as JsonSchemaNode : true, reader.items as JsonSchemaNode, `${at}/items`, problems);
  }
}
