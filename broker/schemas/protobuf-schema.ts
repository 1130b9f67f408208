// Owns Protobuf schemas (protobufjs): parsing a .proto with its imports (the
// references, and Google's well-known types), finding the message a record
// names by its message indexes, decoding a record with it, and comparing two
// schemas' messages field by field (a field keeps its number's type class
// and its cardinality; a message may not disappear). Must not know about
// subjects or storage.

import protobuf from 'protobufjs';
import type { ParsedSchema, ResolvedReference } from './parsed-schema.ts';

/** Scalar types that read each other's encoding (Protobuf's wire compatibility). */
const WIRE_CLASS: Record<string, string> = {
  int32: 'varint', uint32: 'varint', int64: 'varint', uint64: 'varint', bool: 'varint',
  sint32: 'zigzag', sint64: 'zigzag', fixed32: 'fixed32', sfixed32: 'fixed32', fixed64: 'fixed64', sfixed64: 'fixed64',
  string: 'bytes', bytes: 'bytes', float: 'float', double: 'double',
};

function messagesOf(ns: protobuf.NamespaceBase, into: protobuf.Type[] = []): protobuf.Type[] {
  for (const n of ns.nestedArray) {
    if (n instanceof protobuf.Type) into.push(n);
    if (n instanceof protobuf.Namespace || n instanceof protobuf.Type) messagesOf(n, into);
  }
  return into;
}

/** The top-level messages of the file, in order (message index [i] is the i-th). */
function topLevelMessages(file: protobuf.Root, pkg: string | undefined): protobuf.Type[] {
  const ns = pkg === undefined ? file : file.lookup(pkg);
  if (!(ns instanceof protobuf.Namespace) && !(ns instanceof protobuf.Root)) return [];
  return ns.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type);
}

const fieldClass = (f: protobuf.Field): string => {
  const base = f.resolvedType !== null ? `${f.resolvedType instanceof protobuf.Enum ? 'enum' : 'message'} ${f.resolvedType.fullName}` : (WIRE_CLASS[f.type] ?? f.type);
  return f.resolvedType instanceof protobuf.Enum ? 'varint' : base;
};

class ProtobufSchema implements ParsedSchema {
  readonly type = 'PROTOBUF' as const;
  readonly text: string;
  readonly canonical: string;
  /** Every message the file itself declares (nested ones too), resolved against its imports. */
  readonly messages: Map<string, protobuf.Type>;
  private readonly topLevel: protobuf.Type[];

  constructor(text: string, canonical: string, messages: protobuf.Type[], topLevel: protobuf.Type[]) {
    this.text = text;
    this.canonical = canonical;
    this.messages = new Map(messages.map((m) => [m.fullName, m]));
    this.topLevel = topLevel;
  }

  readingProblems(writer: ParsedSchema): string[] {
    if (!(writer instanceof ProtobufSchema)) return [`the schema type changed from ${writer.type} to PROTOBUF`];
    const problems: string[] = [];
    for (const [name, w] of writer.messages) {
      const r = this.messages.get(name);
      if (r === undefined) {
        problems.push(`message ${name.slice(1)} removed`);
        continue;
      }
      for (const wf of w.fieldsArray) {
        const rf = r.fieldsById[wf.id];
        if (rf === undefined) continue;
        if (fieldClass(wf) !== fieldClass(rf)) problems.push(`${name.slice(1)}: field ${wf.id} changed type from ${wf.type} to ${rf.type}`);
        if (wf.repeated !== rf.repeated || wf.map !== rf.map) problems.push(`${name.slice(1)}: field ${wf.id} changed cardinality`);
      }
    }
    return problems;
  }

  /** The message named by Confluent's message indexes: [i] the i-th top-level message, [i, j] its j-th nested one. */
  messageAt(indexes: number[]): protobuf.Type | undefined {
    let m: protobuf.Type | undefined = this.topLevel[indexes[0] ?? 0];
    for (const i of indexes.slice(1)) m = m?.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type)[i];
    return m;
  }

  decode(payload: Buffer, messageIndexes: number[]): unknown {
    const m = this.messageAt(messageIndexes);
    if (m === undefined) throw new Error(`no message at index ${JSON.stringify(messageIndexes)} in the schema`);
    return m.toObject(m.decode(payload), { longs: String, bytes: String, enums: String });
  }

  recordName(messageIndexes: number[]): string | undefined {
    return this.messageAt(messageIndexes)?.fullName.slice(1);
  }

  validate(payload: Buffer, messageIndexes: number[]): string | undefined {
    const m = this.messageAt(messageIndexes);
    if (m === undefined) return `no message at index ${JSON.stringify(messageIndexes)} in the schema`;
    try {
      m.decode(payload);
      return undefined;
    } catch (e) {
      return `not a valid encoding of ${m.fullName.slice(1)}: ${(e as Error).message}`;
    }
  }
}

/** Adds the references (theirs first) and the well-known types they import to `root`. */
function addFile(root: protobuf.Root, text: string, references: ResolvedReference[], seen: Set<string>): protobuf.IParserResult {
  for (const r of references) {
    if (r.type !== 'PROTOBUF') throw new Error(`reference ${r.name} is a ${r.type} schema, not PROTOBUF`);
    if (seen.has(r.name)) continue;
    seen.add(r.name);
    addFile(root, r.text, r.references, seen);
  }
  const parsed = protobuf.parse(text, root, { keepCase: true });
  for (const i of parsed.imports ?? []) {
    if (!i.startsWith('google/protobuf/') || seen.has(i)) continue;
    seen.add(i);
    const common = protobuf.common.get(i);
    if (common !== null) root.addJSON(common.nested ?? {});
  }
  return parsed;
}

export function parseProtobufSchema(text: string, references: ResolvedReference[]): ParsedSchema {
  try {
    const own = protobuf.parse(text, new protobuf.Root(), { keepCase: true });
    const root = new protobuf.Root();
    addFile(root, text, references, new Set());
    root.resolveAll();
    const resolve = (t: protobuf.Type): protobuf.Type => {
      const found = root.lookupType(t.fullName);
      return found;
    };
    const declared = messagesOf(own.root).map(resolve);
    if (declared.length === 0) throw new Error('the schema declares no message');
    return new ProtobufSchema(text, JSON.stringify({ package: own.package ?? null, nested: own.root.toJSON() }), declared, topLevelMessages(own.root, own.package).map(resolve));
  } catch (e) {
    throw new Error(`Invalid schema: ${(e as Error).message}`);
  }
}
