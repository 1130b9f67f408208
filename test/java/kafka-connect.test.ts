// Kafka Connect (Apache Kafka 4.3.1's runtime and file connectors) against
// floe: a standalone worker copies a file into a topic and back out; a
// distributed worker keeps its config, offset and status topics on floe (it
// refuses to start unless they are compacted), joins its group through
// floe's coordinator (protocol type "connect"), takes connectors over its
// REST API, and after a restart carries on from the offsets it stored in
// floe: every line copied once.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { BrokerProcess } from '../support/broker-process.ts';
import { spawnJava } from '../support/java.ts';
import { freePort } from '../support/free-port.ts';
import { until } from '../support/until.ts';

let floe: BrokerProcess;
let dir: string;
beforeAll(async () => {
  floe = await BrokerProcess.start({ args: ['--group-initial-rebalance-delay-ms', '0'] });
  dir = mkdtempSync(join(tmpdir(), 'floe-connect-'));
}, 60_000);
afterAll(async () => {
  await floe?.destroy();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const lines = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => `line-${from + i}`);
const readLines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : []);

/** A Connect worker process, its output kept (bounded) for failure messages. */
function startWorker(mainClass: string, args: string[]): { proc: ChildProcess; log: () => string; stop: () => Promise<void> } {
  const proc = spawnJava(mainClass, args);
  let log = '';
  const keep = (d: Buffer): void => { log = (log + d.toString()).slice(-8000); };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc, log: () => log,
    // SIGTERM: Connect stops its tasks and commits their offsets; bounded, then SIGKILL.
    stop: async () => {
      proc.kill('SIGTERM');
      const killed = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killed);
    },
  };
}

const converters = [
  'key.converter = org.apache.kafka.connect.storage.StringConverter',
  'value.converter = org.apache.kafka.connect.storage.StringConverter',
  'offset.flush.interval.ms = 500',
];

describe('Kafka Connect on floe', () => {
  it('standalone: a file source writes a topic, a file sink reads it back, line for line', async () => {
    const input = join(dir, 'standalone-in.txt');
    const output = join(dir, 'standalone-out.txt');
    writeFileSync(input, '');
    const worker = join(dir, 'standalone-worker.properties');
    writeFileSync(worker, [`bootstrap.servers = ${floe.bootstrap}`, ...converters, `offset.storage.file.filename = ${join(dir, 'standalone.offsets')}`,
      `listeners = http://127.0.0.1:${await freePort()}`, ''].join('\n'));
    const source = join(dir, 'source.properties');
    writeFileSync(source, ['name = file-source', 'connector.class = org.apache.kafka.connect.file.FileStreamSourceConnector', 'tasks.max = 1', `file = ${input}`, 'topic = connect-standalone', ''].join('\n'));
    const sink = join(dir, 'sink.properties');
    writeFileSync(sink, ['name = file-sink', 'connector.class = org.apache.kafka.connect.file.FileStreamSinkConnector', 'tasks.max = 1', `file = ${output}`, 'topics = connect-standalone', ''].join('\n'));
    const w = startWorker('org.apache.kafka.connect.cli.ConnectStandalone', [worker, source, sink]);
    try {
      appendFileSync(input, lines(0, 100).join('\n') + '\n');
      await until(() => readLines(output).length >= 100, 120_000, 'the 100 lines through floe into the sink\'s file', 500, () => w.log().slice(-3000));
      expect(readLines(output)).toEqual(lines(0, 100));
    } finally {
      await w.stop();
    }
  }, 180_000);

  it('distributed: internal topics compacted on floe, connectors over REST, and a restart carries on from the offsets stored in floe', async () => {
    const input = join(dir, 'distributed-in.txt');
    const output = join(dir, 'distributed-out.txt');
    writeFileSync(input, '');
    const port = await freePort();
    const worker = join(dir, 'distributed-worker.properties');
    writeFileSync(worker, [
      `bootstrap.servers = ${floe.bootstrap}`, ...converters, 'group.id = floe-connect',
      'config.storage.topic = connect-configs', 'offset.storage.topic = connect-offsets', 'status.storage.topic = connect-status',
      'config.storage.replication.factor = 1', 'offset.storage.replication.factor = 1', 'status.storage.replication.factor = 1',
      `listeners = http://127.0.0.1:${port}`, '',
    ].join('\n'));
    const rest = `http://127.0.0.1:${port}`;
    const up = async (w: ReturnType<typeof startWorker>): Promise<void> => {
      await until(async () => (await fetch(`${rest}/connectors`).then((r) => r.ok).catch(() => false)), 120_000, 'the worker\'s REST API', 500, () => w.log().slice(-3000));
    };
    const create = async (name: string, config: Record<string, string>): Promise<void> => {
      const r = await fetch(`${rest}/connectors`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, config }) });
      expect(r.status, await r.text()).toBe(201);
    };
    let w = startWorker('org.apache.kafka.connect.cli.ConnectDistributed', [worker]);
    try {
      await up(w);
      await create('dist-source', { 'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector', 'tasks.max': '1', file: input, topic: 'connect-distributed' });
      await create('dist-sink', { 'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector', 'tasks.max': '1', file: output, topics: 'connect-distributed' });
      appendFileSync(input, lines(0, 50).join('\n') + '\n');
      await until(() => readLines(output).length >= 50, 120_000, 'the first 50 lines copied', 500, () => w.log().slice(-3000));

      // Connect made its internal topics compacted, and floe says so.
      const admin = new Kafka({ clientId: 'connect-check', brokers: [floe.bootstrap], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const configs = await admin.describeConfigs({ resources: ['connect-configs', 'connect-offsets', 'connect-status'].map((name) => ({ type: 2, name, configNames: ['cleanup.policy'] })), includeSynonyms: false });
      expect(configs.resources.map((r) => r.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue)).toEqual(['compact', 'compact', 'compact']);
      const groups = await admin.describeGroups(['floe-connect']);
      expect(groups.groups[0]!.protocolType).toBe('connect');
      await admin.disconnect();

      // Stopped, more lines written, started again: it resumes from the offsets in floe, each line copied once.
      await w.stop();
      appendFileSync(input, lines(50, 50).join('\n') + '\n');
      w = startWorker('org.apache.kafka.connect.cli.ConnectDistributed', [worker]);
      await up(w);
      await until(() => readLines(output).length >= 100, 120_000, 'the next 50 lines copied after the restart', 500, () => w.log().slice(-3000));
      expect(readLines(output)).toEqual(lines(0, 100));
    } finally {
      await w.stop();
    }
  }, 300_000);
});
