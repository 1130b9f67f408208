// TLS and SASL on one broker with four listeners — PLAINTEXT (inter-broker,
// and where the test's admin creates users), SSL with required client
// certificates, SASL_SSL and SASL_PLAINTEXT — driven by real clients:
// confluent-kafka-python creates SCRAM users (AlterUserScramCredentials) and
// describes them; kcat (librdkafka) over SASL_SSL with SCRAM-SHA-512, over SSL
// with a client certificate, over SASL_PLAINTEXT with PLAIN; kafkajs with
// SCRAM-SHA-256 over SASL_SSL. And the bad input Kafka answers in its own
// way: wrong passwords, garbage tokens, requests before authenticating,
// oversized frames before authenticating, certificates from a CA the broker
// does not trust; the broker stays up for everyone else. ACLs are on
// (User:ANONYMOUS, the PLAINTEXT admin, is a super user): each principal
// below has only the rights the test grants it, and one without any gets
// Kafka's error code on every API it tries.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, ResourcePatternTypes, logLevel } from 'kafkajs';
import { connect } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { BrokerProcess } from '../support/broker-process.ts';
import { runCommand } from '../support/run-command.ts';
import { makeTestCertificates, type TestCertificates } from '../support/test-certificates.ts';
import { PYTHON, currentConfluentKafkaEnv } from '../support/python-env.ts';
import { jsonLines, runJava } from '../support/java.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import { until } from '../support/until.ts';
import {
  AlterUserScramCredentialsApi, CreateTopicsApi, DeleteTopicsApi, DescribeAclsApi, FetchApi, JoinGroupApi, MetadataApi, OffsetCommitApi, ProduceApi,
  SaslAuthenticateApi, SaslHandshakeApi,
} from '../../protocol/generated/index.ts';
import { defaultFetchPartition, defaultFetchRequest } from '../../protocol/generated/FetchRequest.ts';
import { defaultJoinGroupRequest } from '../../protocol/generated/JoinGroupRequest.ts';
import { defaultOffsetCommitRequest, defaultOffsetCommitRequestPartition } from '../../protocol/generated/OffsetCommitRequest.ts';
import { defaultCreatableTopic } from '../../protocol/generated/CreateTopicsRequest.ts';
import { buildRecordBatch } from '../../protocol/records/record.ts';
import { ZERO_UUID } from '../../protocol/primitives/reader.ts';
import { defaultMetadataRequest } from '../../protocol/generated/MetadataRequest.ts';
import { ErrorCode } from '../../protocol/errors.ts';

const SCRAM_USERS = join(import.meta.dirname, '../support/python/scram_users.py');
const SECURE_CLIENT = join(import.meta.dirname, '../support/python/secure_client.py');

let certs: TestCertificates;
/** OAUTHBEARER: the issuer's signing key (its public half is the broker's JWKS) and a stranger's. */
const issuerKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const strangerKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
function jwt(claims: Record<string, unknown>, key = issuerKey.privateKey): string {
  const enc = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${enc({ alg: 'RS256', typ: 'JWT', kid: 'issuer-1' })}.${enc(claims)}`;
  return `${body}.${cryptoSign('sha256', Buffer.from(body), key).toString('base64url')}`;
}
const now = (): number => Math.floor(Date.now() / 1000);
let broker: BrokerProcess;
let ports: Map<string, number>;

async function metric(name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${broker.httpPort}/metrics`)).text();
  return text.split('\n').filter((l) => (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) && l.includes(labels)).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

const addr = (listener: string): string => `127.0.0.1:${ports.get(listener)}`;

function kcat(listener: string, settings: Record<string, string>, args: string[], input?: string) {
  const x = Object.entries(settings).flatMap(([k, v]) => ['-X', `${k}=${v}`]);
  return runCommand('kcat', ['-b', addr(listener), ...x, ...args], { timeoutMs: 30_000, ...(input !== undefined ? { input } : {}) });
}

