// local-wal fleet: the registration lists the streams that may hold
// acknowledged data only in this broker's WAL, and an append is
// acknowledged only once its stream is listed. A registration write in
// flight that drops a stream (it had nothing pending when the write was
// computed) must not let an append to that stream through on the strength
// of the list it is about to replace: once that write commits, the
// controller may move the stream and the append would live only in this
// WAL. Found by a clean-clone CI: in the SIGTERM rolling restart a draining
// broker's in-flight append raced such a write, and the next leader lacked
// the acknowledged batch (librdkafka: fatal OUT_OF_ORDER_SEQUENCE_NUMBER).

import { describe, expect, it } from 'vitest';
import { ClusterMember } from '../../broker/cluster/cluster-member.ts';
import { MemoryMetadataStore } from '../../s3stream/metadata/memory-metadata-store.ts';
import type { MetadataOp } from '../../s3stream/metadata/metadata-store.ts';
import { brokerKey, type BrokerRegistration } from '../../broker/cluster/cluster-view.ts';
import { createLogger } from '../../broker/log.ts';

/** A metadata store whose commits wait while `held` (a slow PostgreSQL). */
class HeldMetadataStore extends MemoryMetadataStore {
  private release: (() => void) | undefined;
  private gate: Promise<void> | undefined;
  commitsWaiting = 0;

  hold(): void {
    this.gate = new Promise((r) => { this.release = r; });
  }

  open(): void {
    this.release?.();
    this.gate = undefined;
  }

  override async commit(ops: readonly MetadataOp[]): Promise<boolean> {
    if (this.gate !== undefined) {
      this.commitsWaiting++;
      await this.gate;
      this.commitsWaiting--;
    }
    return super.commit(ops);
  }
}

const listedIn = async (md: MemoryMetadataStore): Promise<number[]> => ((await md.get(brokerKey(1)))!.value as unknown as BrokerRegistration).unuploaded ?? [];

describe('which streams a local-wal broker lists as holding unuploaded data', () => {
  it('an append to a stream the write in flight unlists waits for a write that lists it again', async () => {
    const md = new HeldMetadataStore();
    let pending: number[] = [7];
    const member = new ClusterMember(md, createLogger('silent'), {
      nodeId: 1, host: '127.0.0.1', port: 9092, listeners: [], rack: null, heartbeatIntervalMs: 3_600_000, sessionTimeoutMs: 10_000,
      pendingStreams: () => pending,
    }, () => []);
    // Stream 7 has pending data: listed before its append is acknowledged.
    await member.ensureListed(7);
    expect(await listedIn(md)).toEqual([7]);
    expect(member.ensureListed(7)).toBeUndefined();

    // Draining: 7's data is uploaded, 8 gets some. A write that lists 8 and drops 7 starts and is slow.
    member.startDraining();
    pending = [8];
    md.hold();
    const listing8 = member.ensureListed(8);
    expect(listing8).toBeDefined();
    while (md.commitsWaiting === 0) await new Promise((r) => setImmediate(r));
    // Now an append lands on 7 (its data pending again): it must wait, not ride on the list being replaced.
    pending = [7, 8];
    const listing7 = member.ensureListed(7);
    expect(listing7).toBeDefined();
    let acknowledged = false;
    void listing7!.then(() => { acknowledged = true; });
    md.open();
    await listing8;
    await listing7;
    expect(acknowledged).toBe(true);
    // By then the committed registration lists 7 again.
    expect(await listedIn(md)).toEqual([7, 8]);
  });
});
