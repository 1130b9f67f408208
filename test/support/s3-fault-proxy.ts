// An HTTP proxy in front of the S3 test server that injects the faults a
// real object store shows under stress: delayed responses and 503 SlowDown /
// 500 InternalError answers, at a rate the test sets and changes while it
// runs. It forwards requests byte for byte (the Host header too, so SigV4
// signatures still verify upstream) and must not change what a passing
// request stores or returns. Runs in the test's own process on 127.0.0.1.

import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface S3Faults {
  /** Each request waits a random time up to this long before it is forwarded. */
  delayMsMax: number;
  /** The fraction of requests (0-1) answered with an error instead of being forwarded. */
  errorRate: number;
}

const NO_FAULTS: S3Faults = { delayMsMax: 0, errorRate: 0 };

/** S3's throttling and internal error answers, as the SDK parses them (both retriable). */
const ERRORS = [
  { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' },
  { status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' },
] as const;

export class S3FaultProxy {
  port = 0;
  faults: S3Faults = NO_FAULTS;
  /** Requests answered with an injected error, and forwarded after an injected delay. */
  readonly injected = { errors: 0, delayed: 0 };
  private readonly servers: Server[] = [];
  private readonly upstreamPort: () => number;
  private random: () => number;

  /** `upstreamPort` is read per request: the S3 test server keeps its port across restarts, but is asked anyway. */
  constructor(upstreamPort: () => number, random: () => number = Math.random) {
    this.upstreamPort = upstreamPort;
    this.random = random;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens on each of `hosts`, all on the port the first one got. */
  async start(hosts: readonly string[] = ['127.0.0.1']): Promise<void> {
    for (const host of hosts) {
      const server = createServer((req, res) => this.handle(req, res));
      // SDK clients keep connections alive; they must not hold the proxy open at the end.
      server.keepAliveTimeout = 1000;
      this.servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.port, host, () => resolve());
      });
      const addr = server.address();
      this.port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    }
  }

  heal(): void {
    this.faults = NO_FAULTS;
  }

  async stop(): Promise<void> {
    const servers = this.servers.splice(0);
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const { delayMsMax, errorRate } = this.faults;
    if (errorRate > 0 && this.random() < errorRate) {
      this.injected.errors++;
      const e = ERRORS[Math.floor(this.random() * ERRORS.length)]!;
      // The body is read first: answering before it is taken leaves the client writing into a closed request.
      req.resume();
      req.on('end', () => {
        res.writeHead(e.status, { 'content-type': 'application/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${e.code}</Code><Message>${e.message}</Message><RequestId>floe-fault-proxy</RequestId></Error>`);
      });
      return;
    }
    const delay = delayMsMax > 0 ? Math.floor(this.random() * delayMsMax) : 0;
    if (delay > 0) this.injected.delayed++;
    req.pause();
    setTimeout(() => this.forward(req, res), delay);
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const up = request({ host: '127.0.0.1', port: this.upstreamPort(), method: req.method, path: req.url, headers: req.headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => {
      // Upstream down (the campaign stops it too): the client sees the connection fail, as it would without the proxy.
      res.destroy();
    });
    req.on('error', () => up.destroy());
    req.pipe(up);
    req.resume();
  }
}
