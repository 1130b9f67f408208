// The same contract, run against the filesystem backend and against the S3
// backend talking to a real S3-compatible server (s3rver) started here.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSystemObjectStore } from '../../s3stream/object-store/filesystem-object-store.ts';
import { S3ObjectStore } from '../../s3stream/object-store/s3-object-store.ts';
import { InstrumentedObjectStore, ObjectNotFoundError, type ObjectStore } from '../../s3stream/object-store/object-store.ts';
import { S3TestServer, S3_TEST_BUCKET, S3_TEST_CREDENTIALS } from '../support/s3-server.ts';

function contract(name: string, make: () => ObjectStore): void {
  describe(`${name} ObjectStore`, () => {
    it('put, get whole and by range, head, list, delete', async () => {
      const store = make();
      const body = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
      await store.put('objects/a/1', [body.subarray(0, 1000), body.subarray(1000)]);
      await store.put('objects/a/2', Buffer.from('two'));
      await store.put('other/x', Buffer.from('x'));
      expect((await store.get('objects/a/1')).equals(body)).toBe(true);
      expect((await store.get('objects/a/1', { start: 100, end: 1100 })).equals(body.subarray(100, 1100))).toBe(true);
      expect((await store.get('objects/a/1', { start: 4990, end: 5000 })).equals(body.subarray(4990))).toBe(true);
      expect(await store.head('objects/a/1')).toEqual({ key: 'objects/a/1', sizeBytes: 5000 });
      expect(await store.head('objects/none')).toBeUndefined();
      expect((await store.list('objects/')).map((o) => o.key).sort()).toEqual(['objects/a/1', 'objects/a/2']);
      await store.delete('objects/a/2');
      await store.delete('objects/a/2');
      expect((await store.list('objects/')).map((o) => o.key)).toEqual(['objects/a/1']);
      await expect(store.get('objects/a/2')).rejects.toBeInstanceOf(ObjectNotFoundError);
      await store.close();
    });
  });
}

const fsRoot = mkdtempSync(join(tmpdir(), 'floe-fsstore-'));
afterAll(() => rmSync(fsRoot, { recursive: true, force: true }));
contract('filesystem', () => new FileSystemObjectStore(fsRoot));

it('filesystem putIfAbsent refuses to overwrite', async () => {
  const store = new FileSystemObjectStore(fsRoot);
  expect(await store.putIfAbsent('once', Buffer.from('1'))).toBe(true);
  expect(await store.putIfAbsent('once', Buffer.from('2'))).toBe(false);
  expect((await store.get('once')).toString()).toBe('1');
});

const s3 = new S3TestServer();
beforeAll(async () => { await s3.start(); });
afterAll(async () => { await s3.destroy(); });
contract('S3 (s3rver)', () => new S3ObjectStore({ bucket: S3_TEST_BUCKET, endpoint: s3.endpoint, ...S3_TEST_CREDENTIALS }));

it('S3: the instrumented store counts requests and retries a stopped server, then recovers', async () => {
  const store = new InstrumentedObjectStore(
    new S3ObjectStore({ bucket: S3_TEST_BUCKET, endpoint: s3.endpoint, ...S3_TEST_CREDENTIALS, requestTimeoutMs: 2000 }),
    { attemptsMax: 40, backoffMsBase: 50, backoffMsMax: 200 },
  );
  await store.put('retry/1', Buffer.from('a'));
  expect(store.stats.requests.get('put:ok')).toBe(1);
  await s3.stop();
  const pending = store.put('retry/2', Buffer.from('b'));
  await new Promise((r) => setTimeout(r, 500));
  expect(store.stats.consecutiveFailures).toBeGreaterThan(0);
  await s3.start();
  await pending;
  expect((await store.get('retry/2')).toString()).toBe('b');
  expect(store.stats.requests.get('put:retry')).toBeGreaterThan(0);
  expect(store.stats.consecutiveFailures).toBe(0);
  await store.close();
});
