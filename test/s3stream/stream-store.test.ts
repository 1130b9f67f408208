import { afterAll, beforeAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamFencedError, StreamOutcomeUnknownError, StreamStore, type DurabilityMode } from '../../s3stream/stream-store.ts';
import { streamOwnerKey } from '../../s3stream/stream-keys.ts';
import { MemoryMetadataStore } from '../../s3stream/metadata/memory-metadata-store.ts';
import { FileSystemObjectStore } from '../../s3stream/object-store/filesystem-object-store.ts';
import { S3ObjectStore } from '../../s3stream/object-store/s3-object-store.ts';
import { InstrumentedObjectStore, type ObjectStore } from '../../s3stream/object-store/object-store.ts';
import { LmdbMetadataStore } from '../../s3stream/metadata/lmdb-metadata-store.ts';
import { S3TestServer, S3_TEST_BUCKET, S3_TEST_CREDENTIALS } from '../support/s3-server.ts';
import { COMPACTION_REGIONS_PER_RUN_MAX } from '../../s3stream/region-rewriter.ts';

const s3 = new S3TestServer();
beforeAll(async () => { await s3.start(); });
afterAll(async () => { await s3.destroy(); });

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'floe-streams-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

const chunkData = (stream: number, base: number, n: number): Buffer => Buffer.from(`s${stream}:${base}-${base + n}|${'p'.repeat(200)}`);

async function openStore(backend: ObjectStore, durability: DurabilityMode, extra: Partial<Parameters<typeof StreamStore.open>[0]> = {}): Promise<{ store: StreamStore; md: LmdbMetadataStore }> {
  const md = new LmdbMetadataStore(join(dir, 'meta'));
  const store = await StreamStore.open({ dataDir: dir, objectStore: backend, metadata: md, durability, uploadIntervalMs: 50, ...extra });
  return { store, md };
}

async function readAll(store: StreamStore, id: number, from = 0): Promise<string[]> {
  const out: string[] = [];
  let cur = from;
  const end = store.endOffset(id);
  while (cur < end) {
    const got = await store.read(id, cur, 4096);
    if (got.length === 0) break;
    for (const b of got) {
      const m = /^s\d+:(\d+)-(\d+)\|/.exec(b.toString())!;
      if (Number(m[2]) <= cur) continue;
      out.push(b.toString().split('|')[0]!);
      cur = Number(m[2]);
    }
  }
  return out;
}

const backends: [string, () => ObjectStore][] = [
  ['filesystem', () => new FileSystemObjectStore(join(dir, 'objects'))],
  ['S3', () => new S3ObjectStore({ bucket: S3_TEST_BUCKET, endpoint: s3.endpoint, ...S3_TEST_CREDENTIALS, keyPrefix: `${Date.now()}-${Math.random()}/` })],
];

for (const [backendName, makeBackend] of backends) {
  for (const mode of ['local-wal', 'object-wal'] as const) {
    describe(`StreamStore on ${backendName}, ${mode}`, () => {
      it('appends to many streams, packs them into few objects, reads back from memory and from objects, survives reopen', async () => {
        const backend = new InstrumentedObjectStore(makeBackend());
        let { store, md } = await openStore(backend, mode, { tailCacheBytesMax: 4096 });
        const ids: number[] = [];
        for (let i = 0; i < 20; i++) ids.push(await store.createStream());
        const expected = new Map<number, string[]>(ids.map((id) => [id, []]));
        const acks: Promise<void>[] = [];
        for (let round = 0; round < 10; round++) {
          for (const id of ids) {
            const base = store.endOffset(id);
            const n = 1 + (round % 3);
            acks.push(store.append(id, base, base + n, chunkData(id, base, n)));
            expected.get(id)!.push(`s${id}:${base}-${base + n}`);
          }
        }
        await Promise.all(acks);
        await store.flush();
        // 200 chunks of 20 streams: packed, not one PUT per stream.
        const puts = backend.stats.requests.get('put:ok') ?? 0;
        expect(puts).toBeGreaterThan(0);
        expect(puts).toBeLessThan(20);
        for (const id of ids) expect(await readAll(store, id)).toEqual(expected.get(id));
        // The tail cache is bounded: most of the data must have come from objects.
        expect(store.stats.readsFromObjects).toBeGreaterThan(0);
        expect(store.stats.tailCacheBytes).toBeLessThanOrEqual(4096);
        // Reading from the middle returns the chunk containing the offset first.
        const mid = await store.read(ids[0]!, 5, 1);
        expect(mid[0]!.toString()).toMatch(/^s\d+:(\d+)-(\d+)/);
        const [, b, e] = /^s\d+:(\d+)-(\d+)/.exec(mid[0]!.toString())!.map(Number);
        expect(b! <= 5 && e! > 5).toBe(true);
        await store.close();
        await md.close();

        ({ store, md } = await openStore(backend, mode));
        // object-wal loads a stream when it is opened; local-wal loaded them all to replay the WAL.
        for (const id of ids) await store.openStream(id, 0);
        for (const id of ids) {
          expect(store.endOffset(id)).toBe(expected.get(id)!.length === 0 ? 0 : Number(/-(\d+)$/.exec(expected.get(id)!.at(-1)!)![1]));
          expect(await readAll(store, id)).toEqual(expected.get(id));
        }
        // Appends continue where the stream ended.
        const id0 = ids[0]!;
        const base = store.endOffset(id0);
        await store.append(id0, base, base + 1, chunkData(id0, base, 1));
        expect(await readAll(store, id0, base)).toEqual([`s${id0}:${base}-${base + 1}`]);
        await store.close();
        await md.close();
      });
    });
  }
}

