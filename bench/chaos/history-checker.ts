// Owns the safety and liveness checks of a fault campaign's history: what
// the producers sent and were acknowledged, what each consumer read poll by
// poll, and a final full read of the topic after the faults stopped. It names
// every anomaly with the records involved: acknowledged writes lost,
// duplicates, one offset read with two values, a read somewhere else than it
// was acknowledged, reads of records never sent, offsets going backwards or
// skipped within one consumer's assignment, holes in the log, and clients
// that made no progress within a bound after the last fault. Pure: no I/O.

/**
 * An acknowledgement. Its offset is null when the client acknowledged the record implicitly:
 * librdkafka's idempotent producer, when a request that timed out in flight is followed by one
 * that succeeds, reports the earlier records delivered without an offset (they were written,
 * it cannot say where). Such a record must still be in the log, once.
 */
export interface Ack { key: string; partition: number; offset: number | null; t: number }
export interface Send { key: string; t: number }
export interface Read {
  consumer: string;
  /** Bumped by the consumer on every assignment change: offsets may restart only across epochs. */
  epoch: number;
  key: string;
  partition: number;
  offset: number;
  t: number;
}

export interface History {
  sends: Send[];
  acks: Ack[];
  reads: Read[];
  /** The whole topic read once after the faults, from the start of every partition. */
  finalRead: { key: string; partition: number; offset: number }[];
  /** When the last fault ended (ms); liveness is judged after it. */
  lastFaultEndedAt: number;
  /** Every read of every topic (a consumer may be assigned only another topic's partitions): what its liveness is judged by; `reads` when absent. */
  progressReads?: readonly { consumer: string; t: number }[];
  /** When the workload stopped (ms). */
  endedAt: number;
}

export type AnomalyKind = 'lost' | 'duplicate' | 'divergent' | 'misplaced' | 'phantom' | 'non-monotonic' | 'skipped' | 'log-gap' | 'no-progress' | 'slow-restart' | 'epoch-bump-duplicate'
  // Of the transactional topic (transaction-checker.ts): a record of a transaction not committed read; a transaction of unknown outcome found in part.
  | 'aborted-read' | 'txn-partial';

/** Anomalies of availability rather than of what was written or read. */
export const LIVENESS_KINDS: readonly AnomalyKind[] = ['no-progress', 'slow-restart'];

/**
 * A record written twice whose second copy the producer sent under a new producer epoch (sequences
 * from 0), as the batch headers show: librdkafka bumped its epoch and re-sent a record it took for
 * unwritten. No broker can tell such a copy from a new record (Kafka cannot either); the campaign
 * (not this pure checker) re-kinds a duplicate so once it has read both copies' headers.
 */
export const CLIENT_RESEND_KINDS: readonly AnomalyKind[] = ['epoch-bump-duplicate'];

export interface Anomaly {
  kind: AnomalyKind;
  detail: string;
  /** For a duplicate: the offsets of its copies, so the log can be looked at there. */
  copies?: { partition: number; offset: number }[];
}

export interface CheckOptions {
  /** A client that acks or reads nothing for this long after the last fault has not recovered. */
  progressWithinMs: number;
  /** Consumers and producers whose progress is judged (their names as in the history). */
  producers: string[];
  consumers: string[];
  /** Key prefix of each producer's records ("<producer>-<n>"). */
}

const tp = (p: number, o: number | null): string => `${p}/${o ?? '(no offset)'}`;