beforeAll(async () => {
  certs = await makeTestCertificates();
  const jwks = join(certs.dir, 'jwks.json');
  writeFileSync(jwks, JSON.stringify({ keys: [{ ...issuerKey.publicKey.export({ format: 'jwk' }), kid: 'issuer-1', alg: 'RS256', use: 'sig' }] }));
  broker = await BrokerProcess.start({
    args: [
      '--listeners', 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      '--ssl-keystore-location', certs.serverKeystore, '--ssl-truststore-location', certs.ca, '--ssl-client-auth', 'required',
      '--sasl-enabled-mechanisms', 'SCRAM-SHA-256,SCRAM-SHA-512,PLAIN,OAUTHBEARER', '--sasl-oauthbearer-jwks-endpoint-url', pathToFileURL(jwks).href,
      '--sasl-oauthbearer-expected-audience', 'floe', '--sasl-oauthbearer-expected-issuer', 'https://issuer.test',
      '--authorizer-class-name', 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', '--super-users', 'User:ANONYMOUS',
    ],
  });
  const line = broker.log.split('\n').find((l) => l.includes('"floe broker started"'))!;
  ports = new Map((JSON.parse(line) as { listeners: { name: string; port: number }[] }).listeners.map((l) => [l.name, l.port]));
  // Users, as an operator creates them with any Kafka admin client (here on the PLAINTEXT listener).
  const r = await runCommand(PYTHON, [SCRAM_USERS, addr('PLAINTEXT'), 'alice:SCRAM-SHA-512:alice-secret:8192', 'bob:SCRAM-SHA-256:bob-secret:4096', 'carol:SCRAM-SHA-256:carol-secret:4096'], { timeoutMs: 60_000, env: currentConfluentKafkaEnv() });
  if (r.code !== 0) throw new Error(`scram_users.py failed: ${r.stderr}`);
  // The topic and the rights, granted by the super user over PLAINTEXT with kafkajs's admin client.
  const admin = new Kafka({ clientId: 'acl-admin', brokers: [addr('PLAINTEXT')], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'secure', numPartitions: 1 }] });
  const allow = (principal: string, operation: AclOperationTypes, resourceName = 'secure', resourceType = AclResourceTypes.TOPIC, resourcePatternType = ResourcePatternTypes.LITERAL) => ({
    resourceType, resourceName, resourcePatternType, principal, host: '*', operation, permissionType: AclPermissionTypes.ALLOW,
  });
  await admin.createAcls({
    acl: [
      allow('User:alice', AclOperationTypes.ALL),
      allow('User:alice', AclOperationTypes.READ, 'alice-', AclResourceTypes.GROUP, ResourcePatternTypes.PREFIXED),
      allow('User:bob', AclOperationTypes.READ),
      allow('User:bob', AclOperationTypes.WRITE),
      allow('User:dave', AclOperationTypes.WRITE),
      // The Schema Registry is its topic: bob reads it, alice changes it.
      allow('User:bob', AclOperationTypes.READ, '_schemas'),
      allow('User:alice', AclOperationTypes.ALL, '_schemas'),
      // The client certificate's subject, as Kafka names an SSL principal.
      allow('User:CN=alice,OU=eng,O=floe,C=US', AclOperationTypes.READ),
    ],
  });
  await admin.disconnect();
}, 120_000);

afterAll(async () => {
  await broker?.stop();
  certs?.destroy();
});

describe('credentials', () => {
  it('confluent-kafka-python created and describes the SCRAM users (mechanism and iterations, never secrets)', async () => {
    const r = await runCommand(PYTHON, [SCRAM_USERS, addr('PLAINTEXT'), 'dora:SCRAM-SHA-256:short:100'], { timeoutMs: 60_000, env: currentConfluentKafkaEnv() });
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { described: Record<string, [string, number][]>; errors: Record<string, string> };
    expect(out.described.alice).toEqual([['SCRAM_SHA_512', 8192]]);
    expect(out.described.bob).toEqual([['SCRAM_SHA_256', 4096]]);
    // Kafka's rule: at least 4096 iterations.
    expect(out.errors.dora).toMatch(/UNACCEPTABLE_CREDENTIAL|iterations/i);
    expect(out.described.dora).toBeUndefined();
  });

  it('AlterUserScramCredentials answers each bad entry with Kafka\'s error code', async () => {
    const c = await WireClient.connect('127.0.0.1', ports.get('PLAINTEXT')!);
    try {
      const salt = Buffer.from('salt-salt-salt');
      const up = (name: string, mechanism: number, iterations: number) => ({ name, mechanism, iterations, salt, saltedPassword: Buffer.alloc(64, 1) });
      const r = await c.request(AlterUserScramCredentialsApi, 0, {
        deletions: [{ name: 'nobody', mechanism: 1 }],
        upsertions: [up('', 1, 4096), up('dave', 9, 4096), up('erin', 2, 20000), up('frank', 1, 4096), up('frank', 1, 4096)],
      });
      const byUser = new Map(r.results.map((x) => [x.user, x.errorCode]));
      expect(byUser.get('nobody')).toBe(ErrorCode.RESOURCE_NOT_FOUND);
      expect(byUser.get('')).toBe(ErrorCode.UNACCEPTABLE_CREDENTIAL);
      expect(byUser.get('dave')).toBe(ErrorCode.UNSUPPORTED_SASL_MECHANISM);
      expect(byUser.get('erin')).toBe(ErrorCode.UNACCEPTABLE_CREDENTIAL);
      expect(byUser.get('frank')).toBe(ErrorCode.DUPLICATE_RESOURCE);
    } finally {
      c.close();
    }
  });
});

