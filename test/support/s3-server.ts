// Starts a real S3-compatible HTTP server (s3rver, from npm) as a separate
// process on 127.0.0.1 for tests, and stops it by its own PID. It can be
// stopped and restarted on the same port and data directory to simulate an
// object-storage outage, or paused (SIGSTOP) to simulate a stalled one.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { collectOutput, waitForOutput } from './child-output.ts';

const require = createRequire(import.meta.url);
const S3RVER_BIN = join(require.resolve('s3rver/package.json'), '..', 'bin', 's3rver.js');

export const S3_TEST_BUCKET = 'floe-test';
export const S3_TEST_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export class S3TestServer {
  port = 0;
  readonly dir = mkdtempSync(join(tmpdir(), 'floe-s3rver-'));
  private child: ChildProcess | undefined;

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The first start binds port 0 and reads the port s3rver got; restarts reuse it. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [S3RVER_BIN, '-d', this.dir, '-a', '127.0.0.1', '-p', String(this.port), '-s', '--configure-bucket', S3_TEST_BUCKET], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const m = await waitForOutput(child, collectOutput(child), /S3rver listening on [\d.]+:(\d+)\n/, 's3rver', 15_000);
    this.port = Number(m[1]);
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (c === undefined || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
    this.child = undefined;
  }

  /** SIGSTOP: connections stay open and requests go unanswered, as a stalled store does. */
  pause(): void {
    if (this.child?.exitCode === null) this.child.kill('SIGSTOP');
  }

  resume(): void {
    if (this.child?.exitCode === null) this.child.kill('SIGCONT');
  }

  async destroy(): Promise<void> {
    this.resume();
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
