// The producer-state table's snapshot: what it vouches for below an offset,
// and that restoring it and replaying the log after that offset gives the
// state back (duplicates found, an older epoch refused).

import { describe, expect, it } from 'vitest';
import { ProducerStateTable } from '../../broker/partition/producer-state.ts';
import { ErrorCode } from '../../protocol/errors.ts';

describe('ProducerStateTable snapshots', () => {
  it('holds only batches below the offset, and a restore plus the replay after it finds every retry', () => {
    const live = new ProducerStateTable();
    for (let i = 0; i < 4; i++) live.record(7n, 0, i, i, i * 10);
    const snap = live.snapshot(25);
    expect(snap).toEqual([['7', 0, -1, [[0, 0, 0], [1, 1, 10], [2, 2, 20]]]]);
    const next = new ProducerStateTable();
    next.restore(snap);
    next.record(7n, 0, 3, 3, 30);
    for (let i = 0; i < 4; i++) expect(next.check(7n, 0, i, i)).toMatchObject({ kind: 'duplicate', baseOffset: i * 10 });
    expect(next.check(7n, 0, 4, 4)).toEqual({ kind: 'append' });
    expect(next.check(7n, 0, 6, 6)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, gap: true });
    // Behind the expected sequence and not one of the remembered batches: out of order, not a gap.
    expect(next.check(7n, 0, 1, 2)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, gap: false });
    expect(next.check(7n, 1, 3, 3)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, gap: true });
  });

  it('leaves out a producer whose epoch began at or above the offset; the replay brings it back, older-epoch batches ignored', () => {
    const live = new ProducerStateTable();
    live.record(9n, 0, 0, 0, 0);
    live.markerAt(9n, 1, 15);
    live.record(9n, 1, 0, 0, 20);
    expect(live.snapshot(10)).toEqual([]);
    expect(live.snapshot(25)).toEqual([['9', 1, -1, [[0, 0, 20]]]]);
    const next = new ProducerStateTable();
    next.restore(live.snapshot(10));
    // The replay from 10 on: the marker, then the new epoch's batch.
    next.markerAt(9n, 1, 15);
    next.record(9n, 0, 5, 5, 12);
    next.record(9n, 1, 0, 0, 20);
    expect(next.check(9n, 1, 0, 0)).toMatchObject({ kind: 'duplicate', baseOffset: 20 });
    expect(next.check(9n, 0, 1, 1)).toMatchObject({ kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
  });
});
