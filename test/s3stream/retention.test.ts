// The retention rule on its own: whole regions go from the start while they
// are older than retention.ms or the stream is over retention.bytes; the
// start never moves back; -1 keeps everything.

import { expect, it } from 'vitest';
import { retentionStart } from '../../s3stream/retention.ts';

const region = (end: number, bytes: number, uploadedAt: number) => ({ o: 'x', p: 0, l: bytes, e: end, t: uploadedAt });
const regions = [region(10, 100, 1_000), region(20, 100, 2_000), region(30, 100, 3_000)];

it('drops whole regions by age, by size, or both, from the start only', () => {
  expect(retentionStart(regions, 0, { retentionMs: -1, retentionBytes: -1 }, 10_000)).toBe(0);
  expect(retentionStart(regions, 0, { retentionMs: 7_500, retentionBytes: -1 }, 10_000)).toBe(20); // the two oldest are over 7.5 s old
  expect(retentionStart(regions, 0, { retentionMs: -1, retentionBytes: 150 }, 10_000)).toBe(20); // 300 bytes: two regions go to get under 150
  expect(retentionStart(regions, 0, { retentionMs: 8_500, retentionBytes: 250 }, 10_000)).toBe(10); // either rule may drop the oldest
  expect(retentionStart(regions, 25, { retentionMs: 7_500, retentionBytes: -1 }, 10_000)).toBe(25); // never back
});
