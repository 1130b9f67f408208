// Owns topics in the metadata store: name, topic id (UUID), the stream id of
// each partition, and config overrides. Every change is a compare-and-set on
// the topic's key, so a second broker (or a retry) can never half-apply one.

import { randomBytes } from 'node:crypto';
import type { MetadataStore, MetadataValue } from '../../s3stream/metadata/metadata-store.ts';
import type { StreamStore } from '../../s3stream/stream-store.ts';

export interface TopicRecord {
  name: string;
  /** UUID as base64url (Kafka's display form). */
  id: string;
  /** Stream id of each partition, by partition index. */
  streams: number[];
  configs: Record<string, string>;
}

const topicKey = (name: string): string => `t/${name}`;
export const TOPIC_NAME_LENGTH_MAX = 249;

/** Kafka's topic-name rule; undefined when valid. */
export function topicNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > TOPIC_NAME_LENGTH_MAX) return `Topic name is illegal, it can't be longer than ${TOPIC_NAME_LENGTH_MAX} characters`;
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return undefined;
}

function newTopicId(): string {
  // A random (v4) UUID that is never the zero or the reserved "metadata topic" id.
  const b = randomBytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return b.toString('base64url');
}

export class TopicRegistry {
  private readonly byName = new Map<string, TopicRecord>();
  private readonly byId = new Map<string, TopicRecord>();
  private readonly md: MetadataStore;
  private readonly streams: StreamStore;

  constructor(md: MetadataStore, streams: StreamStore) {
    this.md = md;
    this.streams = streams;
  }

  async load(): Promise<void> {
    for (const e of await this.md.range('t/')) this.index(e.value as unknown as TopicRecord);
  }

  private index(t: TopicRecord): void {
    this.byName.set(t.name, t);
    this.byId.set(t.id, t);
  }

  get(name: string): TopicRecord | undefined {
    return this.byName.get(name);
  }

  getById(id: string): TopicRecord | undefined {
    return this.byId.get(id);
  }

  all(): TopicRecord[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Creates a topic; returns undefined if it already exists. */
  async create(name: string, partitions: number, configs: Record<string, string>): Promise<TopicRecord | undefined> {
    if (this.byName.has(name)) return undefined;
    const streams: number[] = [];
    for (let i = 0; i < partitions; i++) streams.push(await this.streams.createStream());
    const t: TopicRecord = { name, id: newTopicId(), streams, configs };
    if (!(await this.md.commit([{ op: 'put', key: topicKey(name), value: t as unknown as MetadataValue, expectVersion: 0 }]))) {
      for (const s of streams) await this.streams.deleteStream(s);
      return undefined;
    }
    this.index(t);
    return t;
  }

  async delete(name: string): Promise<TopicRecord | undefined> {
    const t = this.byName.get(name);
    if (t === undefined) return undefined;
    await this.md.commit([{ op: 'delete', key: topicKey(name) }]);
    this.byName.delete(name);
    this.byId.delete(t.id);
    for (const s of t.streams) await this.streams.deleteStream(s);
    return t;
  }

  async addPartitions(name: string, total: number): Promise<TopicRecord> {
    const t = this.byName.get(name)!;
    const streams = [...t.streams];
    while (streams.length < total) streams.push(await this.streams.createStream());
    const next: TopicRecord = { ...t, streams };
    await this.md.commit([{ op: 'put', key: topicKey(name), value: next as unknown as MetadataValue }]);
    this.index(next);
    return next;
  }

  async setConfigs(name: string, configs: Record<string, string>): Promise<TopicRecord> {
    const t = this.byName.get(name)!;
    const next: TopicRecord = { ...t, configs };
    await this.md.commit([{ op: 'put', key: topicKey(name), value: next as unknown as MetadataValue }]);
    this.index(next);
    return next;
  }
}
