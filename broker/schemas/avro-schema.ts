// Owns Avro schemas (avsc): parsing with referenced named types, reader and
// writer resolution (Avro's own schema-resolution rules decide
// compatibility), and checking a record's binary encoding. Must not know
// about subjects, versions or the wire-format header.

import avro from 'avsc';
import type { ParsedSchema, ResolvedReference } from './parsed-schema.ts';

/** Avro's decoded values as JSON can carry them: bytes and fixed as base64. */
function jsonReady(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (Array.isArray(v)) return v.map(jsonReady);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, jsonReady(x)]));
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonReady(x)]));
  return v;
}

class AvroSchema implements ParsedSchema {
  readonly type = 'AVRO' as const;
  readonly text: string;
  readonly canonical: string;
  readonly avroType: avro.Type;

  constructor(text: string, avroType: avro.Type) {
    this.text = text;
    this.canonical = text;
    this.avroType = avroType;
  }

  readingProblems(writer: ParsedSchema): string[] {
    if (!(writer instanceof AvroSchema)) return [`the schema type changed from ${writer.type} to AVRO`];
    try {
      this.avroType.createResolver(writer.avroType);
      return [];
    } catch (e) {
      return [(e as Error).message];
    }
  }

  decode(payload: Buffer): unknown {
    return jsonReady(this.avroType.fromBuffer(payload));
  }

  recordName(): string | undefined {
    return this.avroType.name;
  }

  validate(payload: Buffer): string | undefined {
    try {
      this.avroType.fromBuffer(payload);
      return undefined;
    } catch (e) {
      return `not a valid Avro encoding of the schema: ${(e as Error).message}`;
    }
  }
}

/** Declares every named type of the references (theirs first) in `registry`. */
function declareReferences(references: ResolvedReference[], registry: Record<string, avro.Type>): void {
  for (const r of references) {
    if (r.type !== 'AVRO') throw new Error(`reference ${r.name} is a ${r.type} schema, not AVRO`);
    declareReferences(r.references, registry);
    avro.Type.forSchema(JSON.parse(r.text) as avro.Schema, { registry });
  }
}

export function parseAvroSchema(text: string, references: ResolvedReference[]): ParsedSchema {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`Invalid schema: not JSON: ${(e as Error).message}`);
  }
  const registry: Record<string, avro.Type> = {};
  declareReferences(references, registry);
  try {
    return new AvroSchema(JSON.stringify(json), avro.Type.forSchema(json as avro.Schema, { registry }));
  } catch (e) {
    throw new Error(`Invalid schema: ${(e as Error).message}`);
  }
}
