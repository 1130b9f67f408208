// Owns one fault campaign: a fleet (PostgreSQL, the S3 test server behind a
// fault-injecting proxy, N object-wal brokers, each in a network namespace
// of its own when network faults are asked for, each wall clock steppable
// through libfaketime when clock skew is) under a workload of
// idempotent producers and group consumers (confluent-kafka-python,
// librdkafka), faults chosen from a seed with quiet periods between them,
// then healing, a final read of the whole topic and the checker
// (history-checker.ts). Returns the report; writing it and the exit code
// are the caller's. Every fault is undone before the next.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerProcess } from '../../test/support/broker-process.ts';
import { PostgresTestServer } from '../../test/support/postgres.ts';
import { S3TestServer, S3_TEST_BUCKET, S3_TEST_CREDENTIALS } from '../../test/support/s3-server.ts';
import { S3FaultProxy } from '../../test/support/s3-fault-proxy.ts';
import { BrokerNetworks, type PartitionFrom } from '../../test/support/network-namespaces.ts';
import { PYTHON, currentConfluentKafkaEnv } from '../../test/support/python-env.ts';
import { runCommand } from '../../test/support/run-command.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import { CreateTopicsApi, MetadataApi } from '../../protocol/generated/index.ts';
import { defaultCreatableTopic } from '../../protocol/generated/CreateTopicsRequest.ts';
import { checkHistory, type Ack, type Anomaly, type History, type Read, type Send } from './history-checker.ts';
import { batchesBetween, describeBatch } from './batch-headers.ts';
import { checkTransactions, type Transaction, type TransactionOutcome } from './transaction-checker.ts';

/** A restarted broker not started by then is a liveness anomaly, and is killed and started once more. */
const BROKER_START_TIMEOUT_MS = 120_000;
const CLIENT = join(import.meta.dirname, '../../test/support/python/chaos_client.py');
/** The topic of the transactional producers; read_committed by the group and the final read. */
const TXN_TOPIC = 'chaos-txn';
const TXNS_PER_SECOND = 2;
const FINAL_READ = join(import.meta.dirname, '../../test/support/python/idempotent_produce_consume.py');

export const FAULT_KINDS = [
  'kill-broker', 'pause-broker', 'kill-controller', 'kill-two-brokers', 'kill-postgres', 'pause-postgres', 'restart-s3',
  'pause-s3', 'slow-s3', 's3-errors', 'partition-postgres', 'partition-s3', 'partition-clients', 'partition-brokers', 'skew-clock',
] as const;
export type FaultKind = typeof FAULT_KINDS[number];

/** Faults that cut one broker off from a peer: they need a network namespace per broker (root, iproute2). */
export const NETWORK_FAULT_KINDS: readonly FaultKind[] = ['partition-postgres', 'partition-s3', 'partition-clients', 'partition-brokers'];
/** partition-brokers cuts one broker off from the other brokers (both ways): transaction markers and verifications between them stall. */
const PARTITIONED_FROM: Partial<Record<FaultKind, PartitionFrom>> = { 'partition-postgres': 'postgres', 'partition-s3': 's3', 'partition-clients': 'clients', 'partition-brokers': 'brokers' };
/** Injected by the proxy in front of the S3 server: every request delayed up to this long, or this fraction failed. */
const SLOW_S3_DELAY_MS_MAX = 3000;
const S3_ERROR_RATE = 0.5;
/** skew-clock steps one broker's wall clock by 10 s to 5 min, forward or back (Debian's libfaketime; monotonic time is left alone, as NTP steps leave it). */
const CLOCK_SKEW_S_MIN = 10;
const CLOCK_SKEW_S_MAX = 300;

/** libfaketime's preload library, where Debian's faketime package puts it. */
function libfaketime(): string {
  const root = '/usr/lib';
  for (const arch of existsSync(root) ? readdirSync(root) : []) {
    const lib = join(root, arch, 'faketime', 'libfaketime.so.1');
    if (existsSync(lib)) return lib;
  }
  throw new Error('skew-clock needs libfaketime (apt-get install faketime; .ci/run does it)');
}

