// Owns topics in the metadata store: name, topic id (UUID), the stream id of
// each partition, and config overrides. Every change is a compare-and-set on
// the topic's key at the version last read, so two brokers can never
// half-apply or overwrite each other's change; the loser re-reads. Who leads
// a partition is its stream's owner key, written with the topic.

import { randomBytes } from 'node:crypto';
import type { MetadataOp, MetadataStore, MetadataValue } from '../../s3stream/metadata/metadata-store.ts';
import type { StreamStore } from '../../s3stream/stream-store.ts';
import { CoalescingTask } from '../coalescing-task.ts';

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
  private byName = new Map<string, TopicRecord>();
  private byId = new Map<string, TopicRecord>();
  /** Version of each topic's key as last read: every change is a compare-and-set on it. */
  private versions = new Map<string, number>();
  private readonly md: MetadataStore;
  private readonly streams: StreamStore;
  private readonly refresher = new CoalescingTask(() => this.load());

  constructor(md: MetadataStore, streams: StreamStore) {
    this.md = md;
    this.streams = streams;
  }

  /** Reads every topic; called at start and whenever the store says topics changed (another broker's change included). */
  async load(): Promise<void> {
    const byName = new Map<string, TopicRecord>();
    const byId = new Map<string, TopicRecord>();
    const versions = new Map<string, number>();
    for (const e of await this.md.range('t/')) {
      const t = e.value as unknown as TopicRecord;
      byName.set(t.name, t);
      byId.set(t.id, t);
      versions.set(t.name, e.version);
    }
    this.byName = byName;
    this.byId = byId;
    this.versions = versions;
  }

  /** As load, but one run at a time; a call during a run makes it go once more. */
  refresh(): Promise<void> {
    return this.refresher.run();
  }

  private index(t: TopicRecord, version: number): void {
    this.byName.set(t.name, t);
    this.byId.set(t.id, t);
    this.versions.set(t.name, version);
  }

  get(name: string): TopicRecord | undefined {
    return this.byName.get(name);
  }

  /**
   * As get, but a topic not known here is looked up in the store first: an
   * admin request may follow another broker's creation of it sooner than the
   * watch brings it (Kafka sends such requests to its controller, which knows).
   */
  async getFresh(name: string): Promise<TopicRecord | undefined> {
    const t = this.byName.get(name);
    if (t !== undefined) return t;
    await this.refresh();
    return this.byName.get(name);
  }

  getById(id: string): TopicRecord | undefined {
    return this.byId.get(id);
  }

  all(): TopicRecord[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /**
   * Creates a topic whose partition i is owned (led) by `owners[i]`, topic
   * key and streams in one commit; returns undefined if the name is taken
   * (here or by another broker meanwhile).
   */
  async create(name: string, configs: Record<string, string>, owners: readonly number[]): Promise<TopicRecord | undefined> {
    if (this.byName.has(name)) return undefined;
    const streams: number[] = [];
    const ops: MetadataOp[] = [];
    for (const owner of owners) {
      const s = await this.streams.newStream(owner);
      streams.push(s.id);
      ops.push(...s.ops);
    }
    const t: TopicRecord = { name, id: newTopicId(), streams, configs };
    ops.push({ op: 'put', key: topicKey(name), value: t as unknown as MetadataValue, expectVersion: 0 });
    if (!(await this.md.commit(ops))) {
      await this.refresh();
      return undefined;
    }
    this.index(t, 1);
    return t;
  }

  /** Deletes a topic: its key by compare-and-set, then its streams (which fences their owners). */
  async delete(name: string): Promise<TopicRecord | undefined> {
    const t = this.byName.get(name);
    if (t === undefined) return undefined;
    if (!(await this.md.commit([{ op: 'delete', key: topicKey(name), expectVersion: this.versions.get(name) ?? 0 }]))) {
      await this.refresh();
      return undefined;
    }
    this.byName.delete(name);
    this.byId.delete(t.id);
    this.versions.delete(name);
    for (const s of t.streams) await this.streams.deleteStream(s);
    return t;
  }

  /** Grows a topic to `total` partitions, the new ones owned by `owners` (in order); false if the topic changed meanwhile. */
  async addPartitions(name: string, total: number, owners: readonly number[]): Promise<boolean> {
    const t = this.byName.get(name)!;
    const streams = [...t.streams];
    const ops: MetadataOp[] = [];
    for (let i = 0; streams.length < total; i++) {
      const s = await this.streams.newStream(owners[i % owners.length]!);
      streams.push(s.id);
      ops.push(...s.ops);
    }
    return this.update(name, { ...t, streams }, ops);
  }

  /** Replaces a topic's config overrides; false if the topic changed meanwhile. */
  async setConfigs(name: string, configs: Record<string, string>): Promise<boolean> {
    return this.update(name, { ...this.byName.get(name)!, configs }, []);
  }

  private async update(name: string, next: TopicRecord, extra: MetadataOp[]): Promise<boolean> {
    const version = this.versions.get(name) ?? 0;
    if (!(await this.md.commit([...extra, { op: 'put', key: topicKey(name), value: next as unknown as MetadataValue, expectVersion: version }]))) {
      await this.refresh();
      return false;
    }
    this.index(next, version + 1);
    return true;
  }
}