describe('clients', () => {
  it('kcat over SASL_SSL with SCRAM-SHA-512 produces and consumes; Metadata names the SASL_SSL addresses', async () => {
    const sasl = { 'security.protocol': 'SASL_SSL', 'ssl.ca.location': certs.ca, 'sasl.mechanisms': 'SCRAM-SHA-512', 'sasl.username': 'alice', 'sasl.password': 'alice-secret' };
    const p = await kcat('SASL_SSL', sasl, ['-P', '-t', 'secure', '-K:'], 'k1:v1\nk2:v2\n');
    expect(p.code, p.stderr).toBe(0);
    const c = await kcat('SASL_SSL', sasl, ['-C', '-t', 'secure', '-e', '-f', '%k=%s\\n']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout.trim().split('\n')).toEqual(['k1=v1', 'k2=v2']);
    const l = await kcat('SASL_SSL', sasl, ['-L', '-J']);
    expect((JSON.parse(l.stdout) as { brokers: { name: string }[] }).brokers.map((b) => b.name)).toEqual([addr('SASL_SSL')]);
    expect(await metric('floe_authentications_total', 'mechanism="SCRAM-SHA-512",outcome="ok"')).toBeGreaterThan(0);
  });

  it('kcat over SASL_PLAINTEXT with PLAIN (checked against the SCRAM credentials)', async () => {
    const plain = { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': 'PLAIN', 'sasl.username': 'bob', 'sasl.password': 'bob-secret' };
    const c = await kcat('SASL_PLAINTEXT', plain, ['-C', '-t', 'secure', '-e', '-f', '%s\\n']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout.trim().split('\n')).toEqual(['v1', 'v2']);
    const wrong = await kcat('SASL_PLAINTEXT', { ...plain, 'sasl.password': 'nope' }, ['-L']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/Authentication failed|SASL_AUTHENTICATION_FAILED|Invalid username or password/i);
  });

  it('kcat over SSL with a client certificate; without one, or with one from an untrusted CA, the handshake fails', async () => {
    const tls = { 'security.protocol': 'SSL', 'ssl.ca.location': certs.ca };
    const ok = await kcat('SSL', { ...tls, 'ssl.certificate.location': certs.clientCert, 'ssl.key.location': certs.clientKey }, ['-C', '-t', 'secure', '-e', '-f', '%s\\n']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim().split('\n')).toEqual(['v1', 'v2']);
    const before = await metric('floe_tls_handshake_failures_total');
    const none = await kcat('SSL', tls, ['-L', '-m', '5']);
    expect(none.code).not.toBe(0);
    const stranger = await kcat('SSL', { ...tls, 'ssl.certificate.location': certs.strangerCert, 'ssl.key.location': certs.strangerKey }, ['-L', '-m', '5']);
    expect(stranger.code).not.toBe(0);
    expect(await metric('floe_tls_handshake_failures_total')).toBeGreaterThanOrEqual(before + 2);
  });

  it('the Java client (Apache Kafka 4.3) with SCRAM-SHA-512 over SASL_SSL: an idempotent producer', async () => {
    const config = join(certs.dir, 'java-client.properties');
    writeFileSync(config, [
      'security.protocol=SASL_SSL', 'sasl.mechanism=SCRAM-SHA-512',
      'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="alice-secret";',
      'ssl.truststore.type=PEM', `ssl.truststore.location=${certs.ca}`,
    ].join('\n'));
    const r = await runJava('floe.check.ClientCheck', ['produce', addr('SASL_SSL'), 'secure', '20', 'none', '1'], 120_000, [`-Dfloe.client.config=${config}`]);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const acks = jsonLines<{ key: string; error: string | null }>(r.stdout);
    expect(acks.length).toBe(20);
    expect(acks.every((a) => a.error === null)).toBe(true);
  });

  it('confluent-kafka-python (current, from PyPI) over SASL_SSL with SCRAM-SHA-512: idempotent produce, then read back', async () => {
    const r = await runCommand(PYTHON, [SECURE_CLIENT, addr('SASL_SSL'), 'secure', '5',
      'security.protocol=SASL_SSL', 'sasl.mechanisms=SCRAM-SHA-512', 'sasl.username=alice', 'sasl.password=alice-secret', `ssl.ca.location=${certs.ca}`,
    ], { timeoutMs: 90_000, env: currentConfluentKafkaEnv() });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { produced: number; read: string[] };
    expect(out.produced).toBe(5);
    expect(out.read).toEqual(['py-0', 'py-1', 'py-2', 'py-3', 'py-4']);
  });

  it('kafkajs with SCRAM-SHA-256 over SASL_SSL', async () => {
    const kafka = new Kafka({
      clientId: 'scram', brokers: [addr('SASL_SSL')], logLevel: logLevel.NOTHING,
      ssl: { ca: [readFileSync(certs.ca, 'utf8')] }, sasl: { mechanism: 'scram-sha-256', username: 'bob', password: 'bob-secret' },
    });
    const producer = kafka.producer();
    await producer.connect();
    const [r] = await producer.send({ topic: 'secure', acks: -1, messages: [{ key: 'k3', value: 'v3' }] });
    expect(r!.errorCode).toBe(0);
    await producer.disconnect();
    const bad = new Kafka({
      clientId: 'scram-bad', brokers: [addr('SASL_SSL')], logLevel: logLevel.NOTHING, retry: { retries: 0 },
      ssl: { ca: [readFileSync(certs.ca, 'utf8')] }, sasl: { mechanism: 'scram-sha-256', username: 'bob', password: 'wrong' },
    }).producer();
    await expect(bad.connect()).rejects.toThrow(/SASL SCRAM SHA256 authentication failed|SASL_AUTHENTICATION_FAILED|Authentication failed/i);
  });
});

describe('OAUTHBEARER', () => {
  const producerWith = (token: string) => new Kafka({
    clientId: 'oauth', brokers: [addr('SASL_SSL')], logLevel: logLevel.NOTHING, retry: { retries: 0 },
    ssl: { ca: [readFileSync(certs.ca, 'utf8')] }, sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: token }) },
  }).producer();
  const claims = (extra: Record<string, unknown> = {}) => ({ sub: 'dave', iss: 'https://issuer.test', aud: 'floe', iat: now(), exp: now() + 300, ...extra });

  it('kafkajs with a token signed by the JWKS\'s key produces as the token\'s subject', async () => {
    const p = producerWith(jwt(claims()));
    await p.connect();
    const [r] = await p.send({ topic: 'secure', acks: -1, messages: [{ key: 'k4', value: 'from dave' }] });
    expect(r!.errorCode).toBe(0);
    await p.disconnect();
    expect(await metric('floe_authentications_total', 'mechanism="OAUTHBEARER",outcome="ok"')).toBeGreaterThan(0);
  });

  it('an expired token, a token signed by another key, another audience or issuer, or no subject, is refused', async () => {
    const before = await metric('floe_authentications_total', 'mechanism="OAUTHBEARER",outcome="failed"');
    const bad = [
      jwt(claims({ exp: now() - 600, iat: now() - 900 })),
      jwt(claims(), strangerKey.privateKey),
      jwt(claims({ aud: 'someone-else' })),
      jwt(claims({ iss: 'https://evil.test' })),
      jwt(claims({ sub: undefined })),
    ];
    for (const token of bad) {
      const p = producerWith(token);
      await expect(p.connect()).rejects.toThrow();
    }
    expect(await metric('floe_authentications_total', 'mechanism="OAUTHBEARER",outcome="failed"')).toBe(before + bad.length);
  });
});

