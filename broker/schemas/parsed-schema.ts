// Owns what the registry needs of a schema in any of its languages (Avro,
// JSON Schema, Protobuf): parse it with its references, say whether two
// schemas mean the same, whether a reader can read what a writer wrote, and
// whether a record's bytes are valid. The languages live in their own
// modules; this one only dispatches. Must not know about subjects or storage.

import { parseAvroSchema } from './avro-schema.ts';
import { parseJsonSchema } from './json-schema.ts';
import { parseProtobufSchema } from './protobuf-schema.ts';

export const SCHEMA_TYPES = ['AVRO', 'JSON', 'PROTOBUF'] as const;
export type SchemaType = (typeof SCHEMA_TYPES)[number];

export const isSchemaType = (s: string): s is SchemaType => (SCHEMA_TYPES as readonly string[]).includes(s);

/** A schema another one imports, as registered: its name in the importing schema, and where it lives. */
export interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

/** A reference with the text (and references) of the schema it names, resolved by the registry. */
export interface ResolvedReference {
  name: string;
  type: SchemaType;
  text: string;
  references: ResolvedReference[];
}

export interface ParsedSchema {
  readonly type: SchemaType;
  /** The text as stored and served (compact JSON for Avro and JSON Schema, as given for Protobuf). */
  readonly text: string;
  /** Equal for two schemas that mean the same. */
  readonly canonical: string;
  /** Why a reader with this schema cannot read what `writer` wrote; empty when it can. */
  readingProblems(writer: ParsedSchema): string[];
  /**
   * Why `payload` (a record's key or value after the wire-format header; for
   * Protobuf also after the message indexes, given separately) does not hold
   * to this schema; undefined when it does.
   */
  validate(payload: Buffer, messageIndexes: number[]): string | undefined;
  /**
   * The record's name for RecordNameStrategy subjects: an Avro record's full
   * name, a JSON Schema's title, the Protobuf message at the indexes.
   */
  recordName(messageIndexes: number[]): string | undefined;
  /** The payload as JSON-ready data (bytes as base64, 64-bit integers as strings where they would lose precision); throws when it does not decode. */
  decode(payload: Buffer, messageIndexes: number[]): unknown;
}

/** Parses `text` as a schema of `type`; a string says why it is not one. */
export function parseSchema(type: SchemaType, text: string, references: ResolvedReference[]): ParsedSchema | string {
  try {
    switch (type) {
      case 'AVRO': return parseAvroSchema(text, references);
      case 'JSON': return parseJsonSchema(text, references);
      case 'PROTOBUF': return parseProtobufSchema(text, references);
    }
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
