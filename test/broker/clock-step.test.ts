// A broker whose wall clock is stepped while it waits (an NTP step, a VM
// resumed): waits are measured on the monotonic clock, so a long-polling
// fetch is answered after its max_wait_ms however the wall clock moves. The
// broker runs under Debian's libfaketime, its offset read from a file the
// test rewrites (re-read every second); the monotonic clock is left alone.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerProcess } from '../support/broker-process.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import { CreateTopicsApi, FetchApi } from '../../protocol/generated/index.ts';
import { defaultCreatableTopic } from '../../protocol/generated/CreateTopicsRequest.ts';
import { defaultFetchPartition, defaultFetchRequest } from '../../protocol/generated/FetchRequest.ts';

function libfaketime(): string {
  for (const arch of readdirSync('/usr/lib')) {
    const lib = join('/usr/lib', arch, 'faketime', 'libfaketime.so.1');
    if (existsSync(lib)) return lib;
  }
  throw new Error('libfaketime is not installed (apt-get install faketime; .ci/run does it)');
}

const dir = mkdtempSync(join(tmpdir(), 'floe-clock-'));
const clockFile = join(dir, 'clock');
let broker: BrokerProcess;
beforeAll(async () => {
  writeFileSync(clockFile, '+0\n');
  broker = await BrokerProcess.start({
    env: { LD_PRELOAD: libfaketime(), FAKETIME_TIMESTAMP_FILE: clockFile, FAKETIME_CACHE_DURATION: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' },
  });
});
afterAll(async () => {
  await broker.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('a wall clock stepped back during a long poll', () => {
  it('answers the fetch after its max wait, not after the step', async () => {
    const c = await WireClient.connect('127.0.0.1', broker.port);
    try {
      await c.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: 'idle', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000, validateOnly: false });
      const fetching = c.request(FetchApi, 11, {
        ...defaultFetchRequest(), maxWaitMs: 3000, minBytes: 1, maxBytes: 1 << 20,
        topics: [{ topic: 'idle', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ ...defaultFetchPartition(), partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
      });
      // Stepped back ten minutes while the fetch waits on an idle partition (taken up within a second).
      await new Promise((r) => setTimeout(r, 200));
      writeFileSync(clockFile, '-600s\n');
      // Measured on the wall clock, the wait would end ten minutes late; the bound here is far from both.
      const answered = await Promise.race([fetching.then(() => 'answered'), new Promise((r) => setTimeout(() => r('still waiting'), 60_000))]);
      expect(answered).toBe('answered');
      const r = await fetching;
      expect(r.responses[0]!.partitions[0]!.errorCode).toBe(0);
    } finally {
      c.close();
    }
  }, 90_000);
});