describe('bad input', () => {
  const saslClient = async (): Promise<WireClient> => WireClient.connect('127.0.0.1', ports.get('SASL_PLAINTEXT')!);

  it('a request before authenticating closes the connection; ApiVersions and the handshake are allowed', async () => {
    const before = await metric('floe_unauthenticated_requests_total');
    const c = await saslClient();
    await expect(c.request(MetadataApi, 12, { ...defaultMetadataRequest(), topics: null })).rejects.toThrow();
    await c.closed;
    expect(await metric('floe_unauthenticated_requests_total')).toBe(before + 1);
    const h = await saslClient();
    try {
      const r = await h.request(SaslHandshakeApi, 1, { mechanism: 'GSSAPI' });
      expect(r.errorCode).toBe(ErrorCode.UNSUPPORTED_SASL_MECHANISM);
      expect(r.mechanisms).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN', 'OAUTHBEARER']);
      const a = await h.request(SaslAuthenticateApi, 2, { authBytes: Buffer.from('x') });
      expect(a.errorCode).toBe(ErrorCode.ILLEGAL_SASL_STATE);
    } finally {
      h.close();
    }
  });

  it('garbage SCRAM tokens and wrong passwords get SASL_AUTHENTICATION_FAILED and a closed connection, are counted, and others carry on', async () => {
    const failedBefore = await metric('floe_authentications_total', 'outcome="failed"');
    const c = await saslClient();
    expect((await c.request(SaslHandshakeApi, 1, { mechanism: 'SCRAM-SHA-512' })).errorCode).toBe(ErrorCode.NONE);
    const a = await c.request(SaslAuthenticateApi, 2, { authBytes: Buffer.from([0xff, 0x00, 0x13, 0x37]) });
    expect(a.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    await c.closed;
    // Forty wrong passwords at once: each is held for the failure delay, none takes the broker down.
    const plain = { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': 'PLAIN', 'sasl.username': 'bob', 'sasl.password': 'guess' };
    const guesses = await Promise.all(Array.from({ length: 40 }, () => kcat('SASL_PLAINTEXT', plain, ['-L', '-m', '5'])));
    expect(guesses.every((g) => g.code !== 0)).toBe(true);
    expect(await metric('floe_authentications_total', 'outcome="failed"')).toBeGreaterThanOrEqual(failedBefore + 41);
    const good = await kcat('SASL_PLAINTEXT', { ...plain, 'sasl.password': 'bob-secret' }, ['-C', '-t', 'secure', '-e', '-f', '%s\\n']);
    expect(good.code, good.stderr).toBe(0);
  });

  it('SaslHandshake v0: raw tokens (no Kafka header) authenticate; a wrong one closes the connection', async () => {
    const frame = (body: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, 0].map((_, i) => (body.length >>> (24 - 8 * i)) & 0xff)), body]);
    const str16 = (s: string): Buffer => Buffer.concat([Buffer.from([s.length >> 8, s.length & 0xff]), Buffer.from(s)]);
    // Request header v1: api key, version, correlation id, client id.
    const header = (apiKey: number, correlationId: number): Buffer => Buffer.concat([Buffer.from([0, apiKey, 0, 0, 0, 0, 0, correlationId]), str16('raw')]);
    const session = async (password: string): Promise<{ frames: Buffer[]; closed: boolean }> => {
      const socket = connect(ports.get('SASL_PLAINTEXT')!, '127.0.0.1');
      const frames: Buffer[] = [];
      let buf = Buffer.alloc(0);
      let closed = false;
      socket.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
          frames.push(buf.subarray(4, 4 + buf.readInt32BE(0)));
          buf = buf.subarray(4 + buf.readInt32BE(0));
        }
      });
      socket.on('close', () => { closed = true; });
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(frame(Buffer.concat([header(17, 1), str16('PLAIN')])));
      await until(() => frames.length === 1, 10_000, 'the v0 handshake answer');
      socket.write(frame(Buffer.from(`\u0000bob\u0000${password}`)));
      await until(() => frames.length === 2 || closed, 10_000, 'the raw token answered or the connection closed');
      if (!closed) {
        socket.write(frame(header(18, 2))); // ApiVersions v0, no body
        await until(() => frames.length === 3, 10_000, 'an ApiVersions answer after authenticating');
      }
      socket.destroy();
      return { frames, closed };
    };
    const ok = await session('bob-secret');
    expect(ok.frames[0]!.readInt16BE(4)).toBe(ErrorCode.NONE); // handshake v0: correlation id, then error code
    expect(ok.frames[1]!.length).toBe(0); // PLAIN's empty server answer, raw
    expect(ok.frames[2]!.readInt32BE(0)).toBe(2); // the ApiVersions answer's correlation id
    const bad = await session('guess');
    expect(bad.closed).toBe(true);
    expect(bad.frames.length).toBe(1);
  });

  it('a frame larger than sasl.server.max.receive.size before authenticating closes the connection', async () => {
    const before = await metric('floe_bad_frames_total');
    const socket = connect(ports.get('SASL_PLAINTEXT')!, '127.0.0.1');
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    const frame = Buffer.alloc(4);
    frame.writeInt32BE(1024 * 1024, 0);
    socket.write(frame);
    await closed;
    expect(await metric('floe_bad_frames_total')).toBe(before + 1);
  });
});

