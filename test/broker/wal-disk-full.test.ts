// A full WAL disk (the broker's data directory on a small tmpfs, which needs
// root as CI has; uploads held back so the WAL fills it): produce is answered
// KAFKA_STORAGE_ERROR, never a crash; the broker keeps serving reads of what
// it acknowledged, says why in /readyz and floe_wal_failed; killed and
// started again with room on the disk, it has every acknowledged record and
// takes writes again.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerProcess } from '../support/broker-process.ts';
import { brokerMetric } from '../support/broker-metrics.ts';
import { until } from '../support/until.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import { ApiVersionsApi, CreateTopicsApi, ProduceApi } from '../../protocol/generated/index.ts';
import { defaultCreatableTopic } from '../../protocol/generated/CreateTopicsRequest.ts';
import { buildRecordBatch } from '../../protocol/records/record.ts';
import { ErrorCode } from '../../protocol/errors.ts';

const mountPoint = mkdtempSync(join(tmpdir(), 'floe-full-disk-'));
let broker: BrokerProcess;
let mounted = false;

beforeAll(async () => {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mountPoint]);
  mounted = true;
  // No upload happens on its own: the WAL is what fills the disk.
  broker = await BrokerProcess.start({ dataDir: join(mountPoint, 'data'), args: ['--upload-interval-ms', '3600000', '--upload-bytes', String(1 << 30)] });
});
afterAll(async () => {
  await broker?.destroy();
  if (mounted) execFileSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

describe('a full WAL disk', () => {
  it('answers KAFKA_STORAGE_ERROR and stays up; restarted with room, it has every acknowledged record and writes again', async () => {
    const c = await WireClient.connect('127.0.0.1', broker.port);
    const produce = async (value: Buffer): Promise<{ errorCode: number; errorMessage: string | null; offset: number }> => {
      const r = await c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'full', partitionData: [{ index: 0, records: buildRecordBatch([{ value }]) }] }] });
      const p = r.responses[0]!.partitionResponses[0]!;
      return { errorCode: p.errorCode, errorMessage: p.errorMessage, offset: Number(p.baseOffset) };
    };
    try {
      const created = await c.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: 'full', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000, validateOnly: false });
      expect(created.topics[0]!.errorCode).toBe(0);
      const acked: string[] = [];
      let refused: Awaited<ReturnType<typeof produce>> | undefined;
      // 100 kB records until the disk is full (24 MiB hold at most ~250).
      for (let i = 0; i < 400 && refused === undefined; i++) {
        const value = `r${i}-`.padEnd(100_000, 'x');
        const r = await produce(Buffer.from(value));
        if (r.errorCode === ErrorCode.NONE) {
          expect(r.offset).toBe(acked.length);
          acked.push(value);
        } else {
          refused = r;
        }
      }
      expect(refused?.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
      expect(refused?.errorMessage).toMatch(/ENOSPC/);
      expect(acked.length).toBeGreaterThan(50);
      // Up, and saying why; writes keep failing the same way.
      expect((await c.request(ApiVersionsApi, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })).errorCode).toBe(0);
      expect((await produce(Buffer.from('small'))).errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
      const ready = await fetch(`http://127.0.0.1:${broker.httpPort}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { checks: { wal: string } }).checks.wal).toMatch(/^failed: .*ENOSPC/);
      expect(await brokerMetric(broker.httpPort, 'floe_wal_failed')).toBe(1);
      // What it acknowledged it still serves.
      expect(await readAll(broker, acked.length)).toEqual(acked);

      // Killed, given room, started again: every acknowledged record is there, and it takes writes.
      c.close();
      await broker.kill9();
      execFileSync('mount', ['-o', 'remount,size=256m', mountPoint]);
      await broker.startAgain();
      const c2 = await WireClient.connect('127.0.0.1', broker.port);
      try {
        const r = await c2.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'full', partitionData: [{ index: 0, records: buildRecordBatch([{ value: Buffer.from('after') }]) }] }] });
        expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
        expect(Number(r.responses[0]!.partitionResponses[0]!.baseOffset)).toBe(acked.length);
      } finally {
        c2.close();
      }
      expect(await readAll(broker, acked.length + 1)).toEqual([...acked, 'after']);
      expect((await fetch(`http://127.0.0.1:${broker.httpPort}/readyz`)).status).toBe(200);
    } finally {
      c.close();
    }
  }, 120_000);
});

/** The values of partition 0 of 'full' from the start (over the REST API: a group consumer would write its commits). */
async function readAll(b: BrokerProcess, count: number): Promise<string[]> {
  const base = `http://127.0.0.1:${b.httpPort}`;
  const cluster = ((await (await fetch(`${base}/v3/clusters`)).json()) as { data: { cluster_id: string }[] }).data[0]!.cluster_id;
  const values: string[] = [];
  await until(async () => {
    const r = (await (await fetch(`${base}/v3/clusters/${cluster}/topics/full/partitions/0/records?offset=${values.length}&max_records=1000`)).json()) as { data?: { value: { data: string } }[] };
    for (const x of r.data ?? []) values.push(x.value.data);
    return values.length >= count;
  }, 60_000, `${count} records read`);
  return values;
}
