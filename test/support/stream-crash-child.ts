// Child process for the storage crash test: appends to a few streams under
// load and prints "ACK <stream> <base> <end>" for every acknowledged append,
// until it is killed with SIGKILL by the test.

import { join } from 'node:path';
import { StreamStore, type DurabilityMode } from '../../s3stream/stream-store.ts';
import { streamOwnerKey, type StreamOwner } from '../../s3stream/stream-keys.ts';
import { FileSystemObjectStore } from '../../s3stream/object-store/filesystem-object-store.ts';
import { LmdbMetadataStore } from '../../s3stream/metadata/lmdb-metadata-store.ts';

const [dataDir, mode] = process.argv.slice(2) as [string, DurabilityMode];
const STREAMS = 4;
const APPENDERS_PER_STREAM = 8;

const md = new LmdbMetadataStore(join(dataDir, 'meta'));
const store = await StreamStore.open({
  dataDir, durability: mode, metadata: md, objectStore: new FileSystemObjectStore(join(dataDir, 'objects')),
  uploadIntervalMs: 30, uploadBytes: 64 * 1024,
});
const ids = (await md.range('s/')).map((e) => Number(e.key.slice(2)));
// A restarted owner opens its streams again at the epoch they hold.
for (const id of ids) await store.openStream(id, ((await md.get(streamOwnerKey(id)))!.value as unknown as StreamOwner).epoch);
while (ids.length < STREAMS) ids.push(await store.createStream());
process.stdout.write(`READY ${ids.join(',')}\n`);

async function appender(id: number): Promise<void> {
  for (;;) {
    await store.waitForCapacity();
    const base = store.endOffset(id);
    const n = 1 + Math.floor(Math.random() * 3);
    const payload = Buffer.from(`s${id}:${base}-${base + n}|${'x'.repeat(Math.floor(Math.random() * 2000))}`);
    await store.append(id, base, base + n, payload);
    process.stdout.write(`ACK ${id} ${base} ${base + n}\n`);
  }
}
for (const id of ids) for (let i = 0; i < APPENDERS_PER_STREAM; i++) void appender(id);
