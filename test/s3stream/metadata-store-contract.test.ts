// The MetadataStore contract, run against every implementation: memory (unit
// tests), LMDB (the embedded default) and PostgreSQL (a fleet; a real server
// started by this file). Versions, compare-and-set, atomic multi-key commits,
// check ops, ranges, watches; and, per store, what only it can show
// (persistence, concurrent writers, notifications between processes).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbMetadataStore } from '../../s3stream/metadata/lmdb-metadata-store.ts';
import { MemoryMetadataStore } from '../../s3stream/metadata/memory-metadata-store.ts';
import { PostgresMetadataStore } from '../../s3stream/metadata/postgres-metadata-store.ts';
import { nextCounter, type MetadataStore } from '../../s3stream/metadata/metadata-store.ts';
import { PostgresTestServer } from '../support/postgres.ts';
import { until } from '../support/until.ts';
import pg from 'pg';

let pgServer: PostgresTestServer;
const dirs: string[] = [];
beforeAll(async () => { pgServer = await PostgresTestServer.start(); });
afterAll(async () => {
  await pgServer?.destroy();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const lmdbDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'floe-lmdb-'));
  dirs.push(d);
  return d;
};

const stores: [string, () => Promise<MetadataStore>][] = [
  ['memory', async () => new MemoryMetadataStore()],
  ['lmdb', async () => new LmdbMetadataStore(lmdbDir())],
  ['postgres', async () => PostgresMetadataStore.open({ url: await pgServer.newDatabase() })],
];

describe.each(stores)('MetadataStore contract: %s', (_name, make) => {
  it('versions, compare-and-set and atomic multi-key commits', async () => {
    const s = await make();
    expect(await s.commit([{ op: 'put', key: 'a/1', value: { x: 1 }, expectVersion: 0 }])).toBe(true);
    expect(await s.commit([{ op: 'put', key: 'a/1', value: { x: 2 }, expectVersion: 0 }])).toBe(false);
    expect(await s.get('a/1')).toEqual({ key: 'a/1', value: { x: 1 }, version: 1 });
    expect(await s.commit([{ op: 'put', key: 'a/1', value: { x: 2 }, expectVersion: 1 }])).toBe(true);
    expect(await s.get('a/1')).toEqual({ key: 'a/1', value: { x: 2 }, version: 2 });
    // A failed check in a multi-key commit applies nothing.
    expect(await s.commit([
      { op: 'put', key: 'a/2', value: 'two' },
      { op: 'put', key: 'a/1', value: { x: 3 }, expectVersion: 7 },
    ])).toBe(false);
    expect(await s.get('a/2')).toBeUndefined();
    expect((await s.get('a/1'))?.value).toEqual({ x: 2 });
    expect(await s.commit([{ op: 'delete', key: 'a/1', expectVersion: 1 }])).toBe(false);
    expect(await s.commit([{ op: 'delete', key: 'a/1', expectVersion: 2 }])).toBe(true);
    expect(await s.get('a/1')).toBeUndefined();
    await s.close();
  });

  it('a check op fences a commit on another key without writing it', async () => {
    const s = await make();
    await s.commit([{ op: 'put', key: 'epoch', value: { epoch: 1 } }]);
    expect(await s.commit([{ op: 'check', key: 'epoch', expectVersion: 1 }, { op: 'put', key: 'i/1', value: 1 }])).toBe(true);
    expect((await s.get('epoch'))?.version).toBe(1);
    await s.commit([{ op: 'put', key: 'epoch', value: { epoch: 2 } }]);
    // The writer that opened at version 1 is now deposed.
    expect(await s.commit([{ op: 'check', key: 'epoch', expectVersion: 1 }, { op: 'put', key: 'i/2', value: 2 }])).toBe(false);
    expect(await s.get('i/2')).toBeUndefined();
    expect(await s.commit([{ op: 'check', key: 'absent', expectVersion: 0 }, { op: 'put', key: 'i/3', value: 3 }])).toBe(true);
    await s.close();
  });

  it('ranges in key order, reversed, from a start, limited; values keep their shape', async () => {
    const s = await make();
    const value = { o: 'data/x', p: 0, l: 12, e: 99, nested: [1, 'two', null, true, { z: -1.5 }] };
    expect(await s.commit([
      { op: 'put', key: 'a/2', value: 'two' }, { op: 'put', key: 'a/3', value: 3 }, { op: 'put', key: 'a/1', value },
      { op: 'put', key: 'a/10', value: 10 }, { op: 'put', key: 'b/1', value: 1 }, { op: 'put', key: 'a', value: 0 },
    ])).toBe(true);
    expect((await s.range('a/')).map((e) => e.key)).toEqual(['a/1', 'a/10', 'a/2', 'a/3']);
    expect((await s.range('a/'))[0]!.value).toEqual(value);
    expect((await s.range('a/', { reverse: true, limit: 1 })).map((e) => e.key)).toEqual(['a/3']);
    // Floor lookup: the greatest key <= a/2z; ceiling: the least key >= a/2z.
    expect((await s.range('a/', { start: 'a/2z', reverse: true, limit: 1 })).map((e) => e.key)).toEqual(['a/2']);
    expect((await s.range('a/', { start: 'a/2z', limit: 1 })).map((e) => e.key)).toEqual(['a/3']);
    expect((await s.range('a/', { start: 'a/0', reverse: true, limit: 1 })).map((e) => e.key)).toEqual([]);
    expect((await s.range('c/')).length).toBe(0);
    await s.close();
  });

  it('counters by compare-and-set stay unique under concurrent callers', async () => {
    const s = await make();
    const got = await Promise.all(Array.from({ length: 20 }, () => nextCounter(s, 'counters/x')));
    expect(new Set(got).size).toBe(20);
    expect(Math.max(...got)).toBe(20);
    await s.close();
  });

  it('watchers hear about commits under their prefix', async () => {
    const s = await make();
    let calls = 0;
    const cancel = s.watch('w/', () => { calls++; });
    await s.commit([{ op: 'put', key: 'w/1', value: 1 }]);
    await until(() => calls > 0, 5_000, 'a watch callback');
    cancel();
    const before = calls;
    await s.commit([{ op: 'put', key: 'w/2', value: 2 }]);
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(before);
    await s.close();
  });
});

