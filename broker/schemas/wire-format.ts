// Owns the Schema Registry wire format of a record's key or value: magic
// byte 0, a 4-byte schema id, for Protobuf the message indexes (Confluent's
// zigzag varints; a single 0 for the first message), then the payload; and
// decoding one with the registry for people to read (the HTTP API, the
// console). Must not decide whether a record is valid.

import type { SchemaRegistry } from './schema-registry.ts';
import { isRegistryError } from './schema-registry.ts';

export interface WireFormat {
  schemaId: number;
  messageIndexes: number[];
  payload: Buffer;
}

/** Reads a signed (zigzag) varint as Confluent's Protobuf serializer writes the message indexes. */
function zigzagVarint(buf: Buffer, at: { pos: number }): number | undefined {
  let result = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (at.pos >= buf.length) return undefined;
    const b = buf[at.pos++]!;
    result |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return (result >>> 1) ^ -(result & 1);
  }
  return undefined;
}

const MESSAGE_INDEXES_MAX = 32;

export function readWireFormat(bytes: Buffer, protobuf: boolean): WireFormat | string {
  if (bytes.length < 5 || bytes[0] !== 0) return 'not in the Schema Registry wire format (magic byte 0, then a 4-byte schema id)';
  const schemaId = bytes.readInt32BE(1);
  if (!protobuf) return { schemaId, messageIndexes: [], payload: bytes.subarray(5) };
  const at = { pos: 5 };
  const count = zigzagVarint(bytes, at);
  if (count === undefined || count < 0 || count > MESSAGE_INDEXES_MAX) return 'the Protobuf message indexes after the schema id do not parse';
  const messageIndexes: number[] = [];
  for (let i = 0; i < count; i++) {
    const ix = zigzagVarint(bytes, at);
    if (ix === undefined || ix < 0) return 'the Protobuf message indexes after the schema id do not parse';
    messageIndexes.push(ix);
  }
  return { schemaId, messageIndexes: count === 0 ? [0] : messageIndexes, payload: bytes.subarray(at.pos) };
}


/** A key or value decoded with its registered schema, in Confluent REST Proxy v3's shape; undefined when it is not in the wire format, its schema is not known here, or it does not decode. */
export function decodeWithRegistry(registry: Pick<SchemaRegistry, 'knownSchema' | 'parsedOf'>, bytes: Buffer): { type: 'AVRO' | 'JSONSCHEMA' | 'PROTOBUF'; schema_id: number; subject: string; data: unknown } | undefined {
  const head = readWireFormat(bytes, false);
  if (typeof head === 'string') return undefined;
  const known = registry.knownSchema(head.schemaId);
  if (known === undefined) return undefined;
  const parsed = registry.parsedOf(known);
  if (isRegistryError(parsed)) return undefined;
  const wires = known.schemaType === 'PROTOBUF' ? [readWireFormat(bytes, true), { ...head, messageIndexes: [0] }] : [head];
  for (const w of wires) {
    if (typeof w === 'string') continue;
    try {
      const data = parsed.decode(w.payload, w.messageIndexes);
      return { type: known.schemaType === 'JSON' ? 'JSONSCHEMA' : known.schemaType, schema_id: head.schemaId, subject: known.subject, data };
    } catch {
      // not this way: the next, or plain bytes
    }
  }
  return undefined;
}