export interface CampaignOptions {
  seed: number;
  durationMs: number;
  brokers: number;
  faults: readonly FaultKind[];
  producers: number;
  consumers: number;
  /** Consumers of the KIP-848 protocol (group.protocol=consumer), in a group of their own beside the classic one; none by default. */
  kip848Consumers?: number;
  partitions: number;
  /** Records per second per producer. */
  rate: number;
  /** Transactional producers (confluent-kafka-python) writing the topic chaos-txn, two transactions of four records a second each; none by default. */
  transactionalProducers?: number;
  /** Quiet time between faults (a fault lasts 1-4 s of it more). */
  quietMs: number;
  /** Clients must make progress within this long after the last fault. */
  progressWithinMs: number;
  /** Go through every fault kind (in a seeded order) before repeating one, so a short campaign has them all. */
  everyKind?: boolean;
  log?: (line: string) => void;
  /** A directory to keep each client's history (JSON lines) and each broker's log in, for a look at an anomaly. */
  keepHistoryIn?: string;
}

export interface FaultRecord { kind: FaultKind; target: string; startedAt: number; endedAt: number }

export interface CampaignReport {
  options: Omit<CampaignOptions, 'log'>;
  startedAt: number;
  endedAt: number;
  faults: FaultRecord[];
  sent: number;
  acknowledged: number;
  producerErrors: number;
  /** Times a producer's librdkafka bumped its epoch (after an error it read as skipped sequences, or a timed-out message). */
  producerEpochBumps: number;
  /** Fatal errors that ended a producer (librdkafka's "sequence desynchronization" and the like). */
  producerFatalErrors: string[];
  /** Transactions of the transactional producers by how they ended (see transaction-checker.ts). */
  transactions: Record<TransactionOutcome, number>;
  read: number;
  finalRead: number;
  anomalies: Anomaly[];
  /** Seconds from each broker fault's end to the next acknowledgement of every producer. */
  recoverySeconds: number[];
  /** Per second: faults active, acks, reads, producer errors (for the timeline chart). */
  timeline: { s: number; acks: number; reads: number; errors: number; fault: string }[];
}

/** mulberry32: a small seeded generator, so a seed replays the same campaign. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Client { name: string; child: ChildProcess; lines: string[]; stderr: string[]; exited: Promise<number | null> }

/** Bound on the client diagnostics (librdkafka's idempotence and group logs) kept per client, newest kept. */
const CLIENT_STDERR_CHARS_MAX = 8_000_000;

