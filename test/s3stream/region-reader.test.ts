// RegionReader's bound on GETs in flight, over a real filesystem object
// store whose GETs the test holds until it releases them: however many
// readers ask at once, at most the bound reach the store; the rest wait
// their turn and all are answered; read-ahead is skipped, not queued, when
// every slot is taken; concurrent readers of one region share one GET.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSystemObjectStore } from '../../s3stream/object-store/filesystem-object-store.ts';
import type { ByteRange, ObjectStore } from '../../s3stream/object-store/object-store.ts';
import { buildStreamSetObject } from '../../s3stream/stream-set-object.ts';
import { RegionReader } from '../../s3stream/region-reader.ts';
import type { IndexValue } from '../../s3stream/stream-keys.ts';
import { until } from '../support/until.ts';

/** Counts GETs in flight at the store and holds each until released. */
class HeldGets {
  inFlight = 0;
  maxInFlight = 0;
  gets = 0;
  private held: (() => void)[] = [];
  private readonly inner: ObjectStore;
  constructor(inner: ObjectStore) {
    this.inner = inner;
  }
  wrap(): ObjectStore {
    return {
      kind: 'held', put: (k, b) => this.inner.put(k, b), putIfAbsent: (k, b) => this.inner.putIfAbsent(k, b), head: (k) => this.inner.head(k),
      list: (p) => this.inner.list(p), delete: (k) => this.inner.delete(k), close: () => this.inner.close(),
      get: async (k: string, r?: ByteRange) => {
        this.gets++;
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        await new Promise<void>((resolve) => this.held.push(resolve));
        this.inFlight--;
        return this.inner.get(k, r);
      },
    };
  }
  get waiting(): number { return this.held.length; }
  releaseAll(): void { const h = this.held; this.held = []; for (const r of h) r(); }
}

let dir: string;
let fs: FileSystemObjectStore;
const regions: IndexValue[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'floe-region-reader-'));
  fs = new FileSystemObjectStore(join(dir, 'objects'));
  // 40 objects of one region each (distinct regions: no sharing between them).
  for (let i = 0; i < 40; i++) {
    const { body, index } = buildStreamSetObject(new Map([[1, [{ baseOffset: i * 10, endOffset: i * 10 + 10, data: Buffer.from(`region-${i}`) }]]]));
    await fs.put(`o${i}`, body);
    const e = index[0]!;
    regions.push({ o: `o${i}`, p: e.position, l: e.length, e: e.endOffset });
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('at most the bound of GETs reach the store; the others wait and are all answered', async () => {
  const held = new HeldGets(fs);
  const reader = new RegionReader(held.wrap(), 64 * 1024 * 1024, 4);
  const loads = regions.map((r) => reader.load(r));
  await until(() => held.waiting === 4, 5_000, 'four GETs at the store');
  expect(reader.stats.getsInFlight).toBe(4);
  expect(reader.stats.getsWaiting).toBe(36);
  // Read-ahead finds every slot taken: skipped, not queued.
  reader.readAhead(regions[0]!, false);
  expect(reader.stats.readAheadsSkipped).toBe(0); // already loading: nothing to do
  const { body, index } = buildStreamSetObject(new Map([[2, [{ baseOffset: 0, endOffset: 1, data: Buffer.from('ahead') }]]]));
  await fs.put('ahead', body);
  reader.readAhead({ o: 'ahead', p: index[0]!.position, l: index[0]!.length, e: 1 }, false);
  expect(reader.stats.readAheadsSkipped).toBe(1);
  while (held.gets < 40 || held.waiting > 0) {
    await until(() => held.waiting > 0, 5_000, 'a GET at the store');
    expect(held.inFlight).toBeLessThanOrEqual(4);
    held.releaseAll();
    await new Promise((r) => setImmediate(r));
  }
  const got = await Promise.all(loads);
  expect(got.map((g) => g.chunks[0]!.data.toString())).toEqual(regions.map((_, i) => `region-${i}`));
  expect(held.maxInFlight).toBe(4);
  expect(held.gets).toBe(40);
  expect(reader.stats.getsInFlight).toBe(0);
  expect(reader.stats.getsWaiting).toBe(0);
});

it('readers of one region at once share one GET', async () => {
  const held = new HeldGets(fs);
  const reader = new RegionReader(held.wrap(), 64 * 1024 * 1024, 4);
  const loads = Array.from({ length: 10 }, () => reader.load(regions[7]!));
  await until(() => held.waiting === 1, 5_000, 'one GET at the store');
  held.releaseAll();
  const got = await Promise.all(loads);
  expect(new Set(got.map((g) => g.chunks[0]!.data.toString()))).toEqual(new Set(['region-7']));
  expect(held.gets).toBe(1);
  // Cached now: no GET at all.
  await reader.load(regions[7]!);
  expect(held.gets).toBe(1);
});
