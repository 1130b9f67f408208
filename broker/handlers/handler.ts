// Owns the contract between the connection layer and API handlers: what a
// handler gets (the narrow views of the broker it names, the request, its
// version) and returns (the response, or undefined when Kafka sends none, as
// for acks=0 Produce).

import type { ApiDescriptor } from '../../protocol/generated/index.ts';
import type { HandlerServices } from './broker-services.ts';
import type { ConnectionSession } from '../security/connection-session.ts';
import type { RefusedBatches } from './refused-batches.ts';

export interface RequestContext<S = HandlerServices> {
  /** The views of the broker this handler uses (see broker-services.ts). */
  broker: S;
  /** The listener the request came in on: brokers are named by their address on it. */
  listener: string;
  /** Who the client is (its principal) and where its SASL authentication stands. */
  session: ConnectionSession;
  /** Whether the client's principal, from its host, may do `operation` on the resource (always, with ACLs off). */
  allowed(operation: number, resourceType: number, resourceName: string): boolean;
  /** Mutes the connection for `ms` once this response is sent (a client over its quota, KIP-219). */
  throttle(ms: number): void;
  /** Whether some ACL lets the principal do `operation` on some resource of the type (Kafka's authorizeByResourceType). */
  allowedOnSome(operation: number, resourceType: number): boolean;
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
  /** The idempotent batches this connection was told were not written (see refused-batches.ts). */
  refusedBatches: RefusedBatches;
}

export interface ApiHandler<Req, Res, S = HandlerServices> {
  readonly api: ApiDescriptor<Req, Res>;
  /** Versions this handler really serves; ApiVersions advertises exactly these. */
  readonly minVersion: number;
  readonly maxVersion: number;
  handle(req: Req, ctx: RequestContext<S>): Promise<Res | undefined> | Res | undefined;
}

/** Erases the request/response types so handlers of different APIs share one table. */
export type AnyApiHandler = ApiHandler<unknown, unknown>;

/**
 * A handler for the table. `S`, the views it uses, is inferred from its
 * context's annotation (`ctx: RequestContext<GroupServices>`); the check
 * below refuses a handler that asks for something the broker does not provide.
 */
export function defineHandler<Req, Res, S = HandlerServices>(h: ApiHandler<Req, Res, S> & (HandlerServices extends S ? unknown : { servicesTheBrokerLacks: never })): AnyApiHandler {
  return h as unknown as AnyApiHandler;
}
