// Owns turning protocol/spec/*.json into protocol/generated/*.ts: one module
// per spec with typed interfaces and version-aware read/write functions, and
// an index with the API table. Output is deterministic (sorted, no dates) so
// `--check` can tell when the committed code is stale. Run: npm run codegen.

import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  loadSpecs, propertyName, resolveType,
  type FieldSpec, type FieldType, type MessageSpec, type VersionRange,
} from './spec.ts';

const protocolDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const specDir = join(protocolDir, 'spec');
const outDir = join(protocolDir, 'generated');

/** A boolean TypeScript expression for "v is in range", simplified against the valid versions. */
function cond(range: VersionRange | null, valid: VersionRange, v = 'v'): string {
  if (range === null) return 'false';
  const lo = Math.max(range.min, valid.min);
  const hi = Math.min(range.max, valid.max);
  if (lo > hi) return 'false';
  const parts: string[] = [];
  if (lo > valid.min) parts.push(`${v} >= ${lo}`);
  if (hi < valid.max) parts.push(`${v} <= ${hi}`);
  return parts.length === 0 ? 'true' : parts.join(' && ');
}

function and(a: string, b: string): string {
  if (a === 'false' || b === 'false') return 'false';
  if (a === b) return a;
  if (a === 'true') return b;
  if (b === 'true') return a;
  return `${a} && ${b}`;
}

function tern(c: string, a: string, b: string): string {
  if (c === 'true') return a;
  if (c === 'false') return b;
  if (a === b) return a;
  return `(${c} ? ${a} : ${b})`;
}

function ifBlock(c: string, body: string[], indent: string): string[] {
  if (c === 'false') return [];
  if (c === 'true') return body.map((l) => indent + l);
  return [`${indent}if (${c}) {`, ...body.map((l) => `${indent}  ${l}`), `${indent}}`];
}

interface Ctx {
  msg: MessageSpec;
  /** Expression: is version v flexible for the message. */
  flex: string;
}

function isNullableType(f: FieldSpec): boolean {
  return f.nullableVersions !== null || f.default === 'null';
}

function tsType(t: FieldType): string {
  switch (t.kind) {
    case 'array':
      return `${tsType(t.element)}[]`;
    case 'struct':
      return t.name;
    case 'primitive':
      switch (t.name) {
        case 'bool': return 'boolean';
        case 'int64': return 'bigint';
        case 'string': case 'uuid': return 'string';
        case 'bytes': return 'Buffer';
        case 'records': return 'Records | null';
        default: return 'number';
      }
  }
}

function fieldTsType(ctx: Ctx, f: FieldSpec): string {
  const t = resolveType(ctx.msg, f);
  const base = tsType(t);
  if (t.kind === 'primitive' && t.name === 'records') return base;
  return isNullableType(f) ? `${base} | null` : base;
}

function defaultExpr(ctx: Ctx, f: FieldSpec): string {
  const t = resolveType(ctx.msg, f);
  const d = f.default;
  if (t.kind === 'array') return d === 'null' ? 'null' : '[]';
  if (t.kind === 'struct') return d === 'null' ? 'null' : `default${t.name}()`;
  switch (t.name) {
    case 'bool': return d === 'true' ? 'true' : 'false';
    case 'int64': return d === undefined ? '0n' : `${BigInt(d)}n`;
    case 'float64': case 'int8': case 'int16': case 'uint16': case 'int32': case 'uint32':
      return d === undefined ? '0' : String(Number(d));
    case 'string': return d === 'null' ? 'null' : JSON.stringify(d ?? '');
    case 'uuid': return 'ZERO_UUID';
    case 'bytes': return d === 'null' ? 'null' : 'EMPTY_BUFFER';
    case 'records': return 'null';
  }
}

/** Expression: field f of `obj` differs from its default (decides whether a tagged field is sent). */
function notDefaultExpr(ctx: Ctx, f: FieldSpec, value: string): string {
  const t = resolveType(ctx.msg, f);
  const d = defaultExpr(ctx, f);
  if (t.kind === 'array' || (t.kind === 'primitive' && t.name === 'bytes')) {
    return d === 'null' ? `${value} !== null` : `(${value} === null || ${value}.length !== 0)`;
  }
  if (t.kind === 'struct') return d === 'null' ? `${value} !== null` : `!isDefault${t.name}(${value})`;
  return `${value} !== ${d}`;
}

