// The per-connection memory of idempotent batches refused as not written:
// which later batch it explains, and when it forgets.

import { describe, expect, it } from 'vitest';
import { REFUSED_BATCHES_PER_CONNECTION_MAX, RefusedBatches } from '../../broker/handlers/refused-batches.ts';
import { ErrorCode } from '../../protocol/errors.ts';

const batch = (producerId: bigint, producerEpoch: number, baseSequence: number) => ({ producerId, producerEpoch, baseSequence });

describe('RefusedBatches', () => {
  it('explains a later sequence of the same producer and epoch only, and keeps the earliest refusal', () => {
    const r = new RefusedBatches();
    r.refused('t', 0, batch(7n, 3, 10), ErrorCode.NOT_LEADER_OR_FOLLOWER);
    r.refused('t', 0, batch(7n, 3, 12), ErrorCode.REQUEST_TIMED_OUT);
    expect(r.explains('t', 0, batch(7n, 3, 13))).toEqual({ epoch: 3, baseSequence: 10, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
    expect(r.explains('t', 0, batch(7n, 3, 10))).toBeUndefined();
    expect(r.explains('t', 0, batch(7n, 4, 13))).toBeUndefined();
    expect(r.explains('t', 0, batch(8n, 3, 13))).toBeUndefined();
    expect(r.explains('t', 1, batch(7n, 3, 13))).toBeUndefined();
  });

  it('forgets a refusal once a batch of the producer is written there, or a newer epoch is refused', () => {
    const r = new RefusedBatches();
    r.refused('t', 0, batch(7n, 3, 10), ErrorCode.NOT_LEADER_OR_FOLLOWER);
    r.written('t', 0, 7n);
    expect(r.explains('t', 0, batch(7n, 3, 11))).toBeUndefined();
    r.refused('t', 0, batch(7n, 3, 10), ErrorCode.NOT_LEADER_OR_FOLLOWER);
    r.refused('t', 0, batch(7n, 4, 20), ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(r.explains('t', 0, batch(7n, 3, 11))).toBeUndefined();
    expect(r.explains('t', 0, batch(7n, 4, 21))?.baseSequence).toBe(20);
  });

  it('is bounded: past its limit the oldest refusal is forgotten', () => {
    const r = new RefusedBatches();
    for (let i = 0; i <= REFUSED_BATCHES_PER_CONNECTION_MAX; i++) r.refused('t', i, batch(1n, 0, 5), ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(r.size).toBe(REFUSED_BATCHES_PER_CONNECTION_MAX);
    expect(r.explains('t', 0, batch(1n, 0, 6))).toBeUndefined();
    expect(r.explains('t', REFUSED_BATCHES_PER_CONNECTION_MAX, batch(1n, 0, 6))).toBeDefined();
  });
});