function startClient(args: string[], name: string): Client {
  const child = spawn(PYTHON, [CLIENT, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: currentConfluentKafkaEnv() });
  const lines: string[] = [];
  let rest = '';
  child.stdout!.on('data', (d: Buffer) => {
    const text = rest + d.toString();
    const parts = text.split('\n');
    rest = parts.pop()!;
    lines.push(...parts.filter((l) => l !== ''));
  });
  const stderr: string[] = [];
  let stderrChars = 0;
  child.stderr!.on('data', (d: Buffer) => {
    const text = d.toString();
    stderr.push(text);
    stderrChars += text.length;
    while (stderrChars > CLIENT_STDERR_CHARS_MAX && stderr.length > 1) stderrChars -= stderr.shift()!.length;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { name, child, lines, stderr, exited };
}

async function controllerOf(brokers: BrokerProcess[]): Promise<number> {
  for (const [i, b] of brokers.entries()) {
    try {
      const text = await (await fetch(`http://${b.host}:${b.httpPort}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
      if (/^floe_controller_active 1$/m.test(text)) return i;
    } catch {
      // A broker that does not answer is not the one to find.
    }
  }
  return -1;
}

export async function runCampaign(o: CampaignOptions): Promise<CampaignReport> {
  const log = o.log ?? (() => undefined);
  const random = seeded(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const dir = mkdtempSync(join(tmpdir(), 'floe-chaos-'));
  const stopFile = join(dir, 'stop');
  const nets = o.faults.some((f) => NETWORK_FAULT_KINDS.includes(f)) ? BrokerNetworks.create(o.brokers) : undefined;
  const pg = await PostgresTestServer.start(nets === undefined ? {} : { listenAlsoOn: nets.brokers.map((n) => n.postgresHost), trustNetwork: nets.network });
  const s3 = new S3TestServer();
  await s3.start();
  const proxy = new S3FaultProxy(() => s3.port, seeded(o.seed ^ 0x5eed));
  await proxy.start(nets === undefined ? ['127.0.0.1'] : nets.brokers.map((n) => n.s3Host));
  const brokers: BrokerProcess[] = [];
  const clients: Client[] = [];
  const faults: FaultRecord[] = [];
  const startedAt = Date.now();
  /** Found by the campaign itself rather than in the history (a broker slow to come back). */
  const ownAnomalies: Anomaly[] = [];
  // A broker restarted after a fault must come back within the liveness bound; a slower start is reported, not fatal.
  const startAgain = async (i: number): Promise<void> => {
    const t0 = Date.now();
    try {
      await brokers[i]!.startAgain();
    } catch (e) {
      ownAnomalies.push({ kind: 'slow-restart', detail: `broker ${i + 1} did not start within ${BROKER_START_TIMEOUT_MS} ms: ${(e as Error).message.slice(0, 2000)}` });
      await brokers[i]!.kill9();
      await brokers[i]!.startAgain();
    }
    const took = Date.now() - t0;
    if (took > o.progressWithinMs) ownAnomalies.push({ kind: 'slow-restart', detail: `broker ${i + 1} took ${(took / 1000).toFixed(1)} s to start again` });
  };
  try {
    const url = await pg.newDatabase();
    // Each broker's wall clock reads its offset from a file (re-read every second), so a fault can step it while it runs.
    const clockFile = (i: number): string => join(dir, `clock-${i + 1}`);
    const clockEnv = (i: number): NodeJS.ProcessEnv => {
      if (!o.faults.includes('skew-clock')) return {};
      writeFileSync(clockFile(i), '+0\n');
      return { LD_PRELOAD: libfaketime(), FAKETIME_TIMESTAMP_FILE: clockFile(i), FAKETIME_CACHE_DURATION: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
    };
    for (let i = 0; i < o.brokers; i++) {
      // In a namespace, the broker reaches PostgreSQL and the proxy at the addresses its partitions can cut.
      const n = nets?.brokers[i];
      const metadataUrl = n === undefined ? url : url.replace('@127.0.0.1:', `@${n.postgresHost}:`);
      brokers.push(await BrokerProcess.start({
        args: [
          '--node-id', String(i + 1), '--metadata', metadataUrl, '--durability', 'object-wal', '--s3-endpoint', `http://${n?.s3Host ?? '127.0.0.1'}:${proxy.port}`,
          '--s3-bucket', S3_TEST_BUCKET, '--s3-key-prefix', 'chaos/', '--upload-interval-ms', '50', '--broker-session-timeout-ms', '3000',
        ],
        env: { AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey, ...clockEnv(i) },
        startTimeoutMs: BROKER_START_TIMEOUT_MS,
        ...(n === undefined ? {} : { host: n.brokerHost, execPrefix: nets!.execPrefix(i) }),
      }));
    }
    const bootstrap = brokers.map((b) => b.bootstrap).join(',');
    const admin = await WireClient.connect(brokers[0]!.host, brokers[0]!.port);
    const created = await admin.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: 'chaos', numPartitions: o.partitions, replicationFactor: -1 }], timeoutMs: 30_000, validateOnly: false });
    if (created.topics[0]!.errorCode !== 0) throw new Error(`create topic: ${created.topics[0]!.errorMessage}`);
    for (let attempt = 0; ; attempt++) {
      const md = await admin.request(MetadataApi, 12, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'chaos' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      if (md.topics[0]!.partitions.every((p) => p.leaderId >= 0)) break;
      if (attempt > 100) throw new Error('the topic has no leaders');
      await new Promise((r) => setTimeout(r, 100));
    }
    const txnProducers = o.transactionalProducers ?? 0;
    if (txnProducers > 0) {
      const txnTopic = await admin.request(CreateTopicsApi, 5, { topics: [{ ...defaultCreatableTopic(), name: TXN_TOPIC, numPartitions: o.partitions, replicationFactor: -1 }], timeoutMs: 30_000, validateOnly: false });
      if (txnTopic.topics[0]!.errorCode !== 0) throw new Error(`create topic ${TXN_TOPIC}: ${txnTopic.topics[0]!.errorMessage}`);
    }
    admin.close();

    for (let i = 0; i < txnProducers; i++) clients.push(startClient(['txn-produce', bootstrap, TXN_TOPIC, String(o.partitions), `t${i + 1}`, stopFile, String(TXNS_PER_SECOND)], `t${i + 1}`));
    for (let i = 0; i < o.producers; i++) clients.push(startClient(['produce', bootstrap, 'chaos', String(o.partitions), `p${i + 1}`, stopFile, String(o.rate)], `p${i + 1}`));
    const topics = txnProducers > 0 ? `chaos,${TXN_TOPIC}` : 'chaos';
    for (let i = 0; i < o.consumers; i++) clients.push(startClient(['consume', bootstrap, topics, 'chaos-group', `c${i + 1}`, stopFile], `c${i + 1}`));
    for (let i = o.consumers; i < o.consumers + (o.kip848Consumers ?? 0); i++) {
      clients.push(startClient(['consume', bootstrap, topics, 'chaos-group-kip848', `c${i + 1}`, stopFile, 'consumer'], `c${i + 1}`));
    }

    // Faults until the deadline, each undone before the quiet period that follows it.
    const deadline = startedAt + o.durationMs;
    await new Promise((r) => setTimeout(r, o.quietMs));
    let order: FaultKind[] = [];
    while (Date.now() + o.quietMs < deadline) {
      if (order.length === 0) order = [...o.faults].sort(() => random() - 0.5);
      const kind = o.everyKind === true ? order.shift()! : pick(o.faults);
      // A partition is held long enough (2-8 s) for the broker's 3 s session to run out, sometimes; a clock step long enough to be read (1 s cache).
      const holdMs = NETWORK_FAULT_KINDS.includes(kind) || kind === 'skew-clock' ? 2000 + Math.floor(random() * 6000) : 1000 + Math.floor(random() * 3000);
      const f: FaultRecord = { kind, target: '', startedAt: Date.now(), endedAt: 0 };
      const hold = (): Promise<void> => new Promise((r) => setTimeout(r, holdMs));
      if (kind === 'kill-broker' || kind === 'kill-controller') {
        let i = kind === 'kill-controller' ? await controllerOf(brokers) : Math.floor(random() * brokers.length);
        if (i < 0) i = 0;
        f.target = `broker ${i + 1}`;
        await brokers[i]!.kill9();
        await hold();
        await startAgain(i);
      } else if (kind === 'kill-two-brokers') {
        const first = Math.floor(random() * brokers.length);
        const second = (first + 1 + Math.floor(random() * (brokers.length - 1))) % brokers.length;
        f.target = `brokers ${first + 1} and ${second + 1}`;
        await Promise.all([brokers[first]!.kill9(), brokers[second]!.kill9()]);
        await hold();
        await Promise.all([startAgain(first), startAgain(second)]);
      } else if (kind === 'pause-broker') {
        const i = Math.floor(random() * brokers.length);
        f.target = `broker ${i + 1}`;
        brokers[i]!.pause();
        await hold();
        brokers[i]!.resume();
      } else if (kind === 'kill-postgres') {
        f.target = 'postgresql';
        await pg.kill9();
        await hold();
        await pg.startAgain();
      } else if (kind === 'pause-postgres') {
        f.target = 'postgresql';
        process.kill(pg.pid!, 'SIGSTOP');
        await hold();
        process.kill(pg.pid!, 'SIGCONT');
      } else if (kind === 'restart-s3') {
        f.target = 's3';
        await s3.stop();
        await hold();
        await s3.start();
      } else if (kind === 'pause-s3') {
        f.target = 's3';
        s3.pause();
        await hold();
        s3.resume();
      } else if (kind === 'slow-s3' || kind === 's3-errors') {
        f.target = 's3';
        proxy.faults = kind === 'slow-s3' ? { delayMsMax: SLOW_S3_DELAY_MS_MAX, errorRate: 0 } : { delayMsMax: 0, errorRate: S3_ERROR_RATE };
        await hold();
        proxy.heal();
      } else if (kind === 'skew-clock') {
        const i = Math.floor(random() * brokers.length);
        const seconds = (random() < 0.5 ? -1 : 1) * (CLOCK_SKEW_S_MIN + Math.floor(random() * (CLOCK_SKEW_S_MAX - CLOCK_SKEW_S_MIN)));
        f.target = `broker ${i + 1} (${seconds > 0 ? '+' : ''}${seconds} s)`;
        writeFileSync(clockFile(i), `${seconds > 0 ? '+' : ''}${seconds}s\n`);
        await hold();
        writeFileSync(clockFile(i), '+0\n');
      } else {
        const i = Math.floor(random() * brokers.length);
        f.target = `broker ${i + 1}`;
        nets!.cut(i, PARTITIONED_FROM[kind]!);
        await hold();
        nets!.heal(i);
      }
      f.endedAt = Date.now();
      faults.push(f);
      log(`chaos: ${kind} of ${f.target} for ${((f.endedAt - f.startedAt) / 1000).toFixed(1)} s`);
      await new Promise((r) => setTimeout(r, o.quietMs));
    }
    const lastFaultEndedAt = faults.at(-1)?.endedAt ?? startedAt;
    // Healed: the clients must show progress within the bound, then stop.
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(o.progressWithinMs + 2000, lastFaultEndedAt + o.progressWithinMs + 2000 - Date.now()))));
    writeFileSync(stopFile, '');
    const endedAt = Date.now();
    await Promise.all(clients.map((c) => Promise.race([c.exited, new Promise((r) => setTimeout(r, 150_000))])));
    for (const c of clients) if (c.child.exitCode === null) c.child.kill('SIGKILL');

    if (o.keepHistoryIn !== undefined) {
      mkdirSync(o.keepHistoryIn, { recursive: true });
      for (const c of clients) writeFileSync(join(o.keepHistoryIn, `${c.name}.jsonl`), `${c.lines.join('\n')}\n`);
      for (const c of clients) writeFileSync(join(o.keepHistoryIn, `${c.name}.stderr.log`), c.stderr.join(''));
      for (const [i, b] of brokers.entries()) writeFileSync(join(o.keepHistoryIn, `broker-${i + 1}.log`), b.logAcrossRestarts);
    }
    const events = clients.flatMap((c) => c.lines.map((l) => ({ ...(JSON.parse(l) as { e: string; t: number; k?: string; p?: number; o?: number; c?: string; epoch?: number; err?: string; tp?: string; txn?: number; keys?: string[]; outcome?: TransactionOutcome }), from: c.name })));
    const sends: Send[] = events.filter((e) => e.e === 'send').map((e) => ({ key: e.k!, t: e.t }));
    const acks: Ack[] = events.filter((e) => e.e === 'ack').map((e) => ({ key: e.k!, partition: e.p!, offset: e.o ?? null, t: e.t }));
    const asRead = (e: (typeof events)[number]): Read => ({ consumer: e.c!, epoch: e.epoch!, key: e.k!, partition: e.p!, offset: e.o!, t: e.t });
    const reads: Read[] = events.filter((e) => e.e === 'read' && e.tp !== TXN_TOPIC).map(asRead);
    const txnReads: Read[] = events.filter((e) => e.e === 'read' && e.tp === TXN_TOPIC).map(asRead);
    const transactions: Transaction[] = events.filter((e) => e.e === 'txn').map((e) => ({ producer: e.from, txn: e.txn!, keys: e.keys!, outcome: e.outcome!, t: e.t }));
    const errors = events.filter((e) => e.e === 'err');

    // The whole topic, once the fleet has healed: read again (bounded) until a read ends with every acknowledged record's offset covered.
    const ackedEnd = new Map<number, number>();
    for (const a of acks) ackedEnd.set(a.partition, Math.max(ackedEnd.get(a.partition) ?? -1, a.offset ?? -1));
    let finalRead: { partition: number; offset: number; key: string }[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const final = await runCommand(PYTHON, [FINAL_READ, 'consume', bootstrap, 'chaos', String(o.partitions), String(sends.length * 2 + 10), '150'], { timeoutMs: 600_000, env: currentConfluentKafkaEnv() });
      finalRead = final.stdout.trim().split('\n').filter((l) => l.startsWith('{"partition"')).map((l) => JSON.parse(l) as { partition: number; offset: number; key: string });
      const readEnd = new Map<number, number>();
      for (const r of finalRead) readEnd.set(r.partition, Math.max(readEnd.get(r.partition) ?? -1, r.offset));
      if ([...ackedEnd].every(([p, end]) => (readEnd.get(p) ?? -1) >= end)) break;
      log(`chaos: the final read ended short (${finalRead.length} records, exit ${final.code}${final.timedOut ? ', timed out' : ''}); reading again`);
      if (o.keepHistoryIn !== undefined) {
        const lines = final.stdout.split('\n');
        const short = [...ackedEnd].map(([p, end]) => `partition ${p}: acknowledged up to ${end}, read up to ${readEnd.get(p) ?? 'nothing'}`);
        writeFileSync(join(o.keepHistoryIn, `final-read-${attempt}.txt`), `${short.join('\n')}\n--- errors ---\n${lines.filter((l) => l.startsWith('{"error"')).slice(0, 200).join('\n')}\n--- first records ---\n${lines.slice(0, 50).join('\n')}\n--- stderr ---\n${final.stderr.slice(-20_000)}`);
      }
    }

    // The transactional topic, read_committed (librdkafka's default), until every committed record is found (bounded).
    let txnFinalRead: { partition: number; offset: number; key: string }[] = [];
    const committedKeys = transactions.filter((t) => t.outcome === 'committed').flatMap((t) => t.keys);
    for (let attempt = 0; txnProducers > 0 && attempt < 3; attempt++) {
      const final = await runCommand(PYTHON, [FINAL_READ, 'consume', bootstrap, TXN_TOPIC, String(o.partitions), String(transactions.length * 8 + 10), '150'], { timeoutMs: 600_000, env: currentConfluentKafkaEnv() });
      txnFinalRead = final.stdout.trim().split('\n').filter((l) => l.startsWith('{"partition"')).map((l) => JSON.parse(l) as { partition: number; offset: number; key: string });
      const found = new Set(txnFinalRead.map((r) => r.key));
      if (committedKeys.every((k) => found.has(k))) break;
      log(`chaos: the final read of ${TXN_TOPIC} ended short (${txnFinalRead.length} records, exit ${final.code}); reading again`);
    }

    const history: History = { sends, acks, reads, finalRead, lastFaultEndedAt, endedAt, progressReads: [...reads, ...txnReads] };
    const anomalies = [...ownAnomalies, ...checkHistory(history, { progressWithinMs: o.progressWithinMs, producers: clients.filter((c) => c.name.startsWith('p')).map((c) => c.name), consumers: clients.filter((c) => c.name.startsWith('c')).map((c) => c.name) })];
    if (txnProducers > 0) anomalies.push(...checkTransactions({ transactions, reads: txnReads, finalRead: txnFinalRead }));
    // Liveness of the transactional producers: a transaction committed within the bound after the last fault.
    const progressBy = lastFaultEndedAt + o.progressWithinMs;
    for (const c of clients.filter((x) => x.name.startsWith('t'))) {
      if (progressBy < endedAt && !transactions.some((t) => t.producer === c.name && t.outcome === 'committed' && t.t >= lastFaultEndedAt && t.t <= progressBy)) {
        anomalies.push({ kind: 'no-progress', detail: `transactional producer ${c.name} committed nothing within ${o.progressWithinMs} ms after the last fault` });
      }
    }
    // A record written twice: what the log holds there says who wrote each copy (producer epoch, leader epoch).
    const resent = new Set<string>();
    for (const a of anomalies.filter((x) => x.copies !== undefined).slice(0, 10)) {
      const epochs: { producerId: string; producerEpoch: number }[] = [];
      for (const { partition, offset } of a.copies!) {
        const batches = await batchesBetween(brokers, 'chaos', partition, offset, offset);
        a.detail += `; at ${partition}/${offset}: ${batches.length === 0 ? 'no batch read' : batches.map(describeBatch).join(' ')}`;
        if (batches.length === 1) epochs.push(batches[0]!);
      }
      // Both copies read, one producer, a later copy under a newer epoch: the client re-sent it (see CLIENT_RESEND_KINDS).
      const [first, second] = epochs;
      if (epochs.length === 2 && first!.producerId === second!.producerId && second!.producerEpoch > first!.producerEpoch) {
        a.kind = 'epoch-bump-duplicate';
        resent.add(a.detail.split(' ')[0]!);
      }
    }
    // The read of such a record's first copy, where its second was acknowledged, is the same event.
    for (const a of anomalies) if (a.kind === 'misplaced' && resent.has(a.detail.split(' ')[0]!)) a.kind = 'epoch-bump-duplicate';

    const recoverySeconds = faults.filter((f) => f.target.startsWith('broker')).map((f) => {
      const next = Math.max(...clients.filter((c) => c.name.startsWith('p')).map((c) => acks.find((a) => a.key.startsWith(`${c.name}-`) && a.t >= f.endedAt)?.t ?? Number.NaN));
      return (next - f.endedAt) / 1000;
    });
    const seconds = Math.ceil((endedAt - startedAt) / 1000);
    const timeline = Array.from({ length: seconds }, (_, s) => {
      const from = startedAt + s * 1000;
      const inSecond = (t: number): boolean => t >= from && t < from + 1000;
      return {
        s, acks: acks.filter((a) => inSecond(a.t)).length, reads: reads.filter((r) => inSecond(r.t)).length, errors: errors.filter((e) => inSecond(e.t)).length,
        fault: faults.filter((f) => f.startedAt < from + 1000 && f.endedAt >= from).map((f) => f.kind).join(','),
      };
    });
    const { log: _log, keepHistoryIn: _keep, ...options } = o;
    return {
      options, startedAt, endedAt, faults, sent: sends.length, acknowledged: acks.length, producerErrors: errors.length,
      transactions: { committed: 0, aborted: 0, open: 0, unknown: 0, ...Object.fromEntries([...Map.groupBy(transactions, (t) => t.outcome)].map(([k, v]) => [k, v.length])) },
      producerEpochBumps: events.filter((e) => e.e === 'bump').length, producerFatalErrors: [...new Set(events.filter((e) => e.e === 'fatal').map((e) => `${e.from}: ${e.err ?? ''}`))],
      read: reads.length, finalRead: finalRead.length, anomalies, recoverySeconds, timeline,
    };
  } finally {
    if (!existsSync(stopFile)) writeFileSync(stopFile, '');
    for (const c of clients) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    for (const b of brokers) {
      b.resume();
      await b.destroy();
    }
    if (pg.pid !== undefined) {
      try {
        process.kill(pg.pid, 'SIGCONT');
      } catch {
        // Not running.
      }
    }
    await proxy.stop();
    s3.resume();
    await s3.destroy();
    await pg.destroy();
    nets?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
