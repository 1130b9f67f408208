// Owns the transaction markers of the record format: the control batch a
// transaction coordinator writes to each partition of a transaction (a
// COMMIT or ABORT record: key = version int16 0, type int16; value = version
// int16 0, coordinator epoch int32), and reading the marker type back. It
// knows nothing of transactions beyond the bytes.

import { buildRecordBatch, readRecords } from './record.ts';
import type { RecordBatchHeader } from './record-batch-header.ts';

export type MarkerType = 'abort' | 'commit';

const TYPE_ABORT = 0;
const TYPE_COMMIT = 1;

/** One control batch holding one COMMIT or ABORT marker of producer `producerId` at `producerEpoch`. */
export function buildTransactionMarker(producerId: bigint, producerEpoch: number, type: MarkerType, coordinatorEpoch: number, timestampMs = BigInt(Date.now())): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(type === 'commit' ? TYPE_COMMIT : TYPE_ABORT, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return buildRecordBatch([{ key, value }], { producerId, producerEpoch, transactional: true, control: true, timestamp: timestampMs });
}

/** The marker a control batch carries; undefined for other control records (or a batch that is not one). */
export function markerType(b: RecordBatchHeader): MarkerType | undefined {
  if (!b.isControl) return undefined;
  for (const r of readRecords(b)) {
    if (r.key === null || r.key.length < 4) return undefined;
    const type = r.key.readInt16BE(2);
    return type === TYPE_COMMIT ? 'commit' : type === TYPE_ABORT ? 'abort' : undefined;
  }
  return undefined;
}
