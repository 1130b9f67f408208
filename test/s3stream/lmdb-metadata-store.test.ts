import { afterEach, beforeEach, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbMetadataStore } from '../../s3stream/metadata/lmdb-metadata-store.ts';
import { nextCounter } from '../../s3stream/metadata/metadata-store.ts';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'floe-lmdb-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

it('versions, compare-and-set, atomic multi-key commits, ranges, persistence', async () => {
  const s = new LmdbMetadataStore(dir);
  expect(await s.commit([{ op: 'put', key: 'a/1', value: { x: 1 }, expectVersion: 0 }])).toBe(true);
  expect(await s.commit([{ op: 'put', key: 'a/1', value: { x: 2 }, expectVersion: 0 }])).toBe(false);
  expect(await s.get('a/1')).toEqual({ key: 'a/1', value: { x: 1 }, version: 1 });
  // A failed check in a multi-key commit applies nothing.
  expect(await s.commit([
    { op: 'put', key: 'a/2', value: 'two' },
    { op: 'put', key: 'a/1', value: { x: 3 }, expectVersion: 7 },
  ])).toBe(false);
  expect(await s.get('a/2')).toBeUndefined();
  expect(await s.commit([{ op: 'put', key: 'a/2', value: 'two' }, { op: 'put', key: 'a/3', value: 3 }, { op: 'put', key: 'b/1', value: 1 }])).toBe(true);
  expect((await s.range('a/')).map((e) => e.key)).toEqual(['a/1', 'a/2', 'a/3']);
  expect((await s.range('a/', { reverse: true, limit: 1 })).map((e) => e.key)).toEqual(['a/3']);
  // Floor lookup: the greatest key <= a/2z.
  expect((await s.range('a/', { start: 'a/2z', reverse: true, limit: 1 })).map((e) => e.key)).toEqual(['a/2']);
  expect(await nextCounter(s, 'c')).toBe(1);
  expect(await nextCounter(s, 'c')).toBe(2);
  expect(await s.commit([{ op: 'delete', key: 'a/3', expectVersion: 1 }])).toBe(true);
  await s.close();
  const again = new LmdbMetadataStore(dir);
  expect((await again.range('a/')).map((e) => e.key)).toEqual(['a/1', 'a/2']);
  expect((await again.get('c'))?.value).toBe(2);
  await again.close();
});
