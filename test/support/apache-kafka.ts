// Runs a real single-node Apache Kafka (KRaft, broker and controller in one
// process) from the jars test/support/java resolves, on 127.0.0.1 with its own
// data directory, and stops it by its PID: the reference floe is compared with
// by tests and the benchmark. Kafka cannot report a port it picked itself,
// so ports are picked just before start and the start is retried if one was
// taken meanwhile.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { javaClasspath, runJava } from './java.ts';
import { collectOutput, type ChildOutput } from './child-output.ts';
import { freePort } from './free-port.ts';

export interface ApacheKafkaOptions {
  /** Extra server.properties lines (name=value). */
  properties?: Record<string, string>;
  heapMb?: number;
  /** JVM flags before the main class (the benchmark passes kafka-run-class.sh's defaults). */
  jvmArgs?: string[];
}

export class ApacheKafka {
  port = 0;
  readonly dir = mkdtempSync(join(tmpdir(), 'apache-kafka-'));
  private child: ChildProcess | undefined;
  private output: ChildOutput | undefined;
  private readonly opts: ApacheKafkaOptions;

  private constructor(opts: ApacheKafkaOptions) {
    this.opts = opts;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** What the Kafka process printed (bounded). */
  get log(): string {
    return this.output?.text() ?? '';
  }

  static async start(opts: ApacheKafkaOptions = {}): Promise<ApacheKafka> {
    const k = new ApacheKafka(opts);
    for (let attempt = 0; ; attempt++) {
      try {
        await k.startOnce();
        return k;
      } catch (e) {
        await k.stop();
        if (attempt >= 2) throw e;
      }
    }
  }

  private async startOnce(): Promise<void> {
    this.port = await freePort();
    const controllerPort = await freePort();
    const logDir = join(this.dir, `data-${randomBytes(4).toString('hex')}`);
    const props: Record<string, string> = {
      'process.roles': 'broker,controller',
      'node.id': '1',
      'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
      listeners: `PLAINTEXT://127.0.0.1:${this.port},CONTROLLER://127.0.0.1:${controllerPort}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${this.port}`,
      'controller.listener.names': 'CONTROLLER',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name': 'PLAINTEXT',
      'log.dirs': logDir,
      'offsets.topic.replication.factor': '1',
      'transaction.state.log.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
      'share.coordinator.state.topic.replication.factor': '1',
      'share.coordinator.state.topic.min.isr': '1',
      'group.initial.rebalance.delay.ms': '0',
      ...this.opts.properties,
    };
    const file = join(this.dir, 'server.properties');
    writeFileSync(file, Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    const clusterId = randomBytes(16).toString('base64url').slice(0, 22);
    const format = await runJava('kafka.tools.StorageTool', ['format', '-t', clusterId, '-c', file], 60_000);
    if (format.code !== 0) throw new Error(`kafka-storage format failed: ${format.stderr}${format.stdout}`);
    const child = spawn('java', [`-Xmx${this.opts.heapMb ?? 768}m`, `-Xms${this.opts.heapMb ?? 768}m`, ...(this.opts.jvmArgs ?? []), '-cp', javaClasspath(), 'kafka.Kafka', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.output = collectOutput(child);
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`Apache Kafka exited (${code}) before it was ready:\n${this.log.slice(-4000)}`))));
    exited.catch(() => undefined);
    await Promise.race([this.waitReady(60_000), exited]);
  }

  /** Ready when a client's DescribeCluster is answered. */
  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const kafka = new Kafka({ clientId: 'apache-kafka-probe', brokers: [this.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    for (;;) {
      const admin = kafka.admin();
      try {
        await admin.connect();
        await admin.describeCluster();
        return;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`Apache Kafka not ready after ${timeoutMs} ms: ${(e as Error).message}\n${this.log.slice(-4000)}`);
        await new Promise((r) => setTimeout(r, 250));
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    }
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const guard = setTimeout(() => c.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(guard);
    this.child = undefined;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
