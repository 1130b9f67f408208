// Apache Kafka itself, started by the test from Maven Central's jars (KRaft,
// one node), answers the Java admin scenario exactly as floe does; and
// Kafka's own CLI tools, the ones operators reach for first, work against a
// floe broker with their output checked: kafka-topics, kafka-configs,
// kafka-get-offsets, kafka-console-producer/-consumer, kafka-consumer-groups
// (describe, reset-offsets, delete), kafka-producer-perf-test and
// kafka-transactions (list, describe, describe-producers) with a transaction left open by librdkafka.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.ts';
import { ApacheKafka } from '../support/apache-kafka.ts';
import { jsonLines, runJava } from '../support/java.ts';
import { runCommand } from '../support/run-command.ts';
import { javaClasspath } from '../support/java.ts';
import { join } from 'node:path';
import { PYTHON, currentConfluentKafkaEnv } from '../support/python-env.ts';

const CHECK = 'floe.check.ClientCheck';

let floe: BrokerProcess;
beforeAll(async () => { floe = await BrokerProcess.start(); });
afterAll(async () => { await floe?.destroy(); });

/** The admin scenario's answers with the ids that differ between clusters taken out. */
async function adminAnswers(bootstrap: string): Promise<unknown[]> {
  const r = await runJava(CHECK, ['admin', bootstrap, 'reference-admin']);
  expect(r.code, r.stderr.slice(-3000)).toBe(0);
  return jsonLines<Record<string, unknown>>(r.stdout).map(({ clusterId: _c, topicId: _t, controller: _k, ...rest }) => rest);
}

describe('Apache Kafka as the reference', () => {
  let kafka: ApacheKafka;
  beforeAll(async () => { kafka = await ApacheKafka.start(); }, 120_000);
  afterAll(async () => { await kafka?.destroy(); });

  it('the Java admin scenario gets the same answers from Apache Kafka and from floe', async () => {
    const fromKafka = await adminAnswers(kafka.bootstrap);
    const fromFloe = await adminAnswers(floe.bootstrap);
    expect(fromKafka.length).toBe(8);
    expect(fromFloe).toEqual(fromKafka);
  }, 120_000);
});

/** Runs one of Kafka's CLI tools (the class behind its shell script) against floe. */
async function tool(mainClass: string, args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = await runCommand('java', ['-cp', javaClasspath(), mainClass, ...args], { timeoutMs: 90_000, ...(input !== undefined ? { input } : {}) });
  return r;
}

