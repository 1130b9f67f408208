// The transactional topic's checker on histories made by hand: a clean
// history passes; a read of an aborted transaction's record, or of one never
// committed, a committed record missing, a transaction of unknown outcome
// found in part, a duplicate and a phantom are each found and named.

import { describe, expect, it } from 'vitest';
import { checkTransactions, type TransactionHistory } from '../../bench/chaos/transaction-checker.ts';

// t0 committed (two records, one per partition), t1 aborted, t2 never committed, t3 commit unanswered but whole in the log.
function clean(): TransactionHistory {
  const committed = [{ key: 'x-0', partition: 0, offset: 0 }, { key: 'x-1', partition: 1, offset: 0 }, { key: 'x-6', partition: 0, offset: 5 }, { key: 'x-7', partition: 1, offset: 5 }];
  return {
    transactions: [
      { producer: 'x', txn: 0, keys: ['x-0', 'x-1'], outcome: 'committed', t: 1 },
      { producer: 'x', txn: 1, keys: ['x-2', 'x-3'], outcome: 'aborted', t: 2 },
      { producer: 'x', txn: 2, keys: ['x-4', 'x-5'], outcome: 'open', t: 3 },
      { producer: 'x', txn: 3, keys: ['x-6', 'x-7'], outcome: 'unknown', t: 4 },
    ],
    reads: committed.map((r, i) => ({ consumer: 'c1', epoch: 1, t: 10 + i, ...r })),
    finalRead: committed,
  };
}
const kinds = (h: TransactionHistory): string[] => checkTransactions(h).map((a) => a.kind).sort();

describe('transaction checker', () => {
  it('passes a clean history (markers and aborted records leave offsets unread: no gap is judged)', () => {
    expect(checkTransactions(clean())).toEqual([]);
  });

  it('finds a read of an aborted transaction\'s record, and of one never committed', () => {
    const h = clean();
    h.reads.push({ consumer: 'c1', epoch: 1, key: 'x-2', partition: 0, offset: 1, t: 20 });
    h.finalRead.push({ key: 'x-5', partition: 1, offset: 2 });
    const found = checkTransactions(h);
    expect(found.map((a) => a.kind)).toEqual(['aborted-read', 'aborted-read']);
    expect(found[0]!.detail).toContain('aborted');
    expect(found[1]!.detail).toContain('never committed');
  });

  it('finds a committed record missing from the log, and a transaction of unknown outcome there in part', () => {
    const h = clean();
    h.finalRead = h.finalRead.filter((r) => r.key !== 'x-1' && r.key !== 'x-7');
    expect(kinds(h)).toEqual(['lost', 'txn-partial']);
  });

  it('finds a duplicate, one offset with two records, and a record never sent', () => {
    const h = clean();
    h.finalRead.push({ key: 'x-0', partition: 0, offset: 9 });
    h.reads.push({ consumer: 'c1', epoch: 1, key: 'x-6', partition: 0, offset: 0, t: 30 });
    h.finalRead.push({ key: 'y-0', partition: 1, offset: 9 });
    expect(kinds(h)).toEqual(['divergent', 'duplicate', 'duplicate', 'phantom']);
  });
});
