// Owns client quotas as Kafka keeps them: values (producer_byte_rate,
// consumer_byte_rate, request_percentage) per entity — a user, a client id,
// or both, each named or the default — in the metadata store, each broker's
// copy reloaded on the store's watch; and which entity's quota applies to a
// (user, client id) by Kafka's precedence. Must not measure or throttle.

import { createHash } from 'node:crypto';
import type { MetadataStore, MetadataValue } from '../../s3stream/metadata/metadata-store.ts';
import { WatchedRecords } from '../watched-records.ts';

export const QUOTA_KEYS = ['producer_byte_rate', 'consumer_byte_rate', 'request_percentage', 'controller_mutation_rate'] as const;
export type QuotaKey = typeof QUOTA_KEYS[number];

/** An entity: user and/or client-id; null name = the default of that type; a type absent = not part of the entity. */
export interface QuotaEntity {
  user?: string | null;
  'client-id'?: string | null;
}

interface StoredQuota {
  entity: QuotaEntity;
  values: Partial<Record<QuotaKey, number>>;
}

const PREFIX = 'quota/';
const keyOf = (e: QuotaEntity): string => `${PREFIX}${createHash('sha256').update(JSON.stringify([e.user === undefined ? 0 : e.user, e['client-id'] === undefined ? 0 : e['client-id']])).digest('hex')}`;
export const QUOTA_ENTITIES_MAX = 100_000;

export class ClientQuotaStore {
  private readonly md: MetadataStore;
  private readonly copy: WatchedRecords<StoredQuota>;

  constructor(md: MetadataStore) {
    this.md = md;
    this.copy = new WatchedRecords<StoredQuota>(md, PREFIX);
  }

  start(): Promise<void> {
    return this.copy.start();
  }

  stop(): void {
    this.copy.stop();
  }

  all(): readonly StoredQuota[] {
    return this.copy.all;
  }

  current(): Promise<readonly StoredQuota[]> {
    return this.copy.reload();
  }

  /** Sets and removes values of one entity; an entity left with none is removed. */
  async alter(entity: QuotaEntity, set: Partial<Record<QuotaKey, number>>, remove: readonly QuotaKey[]): Promise<void> {
    const key = keyOf(entity);
    const cur = (await this.md.get(key))?.value as unknown as StoredQuota | undefined;
    const values: Partial<Record<QuotaKey, number>> = { ...(cur?.values ?? {}), ...set };
    for (const k of remove) delete values[k];
    await this.md.commit([Object.keys(values).length === 0
      ? { op: 'delete', key }
      : { op: 'put', key, value: { entity, values } as unknown as MetadataValue }]);
    await this.copy.reload();
  }

  /**
   * The quota of `key` for a client, by Kafka's precedence: user+client-id,
   * user+default client, user, default user+client-id, default user+default
   * client, default user, client-id, default client. Undefined: unlimited.
   */
  quotaFor(user: string, clientId: string, key: QuotaKey): number | undefined {
    const find = (u: string | null | undefined, c: string | null | undefined): number | undefined => this.copy.all.find((q) => q.entity.user === u && q.entity['client-id'] === c && q.values[key] !== undefined)?.values[key];
    const order: [string | null | undefined, string | null | undefined][] = [
      [user, clientId], [user, null], [user, undefined], [null, clientId], [null, null], [null, undefined], [undefined, clientId], [undefined, null],
    ];
    for (const [u, c] of order) {
      const v = find(u, c);
      if (v !== undefined) return v;
    }
    return undefined;
  }
}