function primitiveRead(name: string, r: string, nullable: string, flex: string): string {
  switch (name) {
    case 'bool': return `${r}.bool()`;
    case 'int8': return `${r}.int8()`;
    case 'int16': return `${r}.int16()`;
    case 'uint16': return `${r}.uint16()`;
    case 'int32': return `${r}.int32()`;
    case 'uint32': return `${r}.uint32()`;
    case 'int64': return `${r}.int64()`;
    case 'float64': return `${r}.float64()`;
    case 'uuid': return `${r}.uuid()`;
    case 'string':
      return tern(flex, tern(nullable, `${r}.compactNullableString()`, `${r}.compactString()`),
        tern(nullable, `${r}.nullableString()`, `${r}.string()`));
    case 'bytes': case 'records':
      return tern(flex, tern(nullable, `${r}.compactNullableBytes()`, `${r}.compactBytes()`),
        tern(nullable, `${r}.nullableBytes()`, `${r}.bytes()`));
  }
  throw new Error(`no reader for ${name}`);
}

function primitiveWrite(name: string, w: string, value: string, nullable: string, flex: string, typeNullable: boolean, label: string): string {
  const nn = typeNullable ? `notNull(${value}, '${label}')` : value;
  switch (name) {
    case 'bool': case 'int8': case 'int16': case 'uint16': case 'int32': case 'uint32': case 'int64': case 'float64': case 'uuid':
      return `${w}.${name}(${value});`;
    case 'string':
      return tern(flex, tern(nullable, `${w}.compactNullableString(${value})`, `${w}.compactString(${nn})`),
        tern(nullable, `${w}.nullableString(${value})`, `${w}.string(${nn})`)) + ';';
    case 'bytes': case 'records':
      return tern(flex, tern(nullable, `${w}.compactNullableBytes(${value})`, `${w}.compactBytes(${nn})`),
        tern(nullable, `${w}.nullableBytes(${value})`, `${w}.bytes(${nn})`)) + ';';
  }
  throw new Error(`no writer for ${name}`);
}

/** Statements that read field f from reader `r` into `target`. */
function readField(ctx: Ctx, f: FieldSpec, r: string, target: string, flex: string): string[] {
  const t = resolveType(ctx.msg, f);
  const nullable = cond(f.nullableVersions, fieldValid(ctx, f));
  if (t.kind === 'primitive') return [`${target} = ${primitiveRead(t.name, r, nullable, flex)};`];
  if (t.kind === 'struct') {
    if (nullable === 'false') return [`${target} = read${t.name}(${r}, v);`];
    return [`${target} = ${tern(nullable, `(${r}.int8() < 0 ? null : read${t.name}(${r}, v))`, `read${t.name}(${r}, v)`)};`];
  }
  const el = t.element;
  const elemRead = el.kind === 'struct' ? `read${el.name}(${r}, v)`
    : el.kind === 'primitive' ? primitiveRead(el.name, r, 'false', flex)
      : (() => { throw new Error('nested arrays are not in the specs'); })();
  const onNull = nullable === 'false'
    ? [`throw new KafkaDecodeError(${JSON.stringify(`null array in non-nullable field ${f.name}`)});`]
    : nullable === 'true' ? [`${target} = null;`]
      : [`if (!(${nullable})) throw new KafkaDecodeError(${JSON.stringify(`null array in non-nullable field ${f.name}`)});`, `${target} = null;`];
  return [
    '{',
    `  const n = ${r}.arrayLength(${flex});`,
    '  if (n < 0) {',
    ...onNull.map((l) => `    ${l}`),
    '  } else {',
    `    const a: ${tsType(el)}[] = [];`,
    `    for (let i = 0; i < n; i++) a.push(${elemRead});`,
    `    ${target} = a;`,
    '  }',
    '}',
  ];
}

