// Random Kafka messages derived straight from the JSON specs, independently
// of the generated code: a value for every field present in a version, the
// spec's default for every field that is not.

import fc from 'fast-check';
import { inRange, propertyName, resolveType, type FieldSpec, type FieldType, type MessageSpec } from '../../protocol/generator/spec.ts';

export function isFlexible(msg: MessageSpec, v: number): boolean {
  return inRange(msg.flexibleVersions, v);
}

function defaultValue(msg: MessageSpec, f: FieldSpec): unknown {
  const t = resolveType(msg, f);
  const d = f.default;
  if (t.kind === 'array') return d === 'null' ? null : [];
  if (t.kind === 'struct') return d === 'null' ? null : structDefault(msg, t.fields);
  switch (t.name) {
    case 'bool': return d === 'true';
    case 'int64': return d === undefined ? 0n : BigInt(d);
    case 'string': return d === 'null' ? null : (d ?? '');
    case 'uuid': return 'AAAAAAAAAAAAAAAAAAAAAA';
    case 'bytes': return d === 'null' ? null : Buffer.alloc(0);
    case 'records': return null;
    default: return d === undefined ? 0 : Number(d);
  }
}

function structDefault(msg: MessageSpec, fields: FieldSpec[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) o[propertyName(f.name)] = defaultValue(msg, f);
  return o;
}

const primitive = {
  bool: () => fc.boolean(),
  int8: () => fc.integer({ min: -128, max: 127 }),
  int16: () => fc.integer({ min: -32768, max: 32767 }),
  uint16: () => fc.integer({ min: 0, max: 65535 }),
  int32: () => fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  uint32: () => fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  int64: () => fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  float64: () => fc.double(),
  string: () => fc.string({ unit: 'grapheme', maxLength: 12 }),
  uuid: () => fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64url')),
  bytes: () => fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b)),
  records: () => fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
} as const;

function typeArbitrary(msg: MessageSpec, t: FieldType, v: number, depth: number): fc.Arbitrary<unknown> {
  switch (t.kind) {
    case 'primitive': return primitive[t.name]();
    case 'array': return fc.array(typeArbitrary(msg, t.element, v, depth + 1), { maxLength: depth > 2 ? 1 : 3 });
    case 'struct': return structArbitrary(msg, t.fields, v, depth + 1);
  }
}

function fieldPresent(msg: MessageSpec, f: FieldSpec, v: number): boolean {
  if (!inRange(f.versions, v)) return false;
  if (f.tag !== undefined) return isFlexible(msg, v) && inRange(f.taggedVersions, v);
  return true;
}

export function structArbitrary(msg: MessageSpec, fields: FieldSpec[], v: number, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of fields) {
    const key = propertyName(f.name);
    if (!fieldPresent(msg, f, v)) {
      shape[key] = fc.constant(null).map(() => defaultValue(msg, f));
      continue;
    }
    let arb = typeArbitrary(msg, resolveType(msg, f), v, depth);
    const t = resolveType(msg, f);
    const nullable = inRange(f.nullableVersions, v) || (t.kind === 'primitive' && t.name === 'records' && f.nullableVersions !== null && inRange(f.nullableVersions, v));
    if (nullable) arb = fc.option(arb, { nil: null, freq: 4 });
    shape[key] = arb;
  }
  return fc.record(shape);
}

export function messageArbitrary(msg: MessageSpec, v: number): fc.Arbitrary<Record<string, unknown>> {
  const base = structArbitrary(msg, msg.fields, v);
  if (!isFlexible(msg, v)) return base;
  // Unknown tagged fields (tags no spec uses) must survive decode -> encode untouched.
  const unknown = fc.uniqueArray(fc.integer({ min: 10_000, max: 10_100 }), { maxLength: 2 })
    .chain((tags) => fc.tuple(...tags.sort((a, b) => a - b).map((tag) =>
      fc.uint8Array({ maxLength: 8 }).map((d) => ({ tag, data: Buffer.from(d) })))));
  return fc.tuple(base, fc.option(unknown, { nil: undefined })).map(([m, u]) => {
    if (u !== undefined && u.length > 0) m._unknownTaggedFields = u;
    return m;
  });
}
