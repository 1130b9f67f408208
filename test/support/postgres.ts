// Starts a real PostgreSQL server (Debian's postgresql package) for tests:
// initdb in a temporary directory, the server as a child process of the
// test on 127.0.0.1, stopped and restarted by its own PID. When the tests
// run as root (CI), the server runs as the `postgres` user, as PostgreSQL
// refuses root. One server per test file; each cluster under test gets a
// database of its own (`newDatabase`).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { collectOutput, waitForOutput } from './child-output.ts';
import { freePort } from './free-port.ts';

function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error('PostgreSQL is not installed (apt-get install postgresql; .ci/run does it)');
  return join(root, versions[0]!, 'bin');
}

/** uid/gid to run the server as: the postgres user when we are root, else ourselves. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) throw new Error('running as root and there is no postgres user to run PostgreSQL as');
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

export class PostgresTestServer {
  port = 0;
  readonly dir = mkdtempSync(join(tmpdir(), 'floe-pg-'));
  private readonly bin = postgresBinDir();
  private readonly user = serverUser();
  private child: ChildProcess | undefined;
  private databases = 0;

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Addresses to listen on besides 127.0.0.1 (test network namespaces), and the network trusted on them. */
  private extraListen: string[] = [];

  static async start(opts: { listenAlsoOn?: string[]; trustNetwork?: string } = {}): Promise<PostgresTestServer> {
    const s = new PostgresTestServer();
    s.extraListen = opts.listenAlsoOn ?? [];
    if (s.user !== undefined) chownSync(s.dir, s.user.uid, s.user.gid);
    const init = spawnSync(join(s.bin, 'initdb'), ['-D', join(s.dir, 'data'), '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync'], {
      encoding: 'utf8', ...(s.user ?? {}),
    });
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}${init.stdout}`);
    if (opts.trustNetwork !== undefined) appendFileSync(join(s.dir, 'data', 'pg_hba.conf'), `host all all ${opts.trustNetwork} trust\n`);
    // A port taken between the pick and the bind makes the server exit: pick again.
    for (let attempt = 0; ; attempt++) {
      s.port = await freePort();
      try {
        await s.spawn();
        return s;
      } catch (e) {
        if (attempt >= 4) throw e;
      }
    }
  }

  private async spawn(): Promise<void> {
    const child = spawn(join(this.bin, 'postgres'), [
      '-D', join(this.dir, 'data'), '-p', String(this.port), '-c', `listen_addresses=${['127.0.0.1', ...this.extraListen].join(',')}`, '-c', `unix_socket_directories=${this.dir}`,
      // A test server: losing the OS cache is not what the tests exercise; process crashes still are.
      '-c', 'fsync=off', '-c', 'max_connections=200',
    ], { stdio: ['ignore', 'pipe', 'pipe'], ...(this.user ?? {}) });
    this.child = child;
    await waitForOutput(child, collectOutput(child), /database system is ready to accept connections/, 'postgres', 30_000);
  }

  /** A new, empty database on this server; returns its URL. */
  async newDatabase(): Promise<string> {
    const name = `floe_${++this.databases}_${process.pid}`;
    const c = new pg.Client({ connectionString: this.url });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE ${name}`);
    } finally {
      await c.end();
    }
    return `postgres://postgres@127.0.0.1:${this.port}/${name}`;
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const c = this.child;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(sig);
    await exited;
    this.child = undefined;
  }

  /** SIGKILL the postmaster (its backends see it gone and exit). */
  kill9(): Promise<void> {
    return this.signal('SIGKILL');
  }

  /** Fast shutdown (SIGINT): connections are cut, as in a restart. */
  stop(): Promise<void> {
    return this.signal('SIGINT');
  }

  async startAgain(): Promise<void> {
    // After a SIGKILL, orphaned backends may still hold the shared memory for a moment.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.spawn();
        return;
      } catch (e) {
        if (attempt >= 20) throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
