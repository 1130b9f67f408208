// Owns the PostgreSQL MetadataStore (a fleet's shared metadata): one table
// of versioned keys, a commit function that checks every expected version
// and applies every op in one statement (one round trip however many ops),
// LISTEN/NOTIFY for watches, and the schema's versioned migrations, so an
// empty database is all an operator provides. Connection failures are
// retried with backoff up to a bound, then surface as errors; it must not
// hide a failed commit as a success.

import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { WatchList, type MetadataOp, type MetadataStore, type RangeOptions, type VersionedEntry } from './metadata-store.ts';

export interface PostgresMetadataStoreOptions {
  /** postgres://user@host:port/db */
  url: string;
  /** Pool size: the bound on concurrent queries of this process. */
  connectionsMax?: number;
  /** A query failing on a lost connection is retried with backoff for at most this long. */
  retryMsMax?: number;
}

export interface PostgresMetadataStats {
  queries: number;
  retries: number;
  failures: number;
  notifications: number;
  listenReconnects: number;
}

export const POSTGRES_CONNECTIONS_MAX_DEFAULT = 8;
export const POSTGRES_RETRY_MS_MAX_DEFAULT = 10_000;
const NOTIFY_CHANNEL = 'floe_metadata';
/** Sorts after every key with the prefix (keys compare bytewise: the column collates as "C"). */
const PREFIX_END = '\u{10FFFF}';

/** Each entry runs once, in order, inside one transaction holding an advisory lock. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE floe_kv (
     key text COLLATE "C" PRIMARY KEY,
     value jsonb NOT NULL,
     version bigint NOT NULL
   );
   CREATE FUNCTION floe_commit(ops jsonb, changed text) RETURNS boolean LANGUAGE plpgsql AS $$
   DECLARE
     o jsonb;
     cur bigint;
   BEGIN
     -- Rows are locked in key order, so two commits never wait on each other in a cycle.
     FOR o IN SELECT e.value FROM jsonb_array_elements(ops) WITH ORDINALITY AS e(value, n) ORDER BY e.value->>'key', e.n LOOP
       IF o ? 'expectVersion' THEN
         cur := NULL;
         SELECT version INTO cur FROM floe_kv WHERE key = o->>'key' FOR UPDATE;
         IF COALESCE(cur, 0) <> (o->>'expectVersion')::bigint THEN
           RETURN false;
         END IF;
       END IF;
     END LOOP;
     FOR o IN SELECT e.value FROM jsonb_array_elements(ops) WITH ORDINALITY AS e(value, n) ORDER BY e.value->>'key', e.n LOOP
       IF o->>'op' = 'put' THEN
         IF (o->>'expectVersion')::bigint = 0 THEN
           -- A key that must be absent: a concurrent insert makes this fail, never overwrite.
           INSERT INTO floe_kv (key, value, version) VALUES (o->>'key', o->'value', 1);
         ELSE
           INSERT INTO floe_kv (key, value, version) VALUES (o->>'key', o->'value', 1)
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, version = floe_kv.version + 1;
         END IF;
       ELSIF o->>'op' = 'delete' THEN
         DELETE FROM floe_kv WHERE key = o->>'key';
       END IF;
     END LOOP;
     PERFORM pg_notify('${NOTIFY_CHANNEL}', changed);
     RETURN true;
   EXCEPTION WHEN unique_violation THEN
     RETURN false;
   END $$;`,
  // A commit whose connection died before its answer may or may not have happened (a backend
  // can outlive its postmaster for a moment): each commit carries an id, recorded in the same
  // transaction, so the retry of one that did happen answers true instead of failing its own
  // version checks. Ids are kept ten minutes, far longer than any retry.
  `CREATE TABLE floe_commits (id text PRIMARY KEY, at timestamptz NOT NULL DEFAULT now());
   CREATE FUNCTION floe_commit_once(commit_id text, ops jsonb, changed text) RETURNS boolean LANGUAGE plpgsql AS $$
   DECLARE
     ok boolean;
   BEGIN
     IF EXISTS (SELECT 1 FROM floe_commits WHERE id = commit_id) THEN
       RETURN true;
     END IF;
     ok := floe_commit(ops, changed);
     IF ok THEN
       INSERT INTO floe_commits (id) VALUES (commit_id);
     END IF;
     IF random() < 0.01 THEN
       DELETE FROM floe_commits WHERE at < now() - interval '10 minutes';
     END IF;
     RETURN ok;
   END $$;`,
];

/** Errors after which the same query may be sent again: the connection or server went away, or a lock cycle. */
function isRetriable(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  const code = err.code ?? '';
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '40001' || code === '40P01' || code === '53300') return true;
  const msg = err.message ?? '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(msg);
}

