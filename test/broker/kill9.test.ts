// kill -9 under load from a real client: an idempotent acks=all producer
// (confluent-kafka-python) keeps producing while the broker is SIGKILLed at
// random moments and restarted on the same port and data directory. In the
// end every acknowledged record is there exactly once, in order per
// partition, with contiguous offsets. Run for both durability modes.

import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BrokerProcess } from '../support/broker-process.ts';
import { runCommand } from '../support/run-command.ts';

const SCRIPT = join(import.meta.dirname, '../support/python/idempotent_produce_consume.py');
const PYTHON = '/usr/bin/python3';
const KILLS = 4;
const RECORDS = 3000;

interface Delivery { key: string; error: string | null; partition?: number; offset?: number }

describe.each(['local-wal', 'object-wal'])('kill -9 with a real producer (%s)', (mode) => {
  it('loses and duplicates nothing that was acknowledged', async () => {
    const broker = await BrokerProcess.start({ args: ['--num-partitions', '3', '--durability', mode, '--upload-interval-ms', '100'] });
    try {
      const producer = spawn(PYTHON, [SCRIPT, 'produce', broker.bootstrap, 'crash', String(RECORDS), '3', '0.002'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      producer.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      const producerDone = new Promise<number | null>((resolve) => producer.on('exit', (code) => resolve(code)));
      const guard = setTimeout(() => producer.kill('SIGKILL'), 150_000);
      for (let i = 0; i < KILLS; i++) {
        await new Promise((r) => setTimeout(r, 400 + Math.random() * 900));
        await broker.kill9();
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 300));
        await broker.startAgain();
      }
      const code = await producerDone;
      clearTimeout(guard);
      expect(code).toBe(0);
      const deliveries = out.trim().split('\n').map((l) => JSON.parse(l) as Delivery);
      const acked = deliveries.filter((d) => d.error === null);
      expect(acked.length).toBeGreaterThan(RECORDS / 2);

      const c = await runCommand(PYTHON, [SCRIPT, 'consume', broker.bootstrap, 'crash', '3', String(RECORDS * 2)], { timeoutMs: 60_000 });
      const records = c.stdout.trim().split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as { partition: number; offset: number; key: string; error?: string });
      expect(records.filter((r) => r.error !== undefined)).toEqual([]);
      const byKey = new Map<string, number>();
      for (const r of records) byKey.set(r.key, (byKey.get(r.key) ?? 0) + 1);
      // Exactly once: no key stored twice (idempotence across restarts), none acked and missing.
      expect([...byKey.entries()].filter(([, n]) => n > 1)).toEqual([]);
      for (const d of acked) expect(byKey.has(d.key), `acked ${d.key} missing`).toBe(true);
      for (let part = 0; part < 3; part++) {
        const inPart = records.filter((r) => r.partition === part);
        expect(inPart.map((r) => r.offset)).toEqual(inPart.map((_, i) => i));
        const seq = inPart.map((r) => Number(r.key.slice(1)));
        expect(seq).toEqual([...seq].sort((a, b) => a - b));
      }
      // Acked offsets are the stored offsets.
      const stored = new Map(records.map((r) => [r.key, `${r.partition}/${r.offset}`]));
      for (const d of acked) expect(stored.get(d.key)).toBe(`${d.partition}/${d.offset}`);
    } finally {
      await broker.destroy();
    }
  }, 180_000);
});
