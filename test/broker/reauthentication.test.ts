// KIP-368 re-authentication, with connections.max.reauth.ms short enough to
// watch sessions end: SaslAuthenticate answers the session's lifetime; a
// client that re-authenticates on the same connection (same mechanism, same
// principal) carries on past it; one that does not has its connection
// closed at its next request; re-authenticating as someone else fails and
// closes the connection. kafkajs re-authenticates by itself before its
// sessions end and keeps producing.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { BrokerProcess } from '../support/broker-process.ts';
import { until } from '../support/until.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import { AlterUserScramCredentialsApi, MetadataApi, SaslAuthenticateApi, SaslHandshakeApi } from '../../protocol/generated/index.ts';
import { defaultMetadataRequest } from '../../protocol/generated/MetadataRequest.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { saltedPassword } from '../../broker/security/scram-credentials.ts';

const REAUTH_MS = 3000;
let broker: BrokerProcess;
let saslPort = 0;

async function okAuthentications(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${broker.httpPort}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith('floe_authentications_total{') && l.includes('outcome="ok"')).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

beforeAll(async () => {
  broker = await BrokerProcess.start({ args: ['--listeners', 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0', '--connections-max-reauth-ms', String(REAUTH_MS)] });
  const line = broker.log.split('\n').find((l) => l.includes('"floe broker started"'))!;
  saslPort = (JSON.parse(line) as { listeners: { name: string; port: number }[] }).listeners.find((l) => l.name === 'SASL_PLAINTEXT')!.port;
  const admin = await WireClient.connect('127.0.0.1', broker.port);
  for (const user of ['erin', 'frank']) {
    const salt = randomBytes(16);
    const r = await admin.request(AlterUserScramCredentialsApi, 0, { deletions: [], upsertions: [{ name: user, mechanism: 1, iterations: 4096, salt, saltedPassword: await saltedPassword('SCRAM-SHA-256', `${user}-secret`, salt, 4096) }] });
    expect(r.results[0]!.errorCode).toBe(ErrorCode.NONE);
  }
  admin.close();
});
afterAll(async () => { await broker?.stop(); });

const authenticate = async (c: WireClient, user: string): Promise<{ errorCode: number; sessionLifetimeMs: bigint }> => {
  expect((await c.request(SaslHandshakeApi, 1, { mechanism: 'PLAIN' })).errorCode).toBe(ErrorCode.NONE);
  return c.request(SaslAuthenticateApi, 2, { authBytes: Buffer.from(`\u0000${user}\u0000${user}-secret`) });
};
const metadata = (c: WireClient) => c.request(MetadataApi, 12, { ...defaultMetadataRequest(), topics: null });

it('a session lasts connections.max.reauth.ms: renewed on the same connection it carries on, not renewed the connection closes', async () => {
  const renewing = await WireClient.connect('127.0.0.1', saslPort);
  const lapsing = await WireClient.connect('127.0.0.1', saslPort);
  const started = Date.now();
  for (const c of [renewing, lapsing]) {
    const a = await authenticate(c, 'erin');
    expect(a.errorCode).toBe(ErrorCode.NONE);
    expect(Number(a.sessionLifetimeMs)).toBeGreaterThan(0);
    expect(Number(a.sessionLifetimeMs)).toBeLessThanOrEqual(REAUTH_MS);
    await metadata(c);
  }
  // Re-authenticate the first connection until both sessions would have ended.
  while (Date.now() - started < REAUTH_MS + 500) {
    const a = await authenticate(renewing, 'erin');
    expect(a.errorCode).toBe(ErrorCode.NONE);
    await metadata(renewing);
    await new Promise((r) => setTimeout(r, 200));
  }
  await until(() => Date.now() - started > REAUTH_MS + 100, 10_000, 'the first sessions to end');
  await metadata(renewing);
  await expect(metadata(lapsing)).rejects.toThrow();
  await lapsing.closed;
  renewing.close();
});

it('re-authenticating as another principal fails and closes the connection', async () => {
  const c = await WireClient.connect('127.0.0.1', saslPort);
  expect((await authenticate(c, 'erin')).errorCode).toBe(ErrorCode.NONE);
  const again = await authenticate(c, 'frank');
  expect(again.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
  await c.closed;
});

it('kafkajs re-authenticates by itself and keeps producing past many session lifetimes', async () => {
  const kafka = new Kafka({
    clientId: 'reauth', brokers: [`127.0.0.1:${saslPort}`], logLevel: logLevel.NOTHING, reauthenticationThreshold: 2000,
    sasl: { mechanism: 'scram-sha-256', username: 'erin', password: 'erin-secret' },
  });
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  const before = await okAuthentications();
  const started = Date.now();
  let sent = 0;
  while (Date.now() - started < 2 * REAUTH_MS) {
    const [r] = await producer.send({ topic: 'reauth', acks: -1, messages: [{ value: `m${sent}` }] });
    expect(r!.errorCode).toBe(0);
    sent++;
    await new Promise((res) => setTimeout(res, 100));
  }
  await producer.disconnect();
  // More authentications than connections: the sessions were renewed in place.
  expect(await okAuthentications()).toBeGreaterThan(before + 1);
  expect(sent).toBeGreaterThan(5);
});