/** Statements that write field f (value expression `value`) to writer `w`. */
function writeField(ctx: Ctx, f: FieldSpec, w: string, value: string, flex: string): string[] {
  const t = resolveType(ctx.msg, f);
  const nullable = cond(f.nullableVersions, fieldValid(ctx, f));
  const typeNullable = isNullableType(f) && !(t.kind === 'primitive' && t.name === 'records');
  const recordsNullable = t.kind === 'primitive' && t.name === 'records';
  if (t.kind === 'primitive') {
    return [primitiveWrite(t.name, w, value, nullable, flex, typeNullable || recordsNullable, f.name)];
  }
  if (t.kind === 'struct') {
    if (!typeNullable) return [`write${t.name}(${w}, v, ${value});`];
    if (nullable === 'false') return [`write${t.name}(${w}, v, notNull(${value}, '${f.name}'));`];
    const body = [`if (${value} === null) {`, `  ${w}.int8(-1);`, '} else {', `  ${w}.int8(1);`, `  write${t.name}(${w}, v, ${value});`, '}'];
    if (nullable === 'true') return body;
    return [`if (${nullable}) {`, ...body.map((l) => `  ${l}`), '} else {', `  write${t.name}(${w}, v, notNull(${value}, '${f.name}'));`, '}'];
  }
  const el = t.element;
  const elemWrite = el.kind === 'struct' ? `write${el.name}(${w}, v, e);`
    : el.kind === 'primitive' ? primitiveWrite(el.name, w, 'e', 'false', flex, false, f.name)
      : '';
  const arr = typeNullable ? `notNull(${value}, '${f.name}')` : value;
  const writeAll = [`${w}.arrayLength(${flex}, ${value}.length);`, `for (const e of ${value}) ${elemWrite}`];
  if (!typeNullable) return writeAll;
  if (nullable === 'false') {
    return [`{`, `  const a = ${arr};`, `  ${w}.arrayLength(${flex}, a.length);`, `  for (const e of a) ${elemWrite}`, `}`];
  }
  const nullBranch = nullable === 'true' ? `${w}.arrayLength(${flex}, null);`
    : `if (${nullable}) ${w}.arrayLength(${flex}, null); else notNull(${value}, '${f.name}');`;
  return [`if (${value} === null) {`, `  ${nullBranch}`, '} else {', ...writeAll.map((l) => `  ${l}`), '}'];
}

interface StructDef {
  name: string;
  fields: FieldSpec[];
  about: string;
}

/** All struct types reachable from the message, each once, in a stable order. */
function collectStructs(msg: MessageSpec, fields: FieldSpec[], out: Map<string, StructDef>): void {
  for (const f of fields) {
    let t = resolveType(msg, f);
    if (t.kind === 'array') t = t.element;
    if (t.kind === 'struct') {
      const existing = out.get(t.name);
      if (existing === undefined) {
        out.set(t.name, { name: t.name, fields: t.fields, about: f.about });
        collectStructs(msg, t.fields, out);
      } else if (existing.fields !== t.fields && JSON.stringify(existing.fields) !== JSON.stringify(t.fields)) {
        throw new Error(`${msg.name}: struct ${t.name} defined twice with different fields`);
      }
    }
  }
}

/** The versions in which a field exists: conditions inside its presence check are simplified against these. */
function fieldValid(ctx: Ctx, f: FieldSpec): VersionRange {
  const valid = ctx.msg.validVersions;
  if (f.versions === null) return valid;
  const min = Math.max(valid.min, f.versions.min);
  const max = Math.min(valid.max, f.versions.max);
  return min <= max ? { min, max } : valid;
}

function fieldFlex(ctx: Ctx, f: FieldSpec): string {
  if (f.flexibleVersions !== undefined) return cond(f.flexibleVersions, fieldValid(ctx, f));
  return ctx.flex === 'true' || ctx.flex === 'false' ? ctx.flex : cond(ctx.msg.flexibleVersions, fieldValid(ctx, f));
}