it('local-wal: data acknowledged before a crash (no close, no upload) is replayed from the WAL', async () => {
  const backend = new FileSystemObjectStore(join(dir, 'objects'));
  const first = await openStore(backend, 'local-wal', { uploadIntervalMs: 60_000, uploadBytes: 1 << 30 });
  const id = await first.store.createStream();
  for (let i = 0; i < 50; i++) await first.store.append(id, i, i + 1, chunkData(id, i, 1));
  // Simulate a crash: abandon the store without close (the WAL file stays as written).
  await first.md.close();
  const second = await openStore(backend, 'local-wal');
  expect(second.store.endOffset(id)).toBe(50);
  expect(await readAll(second.store, id)).toEqual(Array.from({ length: 50 }, (_, i) => `s${id}:${i}-${i + 1}`));
  await second.store.flush();
  expect(second.store.stats.uploads).toBeGreaterThan(0);
  await second.store.close();
  await second.md.close();
});

it('trim moves the log start and drops index entries below it', async () => {
  const { store, md } = await openStore(new FileSystemObjectStore(join(dir, 'objects')), 'local-wal', { tailCacheBytesMax: 0 });
  const id = await store.createStream();
  for (let i = 0; i < 10; i++) {
    await store.append(id, i, i + 1, chunkData(id, i, 1));
    await store.flush();
  }
  await store.trim(id, 6);
  expect(store.startOffset(id)).toBe(6);
  expect((await md.range('i/')).length).toBe(4);
  expect((await readAll(store, id, 0))[0]).toBe(`s${id}:6-7`);
  await store.close();
  await md.close();
});

describe('retention and object GC', () => {
  it('retention by bytes and by time deletes whole old regions; objects go once nothing references them', async () => {
    const objects = new FileSystemObjectStore(join(dir, 'objects'));
    const { store, md } = await openStore(objects, 'local-wal', { tailCacheBytesMax: 0 });
    const a = await store.createStream();
    const b = await store.createStream();
    // Ten uploads; each object holds one region of each stream.
    for (let i = 0; i < 10; i++) {
      await Promise.all([store.append(a, i, i + 1, chunkData(a, i, 1)), store.append(b, i, i + 1, chunkData(b, i, 1))]);
      await store.flush();
    }
    const objectCount = async (): Promise<number> => (await objects.list('data/')).length;
    expect(await objectCount()).toBe(10);
    const regionBytes = (await md.range(`i/`))[0]!.value as { l: number };
    // Keep about three regions of stream a.
    expect(await store.applyRetention(a, { retentionMs: -1, retentionBytes: regionBytes.l * 3 + 16 })).toBe(7);
    expect((await readAll(store, a, 0))[0]).toBe(`s${a}:7-8`);
    // Stream b still references every object: nothing may be deleted.
    await store.collectGarbage(0);
    expect(await objectCount()).toBe(10);
    expect(await readAll(store, b, 0)).toHaveLength(10);
    // Time-based retention on b: everything uploaded more than 1 ms ago (all of it) goes.
    await new Promise((r) => setTimeout(r, 5));
    expect(await store.applyRetention(b, { retentionMs: 1, retentionBytes: -1 })).toBe(10);
    // Objects 0-6 are now unreferenced by both streams; grace period first, then deletion.
    expect(await store.collectGarbage(60_000)).toBe(0);
    expect(await store.collectGarbage(0)).toBe(7);
    expect(await objectCount()).toBe(3);
    expect(await readAll(store, a, 7)).toEqual([`s${a}:7-8`, `s${a}:8-9`, `s${a}:9-10`]);
    // Deleting stream a releases the last three objects.
    await store.deleteStream(a);
    expect(await store.collectGarbage(0)).toBe(3);
    expect(await objectCount()).toBe(0);
    expect(await md.range('o/')).toEqual([]);
    await store.close();
    await md.close();
  });
});

