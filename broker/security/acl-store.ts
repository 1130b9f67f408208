// Owns the ACL bindings in the metadata store (one key per binding, so
// creations and deletions by different brokers never conflict) and this
// broker's copy of them, reloaded when any broker changes them (the store's
// watch), so an authorization check never waits on the database. Bounded by
// ACL_BINDINGS_MAX. Must not decide anything: the Authorizer does.

import { createHash } from 'node:crypto';
import type { MetadataStore, MetadataValue } from '../../s3stream/metadata/metadata-store.ts';
import type { AclBinding } from './acl.ts';
import { WatchedRecords } from '../watched-records.ts';

const PREFIX = 'acl/';
export const ACL_BINDINGS_MAX = 100_000;

const keyOf = (b: AclBinding): string => `${PREFIX}${createHash('sha256').update(JSON.stringify([b.resourceType, b.resourceName, b.patternType, b.principal, b.host, b.operation, b.permission])).digest('hex')}`;

export class AclStore {
  private readonly md: MetadataStore;
  private readonly copy: WatchedRecords<AclBinding>;

  constructor(md: MetadataStore) {
    this.md = md;
    this.copy = new WatchedRecords<AclBinding>(md, PREFIX);
  }

  start(): Promise<void> {
    return this.copy.start();
  }

  stop(): void {
    this.copy.stop();
  }

  /** This broker's copy (at most a watch round behind the store). */
  bindings(): readonly AclBinding[] {
    return this.copy.all;
  }

  /** Adds bindings (an existing one is left as is); false when the bound on bindings would be passed. */
  async create(bindings: readonly AclBinding[]): Promise<boolean> {
    if ((await this.copy.reload()).length + bindings.length > ACL_BINDINGS_MAX) return false;
    await this.md.commit(bindings.map((b) => ({ op: 'put' as const, key: keyOf(b), value: { ...b } as unknown as MetadataValue })));
    await this.copy.reload();
    return true;
  }

  async delete(bindings: readonly AclBinding[]): Promise<void> {
    if (bindings.length === 0) return;
    await this.md.commit(bindings.map((b) => ({ op: 'delete' as const, key: keyOf(b) })));
    await this.copy.reload();
  }

  /** The store's current bindings (not the cached copy), for DescribeAcls and DeleteAcls. */
  async current(): Promise<readonly AclBinding[]> {
    return this.copy.reload();
  }
}
