// Owns where a partition's idempotent-producer snapshot lives in the
// metadata store (one key per stream, beside its transaction records so a
// deleted partition takes it along) and the rule for replacing it: a
// snapshot is only ever replaced by one at a higher offset, so a deposed
// leader writing late cannot take the next leader's state back. What a
// snapshot holds is the producer-state table's business.

import type { MetadataStore } from '../../s3stream/metadata/metadata-store.ts';
import type { ProducerSnapshotEntry } from './producer-state.ts';
import { partitionRecordsPrefix } from './partition-transactions.ts';

export interface ProducerStateSnapshot {
  /** The log below this offset is what the snapshot describes; replay starts here. */
  offset: number;
  producers: ProducerSnapshotEntry[];
}

export type SnapshotOutcome = 'written' | 'superseded' | 'failed';

const snapshotKey = (streamId: number): string => `${partitionRecordsPrefix(streamId)}producers`;

export async function loadProducerSnapshot(metadata: MetadataStore, streamId: number): Promise<ProducerStateSnapshot | undefined> {
  const e = await metadata.get(snapshotKey(streamId));
  return e === undefined ? undefined : (e.value as unknown as ProducerStateSnapshot);
}

/** Removes a snapshot the log cannot back (it lies past the log's end); a failure is left for the next leader to meet again. */
export async function discardProducerSnapshot(metadata: MetadataStore, streamId: number): Promise<void> {
  await metadata.commit([{ op: 'delete', key: snapshotKey(streamId) }]).catch(() => false);
}

/** Stores `snapshot` unless one at the same or a higher offset is there; a failure to reach the store is 'failed', never thrown. */
export async function storeProducerSnapshot(metadata: MetadataStore, streamId: number, snapshot: ProducerStateSnapshot): Promise<SnapshotOutcome> {
  try {
    const key = snapshotKey(streamId);
    const current = await metadata.get(key);
    if (current !== undefined && (current.value as unknown as ProducerStateSnapshot).offset >= snapshot.offset) return 'superseded';
    const value = { offset: snapshot.offset, producers: snapshot.producers };
    const ok = await metadata.commit([{ op: 'put', key, value, expectVersion: current?.version ?? 0 }]);
    return ok ? 'written' : 'superseded';
  } catch {
    return 'failed';
  }
}
