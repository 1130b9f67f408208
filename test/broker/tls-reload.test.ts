// Renewed certificates without a restart: the broker checks its keystore
// file and, when it changes, serves new TLS connections with the new key and
// certificate (kcat trusting only the new CA gets in, one trusting only the
// old CA no longer does); a keystore replaced by something unusable is
// refused and the working certificate stays.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerProcess } from '../support/broker-process.ts';
import { runCommand } from '../support/run-command.ts';
import { until } from '../support/until.ts';
import { makeTestCertificates, type TestCertificates } from '../support/test-certificates.ts';

let first: TestCertificates;
let second: TestCertificates;
let dir: string;
let keystore: string;
let broker: BrokerProcess;
let sslPort = 0;

async function reloads(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${broker.httpPort}/metrics`)).text();
  return Number(/^floe_tls_reloads_total (\S+)$/m.exec(text)?.[1] ?? 0);
}

const kcatTrusting = (ca: string) => runCommand('kcat', ['-b', `127.0.0.1:${sslPort}`, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${ca}`, '-L', '-m', '5'], { timeoutMs: 30_000 });

beforeAll(async () => {
  [first, second] = await Promise.all([makeTestCertificates(), makeTestCertificates()]);
  dir = mkdtempSync(join(tmpdir(), 'floe-tls-reload-'));
  keystore = join(dir, 'keystore.pem');
  copyFileSync(first.serverKeystore, keystore);
  broker = await BrokerProcess.start({ args: ['--listeners', 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0', '--ssl-keystore-location', keystore, '--ssl-reload-check-ms', '200'] });
  const line = broker.log.split('\n').find((l) => l.includes('"floe broker started"'))!;
  sslPort = (JSON.parse(line) as { listeners: { name: string; port: number }[] }).listeners.find((l) => l.name === 'SSL')!.port;
});
afterAll(async () => {
  await broker?.stop();
  first?.destroy();
  second?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

it('serves a renewed certificate once its file changes, and keeps it when the next file is unusable', async () => {
  expect((await kcatTrusting(first.ca)).code).toBe(0);
  expect((await kcatTrusting(second.ca)).code).not.toBe(0);
  copyFileSync(second.serverKeystore, keystore);
  await until(async () => (await reloads()) >= 1, 20_000, 'the broker to load the new keystore');
  expect((await kcatTrusting(second.ca)).code).toBe(0);
  expect((await kcatTrusting(first.ca)).code).not.toBe(0);
  writeFileSync(keystore, 'not a key or a certificate\n');
  await until(() => broker.log.includes('are not a usable key and certificate'), 20_000, 'the broker to refuse the broken keystore');
  expect(await reloads()).toBe(1);
  expect((await kcatTrusting(second.ca)).code).toBe(0);
});
