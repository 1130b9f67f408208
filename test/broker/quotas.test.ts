// Client quotas: AlterClientQuotas / DescribeClientQuotas as Kafka answers
// them, and a kcat producer over its producer_byte_rate held to about that
// rate by the broker (throttle time in the response, the connection muted
// meanwhile), while a producer without a quota is never throttled. The
// throttled producer's rate is checked from above only (a busy machine can
// only make it slower), over enough data to span several quota windows.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.ts';
import { runCommand } from '../support/run-command.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import { AlterClientQuotasApi, DescribeClientQuotasApi } from '../../protocol/generated/index.ts';
import { ErrorCode } from '../../protocol/errors.ts';

let broker: BrokerProcess;
let wire: WireClient;
const QUOTA = 64 * 1024;

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${broker.httpPort}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(`${name} `)).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

beforeAll(async () => {
  broker = await BrokerProcess.start();
  wire = await WireClient.connect('127.0.0.1', broker.port);
});
afterAll(async () => {
  wire?.close();
  await broker?.stop();
});

it('AlterClientQuotas sets, checks and removes values; DescribeClientQuotas matches names, defaults and any', async () => {
  const alter = (entity: { entityType: string; entityName: string | null }[], ops: { key: string; value: number; remove: boolean }[]) =>
    wire.request(AlterClientQuotasApi, 1, { entries: [{ entity, ops }], validateOnly: false });
  expect((await alter([{ entityType: 'client-id', entityName: 'slow-producer' }], [{ key: 'producer_byte_rate', value: QUOTA, remove: false }])).entries[0]!.errorCode).toBe(ErrorCode.NONE);
  expect((await alter([{ entityType: 'user', entityName: null }], [{ key: 'consumer_byte_rate', value: 1e9, remove: false }])).entries[0]!.errorCode).toBe(ErrorCode.NONE);
  expect((await alter([{ entityType: 'client-id', entityName: 'x' }], [{ key: 'no_such_quota', value: 1, remove: false }])).entries[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  expect((await alter([{ entityType: 'client-id', entityName: 'x' }], [{ key: 'producer_byte_rate', value: -5, remove: false }])).entries[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  expect((await alter([{ entityType: 'group', entityName: 'x' }], [{ key: 'producer_byte_rate', value: 5, remove: false }])).entries[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);

  const describe = async (components: { entityType: string; matchType: number; match: string | null }[], strict = false) =>
    (await wire.request(DescribeClientQuotasApi, 1, { components, strict })).entries!.map((e) => `${e.entity.map((x) => `${x.entityType}=${x.entityName}`).join('&')}:${e.values.map((v) => `${v.key}=${v.value}`).join('&')}`).sort();
  expect(await describe([{ entityType: 'client-id', matchType: 0, match: 'slow-producer' }])).toEqual([`client-id=slow-producer:producer_byte_rate=${QUOTA}`]);
  expect(await describe([{ entityType: 'user', matchType: 1, match: null }])).toEqual(['user=null:consumer_byte_rate=1000000000']);
  expect(await describe([{ entityType: 'client-id', matchType: 2, match: null }], true)).toEqual([`client-id=slow-producer:producer_byte_rate=${QUOTA}`]);
  // Removing the last value removes the entity.
  expect((await alter([{ entityType: 'user', entityName: null }], [{ key: 'consumer_byte_rate', value: 0, remove: true }])).entries[0]!.errorCode).toBe(ErrorCode.NONE);
  expect(await describe([{ entityType: 'user', matchType: 2, match: null }])).toEqual([]);
});

it('a kcat producer over its producer_byte_rate is held to it; one without a quota is not throttled', async () => {
  const lines = Array.from({ length: 320 }, (_, i) => `${String(i).padStart(4, '0')}${'x'.repeat(1020)}`).join('\n') + '\n'; // 320 KiB
  const produce = (clientId: string) => runCommand('kcat', [
    '-b', broker.bootstrap, '-P', '-t', `quota-${clientId}`, '-X', `client.id=${clientId}`, '-X', 'batch.size=16384', '-X', 'linger.ms=0',
  ], { input: lines, timeoutMs: 150_000 });

  const throttlesBefore = await metric('floe_quota_throttles');
  const fast = await produce('free-producer');
  expect(fast.code, fast.stderr).toBe(0);
  expect(await metric('floe_quota_throttles')).toBe(throttlesBefore);

  const started = Date.now();
  const slow = await produce('slow-producer');
  const seconds = (Date.now() - started) / 1000;
  expect(slow.code, slow.stderr).toBe(0);
  const rate = (320 * 1024) / seconds;
  process.stdout.write(`quotas: 320 KiB under a ${QUOTA / 1024} KiB/s quota took ${seconds.toFixed(1)} s (${(rate / 1024).toFixed(0)} KiB/s)\n`);
  // The first window's worth passes at once; the rest is held near the quota: at most twice it overall.
  expect(rate).toBeLessThan(2 * QUOTA);
  expect(await metric('floe_quota_throttles')).toBeGreaterThan(throttlesBefore);
  // Every record arrived.
  const consumed = await runCommand('kcat', ['-b', broker.bootstrap, '-C', '-t', 'quota-slow-producer', '-e', '-f', '%s\\n'], { timeoutMs: 30_000 });
  expect(consumed.stdout.trim().split('\n').length).toBe(320);
}, 300_000);
