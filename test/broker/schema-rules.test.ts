// The Schema Registry's rules without a broker: which schema changes each
// language's compatibility check accepts, and how the `_schemas` log adds up
// when writers race (the first claim wins, a withdrawn loser leaves the
// winner alone, and compaction, which keeps the last record of each key,
// cannot change the outcome).

import { describe, expect, it } from 'vitest';
import { parseSchema, type ParsedSchema, type SchemaType } from '../../broker/schemas/parsed-schema.ts';
import { RegistryState, decodeRegistryRecord, encodeRegistryRecord, type RegistryRecord } from '../../broker/schemas/registry-log.ts';

const parse = (type: SchemaType, s: unknown): ParsedSchema => {
  const p = parseSchema(type, typeof s === 'string' ? s : JSON.stringify(s), []);
  if (typeof p === 'string') throw new Error(p);
  return p;
};
/** Whether a reader with `reader` reads what `writer` wrote (BACKWARD for reader = new). */
const reads = (type: SchemaType, reader: unknown, writer: unknown): boolean => parse(type, reader).readingProblems(parse(type, writer)).length === 0;

describe('compatibility rules', () => {
  it('JSON Schema: types widen, not narrow; no newly required property; enums grow; bounds loosen; content models', () => {
    const obj = (props: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ type: 'object', properties: props, ...extra });
    expect(reads('JSON', { type: 'number' }, { type: 'integer' })).toBe(true);
    expect(reads('JSON', { type: 'integer' }, { type: 'number' })).toBe(false);
    expect(reads('JSON', obj({ a: { type: 'string' } }, { required: ['a'] }), obj({ a: { type: 'string' } }))).toBe(false);
    expect(reads('JSON', obj({ a: { type: 'string' } }), obj({ a: { type: 'string' } }, { required: ['a'] }))).toBe(true);
    expect(reads('JSON', { enum: ['a', 'b', 'c'] }, { enum: ['a', 'b'] })).toBe(true);
    expect(reads('JSON', { enum: ['a'] }, { enum: ['a', 'b'] })).toBe(false);
    expect(reads('JSON', { type: 'string', maxLength: 10 }, { type: 'string', maxLength: 5 })).toBe(true);
    expect(reads('JSON', { type: 'string', maxLength: 5 }, { type: 'string', maxLength: 10 })).toBe(false);
    // Open content model: a property added may meet values of any type the writer let through.
    expect(reads('JSON', obj({ a: { type: 'string' }, b: { type: 'integer' } }), obj({ a: { type: 'string' } }))).toBe(false);
    // Closed writer: nothing else was written, so the reader may add a property.
    expect(reads('JSON', obj({ a: { type: 'string' }, b: { type: 'integer' } }), obj({ a: { type: 'string' } }, { additionalProperties: false }))).toBe(true);
    // Closed reader: a property the writer had is refused.
    expect(reads('JSON', obj({ a: { type: 'string' } }, { additionalProperties: false }), obj({ a: { type: 'string' }, b: { type: 'integer' } }, { additionalProperties: false }))).toBe(false);
    expect(reads('JSON', obj({ a: { type: 'array', items: { type: 'number' } } }), obj({ a: { type: 'array', items: { type: 'integer' } } }))).toBe(true);
  });

  it('Avro: schema resolution decides (defaults, promotions, removed fields)', () => {
    const rec = (fields: unknown[]) => ({ type: 'record', name: 'R', fields });
    expect(reads('AVRO', rec([{ name: 'a', type: 'int' }, { name: 'b', type: 'string', default: '' }]), rec([{ name: 'a', type: 'int' }]))).toBe(true);
    expect(reads('AVRO', rec([{ name: 'a', type: 'int' }, { name: 'b', type: 'string' }]), rec([{ name: 'a', type: 'int' }]))).toBe(false);
    expect(reads('AVRO', rec([{ name: 'a', type: 'long' }]), rec([{ name: 'a', type: 'int' }]))).toBe(true);
    expect(reads('AVRO', rec([{ name: 'a', type: 'int' }]), rec([{ name: 'a', type: 'long' }]))).toBe(false);
    expect(reads('AVRO', rec([]), rec([{ name: 'a', type: 'int' }]))).toBe(true);
  });

  it('Protobuf: a field keeps its wire type and cardinality; a message may not go; renames and new fields are fine', () => {
    const p = (body: string) => `syntax = "proto3"; package t; ${body}`;
    expect(reads('PROTOBUF', p('message M { int64 a = 1; string renamed = 2; bool c = 3; }'), p('message M { int32 a = 1; string b = 2; }'))).toBe(true);
    expect(reads('PROTOBUF', p('message M { string a = 1; }'), p('message M { int32 a = 1; }'))).toBe(false);
    expect(reads('PROTOBUF', p('message M { repeated int32 a = 1; }'), p('message M { int32 a = 1; }'))).toBe(false);
    expect(reads('PROTOBUF', p('message M { int32 a = 1; }'), p('message M { int32 a = 1; } message N { int32 b = 1; }'))).toBe(false);
  });

  it('says why a schema does not parse', () => {
    expect(parseSchema('AVRO', '{"type": "record", "name": "R", "fields": [{"name": "a", "type": "nope"}]}', [])).toMatch(/Invalid schema: .*nope/);
    expect(parseSchema('JSON', '{"type": "objekt"}', [])).toMatch(/Invalid schema/);
    expect(parseSchema('PROTOBUF', 'syntax = "proto3"; message M { Missing m = 1; }', [])).toMatch(/Invalid schema: .*Missing/);
  });
});

