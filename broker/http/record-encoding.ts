// Owns how record keys and values cross the HTTP and MCP interfaces, in
// Confluent REST Proxy v3's shape: {type: JSON | STRING | BINARY, data}.
// Going in, JSON data is serialized, STRING is UTF-8 and BINARY is base64.
// Coming out, a value in the Schema Registry wire format whose schema the
// registry knows is decoded with it (AVRO, JSONSCHEMA or PROTOBUF, with its
// schema id and subject, as REST Proxy v3 shows them); otherwise a value that
// parses as JSON is JSON, valid UTF-8 is STRING, anything else BINARY (base64).

import { decodeWithRegistry } from '../schemas/wire-format.ts';

export type EncodedData = { type: 'JSON'; data: unknown } | { type: 'STRING'; data: string } | { type: 'BINARY'; data: string }
  | { type: 'AVRO' | 'JSONSCHEMA' | 'PROTOBUF'; schema_id: number; subject: string; data: unknown };

/** Decodes wire-format bytes with the registry (undefined: not such bytes, or not known). */
export type SchemaDecoder = (b: Buffer) => EncodedData | undefined;

export const schemaDecoderOf = (registry: Parameters<typeof decodeWithRegistry>[0]): SchemaDecoder => (b) => decodeWithRegistry(registry, b);

/** The bytes for an encoded key or value; a string is the reason when it is malformed. */
export function decodeData(d: unknown, what: string): Buffer | null | string {
  if (d === undefined || d === null) return null;
  if (typeof d !== 'object') return `${what} must be an object {type, data}`;
  const { type, data } = d as { type?: unknown; data?: unknown };
  switch (type ?? 'JSON') {
    case 'JSON': return data === undefined ? null : Buffer.from(JSON.stringify(data));
    case 'STRING': return typeof data === 'string' ? Buffer.from(data) : `${what}.data must be a string for type STRING`;
    case 'BINARY': {
      if (typeof data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(data)) return `${what}.data must be base64 for type BINARY`;
      return Buffer.from(data, 'base64');
    }
    default: return `${what}.type must be JSON, STRING or BINARY`;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function encodeData(b: Buffer | null, schemas?: SchemaDecoder): EncodedData | null {
  if (b === null) return null;
  const decoded = schemas?.(b);
  if (decoded !== undefined) return decoded;
  let text: string;
  try {
    text = utf8.decode(b);
  } catch {
    return { type: 'BINARY', data: b.toString('base64') };
  }
  try {
    return { type: 'JSON', data: JSON.parse(text) as unknown };
  } catch {
    return { type: 'STRING', data: text };
  }
}
