// Owns the four compression codecs of Kafka record batches. Only code that
// must look inside records calls this (compaction, the group coordinator's
// internal topic, tests, the benchmark's batch builder): produce and fetch
// pass compressed bytes through untouched.

import { constants as zlibConstants, gunzipSync, gzipSync, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { CompressionCodec } from './record-batch-header.ts';
import { KafkaDecodeError } from '../primitives/decode-error.ts';

interface SnappyModule {
  compressSync(input: Uint8Array): Buffer;
  uncompressSync(input: Uint8Array): string | Buffer;
}
interface Lz4Module {
  compressFrameSync(input: Buffer): Buffer;
  decompressFrameSync(input: Buffer): Buffer;
}

// Native codecs are loaded on first use so that a process that never decompresses never loads them.
const require = createRequire(import.meta.url);
let snappy: SnappyModule | undefined;
let lz4: Lz4Module | undefined;
const snappyModule = (): SnappyModule => (snappy ??= require('snappy') as SnappyModule);
const lz4Module = (): Lz4Module => (lz4 ??= require('lz4-napi') as Lz4Module);

/** The Java client frames snappy the xerial way: magic, version, compat, then [length][block] chunks. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;

function snappyDecompress(data: Buffer): Buffer {
  const s = snappyModule();
  const raw = (b: Buffer): Buffer => {
    const out = s.uncompressSync(b);
    return typeof out === 'string' ? Buffer.from(out) : out;
  };
  if (data.length >= XERIAL_HEADER_BYTES && data.subarray(0, 8).equals(XERIAL_MAGIC)) {
    const parts: Buffer[] = [];
    let pos = XERIAL_HEADER_BYTES;
    while (pos < data.length) {
      if (pos + 4 > data.length) throw new KafkaDecodeError('truncated xerial snappy chunk header');
      const len = data.readInt32BE(pos);
      pos += 4;
      if (len < 0 || pos + len > data.length) throw new KafkaDecodeError('truncated xerial snappy chunk');
      parts.push(raw(data.subarray(pos, pos + len)));
      pos += len;
    }
    return Buffer.concat(parts);
  }
  return raw(data);
}

/** Decompresses a batch's records section; codec errors become KafkaDecodeError. */
export function decompress(codec: number, data: Buffer): Buffer {
  try {
    switch (codec) {
      case CompressionCodec.none: return data;
      case CompressionCodec.gzip: return gunzipSync(data);
      case CompressionCodec.snappy: return snappyDecompress(data);
      case CompressionCodec.lz4: return lz4Module().decompressFrameSync(data);
      case CompressionCodec.zstd: return zstdDecompressSync(data);
    }
  } catch (e) {
    if (e instanceof KafkaDecodeError) throw e;
    throw new KafkaDecodeError(`cannot decompress codec ${codec}: ${(e as Error).message}`);
  }
  throw new KafkaDecodeError(`unknown compression codec ${codec}`);
}

/**
 * `level`: gzip 1-9 or -1 (zlib's default), zstd -131072..22 (Kafka's
 * compression.*.level); undefined, or a codec without levels here (lz4,
 * snappy), uses the codec's default.
 */
export function compress(codec: number, data: Buffer, level?: number): Buffer {
  switch (codec) {
    case CompressionCodec.none: return data;
    case CompressionCodec.gzip: return level === undefined ? gzipSync(data) : gzipSync(data, { level });
    case CompressionCodec.snappy: return snappyModule().compressSync(data);
    case CompressionCodec.lz4: return lz4Module().compressFrameSync(data);
    case CompressionCodec.zstd: return level === undefined ? zstdCompressSync(data) : zstdCompressSync(data, { params: { [zlibConstants.ZSTD_c_compressionLevel]: level } });
  }
  throw new Error(`unknown compression codec ${codec}`);
}