function emitStruct(ctx: Ctx, s: StructDef): string[] {
  const { msg } = ctx;
  const valid = msg.validVersions;
  const canBeFlexible = ctx.flex !== 'false';
  const out: string[] = [];
  out.push(`/** ${s.about.replace(/\*\//g, '* /') || s.name} */`);
  out.push(`export interface ${s.name} {`);
  for (const f of s.fields) {
    if (f.about) out.push(`  /** ${f.about.replace(/\*\//g, '* /')} (versions ${fmtRange(f.versions)}) */`);
    out.push(`  ${propertyName(f.name)}: ${fieldTsType(ctx, f)};`);
  }
  if (canBeFlexible) out.push('  _unknownTaggedFields?: RawTaggedField[];');
  out.push('}', '');

  out.push(`export function default${s.name}(): ${s.name} {`);
  out.push('  return {');
  for (const f of s.fields) out.push(`    ${propertyName(f.name)}: ${defaultExpr(ctx, f)},`);
  out.push('  };', '}', '');

  // Decides whether a tagged struct is sent: Kafka omits a tagged field equal to its default.
  out.push(`export function isDefault${s.name}(o: ${s.name}): boolean {`);
  const checks = s.fields.map((f) => `!(${notDefaultExpr(ctx, f, `o.${propertyName(f.name)}`)})`);
  if (canBeFlexible) checks.push('(o._unknownTaggedFields === undefined || o._unknownTaggedFields.length === 0)');
  out.push(`  return ${checks.length === 0 ? 'true' : checks.join('\n    && ')};`, '}', '');

  const tagged = s.fields.filter((f) => f.tag !== undefined);
  // Kafka never sends a field with a tag as a regular field: it exists only in its tagged versions.
  const isTaggedIn = (f: FieldSpec): string => (f.tag === undefined ? 'false' : cond(f.taggedVersions, valid));

  // read
  out.push(`export function read${s.name}(r: Reader, v: number): ${s.name} {`);
  out.push(`  const o = default${s.name}();`);
  for (const f of s.fields) {
    const present = f.tag === undefined ? cond(f.versions, valid) : 'false';
    out.push(...ifBlock(present, readField(ctx, f, 'r', `o.${propertyName(f.name)}`, fieldFlex(ctx, f)), '  '));
  }
  if (canBeFlexible) {
    const body: string[] = [];
    if (tagged.length === 0) {
      body.push('const unknown = r.taggedFields(noKnownTags);');
    } else {
      body.push('const unknown = r.taggedFields((tag, tr) => {', '  switch (tag) {');
      for (const f of [...tagged].sort((a, b) => a.tag! - b.tag!)) {
        const c = and(cond(f.versions, valid), isTaggedIn(f));
        if (c === 'false') continue;
        body.push(`    case ${f.tag}:`);
        const read = readField(ctx, f, 'tr', `o.${propertyName(f.name)}`, 'true');
        if (c === 'true') {
          body.push(...read.map((l) => `      ${l}`), '      return true;');
        } else {
          body.push(`      if (${c}) {`, ...read.map((l) => `        ${l}`), '        return true;', '      }', '      return false;');
        }
      }
      body.push('  }', '  return false;', '});');
    }
    body.push('if (unknown !== undefined) o._unknownTaggedFields = unknown;');
    out.push(...ifBlock(ctx.flex, body, '  '));
  }
  out.push('  return o;', '}', '');

  // write
  out.push(`export function write${s.name}(w: Writer, v: number, o: ${s.name}): void {`);
  for (const f of s.fields) {
    const present = f.tag === undefined ? cond(f.versions, valid) : 'false';
    out.push(...ifBlock(present, writeField(ctx, f, 'w', `o.${propertyName(f.name)}`, fieldFlex(ctx, f)), '  '));
  }
  if (canBeFlexible) {
    const body: string[] = [];
    if (tagged.length === 0) {
      body.push('writeTaggedFields(w, [], o._unknownTaggedFields);');
    } else {
      body.push('const known: TaggedFieldWrite[] = [];');
      for (const f of [...tagged].sort((a, b) => a.tag! - b.tag!)) {
        const value = `o.${propertyName(f.name)}`;
        const c = and(and(cond(f.versions, valid), isTaggedIn(f)), notDefaultExpr(ctx, f, value));
        if (c === 'false') continue;
        const write = writeField(ctx, f, 'tw', value, 'true');
        body.push(`if (${c}) known.push({ tag: ${f.tag}, write: (tw) => {`, ...write.map((l) => `  ${l}`), '} });');
      }
      body.push('writeTaggedFields(w, known, o._unknownTaggedFields);');
    }
    out.push(...ifBlock(ctx.flex, body, '  '));
  }
  out.push('}', '');
  return out;
}

