// WAL group-commit benchmark: 1, 16 and 256 concurrent appenders of 1 KiB
// records; appends/s, fsyncs/s, MB/s and p50/p99 append latency, plus this
// disk's raw fdatasync latency for comparison. Writes bench/reports/wal-*.json.
// Run: npm run bench -- wal   (BENCH_DURATION_MS to change the 3 s per step)

import { mkdtempSync, rmSync, writeFileSync, mkdirSync, openSync, writeSync, fdatasyncSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GroupCommitWal } from '../wal/group-commit-wal.ts';
import { LatencyRecorder, fmt } from './stats.ts';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
const RECORD_BYTES = 1024;
const payload = Buffer.alloc(RECORD_BYTES, 7);

function rawFsync(dir: string): { p50: number; p99: number } {
  const fd = openSync(join(dir, 'raw'), 'w');
  const rec = new LatencyRecorder();
  for (let i = 0; i < 500; i++) {
    writeSync(fd, payload);
    const t = process.hrtime.bigint();
    fdatasyncSync(fd);
    rec.record(Number(process.hrtime.bigint() - t) / 1e6);
  }
  closeSync(fd);
  const s = rec.summary();
  return { p50: s.p50, p99: s.p99 };
}

async function step(dir: string, appenders: number): Promise<Record<string, number>> {
  const wal = await GroupCommitWal.open({ dir: join(dir, `wal-${appenders}`), untrimmedBytesMax: 1 << 40 }, () => undefined);
  const rec = new LatencyRecorder();
  const end = Date.now() + DURATION_MS;
  let appends = 0;
  const fsyncsBefore = wal.stats.fsyncs;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: appenders }, async () => {
    while (Date.now() < end) {
      const t = process.hrtime.bigint();
      await wal.append(payload).durable;
      rec.record(Number(process.hrtime.bigint() - t) / 1e6);
      appends++;
    }
  }));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const fsyncs = wal.stats.fsyncs - fsyncsBefore;
  await wal.close();
  const s = rec.summary();
  return { appenders, appendsPerSec: appends / secs, fsyncsPerSec: fsyncs / secs, appendsPerFsync: appends / Math.max(1, fsyncs), mbPerSec: (appends * RECORD_BYTES) / secs / 1e6, p50Ms: s.p50, p99Ms: s.p99, p999Ms: s.p999 };
}

const dir = mkdtempSync(join(tmpdir(), 'floe-bench-wal-'));
try {
  const raw = rawFsync(dir);
  console.log(`disk: raw write+fdatasync of 1 KiB p50 ${fmt(raw.p50, 3)} ms, p99 ${fmt(raw.p99, 3)} ms`);
  const results = [];
  console.log('| appenders | appends/s | fsyncs/s | appends per fsync | MB/s | p50 ms | p99 ms | p999 ms |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const n of [1, 16, 256]) {
    const r = await step(dir, n);
    results.push(r);
    console.log(`| ${n} | ${fmt(r.appendsPerSec!, 0)} | ${fmt(r.fsyncsPerSec!, 0)} | ${fmt(r.appendsPerFsync!, 1)} | ${fmt(r.mbPerSec!, 1)} | ${fmt(r.p50Ms!, 3)} | ${fmt(r.p99Ms!, 3)} | ${fmt(r.p999Ms!, 3)} |`);
  }
  const out = join(import.meta.dirname, 'reports');
  mkdirSync(out, { recursive: true });
  const file = join(out, `wal-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ workload: 'wal', node: process.version, recordBytes: RECORD_BYTES, durationMs: DURATION_MS, rawFsync: raw, results }, null, 2));
  console.log(`report: ${file}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
