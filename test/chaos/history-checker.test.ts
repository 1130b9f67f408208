// The fault campaign's checker on histories made by hand: a clean history
// passes, and each injected anomaly (a lost write, a duplicate, one offset
// with two values, a misplaced ack, a phantom, a skipped or repeated offset
// within one assignment, a hole in the log, a client that never recovered)
// is found and named.

import { describe, expect, it } from 'vitest';
import { checkHistory, type History } from '../../bench/chaos/history-checker.ts';

function clean(): History {
  const keys = ['p1-0', 'p1-1', 'p1-2', 'p1-3'];
  return {
    sends: keys.map((key, i) => ({ key, t: i })),
    acks: keys.map((key, i) => ({ key, partition: i % 2, offset: Math.floor(i / 2), t: 100 + i })),
    reads: keys.map((key, i) => ({ consumer: 'c1', epoch: 1, key, partition: i % 2, offset: Math.floor(i / 2), t: 200 + i })),
    finalRead: keys.map((key, i) => ({ key, partition: i % 2, offset: Math.floor(i / 2) })),
    lastFaultEndedAt: 50,
    endedAt: 10_000,
  };
}
const opts = { progressWithinMs: 1000, producers: ['p1'], consumers: ['c1'] };
const kinds = (h: History): string[] => checkHistory(h, opts).map((a) => a.kind).sort();

describe('history checker', () => {
  it('passes a clean history', () => {
    expect(checkHistory(clean(), opts)).toEqual([]);
  });

  it('finds a lost acknowledged write', () => {
    const h = clean();
    h.finalRead = h.finalRead.filter((r) => r.key !== 'p1-3');
    expect(kinds(h)).toContain('lost');
  });

  it('finds a duplicate', () => {
    const h = clean();
    h.finalRead.push({ key: 'p1-0', partition: 0, offset: 2 });
    expect(kinds(h)).toContain('duplicate');
  });

  it('finds one offset read with two values', () => {
    const h = clean();
    h.reads[0] = { ...h.reads[0]!, key: 'p1-2' };
    expect(kinds(h)).toContain('divergent');
  });

  it('takes an acknowledgement without an offset (librdkafka\'s implicit ack) as placed wherever the log has it, once', () => {
    const h = clean();
    h.acks[1] = { ...h.acks[1]!, offset: null };
    expect(checkHistory(h, opts)).toEqual([]);
    h.finalRead = h.finalRead.filter((r) => r.key !== 'p1-1');
    h.reads = h.reads.filter((r) => r.key !== 'p1-1');
    expect(kinds(h)).toContain('lost');
  });

  it('finds a record read elsewhere than it was acknowledged', () => {
    const h = clean();
    h.acks[1] = { ...h.acks[1]!, offset: 7 };
    expect(kinds(h)).toContain('misplaced');
  });

  it('finds a record never sent', () => {
    const h = clean();
    h.finalRead.push({ key: 'ghost', partition: 1, offset: 2 });
    expect(kinds(h)).toContain('phantom');
  });

  it('finds an offset skipped, or read again, within one assignment; a new assignment may restart', () => {
    const skipped = clean();
    skipped.reads = skipped.reads.filter((r) => !(r.partition === 0 && r.offset === 1));
    skipped.finalRead.push({ key: 'p1-4', partition: 0, offset: 2 });
    skipped.sends.push({ key: 'p1-4', t: 5 });
    skipped.reads.push({ consumer: 'c1', epoch: 1, key: 'p1-4', partition: 0, offset: 2, t: 300 });
    expect(kinds(skipped)).toContain('skipped');
    const repeated = clean();
    repeated.reads.push({ ...repeated.reads[0]!, t: 400 });
    expect(kinds(repeated)).toContain('non-monotonic');
    const reassigned = clean();
    reassigned.reads.push({ ...reassigned.reads[0]!, epoch: 2, t: 400 });
    expect(checkHistory(reassigned, opts)).toEqual([]);
  });

  it('finds a hole in the log', () => {
    const h = clean();
    h.finalRead[3] = { ...h.finalRead[3]!, offset: 5 };
    h.acks[3] = { ...h.acks[3]!, offset: 5 };
    h.reads[3] = { ...h.reads[3]!, offset: 5 };
    expect(kinds(h)).toEqual(['log-gap', 'skipped']);
  });

  it('finds a client that made no progress after the last fault', () => {
    const h = clean();
    h.lastFaultEndedAt = 500;
    expect(kinds(h)).toEqual(['no-progress', 'no-progress']);
  });

  it('judges a consumer by its reads of every topic (one assigned only another topic\'s partitions still progresses)', () => {
    const h = clean();
    h.lastFaultEndedAt = 500;
    h.progressReads = [...h.reads, { consumer: 'c1', t: 900 }];
    expect(kinds(h)).toEqual(['no-progress']);
  });
});
