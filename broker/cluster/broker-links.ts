// Owns this broker's connections to the other brokers of its fleet, over
// their inter-broker listeners (the addresses they registered): one connection per
// broker, opened when first needed, replaced when it drops. Used for what a
// broker must ask another (transaction markers on partitions it leads).
// Every request is bounded in time; a broker that does not answer is an
// error for the caller to retry, never a wait without end.

import { WireClient } from '../../protocol/wire-client.ts';
import type { ApiDescriptor } from '../../protocol/generated/index.ts';
import type { ClusterView } from './cluster-view.ts';
import { endpointOn } from '../listeners.ts';

export class BrokerUnreachableError extends Error {
  readonly code = 'FLOE_ERR_BROKER_UNREACHABLE';
  constructor(nodeId: number, detail: string) {
    super(`broker ${nodeId} unreachable: ${detail}`);
  }
}

export class BrokerLinks {
  private readonly view: ClusterView;
  private readonly listener: string;
  private readonly requestTimeoutMs: number;
  private readonly links = new Map<number, { address: string; client: Promise<WireClient> }>();
  private closed = false;
  readonly stats = { requests: 0, failures: 0, connects: 0 };

  constructor(view: ClusterView, listener: string, requestTimeoutMs: number) {
    this.view = view;
    this.listener = listener;
    this.requestTimeoutMs = requestTimeoutMs;
  }

  private connection(nodeId: number): Promise<WireClient> {
    const reg = this.view.registration(nodeId);
    if (reg === undefined) return Promise.reject(new BrokerUnreachableError(nodeId, 'not registered'));
    const { host, port } = endpointOn(reg, this.listener);
    const address = `${host}:${port}`;
    const existing = this.links.get(nodeId);
    if (existing !== undefined && existing.address === address) return existing.client;
    existing?.client.then((c) => c.close(), () => undefined);
    this.stats.connects++;
    const client = WireClient.connect(host, port);
    const link = { address, client };
    this.links.set(nodeId, link);
    client.then((c) => c.closed.then(() => { if (this.links.get(nodeId) === link) this.links.delete(nodeId); }), () => { if (this.links.get(nodeId) === link) this.links.delete(nodeId); });
    return client;
  }

  /** Sends one request to a broker; rejects with BrokerUnreachableError when it cannot be sent or is not answered in time. */
  async request<Req, Res>(nodeId: number, api: ApiDescriptor<Req, Res>, version: number, body: Req): Promise<Res> {
    if (this.closed) throw new BrokerUnreachableError(nodeId, 'this broker is stopping');
    this.stats.requests++;
    let timer: NodeJS.Timeout | undefined;
    try {
      const c = await this.connection(nodeId);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          // A request without an answer leaves the connection in doubt: the next one starts afresh.
          c.close();
          reject(new BrokerUnreachableError(nodeId, `no answer in ${this.requestTimeoutMs} ms`));
        }, this.requestTimeoutMs);
      });
      return await Promise.race([c.request(api, version, body, `floe-broker-${this.view.nodeId}`), timeout]);
    } catch (e) {
      this.stats.failures++;
      if (e instanceof BrokerUnreachableError) throw e;
      throw new BrokerUnreachableError(nodeId, (e as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.closed = true;
    for (const l of this.links.values()) l.client.then((c) => c.close(), () => undefined);
    this.links.clear();
  }
}
