// Runs a real floe broker as a separate process (the CLI, as users run it)
// on 127.0.0.1 (or an address of a network namespace the test made) with its
// own data directory; stops it by its PID with SIGTERM or SIGKILL, and
// restarts it on the same port and data.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectOutput, waitForOutput, type ChildOutput } from './child-output.ts';

const CLI = join(import.meta.dirname, '../../broker/cli.ts');
const EARLIER_OUTPUT_CHARS_MAX = 4_000_000;

export interface BrokerProcessOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  dataDir?: string;
  /** How long a start may take before it fails (default 30 s). */
  startTimeoutMs?: number;
  /** Address the broker binds and advertises (default 127.0.0.1). */
  host?: string;
  /** A command that runs the broker in place (`ip netns exec NS`): it must exec, not fork, so the PID is the broker's. */
  execPrefix?: string[];
}

const START_TIMEOUT_MS_DEFAULT = 30_000;

/** Waits for a broker's start line (info level) and returns the ports it says it bound. */
export async function waitForBrokerStarted(child: ChildProcess, output: ChildOutput, what: string, timeoutMs = START_TIMEOUT_MS_DEFAULT): Promise<{ port: number; httpPort: number }> {
  const started = await waitForOutput(child, output, /^(\{.*"msg":"floe broker started".*\})\n/m, what, timeoutMs);
  const { port, httpPort } = JSON.parse(started[1]!) as { port: number; httpPort: number };
  return { port, httpPort };
}

export class BrokerProcess {
  port = 0;
  /** Port of the broker's HTTP server (metrics, health, admin). */
  httpPort = 0;
  readonly dataDir: string;
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
  private readonly startTimeoutMs: number;
  readonly host: string;
  private readonly execPrefix: string[];
  private child: ChildProcess | undefined;
  private ownsDataDir: boolean;
  private output: ChildOutput | undefined;
  /** What earlier runs of this broker printed (bounded, newest kept), for a history of restarts. */
  private earlierOutput = '';
  private readonly signalled = new WeakSet<ChildProcess>();

  private constructor(opts: BrokerProcessOptions) {
    this.ownsDataDir = opts.dataDir === undefined;
    this.dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'floe-broker-'));
    this.args = opts.args ?? [];
    this.env = opts.env ?? {};
    this.startTimeoutMs = opts.startTimeoutMs ?? START_TIMEOUT_MS_DEFAULT;
    this.host = opts.host ?? '127.0.0.1';
    this.execPrefix = opts.execPrefix ?? [];
  }

  static async start(opts: BrokerProcessOptions = {}): Promise<BrokerProcess> {
    const b = new BrokerProcess(opts);
    await b.spawn();
    return b;
  }

  get bootstrap(): string {
    return `${this.host}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * The first start binds port 0 for Kafka and HTTP and learns the ports from
   * the start line; restarts reuse them, as clients reconnect to the same address.
   */
  private async spawn(): Promise<void> {
    const [program, ...args] = [...this.execPrefix, process.execPath, CLI, '--host', this.host, '--port', String(this.port), '--http-port', String(this.httpPort), '--data-dir', this.dataDir, ...this.args];
    const child = spawn(program!, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      // At least info: the start line says which ports the broker got.
      env: { ...process.env, ...this.env, FLOE_LOG_LEVEL: this.env.FLOE_LOG_LEVEL === 'debug' ? 'debug' : 'info' },
    });
    this.child = child;
    if (this.output !== undefined) this.earlierOutput = `${this.earlierOutput}${this.output.text()}--- restarted ---\n`.slice(-EARLIER_OUTPUT_CHARS_MAX);
    const output = collectOutput(child);
    this.output = output;
    // A broker that dies on its own fails the tests with connection errors; say why.
    child.once('exit', (code, sig) => {
      if (!this.signalled.has(child)) process.stderr.write(`floe broker (pid ${child.pid}) exited by itself (${sig ?? code}); its last output:\n${output.text().slice(-4000)}\n`);
    });
    const ports = await waitForBrokerStarted(child, output, 'broker', this.startTimeoutMs);
    this.port = ports.port;
    this.httpPort = ports.httpPort;
  }

  /** What the broker printed since it was last started (bounded). */
  get log(): string {
    return this.output?.text() ?? '';
  }

  /** What the broker printed across its restarts (bounded, the newest kept). */
  get logAcrossRestarts(): string {
    return `${this.earlierOutput}${this.log}`;
  }

  private async signal(sig: NodeJS.Signals): Promise<number | null> {
    const c = this.child;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return c?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
    this.signalled.add(c);
    c.kill(sig);
    const guard = setTimeout(() => c.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(guard);
    this.child = undefined;
    return code;
  }

  /** SIGSTOP: the process is frozen (a paused VM, a GC from hell) until resume(). */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
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
    // To read what brokers said in a failed run: FLOE_TEST_LOG_DIR keeps every broker's output, one file each.
    const keepIn = process.env.FLOE_TEST_LOG_DIR;
    if (keepIn !== undefined && keepIn !== '') {
      mkdirSync(keepIn, { recursive: true });
      writeFileSync(join(keepIn, `broker-${process.pid}-${this.port}.log`), this.logAcrossRestarts);
    }
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}
