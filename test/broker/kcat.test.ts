// librdkafka through kcat against a real broker process: metadata, keyed
// produce over several partitions with every compression codec, consume back.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.ts';
import { runCommand } from '../support/run-command.ts';
import { BACKENDS, startBackend, type BackendHandle } from '../support/object-store-backends.ts';

describe.each(BACKENDS)('kcat (%s object store)', (backendName) => {
  let broker: BrokerProcess;
  let backend: BackendHandle;
  beforeAll(async () => {
    backend = await startBackend(backendName);
    broker = await BrokerProcess.start({ args: ['--num-partitions', '4', '--tail-cache-bytes-max', '0'], env: backend.env });
  });
  afterAll(async () => {
    await broker.destroy();
    await backend.stop();
  });
  const kcat = (args: string[], input?: string) => runCommand('kcat', ['-b', broker.bootstrap, ...args], { timeoutMs: 30_000, ...(input !== undefined ? { input } : {}) });

  it('runs on the intended object store', () => {
    expect(broker.log).toContain(`"objectStore":"${backendName}"`);
  });

  it('-L lists the broker and auto-created topics', async () => {
    await kcat(['-P', '-t', 'listed', '-K:'], 'a:b\n');
    const res = await kcat(['-L', '-J']);
    expect(res.code).toBe(0);
    const md = JSON.parse(res.stdout) as { brokers: { id: number; name: string }[]; topics: { topic: string; partitions: unknown[] }[] };
    expect(md.brokers).toEqual([{ id: 1, name: broker.bootstrap }]);
    const t = md.topics.find((x) => x.topic === 'listed');
    expect(t?.partitions).toHaveLength(4);
  });

  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    it(`produces and consumes keyed messages over 4 partitions (${codec})`, async () => {
      const topic = `kcat-${codec}`;
      const N = 400;
      const lines = Array.from({ length: N }, (_, i) => `key-${i}:value-${i}-${'x'.repeat(i % 50)}`);
      const p = await kcat(['-P', '-t', topic, '-K:', '-z', codec, '-X', 'acks=all', '-X', 'linger.ms=5'], `${lines.join('\n')}\n`);
      expect(p.code, p.stderr).toBe(0);
      const partitions: Map<number, { offset: number; key: string; value: string }[]> = new Map();
      for (let part = 0; part < 4; part++) {
        const c = await kcat(['-C', '-t', topic, '-p', String(part), '-o', 'beginning', '-e', '-f', '%o\t%k\t%s\n']);
        expect(c.code, c.stderr).toBe(0);
        const rows = c.stdout.split('\n').filter((l) => l.length > 0).map((l) => {
          const [o, k, v] = l.split('\t');
          return { offset: Number(o), key: k!, value: v! };
        });
        partitions.set(part, rows);
      }
      const all = [...partitions.values()].flat();
      expect(all).toHaveLength(N);
      expect(new Set(all.map((r) => r.key)).size).toBe(N);
      for (const r of all) expect(r.value).toBe(`value-${r.key.slice(4)}-${'x'.repeat(Number(r.key.slice(4)) % 50)}`);
      for (const rows of partitions.values()) {
        // Offsets contiguous from 0 in every partition, keys spread by the partitioner.
        expect(rows.map((r) => r.offset)).toEqual(rows.map((_, i) => i));
      }
      expect([...partitions.values()].filter((rows) => rows.length > 0).length).toBeGreaterThan(1);
    });
  }
});
