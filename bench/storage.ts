// Storage-engine benchmark without the Kafka layer: StreamStore append
// throughput (WAL group commit), upload throughput to the filesystem store
// and to an S3-compatible server (s3rver), and read throughput from the tail
// cache and from objects (block cache cold). Writes bench/reports/storage-*.json.
// Run: npm run bench -- storage

import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamStore } from '../s3stream/stream-store.ts';
import { FileSystemObjectStore } from '../s3stream/object-store/filesystem-object-store.ts';
import { S3ObjectStore } from '../s3stream/object-store/s3-object-store.ts';
import { InstrumentedObjectStore, type ObjectStore } from '../s3stream/object-store/object-store.ts';
import { LmdbMetadataStore } from '../s3stream/metadata/lmdb-metadata-store.ts';
import { S3TestServer, S3_TEST_BUCKET, S3_TEST_CREDENTIALS } from '../test/support/s3-server.ts';
import { fmt } from './stats.ts';

const STREAMS = 16;
const CHUNK_BYTES = 16 * 1024;
const TOTAL_BYTES = Number(process.env.BENCH_STORAGE_BYTES ?? 256 * 1024 * 1024);
const chunk = Buffer.alloc(CHUNK_BYTES, 7);

interface Result { backend: string; appendMBps: number; uploadMBps: number; puts: number; tailReadMBps: number; objectReadMBps: number; gets: number }

async function run(name: string, makeBackend: (dir: string) => ObjectStore): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'floe-bench-storage-'));
  try {
    const objects = new InstrumentedObjectStore(makeBackend(dir));
    const md = new LmdbMetadataStore(join(dir, 'meta'));
    // Upload only when asked, so append, upload and reads are timed apart.
    const store = await StreamStore.open({ dataDir: dir, objectStore: objects, metadata: md, uploadIntervalMs: 3_600_000, uploadBytes: 1 << 40, pendingBytesMax: TOTAL_BYTES * 2, tailCacheBytesMax: TOTAL_BYTES * 2 });
    const ids: number[] = [];
    for (let i = 0; i < STREAMS; i++) ids.push(await store.createStream());

    const n = Math.floor(TOTAL_BYTES / CHUNK_BYTES);
    let t = process.hrtime.bigint();
    const acks: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const id = ids[i % STREAMS]!;
      const base = store.endOffset(id);
      acks.push(store.append(id, base, base + 16, chunk));
      if (acks.length >= 256) await Promise.all(acks.splice(0));
    }
    await Promise.all(acks);
    const appendSecs = Number(process.hrtime.bigint() - t) / 1e9;

    t = process.hrtime.bigint();
    await store.flush();
    const uploadSecs = Number(process.hrtime.bigint() - t) / 1e9;
    const puts = objects.stats.requests.get('put:ok') ?? 0;

    const readAll = async (): Promise<number> => {
      let bytes = 0;
      for (const id of ids) {
        let cur = 0;
        while (cur < store.endOffset(id)) {
          const got = await store.readChunks(id, cur, 4 << 20);
          if (got.length === 0) break;
          for (const c of got) bytes += c.data.length;
          cur = got[got.length - 1]!.endOffset;
        }
      }
      return bytes;
    };
    t = process.hrtime.bigint();
    const tailBytes = await readAll();
    const tailSecs = Number(process.hrtime.bigint() - t) / 1e9;
    await store.close();
    await md.close();

    // Reopen: nothing in memory, an empty block cache; every read is a range GET.
    const md2 = new LmdbMetadataStore(join(dir, 'meta'));
    const objects2 = new InstrumentedObjectStore(makeBackend(dir));
    const cold = await StreamStore.open({ dataDir: dir, objectStore: objects2, metadata: md2, uploadIntervalMs: 3_600_000, tailCacheBytesMax: 0 });
    const readCold = async (): Promise<number> => {
      let bytes = 0;
      for (const id of ids) {
        let cur = 0;
        while (cur < cold.endOffset(id)) {
          const got = await cold.readChunks(id, cur, 4 << 20);
          if (got.length === 0) break;
          for (const c of got) bytes += c.data.length;
          cur = got[got.length - 1]!.endOffset;
        }
      }
      return bytes;
    };
    t = process.hrtime.bigint();
    const objectBytes = await readCold();
    const objectSecs = Number(process.hrtime.bigint() - t) / 1e9;
    const gets = objects2.stats.requests.get('get:ok') ?? 0;
    await cold.close();
    await md2.close();
    if (tailBytes !== objectBytes) throw new Error(`read ${tailBytes} bytes from the tail but ${objectBytes} from objects`);
    return {
      backend: name, appendMBps: TOTAL_BYTES / appendSecs / 1e6, uploadMBps: TOTAL_BYTES / uploadSecs / 1e6, puts,
      tailReadMBps: tailBytes / tailSecs / 1e6, objectReadMBps: objectBytes / objectSecs / 1e6, gets,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const s3 = new S3TestServer();
await s3.start();
const results: Result[] = [];
try {
  results.push(await run('filesystem', (dir) => new FileSystemObjectStore(join(dir, 'objects'))));
  const prefix = `bench-${Date.now()}/`;
  results.push(await run('s3 (s3rver)', () => new S3ObjectStore({ bucket: S3_TEST_BUCKET, endpoint: s3.endpoint, ...S3_TEST_CREDENTIALS, keyPrefix: prefix })));
} finally {
  await s3.destroy();
}
console.log(`storage benchmark: ${STREAMS} streams, ${CHUNK_BYTES / 1024} KiB chunks, ${TOTAL_BYTES / 1024 / 1024} MiB, local-wal`);
console.log('| store | append MB/s (WAL) | upload MB/s | PUTs | read from tail MB/s | read from objects MB/s | GETs |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const r of results) console.log(`| ${r.backend} | ${fmt(r.appendMBps, 0)} | ${fmt(r.uploadMBps, 0)} | ${r.puts} | ${fmt(r.tailReadMBps, 0)} | ${fmt(r.objectReadMBps, 0)} | ${r.gets} |`);
const out = join(import.meta.dirname, 'reports');
mkdirSync(out, { recursive: true });
const file = join(out, `storage-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ workload: 'storage', node: process.version, streams: STREAMS, chunkBytes: CHUNK_BYTES, totalBytes: TOTAL_BYTES, results }, null, 2));
console.log(`report: ${file}`);
