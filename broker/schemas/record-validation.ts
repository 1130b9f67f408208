// Owns schema validation on the produce path, for the topics that ask for it
// (floe.key/value.schema.validation = id | content): reading the Schema
// Registry wire format (magic byte 0, a 4-byte schema id, Protobuf's message
// indexes), checking the id names a schema registered for the record's
// subject (Confluent's subject name strategies), and with `content` that the
// bytes hold to that schema. It says which records fail and why; what
// happens to them (refused, or sent to a dead-letter topic) is the produce
// handler's. Null keys and values (tombstones) pass. Must not look inside
// records of topics without validation.

import { effectiveTopicConfig, NO_BROKER_CONFIGS } from '../topics/topic-configs.ts';
import { readWireFormat, type WireFormat } from './wire-format.ts';
import { isRegistryError, type RegistryError, type SchemaRegistry } from './schema-registry.ts';
import type { ParsedSchema } from './parsed-schema.ts';
import type { SchemaVersion } from './registry-log.ts';

export type SchemaValidationMode = 'off' | 'id' | 'content';
export type SubjectNameStrategy = 'TopicNameStrategy' | 'RecordNameStrategy' | 'TopicRecordNameStrategy';

export interface ValidationSettings {
  key: SchemaValidationMode;
  value: SchemaValidationMode;
  keyStrategy: SubjectNameStrategy;
  valueStrategy: SubjectNameStrategy;
  failure: 'reject' | 'dead-letter';
  deadLetterTopic: string;
}

/** The topic's validation settings; undefined when it validates nothing (the produce path's fast case). */
export function validationSettingsOf(topic: string, configs: Readonly<Record<string, string>>): ValidationSettings | undefined {
  const key = (configs['floe.key.schema.validation'] ?? 'off') as SchemaValidationMode;
  const value = (configs['floe.value.schema.validation'] ?? 'off') as SchemaValidationMode;
  if (key === 'off' && value === 'off') return undefined;
  const get = (name: string): string => effectiveTopicConfig(configs, name, NO_BROKER_CONFIGS);
  const dlq = get('floe.dead.letter.topic');
  return {
    key, value,
    keyStrategy: get('floe.key.subject.name.strategy') as SubjectNameStrategy,
    valueStrategy: get('floe.value.subject.name.strategy') as SubjectNameStrategy,
    failure: get('floe.validation.failure') as 'reject' | 'dead-letter',
    deadLetterTopic: dlq === '' ? `${topic}.dlq` : dlq,
  };
}

export interface RecordProblem {
  /** The record's index among the partition's records in the request. */
  index: number;
  part: 'key' | 'value';
  reason: string;
  schemaId: number | undefined;
}

/** What one produce's records ask of the registry, each looked up once (a batch names few schemas). */
class RegistryLookups {
  private readonly registry: SchemaRegistry;
  private readonly schemas = new Map<number, { known: SchemaVersion | undefined; parsed: ParsedSchema | RegistryError | undefined }>();
  private readonly membership = new Map<string, boolean>();

  constructor(registry: SchemaRegistry) {
    this.registry = registry;
  }

  schema(id: number): { known: SchemaVersion | undefined; parsed: ParsedSchema | RegistryError | undefined } {
    let s = this.schemas.get(id);
    if (s === undefined) {
      const known = this.registry.knownSchema(id);
      s = { known, parsed: known === undefined ? undefined : this.registry.parsedOf(known) };
      this.schemas.set(id, s);
    }
    return s;
  }

  inSubject(subject: string, id: number): boolean {
    const key = `${id}\u0000${subject}`;
    let m = this.membership.get(key);
    if (m === undefined) this.membership.set(key, m = this.registry.subjectHasId(subject, id));
    return m;
  }
}

export class RecordValidator {
  private readonly registry: SchemaRegistry;

  constructor(registry: SchemaRegistry) {
    this.registry = registry;
  }

