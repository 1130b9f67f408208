// The tail cache's queues behave exactly as an array used with push, shift,
// indexing and iteration, across the compactions of their consumed prefix.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FifoQueue } from '../../s3stream/fifo-queue.ts';

describe('FifoQueue', () => {
  it('matches an array under any sequence of pushes and shifts', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.constant(-1)), { maxLength: 400 }), (ops) => {
      const q = new FifoQueue<number>();
      const model: number[] = [];
      let next = 0;
      for (const op of ops) {
        if (op === -1) {
          expect(q.shift()).toBe(model.shift());
          for (const i of [0, model.length >> 1, model.length - 1, model.length]) expect(q.at(i)).toBe(model[i]);
          expect([...q]).toEqual(model);
        } else {
          // Push runs long enough to cross the prefix compaction (1,024 consumed).
          for (let i = 0; i < op; i++) {
            q.push(next);
            model.push(next++);
          }
          for (let i = 0; i < op >> 1; i++) expect(q.shift()).toBe(model.shift());
        }
        expect(q.length).toBe(model.length);
      }
      while (model.length > 0) expect(q.shift()).toBe(model.shift());
      expect(q.shift()).toBeUndefined();
      expect(q.length).toBe(0);
    }), { numRuns: 60 });
  });
});
