// sarama (Go, Debian's golang-github-shopify-sarama-dev 1.22) against floe:
// an idempotent producer with zstd and gzip batches, a consumer group that
// commits and resumes after its commits, and kcat reading what sarama wrote.
// sarama 1.22 speaks older API versions (Produce v3, Fetch v4, JoinGroup v1,
// OffsetCommit v1) than the other clients in the suite.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { BrokerProcess } from '../support/broker-process.ts';
import { runCommand } from '../support/run-command.ts';

const SOURCE = join(import.meta.dirname, '../support/go/sarama-client');
// Debian installs Go libraries as a GOPATH tree; no module download happens.
const GO_ENV = { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: join(tmpdir(), 'floe-go-cache'), GOFLAGS: '' };

interface Consumed { partition: number; offset: number; key: string; value: string }

function parseConsumed(stdout: string): Consumed[] {
  return stdout.trim().split('\n').filter((l) => l !== '').map((l) => {
    const [partition, offset, key, value] = l.split(' ');
    return { partition: Number(partition), offset: Number(offset), key: key!, value: value! };
  });
}

let broker: BrokerProcess;
let binDir: string;
let client: string;
beforeAll(async () => {
  binDir = mkdtempSync(join(tmpdir(), 'floe-sarama-'));
  client = join(binDir, 'sarama-client');
  const build = await runCommand('go', ['build', '-o', client, '.'], { timeoutMs: 240_000, env: GO_ENV, cwd: SOURCE });
  if (build.code !== 0) throw new Error(`go build of the sarama client failed:\n${build.stderr}`);
  broker = await BrokerProcess.start({ args: ['--group-initial-rebalance-delay-ms', '0'] });
}, 300_000);
afterAll(async () => {
  await broker?.destroy();
  rmSync(binDir, { recursive: true, force: true });
});

describe('sarama', () => {
  it('idempotent produce, a consumer group that resumes after its commits, and kcat reads the same records', async () => {
    const kafka = new Kafka({ clientId: 'sarama-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'sarama-t', numPartitions: 4 }] });

      const p1 = await runCommand(client, ['produce', broker.bootstrap, 'sarama-t', '1000', 'zstd'], { timeoutMs: 60_000 });
      expect(p1.code, p1.stderr).toBe(0);
      expect(p1.stdout.trim()).toBe('produced 1000');

      const c1 = await runCommand(client, ['consume-group', broker.bootstrap, 'sarama-t', 'sarama-g', '1000'], { timeoutMs: 60_000 });
      expect(c1.code, c1.stderr).toBe(0);
      const first = parseConsumed(c1.stdout);
      // The idempotent producer wrote each record once; the group read each once.
      expect(first.map((r) => r.value).sort()).toEqual(Array.from({ length: 1000 }, (_, i) => `v${i}`).sort());
      expect(first.every((r) => r.key === `k${r.value.slice(1)}`)).toBe(true);
      expect(new Set(first.map((r) => r.partition)).size).toBe(4);
      for (let p = 0; p < 4; p++) {
        const offsets = first.filter((r) => r.partition === p).map((r) => r.offset);
        expect(offsets).toEqual(offsets.map((_, i) => i));
      }

      // Closing the group committed where it stopped: each partition's offset is its end.
      const committed = await admin.fetchOffsets({ groupId: 'sarama-g', topics: ['sarama-t'] });
      const ends = await admin.fetchTopicOffsets('sarama-t');
      const byPartition = new Map(ends.map((e) => [e.partition, e.high]));
      for (const part of committed[0]!.partitions) expect(part.offset).toBe(byPartition.get(part.partition));

      const p2 = await runCommand(client, ['produce', broker.bootstrap, 'sarama-t', '200', 'gzip'], { timeoutMs: 60_000 });
      expect(p2.code, p2.stderr).toBe(0);
      const c2 = await runCommand(client, ['consume-group', broker.bootstrap, 'sarama-t', 'sarama-g', '200'], { timeoutMs: 60_000 });
      expect(c2.code, c2.stderr).toBe(0);
      // The values repeat (v0..v199 again) but the offsets do not: the group resumed after its commits.
      const second = parseConsumed(c2.stdout);
      expect(second.map((r) => r.value).sort()).toEqual(Array.from({ length: 200 }, (_, i) => `v${i}`).sort());
      const firstEnd = new Map([0, 1, 2, 3].map((p) => [p, first.filter((r) => r.partition === p).length]));
      expect(second.every((r) => r.offset >= firstEnd.get(r.partition)!)).toBe(true);

      const k = await runCommand('kcat', ['-b', broker.bootstrap, '-C', '-t', 'sarama-t', '-o', 'beginning', '-e', '-f', '%p %o %k %s\n'], { timeoutMs: 30_000 });
      expect(k.code, k.stderr).toBe(0);
      const all = parseConsumed(k.stdout);
      expect(all).toHaveLength(1200);
      expect(all.filter((r) => r.offset < firstEnd.get(r.partition)!).map((r) => `${r.partition} ${r.offset} ${r.value}`).sort())
        .toEqual(first.map((r) => `${r.partition} ${r.offset} ${r.value}`).sort());
    } finally {
      await admin.disconnect();
    }
  });
});