describe('compaction', () => {
  it('merges a backlog of many small regions a bounded run at a time, each run committed on its own', async () => {
    const objects = new FileSystemObjectStore(join(dir, 'objects'));
    const { store, md } = await openStore(objects, 'local-wal', { tailCacheBytesMax: 0 });
    const id = await store.createStream();
    const regions = COMPACTION_REGIONS_PER_RUN_MAX + 44;
    for (let i = 0; i < regions; i++) {
      await store.append(id, i, i + 1, chunkData(id, i, 1));
      await store.flush();
    }
    const before = await readAll(store, id);
    const opts = { regionBytesMin: 1 << 20, targetBytes: 64 << 20, minAgeMs: 0 };
    expect(await store.compact(id, opts)).toBe(COMPACTION_REGIONS_PER_RUN_MAX);
    expect(await store.compact(id, opts)).toBe(45);
    expect((await md.range(`i/${String(id).padStart(12, '0')}/`)).length).toBe(1);
    expect(await readAll(store, id)).toEqual(before);
    await store.close();
    await md.close();
  });

  it('merges small regions into one, reads stay identical, replaced objects go after the grace period', async () => {
    const objects = new FileSystemObjectStore(join(dir, 'objects'));
    const { store, md } = await openStore(objects, 'local-wal', { tailCacheBytesMax: 0 });
    const id = await store.createStream();
    const other = await store.createStream();
    for (let i = 0; i < 12; i++) {
      await Promise.all([store.append(id, i, i + 1, chunkData(id, i, 1)), store.append(other, i, i + 1, chunkData(other, i, 1))]);
      await store.flush();
    }
    const before = await readAll(store, id);
    expect((await md.range(`i/${String(id).padStart(12, '0')}/`)).length).toBe(12);
    // Every region is small; merge at most ~5 regions' worth per compacted region.
    const regionBytes = ((await md.range('i/'))[0]!.value as { l: number }).l;
    const opts = { regionBytesMin: regionBytes * 2, targetBytes: regionBytes * 5 + 16, minAgeMs: 0 };
    expect(await store.compact(id, opts)).toBe(5);
    expect(await store.compact(id, opts)).toBe(5);
    expect(await store.compact(id, opts)).toBe(2);
    expect(await store.compact(id, { ...opts, regionBytesMin: regionBytes * 2 })).toBe(0);
    expect((await md.range(`i/${String(id).padStart(12, '0')}/`)).length).toBe(3);
    expect(await readAll(store, id)).toEqual(before);
    // Reading from the middle still starts at the chunk holding the offset.
    expect((await readAll(store, id, 7))[0]).toBe(`s${id}:7-8`);
    // The old objects are still referenced by the other stream: nothing to delete yet.
    expect(await store.collectGarbage(0)).toBe(0);
    // Compaction reads regions it is about to replace: they must not take block cache room.
    const cachedBefore = { ...store.stats.blockCache };
    expect(await store.compact(other, opts)).toBe(5);
    await store.compact(other, opts);
    await store.compact(other, opts);
    expect(store.stats.blockCache.entries).toBe(cachedBefore.entries);
    expect(store.stats.blockCache.bytes).toBe(cachedBefore.bytes);
    // Now the 12 original objects are unreferenced; the 6 compacted ones stay.
    expect(await store.collectGarbage(0)).toBe(12);
    expect((await objects.list('data/')).length).toBe(6);
    expect(await readAll(store, other)).toEqual(before.map((x) => x.replace(`s${id}:`, `s${other}:`)));
    // Reopened from metadata alone, the compacted index serves the same data.
    await store.close();
    await md.close();
    const again = await openStore(objects, 'local-wal');
    expect(await readAll(again.store, id)).toEqual(before);
    await again.store.close();
    await again.md.close();
  });
});