function fmtRange(r: VersionRange | null): string {
  if (r === null) return 'none';
  if (r.max === Infinity) return `${r.min}+`;
  return r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`;
}

function emitMessage(msg: MessageSpec): string {
  const ctx: Ctx = { msg, flex: cond(msg.flexibleVersions, msg.validVersions) };
  const structs = new Map<string, StructDef>();
  structs.set(msg.name, { name: msg.name, fields: msg.fields, about: `${msg.name} (versions ${fmtRange(msg.validVersions)})` });
  collectStructs(msg, msg.fields, structs);
  const lines: string[] = [
    `// Generated by protocol/generator/generate.ts from protocol/spec/${msg.name}.json. Do not edit.`,
    '/* eslint-disable */',
    "import { Reader, EMPTY_BUFFER, ZERO_UUID, type RawTaggedField } from '../primitives/reader.ts';",
    "import type { Writer, Records } from '../primitives/writer.ts';",
    "import { KafkaDecodeError } from '../primitives/decode-error.ts';",
    "import { writeTaggedFields, noKnownTags, notNull, type TaggedFieldWrite } from '../primitives/tagged.ts';",
    '',
    '// Keep every import referenced so strict unused-import settings never break generated files.',
    'void Reader; void EMPTY_BUFFER; void ZERO_UUID; void KafkaDecodeError; void writeTaggedFields; void noKnownTags; void notNull;',
    'export type { TaggedFieldWrite };',
    '',
    `export const ${msg.name}Versions = { min: ${msg.validVersions.min}, max: ${msg.validVersions.max}, flexibleMin: ${msg.flexibleVersions === null ? -1 : msg.flexibleVersions.min} } as const;`,
    '',
  ];
  for (const s of structs.values()) lines.push(...emitStruct(ctx, s));
  return lines.join('\n');
}

function apiName(requestName: string): string {
  return requestName.replace(/Request$/, '');
}

