// Owns one client connection: cutting frames, decoding headers, dispatching
// to handlers with many requests in flight (pipelining), and writing
// responses strictly in request order with vectored writes. Bounds: frame
// size (socket.request.max.bytes) and in-flight requests (reading pauses).
// A frame that cannot be parsed closes this connection only.

import type { Socket } from 'node:net';
import { FrameDecoder, FrameTooLargeError, InvalidFrameSizeError } from '../protocol/framing.ts';
import { readRequestFrame, writeResponseFrame } from '../protocol/request-header.ts';
import { KafkaDecodeError } from '../protocol/primitives/decode-error.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { ApiKey, ApiVersionsApi } from '../protocol/generated/index.ts';
import { defaultApiVersionsResponse } from '../protocol/generated/ApiVersionsResponse.ts';
import type { Broker } from './broker.ts';
import type { ConnectionSession } from './security/connection-session.ts';
import { saslStep } from './security/sasl-authenticator.ts';
import { RefusedBatches } from './handlers/refused-batches.ts';

/** A request that takes this long is logged (JoinGroup parked through a rebalance, a produce waiting for storage...). */
const SLOW_REQUEST_MS = 5_000;

interface Slot {
  done: boolean;
  chunks: Buffer[] | undefined;
  /** Close the connection once the responses before this slot are written (Kafka's answer to a version it does not serve). */
  closeReason?: string;
}

export class Connection {
  private readonly socket: Socket;
  private readonly broker: Broker;
  private readonly decoder: FrameDecoder;
  private readonly slots: Slot[] = [];
  private inFlight = 0;
  private paused = false;
  private closed = false;
  private orderChain: Promise<unknown> = Promise.resolve();
  private readonly refusedBatches = new RefusedBatches();
  private throttledUntil = 0;
  private throttleTimer: NodeJS.Timeout | undefined;
  readonly remote: string;
  private readonly clientHost: string;
  private readonly listener: string;
  private readonly session: ConnectionSession;
  private readonly allowed: (operation: number, resourceType: number, resourceName: string) => boolean;
  private readonly allowedOnSome: (operation: number, resourceType: number) => boolean;

  constructor(socket: Socket, broker: Broker, listener: string, session: ConnectionSession) {
    this.socket = socket;
    this.broker = broker;
    this.listener = listener;
    this.session = session;
    // ACL hosts are plain addresses: an IPv4 client on a dual-stack socket is named as IPv4.
    const host = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    this.allowed = (operation, resourceType, resourceName) => broker.authorizer.authorize(session.principal, host, operation, resourceType, resourceName);
    this.allowedOnSome = (operation, resourceType) => broker.authorizer.authorizeByResourceType(session.principal, host, operation, resourceType);
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.clientHost = `/${socket.remoteAddress ?? ''}`;
    // Until a SASL client has authenticated, only frames of SASL's size are read.
    this.decoder = new FrameDecoder(session.authenticated ? broker.config.socketRequestMaxBytes : Math.min(broker.config.socketRequestMaxBytes, broker.config.saslServerMaxReceiveSize));
    socket.setNoDelay(true);
    socket.setTimeout(broker.config.connectionsMaxIdleMs);
    socket.on('timeout', () => {
      if (this.inFlight === 0) this.close('idle timeout');
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.close(`socket error: ${e.message}`));
    socket.on('close', () => { this.closed = true; });
  }

  get inFlightRequests(): number {
    return this.inFlight;
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      if (e instanceof FrameTooLargeError || e instanceof InvalidFrameSizeError) {
        this.broker.metrics.badFrames.inc();
        this.broker.log.warn({ remote: this.remote, err: e.message }, 'closing connection: bad frame size');
        this.close(e.message);
        return;
      }
      throw e;
    }
    for (const f of frames) this.onFrame(f);
  }