export function checkHistory(h: History, opts: CheckOptions): Anomaly[] {
  const out: Anomaly[] = [];
  const sent = new Set(h.sends.map((s) => s.key));
  const acked = new Map(h.acks.map((a) => [a.key, a]));

  // One value per offset, across every read (live and final).
  const atOffset = new Map<string, string>();
  const observe = (key: string, p: number, o: number, where: string): void => {
    const k = tp(p, o);
    const prev = atOffset.get(k);
    if (prev === undefined) atOffset.set(k, key);
    else if (prev !== key) out.push({ kind: 'divergent', detail: `${k} read as ${prev} and as ${key} (${where})` });
  };
  for (const r of h.reads) observe(r.key, r.partition, r.offset, `consumer ${r.consumer}`);
  for (const r of h.finalRead) observe(r.key, r.partition, r.offset, 'final read');

  // One offset per record.
  const placed = new Map<string, { partition: number; offset: number }>();
  for (const r of [...h.finalRead, ...h.reads]) {
    const prev = placed.get(r.key);
    if (prev === undefined) placed.set(r.key, { partition: r.partition, offset: r.offset });
    else if (prev.partition !== r.partition || prev.offset !== r.offset) {
      out.push({ kind: 'duplicate', detail: `${r.key} at ${tp(prev.partition, prev.offset)} and at ${tp(r.partition, r.offset)}`, copies: [prev, { partition: r.partition, offset: r.offset }] });
    }
  }

  const finalKeys = new Set(h.finalRead.map((r) => r.key));
  for (const a of acked.values()) {
    if (!finalKeys.has(a.key)) out.push({ kind: 'lost', detail: `${a.key} acknowledged at ${tp(a.partition, a.offset)} (t=${a.t}) is not in the log` });
  }
  for (const r of h.finalRead) {
    const a = acked.get(r.key);
    if (a !== undefined && (a.partition !== r.partition || (a.offset !== null && a.offset !== r.offset))) out.push({ kind: 'misplaced', detail: `${r.key} acknowledged at ${tp(a.partition, a.offset)}, read at ${tp(r.partition, r.offset)}` });
  }
  for (const r of [...h.reads, ...h.finalRead]) {
    if (!sent.has(r.key)) out.push({ kind: 'phantom', detail: `${r.key} read at ${tp(r.partition, r.offset)} was never sent` });
  }

  // The log itself: contiguous offsets in every partition (no transactions or compaction in this workload).
  const byPartition = new Map<number, number[]>();
  for (const r of h.finalRead) byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r.offset]);
  for (const [p, offsets] of byPartition) {
    offsets.sort((a, b) => a - b);
    for (let i = 1; i < offsets.length; i++) {
      if (offsets[i] !== offsets[i - 1]! + 1) out.push({ kind: 'log-gap', detail: `partition ${p} jumps from ${offsets[i - 1]} to ${offsets[i]}` });
    }
  }

  // Each consumer, within one assignment epoch and partition: offsets only go up, one at a time
  // (every offset of the log exists here, so a jump is a record the consumer never saw).
  const seq = new Map<string, Read[]>();
  for (const r of h.reads) {
    const k = `${r.consumer}\u0000${r.epoch}\u0000${r.partition}`;
    seq.set(k, [...(seq.get(k) ?? []), r]);
  }
  for (const rs of seq.values()) {
    for (let i = 1; i < rs.length; i++) {
      const a = rs[i - 1]!;
      const b = rs[i]!;
      if (b.offset <= a.offset) out.push({ kind: 'non-monotonic', detail: `consumer ${b.consumer} read ${tp(b.partition, b.offset)} after ${tp(a.partition, a.offset)} in one assignment` });
      else if (b.offset !== a.offset + 1) out.push({ kind: 'skipped', detail: `consumer ${b.consumer} went from ${tp(a.partition, a.offset)} to ${tp(b.partition, b.offset)} in one assignment` });
    }
  }

  // Liveness: after the last fault, every producer is acknowledged and every consumer reads again.
  const deadline = h.lastFaultEndedAt + opts.progressWithinMs;
  if (deadline < h.endedAt) {
    for (const p of opts.producers) {
      if (!h.acks.some((a) => a.key.startsWith(`${p}-`) && a.t >= h.lastFaultEndedAt && a.t <= deadline)) {
        out.push({ kind: 'no-progress', detail: `producer ${p} had no acknowledgement within ${opts.progressWithinMs} ms after the last fault` });
      }
    }
    const progress = h.progressReads ?? h.reads;
    for (const c of opts.consumers) {
      if (!progress.some((r) => r.consumer === c && r.t >= h.lastFaultEndedAt && r.t <= deadline)) {
        out.push({ kind: 'no-progress', detail: `consumer ${c} read nothing within ${opts.progressWithinMs} ms after the last fault` });
      }
    }
  }
  return out;
}
