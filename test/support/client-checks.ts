// The checks every client's produce/consume test makes the same way: the
// offsets a producer was given are contiguous from 0 in each partition, and a
// group read each of the `k<i>` = `v<i>` records once.

import { expect } from 'vitest';

/** Each partition's offsets, sorted, are 0, 1, 2, ... (an idempotent producer wrote every record once). */
export function expectContiguousOffsets(rows: readonly { partition: number; offset: number }[], partitions: number): void {
  for (let p = 0; p < partitions; p++) {
    const offsets = rows.filter((r) => r.partition === p).map((r) => r.offset).sort((a, b) => a - b);
    expect(offsets, `partition ${p}`).toEqual(offsets.map((_, i) => i));
  }
}

/** The records are `count` distinct keys k<i>, each with the value v<i>. */
export function expectEachKeyOnce(records: readonly { key: string; value: string }[], count: number): void {
  expect(new Set(records.map((r) => r.key)).size).toBe(count);
  for (const r of records) expect(r.value).toBe(`v${r.key.slice(1)}`);
}