/** The first segment of each key ("t/", "e/", ...): what a commit tells the other brokers changed. */
function changedSegments(ops: readonly MetadataOp[]): string {
  const segs = new Set<string>();
  for (const o of ops) {
    if (o.op === 'check') continue;
    const slash = o.key.indexOf('/');
    segs.add(slash < 0 ? o.key : o.key.slice(0, slash + 1));
  }
  return [...segs].join(',');
}

export class PostgresMetadataStore implements MetadataStore {
  private readonly pool: pg.Pool;
  private readonly opts: Required<PostgresMetadataStoreOptions>;
  private readonly watchers = new WatchList();
  private listener: pg.Client | undefined;
  private listenRetry: NodeJS.Timeout | undefined;
  private closed = false;
  readonly stats: PostgresMetadataStats = { queries: 0, retries: 0, failures: 0, notifications: 0, listenReconnects: 0 };

  private constructor(opts: PostgresMetadataStoreOptions) {
    this.opts = {
      url: opts.url,
      connectionsMax: opts.connectionsMax ?? POSTGRES_CONNECTIONS_MAX_DEFAULT,
      retryMsMax: opts.retryMsMax ?? POSTGRES_RETRY_MS_MAX_DEFAULT,
    };
    this.pool = new pg.Pool({ connectionString: opts.url, max: this.opts.connectionsMax, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000 });
    // An idle client losing its server must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  /** Connects, applies any migration the database lacks, and starts listening for changes. */
  static async open(opts: PostgresMetadataStoreOptions): Promise<PostgresMetadataStore> {
    const s = new PostgresMetadataStore(opts);
    await s.migrate();
    await s.listen();
    return s;
  }

  private async migrate(): Promise<void> {
    await this.query(async (c) => {
      await c.query('BEGIN');
      try {
        // Brokers starting together: one applies the migrations, the others wait and find them applied.
        await c.query('SELECT pg_advisory_xact_lock(7262851)');
        await c.query('CREATE TABLE IF NOT EXISTS floe_schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
        const { rows } = await c.query<{ v: number | null }>('SELECT max(version) AS v FROM floe_schema_migrations');
        const have = rows[0]?.v ?? 0;
        for (let v = have + 1; v <= MIGRATIONS.length; v++) {
          await c.query(MIGRATIONS[v - 1]!);
          await c.query('INSERT INTO floe_schema_migrations (version) VALUES ($1)', [v]);
        }
        await c.query('COMMIT');
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  /** The schema version of the database (for tests and the admin API). */
  async schemaVersion(): Promise<number> {
    const { rows } = await this.query((c) => c.query<{ v: number | null }>('SELECT max(version) AS v FROM floe_schema_migrations'));
    return rows[0]?.v ?? 0;
  }

  /** Runs `fn` on a pooled connection, retrying on connection loss with backoff for at most retryMsMax. */
  private async query<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const deadline = performance.now() + this.opts.retryMsMax;
    for (let attempt = 0; ; attempt++) {
      this.stats.queries++;
      let client: pg.PoolClient | undefined;
      // The server going away between two messages of a checked-out client is emitted as an
      // 'error' event, which would crash the process unheard; the query in flight rejects anyway.
      const onError = (): void => undefined;
      try {
        client = await this.pool.connect();
        client.on('error', onError);
        const out = await fn(client);
        client.off('error', onError);
        client.release();
        return out;
      } catch (e) {
        // A client that failed may be broken: destroy it rather than return it to the pool.
        client?.off('error', onError);
        client?.release(true);
        if (this.closed || !isRetriable(e) || performance.now() >= deadline) {
          this.stats.failures++;
          throw e;
        }
        this.stats.retries++;
        await new Promise((r) => setTimeout(r, Math.min(1_000, 50 * 2 ** Math.min(attempt, 5))));
      }
    }
  }

  async get(key: string): Promise<VersionedEntry | undefined> {
    const { rows } = await this.query((c) => c.query<{ value: VersionedEntry['value']; version: string }>('SELECT value, version FROM floe_kv WHERE key = $1', [key]));
    const r = rows[0];
    return r === undefined ? undefined : { key, value: r.value, version: Number(r.version) };
  }

  async range(prefix: string, opts: RangeOptions = {}): Promise<VersionedEntry[]> {
    const reverse = opts.reverse ?? false;
    const lo = reverse ? prefix : (opts.start !== undefined && opts.start > prefix ? opts.start : prefix);
    const hi = `${prefix}${PREFIX_END}`;
    const params: (string | number)[] = [lo, hi];
    let where = 'key >= $1 AND key < $2';
    if (reverse && opts.start !== undefined) {
      params.push(opts.start);
      where += ` AND key <= $${params.length}`;
    }
    let sql = `SELECT key, value, version FROM floe_kv WHERE ${where} ORDER BY key ${reverse ? 'DESC' : 'ASC'}`;
    if (opts.limit !== undefined) {
      params.push(opts.limit);
      sql += ` LIMIT $${params.length}`;
    }
    const { rows } = await this.query((c) => c.query<{ key: string; value: VersionedEntry['value']; version: string }>(sql, params));
    return rows.map((r) => ({ key: r.key, value: r.value, version: Number(r.version) }));
  }

  async commit(ops: readonly MetadataOp[]): Promise<boolean> {
    if (ops.length === 0) return true;
    const changed = changedSegments(ops);
    // One id for every attempt: a retry after an unanswered attempt that did commit answers true.
    const id = randomUUID();
    const { rows } = await this.query((c) => c.query<{ ok: boolean }>('SELECT floe_commit_once($1, $2::jsonb, $3) AS ok', [id, JSON.stringify(ops), changed]));
    const ok = rows[0]?.ok === true;
    // Our own watchers hear at once; the NOTIFY reaches the other brokers (and us again, harmlessly).
    if (ok) this.watchers.changed(ops.map((o) => o.key));
    return ok;
  }

  watch(prefix: string, fn: () => void): () => void {
    return this.watchers.add(prefix, fn);
  }

  /** A dedicated connection for LISTEN; when it drops, it reconnects and tells every watcher to look again. */
  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.opts.url, connectionTimeoutMillis: 5_000 });
    const lost = (): void => {
      if (this.listener !== client) return;
      this.listener = undefined;
      client.end().catch(() => undefined);
      this.scheduleListen();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (n) => {
      this.stats.notifications++;
      const segs = (n.payload ?? '').split(',').filter((s) => s !== '');
      this.watchers.changed(segs.length === 0 ? undefined : segs);
    });
    await client.connect();
    await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    this.listener = client;
  }

  private scheduleListen(): void {
    if (this.closed || this.listenRetry !== undefined) return;
    this.listenRetry = setTimeout(() => {
      this.listenRetry = undefined;
      this.listen().then(() => {
        this.stats.listenReconnects++;
        // Changes made while we were not listening were not announced to us.
        this.watchers.changed(undefined);
      }).catch(() => this.scheduleListen());
    }, 500);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.listenRetry !== undefined) clearTimeout(this.listenRetry);
    const l = this.listener;
    this.listener = undefined;
    await l?.end().catch(() => undefined);
    await this.pool.end();
  }
}
