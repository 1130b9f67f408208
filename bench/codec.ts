// Codec throughput: encode/decode of Produce requests and Fetch responses
// with realistic record buffers (1 KiB records in 16 KiB batches). Prints
// MB/s and messages/s and writes a JSON report to bench/reports/.
// Run: npm run bench -- codec   (or: node bench/codec.ts)

import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Reader } from '../protocol/primitives/reader.ts';
import { Writer } from '../protocol/primitives/writer.ts';
import { ProduceApi, FetchApi } from '../protocol/generated/index.ts';
import { defaultFetchResponse, defaultPartitionData } from '../protocol/generated/FetchResponse.ts';
import type { ProduceRequest } from '../protocol/generated/ProduceRequest.ts';
import { buildRecordBatch } from '../protocol/records/record.ts';
import { splitRecordBatches, checkRecordBatch } from '../protocol/records/record-batch-header.ts';
import { crc32c, crc32cSoftware, crc32cImplementation } from '../protocol/crc32c.ts';
import { recordsBuffer } from '../protocol/primitives/writer.ts';

const RECORD_BYTES = 1024;
const RECORDS_PER_BATCH = 16;
const PARTITIONS = 16;
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 2000);

const value = Buffer.alloc(RECORD_BYTES, 'v');
const batch = buildRecordBatch(Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ key: `key-${i}`, value })));
const recordsPerMessage = RECORDS_PER_BATCH * PARTITIONS;

const produce: ProduceRequest = {
  transactionalId: null, acks: -1, timeoutMs: 30000,
  topicData: [{ name: 'bench', partitionData: Array.from({ length: PARTITIONS }, (_, i) => ({ index: i, records: batch })) }],
};
const fetchResponse = {
  ...defaultFetchResponse(),
  responses: [{
    topic: 'bench', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
    partitions: Array.from({ length: PARTITIONS }, (_, i) => ({ ...defaultPartitionData(), partitionIndex: i, highWatermark: 1000n, lastStableOffset: 1000n, records: batch })),
  }],
};

interface Result { name: string; opsPerSec: number; mbPerSec: number; recordsPerSec: number; bytesPerOp: number }

function measure(name: string, bytesPerOp: number, recordsPerOp: number, op: () => void): Result {
  for (let i = 0; i < 200; i++) op();
  let ops = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(DURATION_MS) * 1_000_000n;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 100; i++) op();
    ops += 100;
    now = process.hrtime.bigint();
  }
  const secs = Number(now - start) / 1e9;
  return { name, opsPerSec: ops / secs, mbPerSec: (ops * bytesPerOp) / secs / 1e6, recordsPerSec: (ops * recordsPerOp) / secs, bytesPerOp };
}

function encodeProduce(v: number): Buffer[] {
  const w = new Writer();
  ProduceApi.writeRequest(w, v, produce);
  return w.chunksView();
}

const results: Result[] = [];
for (const v of [7, 9]) {
  const chunks = encodeProduce(v);
  const size = chunks.reduce((a, c) => a + c.length, 0);
  const flat = Buffer.concat(chunks);
  results.push(measure(`Produce v${v} encode (chunks, no copy)`, size, recordsPerMessage, () => { encodeProduce(v); }));
  results.push(measure(`Produce v${v} decode`, size, recordsPerMessage, () => { ProduceApi.readRequest(new Reader(flat), v); }));
  results.push(measure(`Produce v${v} decode + split + CRC check`, size, recordsPerMessage, () => {
    const req = ProduceApi.readRequest(new Reader(flat), v);
    for (const t of req.topicData) for (const p of t.partitionData) for (const b of splitRecordBatches(recordsBuffer(p.records!))) checkRecordBatch(b);
  }));
}
for (const v of [11, 13, 16]) {
  const w = new Writer();
  FetchApi.writeResponse(w, v, fetchResponse);
  const flat = w.toBuffer();
  results.push(measure(`Fetch v${v} response encode (chunks, no copy)`, flat.length, recordsPerMessage, () => {
    const w2 = new Writer();
    FetchApi.writeResponse(w2, v, fetchResponse);
    w2.chunksView();
  }));
  results.push(measure(`Fetch v${v} response decode`, flat.length, recordsPerMessage, () => { FetchApi.readResponse(new Reader(flat), v); }));
}
const crcBuf = Buffer.alloc(16 * 1024, 1);
results.push(measure(`CRC-32C 16 KiB (${crc32cImplementation})`, crcBuf.length, 0, () => { crc32c(crcBuf); }));
results.push(measure('CRC-32C 16 KiB (software)', crcBuf.length, 0, () => { crc32cSoftware(crcBuf); }));

console.log(`codec benchmark: ${PARTITIONS} partitions x ${RECORDS_PER_BATCH} records of ${RECORD_BYTES} B per message, node ${process.version}`);
console.log('| operation | MB/s | messages/s | records/s |');
console.log('|---|---:|---:|---:|');
for (const r of results) {
  console.log(`| ${r.name} | ${r.mbPerSec.toFixed(0)} | ${r.opsPerSec.toFixed(0)} | ${r.recordsPerSec.toFixed(0)} |`);
}
const dir = join(import.meta.dirname, 'reports');
mkdirSync(dir, { recursive: true });
const file = join(dir, `codec-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ workload: 'codec', node: process.version, crc32c: crc32cImplementation, when: new Date().toISOString(), results }, null, 2));
console.log(`report: ${file}`);
