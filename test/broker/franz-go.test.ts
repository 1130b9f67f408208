// franz-go (the reference Go client, current release from the Go module
// proxy) against floe: kadm's admin calls, an idempotent acks=all producer
// with every codec, a classic consumer group that resumes after its
// commits, and a KIP-848 group (ServerSideBalancer) whose two members share
// the partitions until one is SIGKILLed and the other takes them over.

import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.ts';
import { goClient } from '../support/go-clients.ts';
import { expectContiguousOffsets, expectEachKeyOnce } from '../support/client-checks.ts';
import { jsonLines } from '../support/java.ts';
import { runCommand } from '../support/run-command.ts';
import { until } from '../support/until.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import { ListGroupsApi } from '../../protocol/generated/index.ts';

interface Ack { key: string; error: string | null; partition: number; offset: number }
interface Rec { partition: number; offset: number; key: string; value: string }
const records = (text: string): Rec[] => jsonLines<Rec>(text).filter((r) => r.key !== undefined);
const heldNow = (text: string): number => jsonLines<{ assigned?: number }>(text).filter((l) => l.assigned !== undefined).at(-1)?.assigned ?? 0;

const franz = (args: string[], timeoutMs = 90_000) => runCommand(goClient('franz-go-check'), args, { timeoutMs });

let broker: BrokerProcess;
beforeAll(async () => {
  broker = await BrokerProcess.start({ args: ['--group-initial-rebalance-delay-ms', '0', '--group-consumer-session-timeout-ms', '6000', '--group-consumer-heartbeat-interval-ms', '500'] });
});
afterAll(async () => { await broker?.destroy(); });

describe('franz-go', () => {
  it('kadm: brokers, topics, configs, partitions, offsets, deleteRecords, group offsets and lag, deletes', async () => {
    const r = await franz(['admin', broker.bootstrap, 'fz-admin']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const steps = new Map(jsonLines<{ step: string } & Record<string, unknown>>(r.stdout).map((s) => [s.step, s]));
    expect(steps.get('listBrokers')?.brokers).toBe(1);
    expect(steps.get('createTopic')?.partitions).toBe(3);
    expect(steps.get('describeConfigs')).toMatchObject({ 'retention.ms': '3600000', source: 'DYNAMIC_TOPIC_CONFIG', 'cleanup.policy': 'delete' });
    expect(steps.get('alterConfigs')?.['retention.ms']).toBe('7200000');
    expect(steps.get('createPartitions')?.partitions).toBe(4);
    expect(steps.get('offsets')).toMatchObject({ latest: 10, earliestAfterDelete: 4 });
    expect(steps.get('groups')).toMatchObject({ committed: 7, lag: 3, listed: true, state: 'Empty' });
    expect(steps.get('deleteGroup')?.listed).toBe(false);
    expect(steps.get('deleteTopic')?.listed).toBe(false);
  });

  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'])('idempotent acks=all producer (%s), then a classic group reads every record once and resumes after its commits', async (codec) => {
    const topic = `fz-codec-${codec}`;
    const p = await franz(['produce', broker.bootstrap, topic, '300', codec, '3']);
    expect(p.code, p.stderr).toBe(0);
    const acks = jsonLines<Ack>(p.stdout);
    expect(acks.filter((a) => a.error === null)).toHaveLength(300);
    expectContiguousOffsets(acks, 3);
    const c = await franz(['consume', broker.bootstrap, topic, `${topic}-g`, 'classic', '300', '60000']);
    expect(c.code, c.stderr).toBe(0);
    const recs = records(c.stdout);
    expectEachKeyOnce(recs, 300);
    const again = await franz(['consume', broker.bootstrap, topic, `${topic}-g`, 'classic', '1', '4000']);
    expect(records(again.stdout)).toHaveLength(0);
  });

  it('KIP-848 group (ServerSideBalancer): two members share the partitions, one is SIGKILLed, the other takes them over', async () => {
    const topic = 'fz-kip848';
    const group = 'fz-kip848-g';
    const member = () => {
      const child = spawn(goClient('franz-go-check'), ['consume', broker.bootstrap, topic, group, 'consumer', '100000', '150000', 'until-stdin-closes'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let text = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => { text += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-2000); });
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      return { out: () => text, err: () => err, exited, kill: () => child.kill('SIGKILL'), leave: () => child.stdin.end() };
    };
    const first = await franz(['produce', broker.bootstrap, topic, '300', 'lz4', '6']);
    expect(first.code, first.stderr).toBe(0);
    const a = member();
    const b = member();
    try {
      const state = (): string => `first held ${heldNow(a.out())} (${a.err()}), second held ${heldNow(b.out())} (${b.err()})`;
      await until(() => heldNow(a.out()) === 3 && heldNow(b.out()) === 3, 60_000, 'the partitions to be shared three and three', 50, state);
      // The broker assigned them: the group is of the consumer (KIP-848) type, not a classic one.
      const wire = await WireClient.connect('127.0.0.1', broker.port);
      const listed = await wire.request(ListGroupsApi, 5, { statesFilter: [], typesFilter: ['consumer'] });
      wire.close();
      expect(listed.groups.map((g) => g.groupId)).toContain(group);
      const positions = (): Set<string> => new Set([...records(a.out()), ...records(b.out())].map((r) => `${r.partition}/${r.offset}`));
      await until(() => positions().size === 300, 60_000, 'the first 300 records read', 50, state);
      // The first member dies without leaving; the second takes its partitions once its session expires.
      a.kill();
      await a.exited;
      const second = await franz(['produce', broker.bootstrap, topic, '300', 'lz4', '6']);
      expect(second.code, second.stderr).toBe(0);
      await until(() => heldNow(b.out()) === 6, 60_000, 'the survivor to hold all six partitions', 50, state);
      await until(() => positions().size === 600, 60_000, 'all 600 records read', 50, state);
      b.leave();
      expect(await b.exited).toBe(0);
      for (let p = 0; p < 6; p++) for (let o = 0; o < 100; o++) expect(positions().has(`${p}/${o}`)).toBe(true);
    } finally {
      a.kill();
      b.kill();
    }
  }, 240_000);
});