describe('a trim racing a compaction of the same regions', () => {
  it('releases each replaced object once: objects other streams still read are not deleted', async () => {
    const objects = new FileSystemObjectStore(join(dir, 'objects'));
    const { store, md } = await openStore(objects, 'local-wal', { tailCacheBytesMax: 0, blockCacheBytesMax: 0 });
    const id = await store.createStream();
    const other = await store.createStream();
    // Six objects, each holding one region of each stream.
    for (let i = 0; i < 6; i++) {
      await Promise.all([store.append(id, i, i + 1, chunkData(id, i, 1)), store.append(other, i, i + 1, chunkData(other, i, 1))]);
      await store.flush();
    }
    const otherBefore = await readAll(store, other);
    // The trim reads its regions, then waits before its commit while a compaction replaces them
    // (as the offsets coordinator's checkpoint trim and the maintenance compaction can interleave).
    const commit = md.commit.bind(md);
    let releaseTrim!: () => void;
    const trimWaits = new Promise<void>((r) => { releaseTrim = r; });
    let trimCommits = 0;
    md.commit = async (ops) => {
      if (ops.some((o) => o.op === 'put' && o.key === `s/${String(id).padStart(12, '0')}`) && trimCommits++ === 0) await trimWaits;
      return commit(ops);
    };
    const trimming = store.trim(id, 3);
    while (trimCommits === 0) await new Promise((r) => setTimeout(r, 5));
    const regionBytes = ((await md.range('i/'))[0]!.value as { l: number }).l;
    expect(await store.compact(id, { regionBytesMin: regionBytes * 2, targetBytes: regionBytes * 6 + 16, minAgeMs: 0 })).toBe(6);
    releaseTrim();
    await trimming;
    expect(store.startOffset(id)).toBe(3);
    // The six original objects: each still holds a region of the other stream, so none may go.
    await store.collectGarbage(0);
    expect(await readAll(store, other)).toEqual(otherBefore);
    expect((await readAll(store, id, 3))[0]).toBe(`s${id}:3-4`);
    expect(store.stats.indexRaces).toBeGreaterThan(0);
    await store.close();
    await md.close();
  });
});

describe('object-index cache', () => {
  it('catch-up reads of an owned stream find their regions in the cache; compaction and trim invalidate it and reads stay exact', async () => {
    const objects = new FileSystemObjectStore(join(dir, 'objects'));
    const { store, md } = await openStore(objects, 'local-wal', { tailCacheBytesMax: 0, blockCacheBytesMax: 0 });
    let indexQueries = 0;
    const range = md.range.bind(md);
    md.range = (prefix, opts) => {
      if (prefix.startsWith('i/')) indexQueries++;
      return range(prefix, opts);
    };
    const id = await store.createStream();
    for (let i = 0; i < 40; i++) {
      await store.append(id, i, i + 1, chunkData(id, i, 1));
      await store.flush();
    }
    const expected = Array.from({ length: 40 }, (_, i) => `s${id}:${i}-${i + 1}`);
    indexQueries = 0;
    expect(await readAll(store, id)).toEqual(expected);
    // 40 regions: the first lookup loads a page (two queries), the read-ahead past the end asks once more.
    const firstPass = indexQueries;
    expect(firstPass).toBeLessThanOrEqual(4);
    indexQueries = 0;
    expect(await readAll(store, id)).toEqual(expected);
    expect(indexQueries).toBeLessThanOrEqual(2);
    expect(store.stats.indexCache.hits).toBeGreaterThanOrEqual(70);
    // Compaction replaces regions: the cached pages go, reads see the new index.
    const regionBytes = ((await md.range('i/'))[0]!.value as { l: number }).l;
    expect(await store.compact(id, { regionBytesMin: regionBytes * 2, targetBytes: regionBytes * 8 + 16, minAgeMs: 0 })).toBe(8);
    expect(store.stats.indexCache.entries).toBe(0);
    expect(await readAll(store, id)).toEqual(expected);
    await store.collectGarbage(0);
    expect(await readAll(store, id)).toEqual(expected);
    await store.trim(id, 20);
    expect(await readAll(store, id, 20)).toEqual(expected.slice(20));
    await store.close();
    await md.close();
  });
});