function emitIndex(specs: MessageSpec[]): string {
  const requests = specs.filter((s) => s.kind === 'request').sort((a, b) => a.apiKey! - b.apiKey!);
  const responses = new Map(specs.filter((s) => s.kind === 'response').map((s) => [s.apiKey!, s]));
  const lines: string[] = [
    '// Generated by protocol/generator/generate.ts. Do not edit.',
    '// The API table: every request/response pair of the specs, with header-version rules.',
    "import type { Reader } from '../primitives/reader.ts';",
    "import type { Writer } from '../primitives/writer.ts';",
  ];
  for (const s of specs) {
    lines.push(`import { read${s.name}, write${s.name}, type ${s.name} } from './${s.name}.ts';`);
  }
  for (const s of specs) lines.push(`export * as ${s.name}Module from './${s.name}.ts';`);
  lines.push('');
  lines.push('export const ApiKey = {');
  for (const r of requests) lines.push(`  ${apiName(r.name)}: ${r.apiKey},`);
  lines.push('} as const;', 'export type ApiKeyName = keyof typeof ApiKey;', '');
  lines.push(
    'export interface ApiDescriptor<Req = unknown, Res = unknown> {',
    '  readonly apiKey: number;',
    '  readonly name: string;',
    '  readonly minVersion: number;',
    '  readonly maxVersion: number;',
    '  /** -1 when no version is flexible. */',
    '  readonly flexibleMin: number;',
    '  readonly listeners: readonly string[];',
    '  readonly latestVersionUnstable: boolean;',
    '  requestHeaderVersion(v: number): number;',
    '  responseHeaderVersion(v: number): number;',
    '  readRequest(r: Reader, v: number): Req;',
    '  writeRequest(w: Writer, v: number, m: Req): void;',
    '  readResponse(r: Reader, v: number): Res;',
    '  writeResponse(w: Writer, v: number, m: Res): void;',
    '}',
    '',
  );
  for (const req of requests) {
    const res = responses.get(req.apiKey!);
    if (res === undefined) throw new Error(`no response spec for ${req.name}`);
    const name = apiName(req.name);
    const flexMin = req.flexibleVersions === null ? -1 : req.flexibleVersions.min;
    // Kafka's two exceptions: ControlledShutdown v0 has header v0, ApiVersions responses always header v0.
    const reqHeader = req.apiKey === 7
      ? `(v) => (v === 0 ? 0 : ${flexMin < 0 ? '1' : `v >= ${flexMin} ? 2 : 1`})`
      : flexMin < 0 ? '() => 1' : `(v) => (v >= ${flexMin} ? 2 : 1)`;
    const resHeader = req.apiKey === 18 || flexMin < 0 ? '() => 0' : `(v) => (v >= ${flexMin} ? 1 : 0)`;
    const listeners = JSON.stringify(readListeners(req.name));
    lines.push(
      `export const ${name}Api: ApiDescriptor<${req.name}, ${res.name}> = {`,
      `  apiKey: ${req.apiKey},`,
      `  name: '${name}',`,
      `  minVersion: ${req.validVersions.min},`,
      `  maxVersion: ${req.validVersions.max},`,
      `  flexibleMin: ${flexMin},`,
      `  listeners: ${listeners},`,
      `  latestVersionUnstable: ${req.latestVersionUnstable},`,
      `  requestHeaderVersion: ${reqHeader},`,
      `  responseHeaderVersion: ${resHeader},`,
      `  readRequest: read${req.name},`,
      `  writeRequest: write${req.name},`,
      `  readResponse: read${res.name},`,
      `  writeResponse: write${res.name},`,
      '};',
      '',
    );
  }
  lines.push('/** Indexed by API key; undefined where the specs define no API. */');
  lines.push('export const apiByKey: readonly (ApiDescriptor | undefined)[] = (() => {');
  lines.push('  const table: (ApiDescriptor | undefined)[] = [];');
  for (const req of requests) lines.push(`  table[${req.apiKey}] = ${apiName(req.name)}Api as ApiDescriptor;`);
  lines.push('  return table;', '})();', '');
  return lines.join('\n');
}

function readListeners(name: string): string[] {
  const text = readFileSync(join(specDir, `${name}.json`), 'utf8');
  const m = /"listeners"\s*:\s*\[([^\]]*)\]/.exec(text);
  if (!m) return [];
  return [...m[1]!.matchAll(/"([^"]+)"/g)].map((x) => x[1]!).sort();
}

function generate(): Map<string, string> {
  const specs = loadSpecs(specDir);
  const files = new Map<string, string>();
  for (const s of specs) files.set(`${s.name}.ts`, emitMessage(s));
  files.set('index.ts', emitIndex(specs));
  return files;
}

function main(): void {
  const check = process.argv.includes('--check');
  const files = generate();
  if (check) {
    const stale: string[] = [];
    const present = existsSync(outDir) ? readdirSync(outDir) : [];
    for (const [name, text] of files) {
      const path = join(outDir, name);
      if (!existsSync(path) || readFileSync(path, 'utf8') !== text) stale.push(name);
    }
    for (const name of present) if (!files.has(name)) stale.push(`${name} (not generated)`);
    if (stale.length > 0) {
      console.error(`protocol/generated is stale; run npm run codegen. Differs: ${stale.slice(0, 10).join(', ')}${stale.length > 10 ? ', ...' : ''}`);
      process.exit(1);
    }
    console.log(`protocol/generated is up to date (${files.size} files)`);
    return;
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  for (const [name, text] of files) writeFileSync(join(outDir, name), text);
  console.log(`wrote ${files.size} files to protocol/generated`);
}

main();