describe("Kafka's CLI tools against floe", () => {
  const bs = (): string[] => ['--bootstrap-server', floe.bootstrap];

  it('kafka-topics: create, describe, alter (partitions), list, delete', async () => {
    const TOPICS = 'org.apache.kafka.tools.TopicCommand';
    expect((await tool(TOPICS, [...bs(), '--create', '--topic', 'cli-topic', '--partitions', '3', '--config', 'retention.ms=86400000'])).stdout).toContain('Created topic cli-topic.');
    const d = await tool(TOPICS, [...bs(), '--describe', '--topic', 'cli-topic']);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/Topic: cli-topic\tTopicId: \S+\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: retention.ms=86400000/);
    for (let p = 0; p < 3; p++) expect(d.stdout).toMatch(new RegExp(`Topic: cli-topic\\tPartition: ${p}\\tLeader: 1\\tReplicas: 1\\tIsr: 1`));
    expect((await tool(TOPICS, [...bs(), '--alter', '--topic', 'cli-topic', '--partitions', '5'])).code).toBe(0);
    expect((await tool(TOPICS, [...bs(), '--describe', '--topic', 'cli-topic'])).stdout).toContain('PartitionCount: 5');
    expect((await tool(TOPICS, [...bs(), '--list'])).stdout.split('\n')).toContain('cli-topic');
    expect((await tool(TOPICS, [...bs(), '--delete', '--topic', 'cli-topic'])).code).toBe(0);
    expect((await tool(TOPICS, [...bs(), '--list'])).stdout.split('\n')).not.toContain('cli-topic');
  });

  it('kafka-configs: alter and describe a topic config', async () => {
    const CONFIGS = 'kafka.admin.ConfigCommand';
    await tool('org.apache.kafka.tools.TopicCommand', [...bs(), '--create', '--topic', 'cli-configs', '--partitions', '1']);
    const a = await tool(CONFIGS, [...bs(), '--entity-type', 'topics', '--entity-name', 'cli-configs', '--alter', '--add-config', 'retention.ms=123456,max.message.bytes=2000000']);
    expect(a.code, a.stderr).toBe(0);
    const d = await tool(CONFIGS, [...bs(), '--entity-type', 'topics', '--entity-name', 'cli-configs', '--describe']);
    expect(d.stdout).toContain('retention.ms=123456');
    expect(d.stdout).toContain('max.message.bytes=2000000');
  });

  it('kafka-configs: a cluster-wide broker default (--entity-default) becomes the default of topics without an override', async () => {
    const CONFIGS = 'kafka.admin.ConfigCommand';
    await tool('org.apache.kafka.tools.TopicCommand', [...bs(), '--create', '--topic', 'cli-broker-default', '--partitions', '1']);
    const a = await tool(CONFIGS, [...bs(), '--entity-type', 'brokers', '--entity-default', '--alter', '--add-config', 'log.retention.ms=3600000']);
    expect(a.code, a.stderr).toBe(0);
    const d = await tool(CONFIGS, [...bs(), '--entity-type', 'brokers', '--entity-default', '--describe']);
    expect(d.stdout).toContain('log.retention.ms=3600000');
    const t = await tool(CONFIGS, [...bs(), '--entity-type', 'topics', '--entity-name', 'cli-broker-default', '--describe', '--all']);
    expect(t.stdout).toMatch(/retention\.ms=3600000 sensitive=false synonyms=\{DYNAMIC_DEFAULT_BROKER_CONFIG:log\.retention\.ms=3600000/);
    const r = await tool(CONFIGS, [...bs(), '--entity-type', 'brokers', '--entity-default', '--alter', '--delete-config', 'log.retention.ms']);
    expect(r.code, r.stderr).toBe(0);
    const after = await tool(CONFIGS, [...bs(), '--entity-type', 'topics', '--entity-name', 'cli-broker-default', '--describe', '--all']);
    expect(after.stdout).toContain('retention.ms=604800000');
  });

  it('console producer, kafka-get-offsets, console consumer with a group, kafka-consumer-groups describe / reset-offsets / delete', async () => {
    await tool('org.apache.kafka.tools.TopicCommand', [...bs(), '--create', '--topic', 'cli-console', '--partitions', '1']);
    const lines = Array.from({ length: 20 }, (_, i) => `line-${i}`);
    const p = await tool('org.apache.kafka.tools.ConsoleProducer', [...bs(), '--topic', 'cli-console'], `${lines.join('\n')}\n`);
    expect(p.code, p.stderr).toBe(0);
    expect((await tool('org.apache.kafka.tools.GetOffsetShell', [...bs(), '--topic', 'cli-console'])).stdout.trim()).toBe('cli-console:0:20');
    const c = await tool('org.apache.kafka.tools.consumer.ConsoleConsumer', [...bs(), '--topic', 'cli-console', '--group', 'cli-group', '--from-beginning', '--max-messages', '20', '--timeout-ms', '30000']);
    expect(c.stdout.trim().split('\n')).toEqual(lines);
    const GROUPS = 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand';
    const d = await tool(GROUPS, [...bs(), '--describe', '--group', 'cli-group']);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/cli-group\s+cli-console\s+0\s+20\s+20\s+0/);
    const r = await tool(GROUPS, [...bs(), '--reset-offsets', '--group', 'cli-group', '--topic', 'cli-console', '--to-offset', '5', '--execute']);
    expect(r.code, r.stderr).toBe(0);
    expect((await tool(GROUPS, [...bs(), '--describe', '--group', 'cli-group'])).stdout).toMatch(/cli-group\s+cli-console\s+0\s+5\s+20\s+15/);
    const del = await tool(GROUPS, [...bs(), '--delete', '--group', 'cli-group']);
    expect(del.stdout).toContain("Deletion of requested consumer groups ('cli-group') was successful.");
  });

  it('kafka-transactions: list, describe and describe-producers show a transaction librdkafka left open', async () => {
    expect((await tool('org.apache.kafka.tools.TopicCommand', [...bs(), '--create', '--topic', 'cli-txn', '--partitions', '1'])).code).toBe(0);
    const script = join(import.meta.dirname, '../support/python/transactions.py');
    const open = await runCommand(PYTHON, [script, 'abandon', floe.bootstrap, 'cli-txn', 'cli-txn-id', '120000'], { timeoutMs: 60_000, env: currentConfluentKafkaEnv() });
    expect(open.code, open.stderr).toBe(0);
    const TXNS = 'org.apache.kafka.tools.TransactionsCommand';
    const list = await tool(TXNS, [...bs(), 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/cli-txn-id\s+1\s+\d+\s+Ongoing/);
    const d = await tool(TXNS, [...bs(), 'describe', '--transactional-id', 'cli-txn-id']);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/1\s+cli-txn-id\s+\d+\s+\d+\s+Ongoing\s+120000\s+\d+\s+\d+\s+cli-txn-0/);
    // The partition's side: the producer, its last sequence (five records: 4) and where its open transaction began (0).
    const p = await tool(TXNS, [...bs(), 'describe-producers', '--topic', 'cli-txn', '--partition', '0']);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/\n\d+\s+\d+\s+-1\s+4\s+\d+\s+0\s*(\n|$)/);
  });

  it('kafka-producer-perf-test: 20,000 records with acks=all, all sent', async () => {
    await tool('org.apache.kafka.tools.TopicCommand', [...bs(), '--create', '--topic', 'cli-perf', '--partitions', '4']);
    const r = await tool('org.apache.kafka.tools.ProducerPerformance', ['--topic', 'cli-perf', '--num-records', '20000', '--record-size', '512', '--throughput', '-1', '--producer-props', `bootstrap.servers=${floe.bootstrap}`, 'acks=all']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.stdout).toMatch(/^20000 records sent, /m);
    expect((await tool('org.apache.kafka.tools.GetOffsetShell', [...bs(), '--topic', 'cli-perf'])).stdout.trim().split('\n').map((l) => Number(l.split(':')[2])).reduce((a, b) => a + b, 0)).toBe(20000);
  });
});