describe('ACLs', () => {
  /** A wire client authenticated as `user` with PLAIN over SASL_PLAINTEXT, for exact error codes. */
  const as = async (user: string, password: string): Promise<WireClient> => {
    const c = await WireClient.connect('127.0.0.1', ports.get('SASL_PLAINTEXT')!);
    expect((await c.request(SaslHandshakeApi, 1, { mechanism: 'PLAIN' })).errorCode).toBe(ErrorCode.NONE);
    expect((await c.request(SaslAuthenticateApi, 2, { authBytes: Buffer.from(`\u0000${user}\u0000${password}`) })).errorCode).toBe(ErrorCode.NONE);
    return c;
  };
  /** What carol gets for each API she tries on the topic 'secure' and the group 'carol-group'. */
  const attempt = async (c: WireClient) => {
    const listed = await c.request(MetadataApi, 12, { ...defaultMetadataRequest(), topics: null });
    const named = await c.request(MetadataApi, 12, { ...defaultMetadataRequest(), topics: [{ topicId: ZERO_UUID, name: 'secure' }], allowAutoTopicCreation: false });
    const produce = await c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'secure', partitionData: [{ index: 0, records: buildRecordBatch([{ value: 'from carol' }]) }] }] });
    const fetched = await c.request(FetchApi, 12, {
      ...defaultFetchRequest(), maxWaitMs: 0, topics: [{ topic: 'secure', topicId: ZERO_UUID, partitions: [{ ...defaultFetchPartition(), partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
    });
    const join = await c.request(JoinGroupApi, 5, {
      ...defaultJoinGroupRequest(), groupId: 'carol-group', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
    });
    const commit = await c.request(OffsetCommitApi, 8, {
      ...defaultOffsetCommitRequest(), groupId: 'carol-group', generationIdOrMemberEpoch: -1, memberId: '',
      topics: [{ name: 'secure', partitions: [{ ...defaultOffsetCommitRequestPartition(), partitionIndex: 0, committedOffset: 1n }] }],
    });
    const create = await c.request(CreateTopicsApi, 7, { topics: [{ ...defaultCreatableTopic(), name: 'carol-topic', numPartitions: 1, replicationFactor: -1 }], timeoutMs: 10_000, validateOnly: false });
    const del = await c.request(DeleteTopicsApi, 4, { topics: [], topicNames: ['secure'], timeoutMs: 10_000 });
    const acls = await c.request(DescribeAclsApi, 2, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 });
    return {
      listed: listed.topics.map((t) => t.name), named: named.topics[0]!.errorCode, produce: produce.responses[0]!.partitionResponses[0]!.errorCode,
      fetch: fetched.responses[0]!.partitions[0]!.errorCode, join: join.errorCode, commit: commit.topics[0]!.partitions[0]!.errorCode,
      create: create.topics[0]!.errorCode, delete: del.responses[0]!.errorCode, describeAcls: acls.errorCode,
    };
  };
  const adminClient = () => new Kafka({ clientId: 'acl-admin', brokers: [addr('PLAINTEXT')], logLevel: logLevel.NOTHING }).admin();

  it('a principal without ACLs gets Kafka\'s error code on every API and sees no topic', async () => {
    const c = await as('carol', 'carol-secret');
    try {
      expect(await attempt(c)).toEqual({
        listed: [], named: ErrorCode.TOPIC_AUTHORIZATION_FAILED, produce: ErrorCode.TOPIC_AUTHORIZATION_FAILED, fetch: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
        join: ErrorCode.GROUP_AUTHORIZATION_FAILED, commit: ErrorCode.GROUP_AUTHORIZATION_FAILED, create: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
        delete: ErrorCode.TOPIC_AUTHORIZATION_FAILED, describeAcls: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
      });
    } finally {
      c.close();
    }
    expect(await metric('floe_authorization_decisions', 'outcome="denied"')).toBeGreaterThanOrEqual(9);
  });

  it('prefixed ALLOW grants, a literal DENY beats it, kafkajs describes and deletes the bindings, and the rights go with them', async () => {
    const admin = adminClient();
    await admin.connect();
    const binding = (operation: AclOperationTypes, permissionType: AclPermissionTypes, resourceName: string, resourcePatternType: ResourcePatternTypes, resourceType = AclResourceTypes.TOPIC) => ({
      resourceType, resourceName, resourcePatternType, principal: 'User:carol', host: '*', operation, permissionType,
    });
    await admin.createAcls({
      acl: [
        binding(AclOperationTypes.ALL, AclPermissionTypes.ALLOW, 'sec', ResourcePatternTypes.PREFIXED),
        binding(AclOperationTypes.WRITE, AclPermissionTypes.DENY, 'secure', ResourcePatternTypes.LITERAL),
        binding(AclOperationTypes.DELETE, AclPermissionTypes.DENY, 'secure', ResourcePatternTypes.LITERAL),
        binding(AclOperationTypes.READ, AclPermissionTypes.ALLOW, 'carol-', ResourcePatternTypes.PREFIXED, AclResourceTypes.GROUP),
      ],
    });
    const c = await as('carol', 'carol-secret');
    try {
      const r = await attempt(c);
      expect(r.listed).toEqual(['secure']);
      expect(r.named).toBe(ErrorCode.NONE);
      expect(r.fetch).toBe(ErrorCode.NONE);
      expect(r.produce).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED); // DENY WRITE beats the prefixed ALLOW ALL
      expect(r.join).toBe(ErrorCode.MEMBER_ID_REQUIRED); // authorized: the group protocol's own first answer
      expect(r.commit).toBe(ErrorCode.NONE);
      expect(r.create).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED); // 'carol-topic' is not under 'sec'
      expect(r.delete).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      expect(r.describeAcls).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    } finally {
      c.close();
    }
    const described = await admin.describeAcls({
      resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, principal: 'User:carol',
      operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY,
    });
    expect(described.resources.map((x) => `${x.resourceType}:${x.resourceName}:${x.resourcePatternType}`).sort()).toEqual(['2:sec:4', '2:secure:3', '3:carol-:4']);
    expect(described.resources.find((x) => x.resourceName === 'secure')!.acls.length).toBe(2);
    const deleted = await admin.deleteAcls({ filters: [{ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, principal: 'User:carol', operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }] });
    expect(deleted.filterResponses[0]!.matchingAcls.length).toBe(4);
    await admin.disconnect();
    const again = await as('carol', 'carol-secret');
    try {
      expect((await attempt(again)).fetch).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    } finally {
      again.close();
    }
  });
});