  /** The subject a record's schema must be registered under. */
  private subjectOf(topic: string, part: 'key' | 'value', strategy: SubjectNameStrategy, recordName: string | undefined): string | undefined {
    if (strategy === 'TopicNameStrategy') return `${topic}-${part}`;
    if (recordName === undefined) return undefined;
    return strategy === 'RecordNameStrategy' ? recordName : `${topic}-${recordName}`;
  }

  /** Why one key or value fails, or undefined; `stale` when a newer registry might know better. */
  private checkOne(lookups: RegistryLookups, topic: string, part: 'key' | 'value', mode: SchemaValidationMode, strategy: SubjectNameStrategy, bytes: Buffer): { reason: string; schemaId: number | undefined; stale: boolean } | undefined {
    const head = readWireFormat(bytes, false);
    if (typeof head === 'string') return { reason: `${part}: ${head}`, schemaId: undefined, stale: false };
    const schemaId = head.schemaId;
    const { known, parsed } = lookups.schema(schemaId);
    if (known === undefined || parsed === undefined) return { reason: `${part}: schema id ${schemaId} is not registered`, schemaId, stale: true };
    if (isRegistryError(parsed)) return { reason: `${part}: schema id ${schemaId} does not parse: ${parsed.message}`, schemaId, stale: false };
    // Confluent's Protobuf serializers put message indexes after the id; @kafkajs/confluent-schema-registry
    // does not (its records are the first message): either is taken.
    const candidates: WireFormat[] = [];
    if (known.schemaType === 'PROTOBUF') {
      const withIndexes = readWireFormat(bytes, true);
      if (typeof withIndexes !== 'string') candidates.push(withIndexes);
    }
    candidates.push(head.messageIndexes.length === 0 ? { ...head, messageIndexes: [0] } : head);
    let first: { reason: string; schemaId: number | undefined; stale: boolean } | undefined;
    for (const wire of candidates) {
      const subject = this.subjectOf(topic, part, strategy, parsed.recordName(wire.messageIndexes));
      let problem: { reason: string; schemaId: number | undefined; stale: boolean } | undefined;
      if (subject === undefined) problem = { reason: `${part}: schema id ${schemaId} has no record name for ${strategy}`, schemaId, stale: false };
      else if (!lookups.inSubject(subject, schemaId)) problem = { reason: `${part}: schema id ${schemaId} is not a version of subject ${subject}`, schemaId, stale: true };
      else if (mode === 'content') {
        const invalid = parsed.validate(wire.payload, wire.messageIndexes);
        if (invalid !== undefined) problem = { reason: `${part}: ${invalid} (schema id ${schemaId}, subject ${subject})`, schemaId, stale: false };
      }
      if (problem === undefined) return undefined;
      first ??= problem;
    }
    return first;
  }

  /** The records (of one partition of a produce request) that fail the topic's validation, and why. */
  async problems(topic: string, settings: ValidationSettings, records: readonly { key: Buffer | null; value: Buffer | null }[]): Promise<RecordProblem[]> {
    const run = (): { problems: RecordProblem[]; stale: boolean } => {
      const lookups = new RegistryLookups(this.registry);
      const problems: RecordProblem[] = [];
      let stale = false;
      records.forEach((r, index) => {
        for (const part of ['key', 'value'] as const) {
          const mode = part === 'key' ? settings.key : settings.value;
          const bytes = part === 'key' ? r.key : r.value;
          if (mode === 'off' || bytes === null) continue;
          const p = this.checkOne(lookups, topic, part, mode, part === 'key' ? settings.keyStrategy : settings.valueStrategy, bytes);
          if (p === undefined) continue;
          stale ||= p.stale;
          problems.push({ index, part, reason: p.reason, schemaId: p.schemaId });
          break;
        }
      });
      return { problems, stale };
    };
    const first = run();
    if (!first.stale) return first.problems;
    // A schema registered through another broker a moment ago: read the registry to its end, then judge.
    const failed = await this.registry.catchUp();
    if (failed !== undefined) return records.map((_, index) => ({ index, part: 'value' as const, reason: `the Schema Registry could not be read: ${failed.message}`, schemaId: undefined }));
    return run().problems;
  }
}
