// Runs a real floe broker as a separate process (the CLI, as users run it)
// on 127.0.0.1 with its own data directory; stops it by its PID with SIGTERM
// or SIGKILL, and restarts it on the same port and data.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './free-port.ts';

const CLI = join(import.meta.dirname, '../../broker/cli.ts');

export interface BrokerProcessOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  dataDir?: string;
}

export class BrokerProcess {
  port = 0;
  /** Port of the broker's HTTP server (metrics, health, admin). */
  httpPort = 0;
  readonly dataDir: string;
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
  private child: ChildProcess | undefined;
  private ownsDataDir: boolean;
  log = '';

  private constructor(opts: BrokerProcessOptions) {
    this.ownsDataDir = opts.dataDir === undefined;
    this.dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'floe-broker-'));
    this.args = opts.args ?? [];
    this.env = opts.env ?? {};
  }

  static async start(opts: BrokerProcessOptions = {}): Promise<BrokerProcess> {
    const b = new BrokerProcess(opts);
    b.port = await freePort();
    await b.spawn();
    return b;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private async spawn(): Promise<void> {
    if (this.httpPort === 0) this.httpPort = await freePort();
    const child = spawn(process.execPath, [CLI, '--host', '127.0.0.1', '--port', String(this.port), '--http-port', String(this.httpPort), '--data-dir', this.dataDir, ...this.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FLOE_LOG_LEVEL: 'info', ...this.env },
    });
    this.child = child;
    const append = (d: Buffer): void => {
      this.log += d.toString();
      if (this.log.length > 200_000) this.log = this.log.slice(-100_000);
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`broker exited with ${code} while starting:\n${this.log}`))));
    await Promise.race([waitForPort(this.port, 20_000), exited]);
    // The port opens just before the start line is logged; wait for it so tests can read what started.
    const deadline = Date.now() + 10_000;
    while (!this.log.includes('floe broker started') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    exited.catch(() => undefined);
  }

  private async signal(sig: NodeJS.Signals): Promise<number | null> {
    const c = this.child;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return c?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
    c.kill(sig);
    const guard = setTimeout(() => c.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(guard);
    this.child = undefined;
    return code;
  }

  kill9(): Promise<number | null> {
    return this.signal('SIGKILL');
  }

  /** SIGTERM: graceful shutdown; resolves with the exit code. */
  stop(): Promise<number | null> {
    return this.signal('SIGTERM');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.spawn();
  }

  async startAgain(): Promise<void> {
    await this.spawn();
  }

  async destroy(): Promise<void> {
    await this.kill9();
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}