describe('stream ownership (epochs)', () => {
  it('a deposed owner is fenced: its pending appends fail, nothing it uploads after the move is indexed, the new owner continues', async () => {
    const md = new MemoryMetadataStore();
    const objects = new FileSystemObjectStore(join(dir, 'objects'));
    // Two processes' stores on one metadata store and bucket; uploads only when asked.
    const a = await StreamStore.open({ dataDir: join(dir, 'a'), objectStore: objects, metadata: md, durability: 'object-wal', uploadIntervalMs: 3_600_000 });
    const b = await StreamStore.open({ dataDir: join(dir, 'b'), objectStore: objects, metadata: md, durability: 'object-wal', uploadIntervalMs: 3_600_000 });
    const id = await a.createStream(1);
    const first = a.append(id, 0, 2, chunkData(id, 0, 2));
    await a.flush();
    await first;
    // A stale append is buffered by A; meanwhile the owner moves to B at epoch 1.
    const stale = a.append(id, 2, 3, chunkData(id, 2, 1));
    stale.catch(() => undefined);
    const owner = (await md.get(streamOwnerKey(id)))!;
    expect(await md.commit([{ op: 'put', key: streamOwnerKey(id), value: { owner: 2, epoch: 1 }, expectVersion: owner.version }])).toBe(true);
    await expect(a.openStream(id, 0)).rejects.toBeInstanceOf(StreamFencedError);
    await b.openStream(id, 1);
    expect(b.endOffset(id)).toBe(2);
    const bDone = [b.append(id, 2, 4, chunkData(id, 2, 2)), b.append(id, 4, 5, chunkData(id, 4, 1))];
    await b.flush();
    await Promise.all(bDone);
    // A wakes up and uploads: its commit is refused by the epoch check and its append fails.
    await a.flush();
    await expect(stale).rejects.toBeInstanceOf(StreamFencedError);
    expect(a.stats.fencedCommits).toBe(1);
    expect(a.has(id)).toBe(false);
    expect(await readAll(b, id)).toEqual([`s${id}:0-2`, `s${id}:2-4`, `s${id}:4-5`]);
    // A third reader opening at the current epoch sees exactly B's log.
    const c = await StreamStore.open({ dataDir: join(dir, 'c'), objectStore: objects, metadata: md, durability: 'object-wal' });
    await c.openStream(id, 1);
    expect(await readAll(c, id)).toEqual([`s${id}:0-2`, `s${id}:2-4`, `s${id}:4-5`]);
    for (const s of [a, b, c]) await s.close();
  });

  it('an append whose index commit went unanswered, then was fenced, fails as "maybe written" (it is in the log), not as fenced', async () => {
    const md = new MemoryMetadataStore();
    const objects = new FileSystemObjectStore(join(dir, 'objects'));
    const a = await StreamStore.open({ dataDir: join(dir, 'a'), objectStore: objects, metadata: md, durability: 'object-wal', uploadIntervalMs: 3_600_000 });
    const id = await a.createStream(1);
    // The metadata store applies A's next index commit, but the answer is lost (a PostgreSQL fault
    // mid-commit), and by the time A is heard again the partition has moved on (its lease ran out).
    const commit = md.commit.bind(md);
    let loseAnswer = true;
    md.commit = async (ops) => {
      const applied = await commit(ops);
      if (loseAnswer && ops.some((o) => o.op === 'put' && o.key.startsWith('i/'))) {
        loseAnswer = false;
        const owner = (await md.get(streamOwnerKey(id)))!;
        expect(await commit([{ op: 'put', key: streamOwnerKey(id), value: { owner: 2, epoch: 1 }, expectVersion: owner.version }])).toBe(true);
        throw new Error('connection lost before the answer');
      }
      return applied;
    };
    const appended = a.append(id, 0, 2, chunkData(id, 0, 2));
    appended.catch(() => undefined);
    await a.flush();
    await a.flush();
    await expect(appended).rejects.toBeInstanceOf(StreamOutcomeUnknownError);
    // And it was written: the new owner reads it.
    const b = await StreamStore.open({ dataDir: join(dir, 'b'), objectStore: objects, metadata: md, durability: 'object-wal' });
    await b.openStream(id, 1);
    expect(await readAll(b, id)).toEqual([`s${id}:0-2`]);
    for (const s of [a, b]) await s.close();
  });
});