  private onFrame(frame: Buffer): void {
    if (this.closed) return;
    if (this.session.rawTokens && !this.session.authenticated) {
      this.onRawSaslToken(frame);
      return;
    }
    let header;
    try {
      header = readRequestFrame(frame);
    } catch (e) {
      if (e instanceof KafkaDecodeError) {
        this.broker.metrics.badFrames.inc();
        this.broker.log.warn({ remote: this.remote, err: e.message }, 'closing connection: unparseable request header');
        this.close(e.message);
        return;
      }
      throw e;
    }
    const slot: Slot = { done: false, chunks: undefined };
    this.slots.push(slot);
    this.inFlight++;
    if (this.inFlight >= this.broker.config.queuedMaxRequestsPerConnection && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    const { apiKey, apiVersion, correlationId } = header;
    const saslOrVersions = apiKey === ApiKey.ApiVersions || apiKey === ApiKey.SaslHandshake || apiKey === ApiKey.SaslAuthenticate;
    if (!saslOrVersions && this.session.expired()) {
      // KIP-368: the session ended without re-authentication; as Kafka, the connection goes.
      this.broker.metrics.unauthenticatedRequests.inc();
      this.broker.log.debug({ remote: this.remote, apiKey }, 'closing connection: SASL session expired');
      this.close('SASL session expired');
      return;
    }
    if (!this.session.authenticated && !saslOrVersions) {
      // As Kafka: anything else before authentication is a protocol violation; the connection goes.
      this.broker.metrics.unauthenticatedRequests.inc();
      this.broker.log.debug({ remote: this.remote, apiKey }, 'closing connection: request before SASL authentication');
      this.close('request before authentication');
      return;
    }
    const handler = this.broker.handlers.get(apiKey);
    const supported = handler !== undefined && apiVersion >= handler.minVersion && apiVersion <= handler.maxVersion;
    if (!supported) {
      this.broker.metrics.unsupportedRequests.inc();
      if (apiKey !== ApiKey.ApiVersions) {
        // As Kafka: a request it cannot parse at that version (or an API it does not know) closes the connection;
        // a client learns the versions from ApiVersions, which alone is answered at any version.
        this.broker.log.debug({ remote: this.remote, apiKey, apiVersion }, 'closing connection: unsupported API or version');
        slot.closeReason = `unsupported API ${apiKey} version ${apiVersion}`;
        this.complete(slot, undefined);
        return;
      }
      this.complete(slot, this.unsupported(correlationId));
      return;
    }
    let request: unknown;
    try {
      request = handler.api.readRequest(header.body, apiVersion);
    } catch (e) {
      if (e instanceof KafkaDecodeError) {
        this.broker.metrics.badFrames.inc();
        this.broker.log.warn({ remote: this.remote, api: handler.api.name, version: apiVersion, err: e.message }, 'closing connection: unparseable request');
        this.close(e.message);
        return;
      }
      throw e;
    }
    const started = process.hrtime.bigint();
    Promise.resolve()
      .then(() => handler.handle(request, { broker: this.broker, listener: this.listener, session: this.session, allowed: this.allowed, allowedOnSome: this.allowedOnSome, throttle: (ms) => this.throttle(ms), apiVersion, clientId: header.clientId, clientHost: this.clientHost, correlationId, inOrder: (fn) => this.inOrder(fn), refusedBatches: this.refusedBatches }))
      .then((response) => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        this.broker.metrics.observeRequest(handler.api.name, apiVersion, seconds);
        // A request held this long holds every later response of the connection too (they go in order).
        if (seconds * 1000 >= SLOW_REQUEST_MS) this.broker.log.info({ api: handler.api.name, version: apiVersion, clientId: header.clientId, remote: this.remote, ms: Math.round(seconds * 1000) }, 'slow request');
        if (this.session.authenticated) this.decoder.frameBytesMax = this.broker.config.socketRequestMaxBytes;
        this.complete(slot, response === undefined ? undefined : writeResponseFrame(handler.api, apiVersion, correlationId, response));
        // A failed authentication is answered, then the connection goes (as Kafka does).
        if (this.session.failed) this.socket.end();
      })
      .catch((e: unknown) => {
        // A handler exception is a bug in floe: log it loudly and drop the connection rather than guess an answer.
        this.broker.metrics.handlerErrors.inc();
        this.broker.log.error({ err: e instanceof Error ? e.stack : String(e), api: handler.api.name, version: apiVersion }, 'request handler failed');
        this.close('handler error');
      });
  }

