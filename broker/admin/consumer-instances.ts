// Owns the consumer instances this broker runs for HTTP callers: at most
// `max` of them, named uniquely within their group, each destroyed (its
// group left, what it delivered committed when it auto-commits) after
// `idleTimeoutMs` without a request, as REST Proxy's
// consumer.instance.timeout.ms does. Instances live in this broker only;
// the interface says where (a base URI) and must send callers back to it.

import type { ClusterAdmin } from './cluster-admin.ts';
import { ConsumerInstance, type ConsumerInstanceOptions, type TopicNames } from './consumer-instance.ts';

export interface ConsumerInstancesStats {
  created: number;
  expired: number;
  refused: number;
}

export class ConsumerInstances {
  readonly max: number;
  readonly idleTimeoutMs: number;
  readonly stats: ConsumerInstancesStats = { created: 0, expired: 0, refused: 0 };
  private readonly admin: ClusterAdmin;
  private readonly topics: TopicNames;
  private readonly instances = new Map<string, ConsumerInstance>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(admin: ClusterAdmin, topics: TopicNames, max: number, idleTimeoutMs: number) {
    this.admin = admin;
    this.topics = topics;
    this.max = max;
    this.idleTimeoutMs = idleTimeoutMs;
    this.sweeper = setInterval(() => { void this.expireIdle(Date.now()); }, Math.max(100, Math.min(5_000, Math.floor(idleTimeoutMs / 4))));
    this.sweeper.unref();
  }

  get size(): number {
    return this.instances.size;
  }

  /** A new instance; 'exists' when its group has one of that name, 'full' at the bound. */
  create(options: ConsumerInstanceOptions): ConsumerInstance | 'exists' | 'full' {
    const id = instanceKey(options.group, options.name);
    if (this.instances.has(id)) return 'exists';
    if (this.instances.size >= this.max) {
      this.stats.refused++;
      return 'full';
    }
    const instance = new ConsumerInstance(this.admin, this.topics, options);
    this.instances.set(id, instance);
    this.stats.created++;
    return instance;
  }

  get(group: string, name: string): ConsumerInstance | undefined {
    const instance = this.instances.get(instanceKey(group, name));
    if (instance !== undefined) instance.lastUsedAt = Date.now();
    return instance;
  }

  async destroy(group: string, name: string): Promise<boolean> {
    const id = instanceKey(group, name);
    const instance = this.instances.get(id);
    if (instance === undefined) return false;
    this.instances.delete(id);
    await instance.close();
    return true;
  }

  async expireIdle(now: number): Promise<void> {
    const idle = [...this.instances].filter(([, i]) => now - i.lastUsedAt > this.idleTimeoutMs);
    for (const [id] of idle) this.instances.delete(id);
    this.stats.expired += idle.length;
    await Promise.all(idle.map(([, i]) => i.close().catch(() => undefined)));
  }

  /** Leaves every group (the broker is stopping). */
  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    const all = [...this.instances.values()];
    this.instances.clear();
    await Promise.all(all.map((i) => i.close().catch(() => undefined)));
  }
}

const instanceKey = (group: string, name: string): string => `${group}\u0000${name}`;
