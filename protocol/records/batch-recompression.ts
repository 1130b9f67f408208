// Owns re-encoding a v2 record batch with another compression codec, as Kafka
// does for a topic whose compression.type is not `producer`: the records are
// the same bytes, every header field but the codec bits is kept (producer id,
// epoch, sequence, timestamps, offset deltas), and the CRC is recomputed. Must
// not change a batch whose codec is already the target.

import { crc32c } from '../crc32c.ts';
import { ATTRIBUTES, CRC, LOG_OVERHEAD_BYTES, RECORD_BATCH_HEADER_BYTES, type RecordBatchHeader, BATCH_LENGTH } from './record-batch-header.ts';
import { compress, decompress } from './compression.ts';

const COMPRESSION_MASK = 0x07;

/** The batch, its records compressed with `codec` (at `level`); the original when already so. Throws KafkaDecodeError on a records section that does not decompress. */
export function recompressBatch(b: RecordBatchHeader, codec: number, level?: number): Buffer {
  if (b.compression === codec) return b.bytes();
  const section = compress(codec, decompress(b.compression, b.recordsSection()), level);
  const size = RECORD_BATCH_HEADER_BYTES + section.length;
  const out = Buffer.allocUnsafe(size);
  b.buf.copy(out, 0, b.start, b.start + RECORD_BATCH_HEADER_BYTES);
  section.copy(out, RECORD_BATCH_HEADER_BYTES);
  out.writeInt32BE(size - LOG_OVERHEAD_BYTES, BATCH_LENGTH);
  out.writeInt16BE((b.attributes & ~COMPRESSION_MASK) | codec, ATTRIBUTES);
  out.writeUInt32BE(crc32c(out, ATTRIBUTES, size), CRC);
  return out;
}