  /** A SASL token after a v0 SaslHandshake: answered raw (size-prefixed); a failure closes the connection. */
  private onRawSaslToken(token: Buffer): void {
    const slot: Slot = { done: false, chunks: undefined };
    this.slots.push(slot);
    this.inFlight++;
    saslStep(this.session, token, {
      maxReauthMs: this.broker.config.connectionsMaxReauthMs, metrics: this.broker.metrics, log: this.broker.log, failureDelayMs: this.broker.config.connectionFailedAuthenticationDelayMs, listener: this.listener, client: this.clientHost,
    }).then((r) => {
      if (!r.ok) {
        this.complete(slot, undefined);
        this.close('SASL authentication failed');
        return;
      }
      if (this.session.authenticated) this.decoder.frameBytesMax = this.broker.config.socketRequestMaxBytes;
      const size = Buffer.alloc(4);
      size.writeInt32BE(r.response.length, 0);
      this.complete(slot, [size, r.response]);
    }, (e: unknown) => {
      this.broker.log.error({ err: e instanceof Error ? e.stack : String(e) }, 'SASL step failed');
      this.close('SASL error');
    });
  }

  /** Stops reading from the client for `ms` (KIP-219: the response says how long, the broker enforces it). */
  private throttle(ms: number): void {
    if (ms <= 0 || this.closed) return;
    this.throttledUntil = Math.max(this.throttledUntil, performance.now() + ms);
    if (!this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    this.resumeIfDue();
  }

  /**
   * Resumes reading unless the connection is still throttled (then it looks again when the
   * throttle ends: a timer may fire a millisecond before the monotonic clock says it is due) or has too
   * many requests in flight (then the next completed one calls this again).
   */
  private resumeIfDue(): void {
    if (!this.paused || this.closed) return;
    const wait = this.throttledUntil - performance.now();
    if (wait > 0) {
      clearTimeout(this.throttleTimer);
      this.throttleTimer = setTimeout(() => this.resumeIfDue(), wait);
      return;
    }
    if (this.inFlight < this.broker.config.queuedMaxRequestsPerConnection) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private inOrder<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.orderChain.then(fn);
    this.orderChain = p.catch(() => undefined);
    return p;
  }

  /** Kafka's answer to an ApiVersions request at a version it does not serve: v0, UNSUPPORTED_VERSION and the supported ranges. */
  private unsupported(correlationId: number): Buffer[] {
    return writeResponseFrame(ApiVersionsApi, 0, correlationId, {
      ...defaultApiVersionsResponse(), errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: this.broker.handlers.advertised(),
    });
  }

  private complete(slot: Slot, chunks: Buffer[] | undefined): void {
    slot.done = true;
    slot.chunks = chunks;
    this.inFlight--;
    // Responses leave in request order, however handlers finish.
    if (this.closed) return;
    let wrote = false;
    while (this.slots.length > 0 && this.slots[0]!.done) {
      const s = this.slots.shift()!;
      if (s.closeReason !== undefined) {
        if (wrote) this.socket.uncork();
        this.closeAfterWrites(s.closeReason);
        return;
      }
      if (s.chunks === undefined) continue;
      if (!wrote) this.socket.cork();
      wrote = true;
      for (const c of s.chunks) this.socket.write(c);
      this.broker.metrics.bytesOut.inc(s.chunks.reduce((a, c) => a + c.length, 0));
    }
    if (wrote) this.socket.uncork();
    this.resumeIfDue();
  }

  /** As close, but what is written already still reaches the client (end, not destroy). */
  private closeAfterWrites(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.throttleTimer);
    this.broker.log.debug({ remote: this.remote, reason }, 'connection closed');
    this.socket.end();
    // A client that never closes its side does not keep the socket.
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.throttleTimer);
    this.broker.log.debug({ remote: this.remote, reason }, 'connection closed');
    this.socket.destroy();
  }
}
