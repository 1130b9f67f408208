// Owns the contract between the connection layer and API handlers: what a
// handler gets (the broker, the request, its version) and returns (the
// response, or undefined when Kafka sends none, as for acks=0 Produce).

import type { ApiDescriptor } from '../../protocol/generated/index.ts';
import type { Broker } from '../broker.ts';

export interface RequestContext {
  broker: Broker;
  apiVersion: number;
  clientId: string | null;
  /** The client's address, as DescribeGroups reports it. */
  clientHost: string;
  correlationId: number;
  /**
   * Runs `fn` after every earlier `inOrder` call of the same connection has
   * finished: requests a client pipelines on one connection (Produce) take
   * effect in the order sent, as Kafka guarantees.
   */
  inOrder<T>(fn: () => Promise<T>): Promise<T>;
}

export interface ApiHandler<Req, Res> {
  readonly api: ApiDescriptor<Req, Res>;
  /** Versions this handler really serves; ApiVersions advertises exactly these. */
  readonly minVersion: number;
  readonly maxVersion: number;
  handle(req: Req, ctx: RequestContext): Promise<Res | undefined> | Res | undefined;
}

/** Erases the request/response types so handlers of different APIs share one table. */
export type AnyApiHandler = ApiHandler<unknown, unknown>;

export function defineHandler<Req, Res>(h: ApiHandler<Req, Res>): AnyApiHandler {
  return h as unknown as AnyApiHandler;
}