it('lmdb: commits survive a reopen', async () => {
  const dir = lmdbDir();
  const s = new LmdbMetadataStore(dir);
  await s.commit([{ op: 'put', key: 'a/1', value: { x: 1 } }, { op: 'put', key: 'a/2', value: 2 }]);
  await s.close();
  const again = new LmdbMetadataStore(dir);
  expect((await again.range('a/')).map((e) => [e.key, e.version])).toEqual([['a/1', 1], ['a/2', 1]]);
  await again.close();
});

describe('postgres', () => {
  it('two stores on one database: creation races have one winner, each sees the other, and watches cross processes', async () => {
    const url = await pgServer.newDatabase();
    const [a, b] = await Promise.all([PostgresMetadataStore.open({ url }), PostgresMetadataStore.open({ url })]);
    expect(await a.schemaVersion()).toBeGreaterThan(0);
    const results = await Promise.all([
      a.commit([{ op: 'put', key: 'k', value: 'a', expectVersion: 0 }]),
      b.commit([{ op: 'put', key: 'k', value: 'b', expectVersion: 0 }]),
    ]);
    expect(results.filter((r) => r)).toHaveLength(1);
    const winner = results[0] ? 'a' : 'b';
    expect((await b.get('k'))?.value).toBe(winner);
    let heard = 0;
    b.watch('t/', () => { heard++; });
    await a.commit([{ op: 'put', key: 't/topic', value: { n: 1 } }]);
    await until(() => heard > 0, 5_000, 'a NOTIFY from the other store');
    await a.close();
    await b.close();
  });

  it('a commit sent again after its answer was lost is not applied twice, and answers true (the retry of an ambiguous commit)', async () => {
    const url = await pgServer.newDatabase();
    const s = await PostgresMetadataStore.open({ url });
    await s.commit([{ op: 'put', key: 'x', value: 1 }]);
    // What a retry sends: the same commit id, after the first attempt committed but its answer never came.
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const ops = JSON.stringify([{ op: 'put', key: 'x', value: 2, expectVersion: 1 }]);
    const first = await c.query<{ ok: boolean }>('SELECT floe_commit_once($1, $2::jsonb, $3) AS ok', ['commit-1', ops, 'x']);
    const retry = await c.query<{ ok: boolean }>('SELECT floe_commit_once($1, $2::jsonb, $3) AS ok', ['commit-1', ops, 'x']);
    expect([first.rows[0]!.ok, retry.rows[0]!.ok]).toEqual([true, true]);
    expect(await s.get('x')).toMatchObject({ value: 2, version: 2 });
    // Another commit with the same ops and a new id is refused by its version check, as it should be.
    expect(await s.commit([{ op: 'put', key: 'x', value: 2, expectVersion: 1 }])).toBe(false);
    await c.end();
    await s.close();
  });

  it('one upload of 1,000 index entries commits in one round trip', async () => {
    const s = await PostgresMetadataStore.open({ url: await pgServer.newDatabase() });
    await s.commit([{ op: 'put', key: 'e/1', value: { epoch: 0 } }]);
    const ops = Array.from({ length: 1000 }, (_, i) => ({ op: 'put' as const, key: `i/${String(i).padStart(12, '0')}/0`, value: { o: 'data/x', p: i, l: 1, e: 1 } }));
    const before = s.stats.queries;
    expect(await s.commit([{ op: 'check', key: 'e/1', expectVersion: 1 }, ...ops])).toBe(true);
    expect(s.stats.queries - before).toBe(1);
    expect((await s.range('i/')).length).toBe(1000);
    await s.close();
  });

  it('rides out a PostgreSQL restart: a commit issued while it is down succeeds once it is back', async () => {
    const s = await PostgresMetadataStore.open({ url: await pgServer.newDatabase(), retryMsMax: 30_000 });
    await s.commit([{ op: 'put', key: 'x', value: 1 }]);
    let heard = 0;
    s.watch('y', () => { heard++; });
    await pgServer.kill9();
    const pending = s.commit([{ op: 'put', key: 'x', value: 2, expectVersion: 1 }]);
    await pgServer.startAgain();
    expect(await pending).toBe(true);
    expect((await s.get('x'))?.value).toBe(2);
    expect(s.stats.retries).toBeGreaterThan(0);
    // The listening connection came back too: a change by another store is heard.
    const other = await PostgresMetadataStore.open({ url: (s as unknown as { opts: { url: string } }).opts.url });
    await until(async () => {
      await other.commit([{ op: 'put', key: 'y', value: Date.now() }]);
      return heard > 0;
    }, 15_000, 'a notification after the restart', 300);
    await other.close();
    await s.close();
  });

  it('down longer than the retry bound: the call fails with an error, and works again later', async () => {
    const s = await PostgresMetadataStore.open({ url: await pgServer.newDatabase(), retryMsMax: 500 });
    await pgServer.stop();
    await expect(s.get('x')).rejects.toThrow();
    expect(s.stats.failures).toBeGreaterThan(0);
    await pgServer.startAgain();
    expect(await s.commit([{ op: 'put', key: 'x', value: 1 }])).toBe(true);
    await s.close();
  });
});
