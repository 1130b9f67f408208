// Owns the checks of the fault campaign's transactional topic: what each
// transactional producer's transactions held and how each ended (committed,
// aborted, never ended, or unknown because the commit's answer was lost),
// against what read_committed consumers read during the campaign and a final
// read_committed read of the whole topic after it. Names every record of a
// transaction not committed that was read, every record of a committed one
// missing at the end, every transaction of unknown outcome found in part,
// and duplicates, divergent offsets and phantoms as the idempotent checker
// does. Offsets are not checked for gaps: markers and aborted records take
// offsets no read_committed consumer sees. Pure: no I/O.

import type { Anomaly, Read } from './history-checker.ts';

export type TransactionOutcome = 'committed' | 'aborted' | 'open' | 'unknown';

export interface Transaction {
  producer: string;
  /** The producer's count of its transactions, from 0. */
  txn: number;
  keys: string[];
  /**
   * committed / aborted: EndTxn answered; open: the producer never asked for a
   * commit (it died, or its transaction failed before), so the coordinator
   * must abort it; unknown: a commit was asked for and its answer lost.
   */
  outcome: TransactionOutcome;
  t: number;
}

export interface TransactionHistory {
  transactions: Transaction[];
  /** What the group's read_committed consumers read of the transactional topic. */
  reads: Read[];
  /** The whole transactional topic read once, read_committed, after the faults. */
  finalRead: { key: string; partition: number; offset: number }[];
}

const tp = (p: number, o: number): string => `${p}/${o}`;

export function checkTransactions(h: TransactionHistory): Anomaly[] {
  const out: Anomaly[] = [];
  const ofKey = new Map<string, Transaction>();
  for (const t of h.transactions) for (const k of t.keys) ofKey.set(k, t);
  const all = [...h.reads.map((r) => ({ ...r, where: `consumer ${r.consumer}` })), ...h.finalRead.map((r) => ({ ...r, where: 'final read' }))];

  const atOffset = new Map<string, string>();
  const placed = new Map<string, { partition: number; offset: number }>();
  for (const r of all) {
    const t = ofKey.get(r.key);
    if (t === undefined) {
      out.push({ kind: 'phantom', detail: `${r.key} read at ${tp(r.partition, r.offset)} (${r.where}) was never sent in a transaction` });
      continue;
    }
    if (t.outcome === 'aborted' || t.outcome === 'open') {
      out.push({ kind: 'aborted-read', detail: `${r.key} of ${t.producer}'s transaction ${t.txn} (${t.outcome === 'open' ? 'never committed' : 'aborted'}) read at ${tp(r.partition, r.offset)} (${r.where})` });
    }
    const at = tp(r.partition, r.offset);
    const prevKey = atOffset.get(at);
    if (prevKey === undefined) atOffset.set(at, r.key);
    else if (prevKey !== r.key) out.push({ kind: 'divergent', detail: `${at} read as ${prevKey} and as ${r.key} (${r.where})` });
    const prev = placed.get(r.key);
    if (prev === undefined) placed.set(r.key, { partition: r.partition, offset: r.offset });
    else if (prev.partition !== r.partition || prev.offset !== r.offset) {
      out.push({ kind: 'duplicate', detail: `${r.key} at ${tp(prev.partition, prev.offset)} and at ${at}`, copies: [prev, { partition: r.partition, offset: r.offset }] });
    }
  }

  const inLog = new Set(h.finalRead.map((r) => r.key));
  for (const t of h.transactions) {
    const found = t.keys.filter((k) => inLog.has(k));
    if (t.outcome === 'committed') {
      for (const k of t.keys) if (!inLog.has(k)) out.push({ kind: 'lost', detail: `${k} of ${t.producer}'s committed transaction ${t.txn} (t=${t.t}) is not in the log` });
    } else if (t.outcome === 'unknown' && found.length > 0 && found.length < t.keys.length) {
      out.push({ kind: 'txn-partial', detail: `${t.producer}'s transaction ${t.txn} (commit unanswered) is in the log in part: ${found.length} of ${t.keys.length} records` });
    }
  }
  return out;
}
