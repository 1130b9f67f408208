// The read_committed filter the HTTP and MCP reads use: one producer's
// committed and aborted transactions in one fetched range, interleaved with
// another producer's, keep exactly the committed records.

import { describe, expect, it } from 'vitest';
import { buildRecordBatch, readRecords } from '../../protocol/records/record.ts';
import { splitRecordBatches } from '../../protocol/records/record-batch-header.ts';
import { buildTransactionMarker } from '../../protocol/records/control-record.ts';
import { committedBatches } from '../../protocol/records/read-committed.ts';

/** A log of batches at consecutive offsets, as a fetch returns it. */
function log(parts: ({ value: string; producerId: bigint; transactional?: boolean } | { marker: 'commit' | 'abort'; producerId: bigint })[]): Buffer {
  let offset = 0n;
  return Buffer.concat(parts.map((p) => {
    const buf = 'marker' in p ? buildTransactionMarker(p.producerId, 0, p.marker, 0) : buildRecordBatch([{ value: p.value }], { producerId: p.producerId, producerEpoch: 0, baseSequence: Number(offset), transactional: p.transactional ?? true });
    const [b] = splitRecordBatches(buf);
    b!.setBaseOffset(offset++);
    return buf;
  }));
}

const values = (buf: Buffer, aborted: { producerId: bigint; firstOffset: bigint }[]): string[] =>
  committedBatches(splitRecordBatches(buf), aborted).flatMap((b) => readRecords(b).map((r) => r.value!.toString()));

describe('committedBatches (read_committed)', () => {
  it('keeps a producer\'s committed transactions around its aborted one, and other producers\' records inside it', () => {
    const buf = log([
      { value: 'p1-committed-a', producerId: 1n }, // 0
      { marker: 'commit', producerId: 1n }, // 1
      { value: 'p1-aborted', producerId: 1n }, // 2
      { value: 'p2-committed', producerId: 2n }, // 3
      { value: 'plain', producerId: 3n, transactional: false }, // 4
      { marker: 'abort', producerId: 1n }, // 5
      { marker: 'commit', producerId: 2n }, // 6
      { value: 'p1-committed-b', producerId: 1n }, // 7
      { marker: 'commit', producerId: 1n }, // 8
    ]);
    expect(values(buf, [{ producerId: 1n, firstOffset: 2n }])).toEqual(['p1-committed-a', 'p2-committed', 'plain', 'p1-committed-b']);
  });

  it('skips two aborted transactions of one producer, in whatever order the fetch lists them', () => {
    const buf = log([
      { value: 'x1', producerId: 5n }, { marker: 'abort', producerId: 5n },
      { value: 'kept', producerId: 5n }, { marker: 'commit', producerId: 5n },
      { value: 'x2', producerId: 5n }, { marker: 'abort', producerId: 5n },
    ]);
    expect(values(buf, [{ producerId: 5n, firstOffset: 4n }, { producerId: 5n, firstOffset: 0n }])).toEqual(['kept']);
  });

  it('with no aborted transaction listed, returns every data batch and no control batch', () => {
    const buf = log([{ value: 'a', producerId: 1n }, { marker: 'commit', producerId: 1n }, { value: 'b', producerId: 2n, transactional: false }]);
    expect(values(buf, [])).toEqual(['a', 'b']);
  });
});
