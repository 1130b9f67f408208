// confluent-kafka-python (Debian's python3-confluent-kafka, librdkafka 2.x)
// with enable.idempotence=true and acks=all, then an assign-mode consumer.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { BrokerProcess } from '../support/broker-process.ts';
import { runCommand } from '../support/run-command.ts';

const SCRIPT = join(import.meta.dirname, '../support/python/idempotent_produce_consume.py');
const PYTHON = '/usr/bin/python3';

import { BACKENDS, startBackend, type BackendHandle } from '../support/object-store-backends.ts';

interface Delivery { key: string; error: string | null; partition?: number; offset?: number }
interface Consumed { partition: number; offset: number; key: string; value: string }

describe.each(BACKENDS)('confluent-kafka-python (%s object store)', (backendName) => {
  let broker: BrokerProcess;
  let backend: BackendHandle;
  beforeAll(async () => {
    backend = await startBackend(backendName);
    broker = await BrokerProcess.start({ args: ['--num-partitions', '3', '--tail-cache-bytes-max', '0'], env: backend.env });
  });
  afterAll(async () => {
    await broker.destroy();
    await backend.stop();
  });

  it('idempotent producer with acks=all: every record delivered once, offsets contiguous per partition', async () => {
    const N = 600;
    const p = await runCommand(PYTHON, [SCRIPT, 'produce', broker.bootstrap, 'py-idem', String(N), '3'], { timeoutMs: 90_000 });
    expect(p.code, p.stderr + broker.log.slice(-3000)).toBe(0);
    const deliveries = p.stdout.trim().split('\n').map((l) => JSON.parse(l) as Delivery);
    expect(deliveries).toHaveLength(N);
    expect(deliveries.filter((d) => d.error !== null)).toEqual([]);

    const c = await runCommand(PYTHON, [SCRIPT, 'consume', broker.bootstrap, 'py-idem', '3', String(N)], { timeoutMs: 90_000 });
    expect(c.code, c.stderr).toBe(0);
    const records = c.stdout.trim().split('\n').map((l) => JSON.parse(l) as Consumed & { error?: string });
    expect(records.filter((r) => r.error !== undefined)).toEqual([]);
    expect(records).toHaveLength(N);
    for (let part = 0; part < 3; part++) {
      const inPart = records.filter((r) => r.partition === part);
      expect(inPart.map((r) => r.offset)).toEqual(inPart.map((_, i) => i));
      // Per-partition order is the produce order.
      expect(inPart.map((r) => Number(r.key.slice(1)))).toEqual(inPart.map((r) => Number(r.key.slice(1))).sort((a, b) => a - b));
    }
    // What the producer was told matches what is stored.
    const stored = new Map(records.map((r) => [r.key, `${r.partition}/${r.offset}`]));
    for (const d of deliveries) expect(stored.get(d.key)).toBe(`${d.partition}/${d.offset}`);
  });
});
