// A minimal pipelined Kafka client on floe's own protocol layer: sends
// typed requests (or raw bytes) over one TCP connection and matches
// responses by correlation id. Used by brokers to reach each other (transaction
// markers), by the benchmark's load generator and by
// tests that need exact control over the bytes on the wire.

import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { FrameDecoder } from './framing.ts';
import { writeRequestFrame } from './request-header.ts';
import { Reader } from './primitives/reader.ts';
import { readResponseHeader } from './generated/ResponseHeader.ts';
import { SaslAuthenticateApi, SaslHandshakeApi, type ApiDescriptor } from './generated/index.ts';

interface Waiter {
  resolve: (frame: Buffer) => void;
  reject: (e: Error) => void;
}

export class WireClient {
  private readonly socket: Socket;
  private readonly decoder = new FrameDecoder(512 * 1024 * 1024);
  private readonly waiters = new Map<number, Waiter>();
  private nextCorrelationId = 1;
  private closedError: Error | undefined;
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) {
        const id = frame.readInt32BE(0);
        const w = this.waiters.get(id);
        if (w !== undefined) {
          this.waiters.delete(id);
          w.resolve(frame);
        }
      }
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.closedError = new Error('connection closed');
        for (const w of this.waiters.values()) w.reject(this.closedError);
        this.waiters.clear();
        resolve();
      });
    });
    socket.on('error', () => undefined);
  }

  static connect(host: string, port: number): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, host);
      s.once('connect', () => resolve(new WireClient(s)));
      s.once('error', reject);
    });
  }

  /** As `connect`, over TLS (an SSL or SASL_SSL listener). */
  static connectTls(host: string, port: number, options: ConnectionOptions): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const s = connectTls({ host, port, ...options });
      s.once('secureConnect', () => resolve(new WireClient(s)));
      s.once('error', reject);
    });
  }

  /** SASL/PLAIN on a SASL listener (SaslHandshake v1, SaslAuthenticate v2); rejects when refused. */
  async authenticatePlain(user: string, password: string): Promise<void> {
    const h = await this.request(SaslHandshakeApi, 1, { mechanism: 'PLAIN' });
    if (h.errorCode !== 0) throw new Error(`SaslHandshake refused PLAIN (error ${h.errorCode}; offered ${h.mechanisms.join(', ')})`);
    const a = await this.request(SaslAuthenticateApi, 2, { authBytes: Buffer.from(`\u0000${user}\u0000${password}`, 'utf8') });
    if (a.errorCode !== 0) throw new Error(`SASL/PLAIN authentication failed: ${a.errorMessage ?? a.errorCode}`);
  }

  get isClosed(): boolean {
    return this.closedError !== undefined;
  }

  /** Sends a typed request and decodes the typed response. */
  async request<Req, Res>(api: ApiDescriptor<Req, Res>, version: number, body: Req, clientId = 'floe-wire-client'): Promise<Res> {
    const id = this.nextCorrelationId++;
    const frame = await this.exchange(id, writeRequestFrame(api, version, id, clientId, body));
    const r = new Reader(frame);
    readResponseHeader(r, api.responseHeaderVersion(version));
    return api.readResponse(r, version);
  }

  /** Sends a request expecting no response (acks=0 Produce). */
  send<Req>(api: ApiDescriptor<Req, unknown>, version: number, body: Req): void {
    const id = this.nextCorrelationId++;
    for (const c of writeRequestFrame(api, version, id, 'floe-wire-client', body)) this.socket.write(c);
  }

  /** Sends raw bytes; if `correlationId` is given, resolves with the response frame for it. */
  raw(bytes: Buffer, correlationId?: number): Promise<Buffer | undefined> {
    if (correlationId === undefined) {
      this.socket.write(bytes);
      return Promise.resolve(undefined);
    }
    return this.exchange(correlationId, [bytes]);
  }

  private exchange(id: number, chunks: Buffer[]): Promise<Buffer> {
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    const p = new Promise<Buffer>((resolve, reject) => this.waiters.set(id, { resolve, reject }));
    this.socket.cork();
    for (const c of chunks) this.socket.write(c);
    this.socket.uncork();
    return p;
  }

  close(): void {
    this.socket.destroy();
  }
}
