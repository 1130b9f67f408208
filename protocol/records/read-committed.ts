// Owns the read_committed consumer's filter over fetched batches: which
// batches belong to aborted transactions, given the fetch response's
// abortedTransactions (producer id and first offset of each aborted
// transaction in range). The rule is Kafka's consumer's: a producer's
// transactional batches are skipped from the first offset of one of its
// aborted transactions up to that transaction's abort marker; its batches
// outside that span (an earlier or later committed transaction) are kept.
// Control batches are never data. Pure; it reads batch headers only.

import type { RecordBatchHeader } from './record-batch-header.ts';
import { markerType } from './control-record.ts';

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

/** The data batches a read_committed consumer returns, in order. */
export function committedBatches(batches: Iterable<RecordBatchHeader>, aborted: readonly AbortedTransaction[]): RecordBatchHeader[] {
  const pending = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const abortedNow = new Set<bigint>();
  const out: RecordBatchHeader[] = [];
  for (const b of batches) {
    while (pending.length > 0 && pending[0]!.firstOffset <= b.lastOffset) abortedNow.add(pending.shift()!.producerId);
    if (b.isControl) {
      if (markerType(b) === 'abort') abortedNow.delete(b.producerId);
      continue;
    }
    if (b.isTransactional && abortedNow.has(b.producerId)) continue;
    out.push(b);
  }
  return out;
}