describe('HTTP API with ACLs on', () => {
  const http = (path: string, user?: string, password?: string, init: RequestInit = {}) => fetch(`http://127.0.0.1:${broker.httpPort}${path}`, {
    ...init, headers: { ...(init.headers as Record<string, string> | undefined), ...(user !== undefined ? { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } : {}) },
  });

  it('asks for credentials (HTTP Basic, the SCRAM users) everywhere but the probes and metrics', async () => {
    expect((await http('/healthz')).status).toBe(200);
    expect((await http('/metrics')).status).toBe(200);
    const none = await http('/v3/clusters');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect((await http('/v3/clusters', 'alice', 'wrong')).status).toBe(401);
    expect((await http('/admin/topics')).status).toBe(401);
    expect((await http('/v3/clusters', 'alice', 'alice-secret')).status).toBe(200);
  });

  it('checks the caller\'s ACLs: alice writes and reads her topic, carol may do neither and sees no topic', async () => {
    const cid = ((await (await http('/v3/clusters', 'alice', 'alice-secret')).json()) as { data: { cluster_id: string }[] }).data[0]!.cluster_id;
    const post = (user: string, password: string) => http(`/v3/clusters/${cid}/topics/secure/records`, user, password, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ partition_id: 0, value: { type: 'STRING', data: 'over http' } }),
    });
    const ok = await post('alice', 'alice-secret');
    expect(ok.status).toBe(200);
    const offset = ((await ok.json()) as { offset: number }).offset;
    const refused = await post('carol', 'carol-secret');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { kafka_error: string }).kafka_error).toBe('TOPIC_AUTHORIZATION_FAILED');
    const read = await http(`/v3/clusters/${cid}/topics/secure/partitions/0/records?offset=${offset}&max_records=1`, 'alice', 'alice-secret');
    expect(((await read.json()) as { data: { value: { data: string } }[] }).data[0]!.value.data).toBe('over http');
    expect((await http(`/v3/clusters/${cid}/topics/secure/partitions/0/records?offset=0`, 'carol', 'carol-secret')).status).toBe(403);
    const listed = async (user: string, password: string) => ((await (await http(`/v3/clusters/${cid}/topics`, user, password)).json()) as { data: { topic_name: string }[] }).data.map((t) => t.topic_name);
    expect(await listed('alice', 'alice-secret')).toContain('secure');
    expect(await listed('carol', 'carol-secret')).toEqual([]);
    // The admin pages describe the cluster: a principal without DESCRIBE on it is refused.
    expect((await http('/admin/topics', 'carol', 'carol-secret')).status).toBe(403);
  });

  it('REST Proxy v2 consumer instances: READ on the group and the topic; without either, 403 (40301)', async () => {
    const v2 = { 'content-type': 'application/vnd.kafka.v2+json' };
    const create = (user: string, password: string, group: string) => http(`/consumers/${group}`, user, password, { method: 'POST', headers: v2, body: JSON.stringify({ name: 'c', format: 'binary' }) });
    for (const [user, password] of [['bob', 'bob-secret'], ['carol', 'carol-secret']] as const) {
      const refused = await create(user, password, 'alice-rest');
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error_code: number }).error_code).toBe(40301);
    }
    expect((await create('alice', 'alice-secret', 'alice-rest')).status).toBe(200);
    const uri = '/consumers/alice-rest/instances/c';
    // bob may read the topic, not the group: he cannot use alice's instance either.
    expect((await http(`${uri}/records`, 'bob', 'bob-secret')).status).toBe(403);
    expect((await http(`${uri}/assignments`, 'alice', 'alice-secret', { method: 'POST', headers: v2, body: JSON.stringify({ partitions: [{ topic: 'secure', partition: 0 }] }) })).status).toBe(204);
    expect((await http(`${uri}/positions/beginning`, 'alice', 'alice-secret', { method: 'POST', headers: v2, body: JSON.stringify({ partitions: [{ topic: 'secure', partition: 0 }] }) })).status).toBe(204);
    let values: string[] = [];
    await until(async () => {
      const r = await http(`${uri}/records?timeout=200`, 'alice', 'alice-secret', { headers: { accept: 'application/vnd.kafka.binary.v2+json' } });
      values = [...values, ...((await r.json()) as { value: string }[]).map((x) => Buffer.from(x.value, 'base64').toString())];
      return values.includes('over http');
    }, 30_000, 'alice reads her topic through a consumer instance');
    expect((await http(uri, 'alice', 'alice-secret', { method: 'DELETE' })).status).toBe(204);
  });

  it('the Schema Registry: READ on _schemas reads it, WRITE changes it, neither is refused (40301)', async () => {
    const sr = { 'content-type': 'application/vnd.schemaregistry.v1+json' };
    const register = (user: string, password: string) => http('/subjects/secure-value/versions', user, password, { method: 'POST', headers: sr, body: JSON.stringify({ schema: '"string"' }) });
    expect((await register('bob', 'bob-secret')).status).toBe(403);
    const refused = await register('carol', 'carol-secret');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error_code: number }).error_code).toBe(40301);
    expect((await register('alice', 'alice-secret')).status).toBe(200);
    expect(await (await http('/subjects', 'bob', 'bob-secret')).json()).toEqual(['secure-value']);
    expect((await http('/subjects/secure-value', 'bob', 'bob-secret', { method: 'POST', headers: sr, body: JSON.stringify({ schema: '"string"' }) })).status).toBe(200);
    expect((await http('/subjects', 'carol', 'carol-secret')).status).toBe(403);
    expect((await http('/config', 'bob', 'bob-secret', { method: 'PUT', headers: sr, body: JSON.stringify({ compatibility: 'NONE' }) })).status).toBe(403);
    expect((await http('/subjects')).status).toBe(401);
  });
});