describe('the _schemas log', () => {
  const schema = (subject: string, version: number, id: number, text: string, claim: string, deleted = false): RegistryRecord => ({
    keytype: 'SCHEMA', subject, version, claim, value: { subject, version, id, schemaType: 'AVRO', schema: text, references: [], deleted },
  });
  const tombstone = (subject: string, version: number, claim: string): RegistryRecord => ({ keytype: 'SCHEMA', subject, version, claim, value: null });
  /** Replays records as the broker reads them back (encoded and decoded). */
  const replay = (records: RegistryRecord[]): RegistryState => {
    const s = new RegistryState();
    for (const r of records) {
      const e = encodeRegistryRecord(r);
      s.apply(decodeRegistryRecord(e.key, e.value)!);
    }
    return s;
  };
  /** What compaction leaves: the last record of each key, in log order. */
  const compacted = (records: RegistryRecord[]): RegistryRecord[] => {
    const keys = records.map((r) => encodeRegistryRecord(r).key.toString());
    return records.filter((_, i) => keys.lastIndexOf(keys[i]!) === i);
  };
  const view = (s: RegistryState) => [...s.subjects].map(([subject, vs]) => [subject, [...vs.values()].map((v) => [v.version, v.id, v.schema, v.deleted])]);

  it('the first claim of a version or an id wins; the loser withdraws; compaction keeps the outcome', () => {
    const log: RegistryRecord[] = [
      schema('s', 1, 1, '"int"', 'broker-a'),
      schema('s', 1, 1, '"long"', 'broker-b'), // lost the race for version 1 (and id 1)
      tombstone('s', 1, 'broker-b'), // its writer withdraws it
      schema('s', 2, 2, '"long"', 'broker-b'), // and tries again
      schema('t', 1, 2, '"string"', 'broker-c'), // claims id 2 for other content: ignored
      tombstone('t', 1, 'broker-c'),
      schema('t', 1, 3, '"string"', 'broker-c'),
      schema('s', 2, 2, '"long"', 'broker-b', true), // soft delete
    ];
    const expected = [['s', [[1, 1, '"int"', false], [2, 2, '"long"', true]]], ['t', [[1, 3, '"string"', false]]]];
    expect(view(replay(log))).toEqual(expected);
    expect(view(replay(compacted(log)))).toEqual(expected);
    expect(replay(log).maxId).toBe(3);
    // A hard delete frees the id's content; the version is gone.
    const afterHard = replay([...log, tombstone('s', 2, 'broker-b')]);
    expect(view(afterHard)).toEqual([['s', [[1, 1, '"int"', false]]], ['t', [[1, 3, '"string"', false]]]]);
    expect(afterHard.byId(2)).toBeUndefined();
  });

  it("skips records it does not know (another tool's keytypes, garbage)", () => {
    const s = new RegistryState();
    expect(decodeRegistryRecord(Buffer.from('{"keytype":"NOOP","magic":0}'), null)).toBeUndefined();
    expect(decodeRegistryRecord(Buffer.from('not json'), Buffer.from('{}'))).toBeUndefined();
    expect(decodeRegistryRecord(null, Buffer.from('{}'))).toBeUndefined();
    expect(s.subjects.size).toBe(0);
  });
});
