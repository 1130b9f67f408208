import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, readdirSync, statSync, truncateSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GroupCommitWal } from '../../wal/group-commit-wal.ts';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'floe-wal-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

async function reopen(d: string, opts: { segmentBytes?: number } = {}): Promise<{ wal: GroupCommitWal; entries: { position: number; payload: Buffer }[] }> {
  const entries: { position: number; payload: Buffer }[] = [];
  const wal = await GroupCommitWal.open({ dir: d, ...opts }, (position, payload) => entries.push({ position, payload: Buffer.from(payload) }));
  return { wal, entries };
}

const payloadOf = (i: number): Buffer => Buffer.from(`entry-${i}-${'x'.repeat(i % 97)}`);

describe('GroupCommitWal', () => {
  it('replays every durable entry in order after reopening', async () => {
    const { wal } = await reopen(dir);
    const positions: number[] = [];
    const acks: Promise<void>[] = [];
    for (let i = 0; i < 500; i++) {
      const a = wal.append(payloadOf(i));
      positions.push(a.position);
      acks.push(a.durable);
    }
    await Promise.all(acks);
    await wal.close();
    const { wal: again, entries } = await reopen(dir);
    expect(entries.map((e) => e.payload.toString())).toEqual(Array.from({ length: 500 }, (_, i) => payloadOf(i).toString()));
    expect(entries.map((e) => e.position)).toEqual(positions);
    await again.close();
  });

  it('group commit: concurrent appends share fsyncs', async () => {
    const { wal } = await reopen(dir);
    const acks: Promise<void>[] = [];
    for (let i = 0; i < 1000; i++) acks.push(wal.append(payloadOf(i)).durable);
    await Promise.all(acks);
    expect(wal.stats.appends).toBe(1000);
    expect(wal.stats.fsyncs).toBeLessThan(50);
    await wal.close();
  });

  it('rotates segments and trim deletes only whole uploaded segments', async () => {
    const { wal } = await reopen(dir, { segmentBytes: 4096 });
    const marks: number[] = [];
    for (let i = 0; i < 200; i++) {
      const a = wal.append(payloadOf(i));
      marks.push(a.position);
      await a.durable;
    }
    const before = readdirSync(dir).length;
    expect(before).toBeGreaterThan(3);
    await wal.trim(marks[150]!);
    const after = readdirSync(dir).length;
    expect(after).toBeLessThan(before);
    await wal.close();
    const { wal: again, entries } = await reopen(dir, { segmentBytes: 4096 });
    // Everything from the trim point on is still there, in order.
    const replayed = entries.map((e) => e.payload.toString());
    expect(replayed.slice(-50)).toEqual(Array.from({ length: 50 }, (_, i) => payloadOf(150 + i).toString()));
    expect(entries[0]!.position).toBeLessThanOrEqual(marks[150]!);
    await again.close();
  });

  it('torn or corrupt tail: never returns a damaged entry, never loses one before the damage', async () => {
    const { wal } = await reopen(dir, { segmentBytes: 8192 });
    const written: { position: number; payload: string }[] = [];
    for (let i = 0; i < 120; i++) {
      const a = wal.append(payloadOf(i));
      written.push({ position: a.position, payload: payloadOf(i).toString() });
      await a.durable;
    }
    await wal.close();
    const pristine = new Map(readdirSync(dir).map((n) => [n, readFileSync(join(dir, n))]));
    const files = [...pristine.keys()].sort();
    const lastFile = files[files.length - 1]!;

    await fc.assert(fc.asyncProperty(fc.nat(), fc.boolean(), fc.integer({ min: 0, max: 255 }), async (where, truncate, junk) => {
      for (const [n, b] of pristine) writeFileSync(join(dir, n), b);
      for (const n of readdirSync(dir)) if (!pristine.has(n)) rmSync(join(dir, n));
      const size = statSync(join(dir, lastFile)).size;
      const at = where % size;
      if (truncate) {
        truncateSync(join(dir, lastFile), at);
      } else {
        const b = readFileSync(join(dir, lastFile));
        b[at] = b[at] === junk ? junk ^ 0xff : junk;
        writeFileSync(join(dir, lastFile), b);
      }
      const { wal: w, entries } = await reopen(dir, { segmentBytes: 8192 });
      await w.close();
      // A prefix of what was written, byte for byte, and everything before the damaged segment.
      const got = entries.map((e) => ({ position: e.position, payload: e.payload.toString() }));
      expect(got).toEqual(written.slice(0, got.length));
      const lastStart = Number(lastFile.slice(0, 20));
      const beforeDamage = written.filter((e) => e.position < lastStart).length;
      expect(got.length).toBeGreaterThanOrEqual(beforeDamage);
      // And the log is appendable again at the truncation point.
      const { wal: w2, entries: e2 } = await reopen(dir, { segmentBytes: 8192 });
      await w2.append(Buffer.from('after-recovery')).durable;
      await w2.close();
      expect(e2.length).toBe(got.length);
      const { wal: w3, entries: e3 } = await reopen(dir, { segmentBytes: 8192 });
      await w3.close();
      expect(e3.map((e) => e.payload.toString())).toEqual([...got.map((e) => e.payload), 'after-recovery']);
    }), { numRuns: 60 });
  });

  it('capacity bound: hasCapacity turns false, trim releases waiters', async () => {
    const entries: Buffer[] = [];
    const wal = await GroupCommitWal.open({ dir, untrimmedBytesMax: 10_000 }, (_p, e) => entries.push(e));
    let last = 0;
    while (wal.hasCapacity()) {
      const a = wal.append(Buffer.alloc(1000, 1));
      last = a.position;
      await a.durable;
    }
    let released = false;
    const waiting = wal.waitForCapacity().then(() => { released = true; });
    await new Promise((r) => setTimeout(r, 20));
    expect(released).toBe(false);
    await wal.trim(last);
    await waiting;
    expect(released).toBe(true);
    await wal.close();
  });
});
