// An idempotent acks=all load from a real client (the current
// confluent-kafka-python from PyPI with its librdkafka; Debian's 2.0.2 has a
// known idempotence bug, librdkafka #4438) and the check that follows a
// fault: every acknowledged record read exactly once, where it was
// acknowledged, offsets contiguous, in order. Shared by the fleet's fault
// tests.

import { expect } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { runCommand } from './run-command.ts';
import { PYTHON, currentConfluentKafkaEnv } from './python-env.ts';

const SCRIPT = join(import.meta.dirname, 'python/idempotent_produce_consume.py');

export interface Delivery { key: string; error: string | null; partition?: number; offset?: number }

/** Starts the idempotent producer; resolves with its exit code and delivery reports when it ends. */
export function startIdempotentProducer(bootstrap: string, topic: string, records: number, partitions: number): { done: Promise<{ code: number | null; deliveries: Delivery[] }>; count: () => number } {
  const child = spawn(PYTHON, [SCRIPT, 'produce', bootstrap, topic, String(records), String(partitions), '0.003'], { stdio: ['ignore', 'pipe', 'pipe'], env: currentConfluentKafkaEnv() });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const guard = setTimeout(() => child.kill('SIGKILL'), 150_000);
  const done = new Promise<{ code: number | null; deliveries: Delivery[] }>((resolve) => child.on('exit', (code) => {
    clearTimeout(guard);
    if (code !== 0) process.stderr.write(`producer exited ${code}: ${err.slice(-2000)}\n`);
    resolve({ code, deliveries: out.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Delivery) });
  }));
  return { done, count: () => out.split('\n').length - 1 };
}

/** Reads the whole topic and checks: every acked record once, where it was acked, offsets contiguous, in order. */
export async function verifyAckedOnce(bootstrap: string, topic: string, deliveries: Delivery[], records: number, partitions: number): Promise<void> {
  // Every record acknowledged: the client saw only retriable errors, which it retried.
  const acked = deliveries.filter((d) => d.error === null);
  expect(acked.length).toBe(records);
  const c = await runCommand(PYTHON, [SCRIPT, 'consume', bootstrap, topic, String(partitions), String(records * 2)], { timeoutMs: 90_000, env: currentConfluentKafkaEnv() });
  const got = c.stdout.trim().split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as { partition: number; offset: number; key: string; error?: string });
  expect(got.filter((r) => r.error !== undefined)).toEqual([]);
  const byKey = new Map<string, number>();
  for (const r of got) byKey.set(r.key, (byKey.get(r.key) ?? 0) + 1);
  expect([...byKey.entries()].filter(([, n]) => n > 1)).toEqual([]);
  for (const d of acked) expect(byKey.has(d.key), `acked ${d.key} missing`).toBe(true);
  for (let part = 0; part < partitions; part++) {
    const inPart = got.filter((r) => r.partition === part);
    expect(inPart.map((r) => r.offset)).toEqual(inPart.map((_, i) => i));
    const seq = inPart.map((r) => Number(r.key.slice(1)));
    expect(seq).toEqual([...seq].sort((a, b) => a - b));
  }
  const stored = new Map(got.map((r) => [r.key, `${r.partition}/${r.offset}`]));
  for (const d of acked) expect(stored.get(d.key)).toBe(`${d.partition}/${d.offset}`);
}
