// A Kafka Streams application (Apache Kafka 4.3.1's, a word count with a
// repartition topic and a state store whose changelog is a compacted topic)
// against one floe broker, with processing.guarantee at_least_once and
// exactly_once_v2: its counts match the input; stopped, its local state
// deleted and started again, it restores the store from the changelog and
// goes on counting from there.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { BrokerProcess } from '../support/broker-process.ts';
import { spawnJava } from '../support/java.ts';
import { until } from '../support/until.ts';

const WORDS = ['agent', 'tool', 'call', 'event', 'floe', 'kafka', 'stream', 'state'];

let broker: BrokerProcess;
let kafka: Kafka;
beforeAll(async () => {
  broker = await BrokerProcess.start({ args: ['--group-initial-rebalance-delay-ms', '0', '--upload-interval-ms', '100', '--log-cleaner-backoff-ms', '500'] });
  kafka = new Kafka({ clientId: 'streams-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});
afterAll(async () => { await broker?.destroy(); });

/** Lines `from`..`to`-1: line i holds words i, i+1 and i*3 of the vocabulary. */
function lines(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, k) => {
    const i = from + k;
    return [WORDS[i % WORDS.length], WORDS[(i + 1) % WORDS.length], WORDS[(i * 3) % WORDS.length]].join(' ');
  });
}

function expectedCounts(n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines(0, n)) for (const w of line.split(' ')) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

function startApp(appId: string, guarantee: string, stateDir: string) {
  const child = spawnJava('floe.check.WordCount', [broker.bootstrap, appId, `${appId}-in`, `${appId}-out`, guarantee, stateDir]);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-4000); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { state: () => out, err: () => err, exited, stop: () => child.stdin!.end(), kill: () => child.kill('SIGKILL') };
}

describe.each(['at_least_once', 'exactly_once_v2'])('Kafka Streams word count (%s)', (guarantee) => {
  it('counts every word; restarted without its local state, it restores the store from the changelog and counts on', async () => {
    const appId = `wc-${guarantee.replace(/_/g, '-')}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: `${appId}-in`, numPartitions: 3 }, { topic: `${appId}-out`, numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: `${appId}-in`, acks: -1, messages: lines(0, 120).map((value) => ({ value })) });

    // The latest count per word on the output topic, read with read_committed.
    const latest = new Map<string, number>();
    const consumer = kafka.consumer({ groupId: `${appId}-checker`, readUncommitted: false, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: `${appId}-out`, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => { latest.set(message.key!.toString(), Number(message.value!.readBigInt64BE(0))); } });
    const matches = (n: number): boolean => [...expectedCounts(n)].every(([w, c]) => latest.get(w) === c);

    const stateDir = mkdtempSync(join(tmpdir(), 'floe-streams-'));
    let app = startApp(appId, guarantee, stateDir);
    try {
      await until(() => matches(120), 90_000, 'the counts of the first 120 lines', 100, () => `latest ${JSON.stringify([...latest])}; app: ${app.state().slice(-500)} ${app.err().slice(-1500)}`);
      // The store's changelog is a compacted topic that Streams created.
      const describe = await (async () => {
        const a = kafka.admin();
        await a.connect();
        try {
          return await a.describeConfigs({ resources: [{ type: 2, name: `${appId}-counts-changelog`, configNames: ['cleanup.policy'] }], includeSynonyms: false });
        } finally {
          await a.disconnect();
        }
      })();
      expect(describe.resources[0]!.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue).toBe('compact');
      app.stop();
      expect(await app.exited, app.err()).toBe(0);
      // Its local state is gone: the next instance must restore the store from the changelog.
      rmSync(stateDir, { recursive: true, force: true });
      await producer.send({ topic: `${appId}-in`, acks: -1, messages: lines(120, 200).map((value) => ({ value })) });
      app = startApp(appId, guarantee, stateDir);
      await until(() => matches(200), 90_000, 'the counts of all 200 lines after the restart', 100, () => `latest ${JSON.stringify([...latest])}; app: ${app.state().slice(-500)} ${app.err().slice(-1500)}`);
      app.stop();
      expect(await app.exited, app.err()).toBe(0);
    } finally {
      app.kill();
      await consumer.disconnect();
      await producer.disconnect();
      rmSync(stateDir, { recursive: true, force: true });
    }
  }, 240_000);
});
