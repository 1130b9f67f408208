// kill -9 at random moments while a child appends under load; after restart,
// recovery and upload, every acknowledged append is readable exactly once, in
// order, with contiguous offsets. Run in both durability modes.

import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamStore } from '../../s3stream/stream-store.ts';
import { FileSystemObjectStore } from '../../s3stream/object-store/filesystem-object-store.ts';
import { LmdbMetadataStore } from '../../s3stream/metadata/lmdb-metadata-store.ts';

const CHILD = join(import.meta.dirname, '../support/stream-crash-child.ts');
const KILLS = 8;

interface Ack { id: number; base: number; end: number }

function runAndKill(dataDir: string, mode: string, killAfterMs: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dataDir, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acks: Ack[] = [];
    let buf = '';
    let stderr = '';
    let killTimer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('READY')) killTimer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        const m = /^ACK (\d+) (\d+) (\d+)$/.exec(line);
        if (m) acks.push({ id: Number(m[1]), base: Number(m[2]), end: Number(m[3]) });
      }
    });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (_code, signal) => {
      clearTimeout(guard);
      if (killTimer !== undefined) clearTimeout(killTimer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited on its own: ${stderr}`));
      else resolve(acks);
    });
  });
}

describe.each(['local-wal', 'object-wal'])('crash test (%s)', (mode) => {
  it(`survives ${KILLS} SIGKILLs with every acknowledged append intact`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), `floe-crash-${mode}-`));
    try {
      const acked: Ack[] = [];
      for (let i = 0; i < KILLS; i++) acked.push(...await runAndKill(dataDir, mode, 150 + Math.floor(Math.random() * 600)));
      expect(acked.length).toBeGreaterThan(100);

      const md = new LmdbMetadataStore(join(dataDir, 'meta'));
      const store = await StreamStore.open({ dataDir, durability: mode as 'local-wal', metadata: md, objectStore: new FileSystemObjectStore(join(dataDir, 'objects')) });
      await store.flush();
      for (const id of new Set(acked.map((a) => a.id))) await store.openStream(id, 0);
      const byStream = new Map<number, Ack[]>();
      for (const a of acked) byStream.set(a.id, [...(byStream.get(a.id) ?? []), a]);
      for (const [id, acks] of byStream) {
        // Everything stored, in order, contiguous, each chunk once.
        const seen: Ack[] = [];
        let cur = 0;
        const end = store.endOffset(id);
        while (cur < end) {
          const got = await store.read(id, cur, 1 << 20);
          for (const b of got) {
            const m = /^s(\d+):(\d+)-(\d+)\|/.exec(b.toString())!;
            const c = { id: Number(m[1]), base: Number(m[2]), end: Number(m[3]) };
            if (c.end <= cur) continue;
            expect(c.id).toBe(id);
            expect(c.base).toBe(cur);
            seen.push(c);
            cur = c.end;
          }
        }
        const stored = new Set(seen.map((c) => `${c.base}-${c.end}`));
        expect(stored.size).toBe(seen.length);
        for (const a of acks) expect(stored.has(`${a.base}-${a.end}`)).toBe(true);
      }
      await store.close();
      await md.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
