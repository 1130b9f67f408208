// Apache Kafka's Java client (4.3, the reference client) against floe, one
// broker and a three-broker fleet: the admin API a user reaches for first,
// an idempotent acks=all producer with every compression codec, consumers
// with the classic protocol and with KIP-848 (group.protocol=consumer),
// several members, one of them SIGKILLed; on one broker, a transactional
// producer read back with read_committed and read_uncommitted.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.ts';
import { TestFleet, useFleetServers } from '../support/fleet.ts';
import { jsonLines, runJava, spawnJava } from '../support/java.ts';
import { until } from '../support/until.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import { ConsumerGroupDescribeApi } from '../../protocol/generated/index.ts';
import { ErrorCode } from '../../protocol/errors.ts';

const CHECK = 'floe.check.ClientCheck';

interface Ack { key: string; error: string | null; partition: number; offset: number }
interface Rec { partition: number; offset: number; key: string; value: string }
/** The records a consume run printed (it also prints how many partitions it holds). */
const records = (text: string): Rec[] => jsonLines<Rec>(text).filter((r) => r.key !== undefined);

/** A KIP-848 group as the brokers at `ports` describe it (the coordinator answers; the others say NOT_COORDINATOR). */
async function describeGroup(group: string, ports: number[]): Promise<string> {
  const seen: string[] = [];
  for (const port of ports) {
    const wire = await WireClient.connect('127.0.0.1', port);
    try {
      const g = (await wire.request(ConsumerGroupDescribeApi, 0, { groupIds: [group], includeAuthorizedOperations: false })).groups[0]!;
      if (g.errorCode !== ErrorCode.NONE) { seen.push(`${port}: error ${g.errorCode}`); continue; }
      const members = g.members.map((m) => {
        const parts = (a: typeof m.assignment): string => a.topicPartitions.flatMap((t) => t.partitions).join(' ');
        return `${m.memberId.slice(0, 6)} epoch ${m.memberEpoch} has [${parts(m.assignment)}] target [${parts(m.targetAssignment)}]`;
      });
      seen.push(`${port}: ${g.groupState} epoch ${g.groupEpoch}/${g.assignmentEpoch} ${members.join('; ')}`);
    } finally {
      wire.close();
    }
  }
  return seen.join(' | ');
}

/** Admin steps, then produce/consume with each codec and both group protocols, against `bootstrap()`. */
function clientScenarios(bootstrap: () => string, prefix: string, brokers: () => BrokerProcess[]): void {
  it('admin client: cluster, topics, configs, partitions, offsets, deleteRecords, group offsets, deletes', async () => {
    const r = await runJava(CHECK, ['admin', bootstrap(), `${prefix}-admin`]);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const steps = new Map(jsonLines<{ step: string } & Record<string, unknown>>(r.stdout).map((s) => [s.step, s]));
    expect(steps.get('describeCluster')?.brokers).toBeGreaterThanOrEqual(1);
    expect(steps.get('createTopic')?.partitions).toBe(3);
    expect(steps.get('configs')).toMatchObject({ 'retention.ms': '7200000', source: 'DYNAMIC_TOPIC_CONFIG', 'cleanup.policy': 'delete' });
    expect(steps.get('createPartitions')?.partitions).toBe(4);
    expect(steps.get('offsets')).toMatchObject({ latest: 10, earliestAfterDelete: 4 });
    expect(steps.get('groups')).toMatchObject({ committed: 7, listed: true, state: 'Empty' });
    expect(steps.get('deleteGroup')?.listed).toBe(false);
    expect(steps.get('deleteTopic')?.listed).toBe(false);
  });

  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'])('idempotent acks=all producer (%s), then a classic-protocol group reads every record once', async (codec) => {
    const topic = `${prefix}-codec-${codec}`;
    const p = await runJava(CHECK, ['produce', bootstrap(), topic, '300', codec, '3']);
    expect(p.code, p.stderr.slice(-3000)).toBe(0);
    const acks = jsonLines<Ack>(p.stdout);
    expect(acks.filter((a) => a.error === null)).toHaveLength(300);
    for (let part = 0; part < 3; part++) {
      const offsets = acks.filter((a) => a.partition === part).map((a) => a.offset).sort((a, b) => a - b);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
    const c = await runJava(CHECK, ['consume', bootstrap(), topic, `${topic}-g`, 'classic', '300', '60000']);
    expect(c.code, c.stderr.slice(-3000)).toBe(0);
    const recs = records(c.stdout);
    expect(new Set(recs.map((r) => r.key)).size).toBe(300);
    for (const r of recs) expect(r.value).toBe(`v${r.key.slice(1)}`);
    // The commits are there: the same group reads nothing more.
    const again = await runJava(CHECK, ['consume', bootstrap(), topic, `${topic}-g`, 'classic', '1', '3000']);
    expect(records(again.stdout)).toHaveLength(0);
  });

  it('KIP-848 consumer group (group.protocol=consumer): two members share the partitions, one is SIGKILLed, the other takes its partitions over', async () => {
    const topic = `${prefix}-kip848`;
    const group = `${topic}-g`;
    const member = (): { out: () => string; err: () => string; exitCode: () => number | null; exited: Promise<number | null>; kill: () => void; leave: () => void } => {
      const child = spawnJava(CHECK, ['consume', bootstrap(), topic, group, 'consumer', '100000', '150000', 'until-stdin-closes']);
      let text = '';
      let err = '';
      child.stdout!.on('data', (d: Buffer) => { text += d.toString(); });
      child.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-3000); });
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      return { out: () => text, err: () => err, exitCode: () => child.exitCode, exited, kill: () => child.kill('SIGKILL'), leave: () => child.stdin!.end() };
    };
    const first = await runJava(CHECK, ['produce', bootstrap(), topic, '300', 'lz4', '6']);
    expect(first.code, first.stderr.slice(-3000)).toBe(0);
    const assigned = (text: string): number => jsonLines<{ assigned?: number }>(text).filter((l) => l.assigned !== undefined).at(-1)?.assigned ?? 0;
    const a = member();
    await until(() => assigned(a.out()) === 6, 60_000, 'the first member to hold all six partitions');
    const b = member();
    // The uniform assignor splits the six partitions between the two members.
    const state = async (): Promise<string> => {
      const held = (text: string): string => jsonLines<{ assigned?: number }>(text).filter((l) => l.assigned !== undefined).map((l) => l.assigned).join(',');
      const removals = brokers().flatMap((x) => x.log.split('\n').filter((l) => l.includes('consumer group member removed') && l.includes(group)));
      return `first member held ${held(a.out())}; second held ${held(b.out())} (exit code ${b.exitCode()}, stderr: ${b.err().slice(-1500)}); `
        + `group: ${await describeGroup(group, brokers().map((x) => x.port))}; removals: ${removals.join(' ')}`;
    };
    await until(() => assigned(b.out()) === 3 && assigned(a.out()) === 3, 60_000, 'the partitions to be shared three and three', 50, state);
    await until(() => new Set([...records(a.out()), ...records(b.out())].map((r) => `${r.partition}/${r.offset}`)).size === 300, 60_000, 'the first 300 records read');
    // The first member dies without leaving; the second takes its partitions after the session timeout.
    a.kill();
    await a.exited;
    const second = await runJava(CHECK, ['produce', bootstrap(), topic, '300', 'lz4', '6']);
    expect(second.code, second.stderr.slice(-3000)).toBe(0);
    await until(() => assigned(b.out()) === 6, 60_000, 'the survivor to hold all six partitions', 50, state);
    // Every one of the 600 records (offsets 0-99 of six partitions) is read by one member or the other.
    const positionsRead = (): Set<string> => new Set([...records(a.out()), ...records(b.out())].map((r) => `${r.partition}/${r.offset}`));
    await until(() => positionsRead().size === 600, 60_000, 'all 600 records read');
    b.leave();
    expect(await b.exited).toBe(0);
    const positions = positionsRead();
    expect(positions.size).toBe(600);
    for (let p = 0; p < 6; p++) for (let o = 0; o < 100; o++) expect(positions.has(`${p}/${o}`)).toBe(true);
  }, 180_000);
}

describe('Java client against one broker', () => {
  let broker: BrokerProcess;
  beforeAll(async () => { broker = await BrokerProcess.start({ args: ['--group-consumer-session-timeout-ms', '6000', '--group-consumer-heartbeat-interval-ms', '500'] }); });
  afterAll(async () => { await broker?.destroy(); });
  clientScenarios(() => broker.bootstrap, 'one', () => [broker]);

  it('transactional producer: committed, aborted and committed again; read_committed reads exactly the committed records, read_uncommitted all', async () => {
    const r = await runJava(CHECK, ['transactions', broker.bootstrap, 'one-txn']);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const lines = jsonLines<{ step?: string; isolation?: string; committed?: number; aborted?: number }>(r.stdout);
    expect(lines.filter((l) => l.step !== undefined).map((l) => l.step)).toEqual(['committed', 'aborted', 'committed']);
    expect(lines.find((l) => l.isolation === 'read_committed')).toMatchObject({ committed: 60, aborted: 0 });
    expect(lines.find((l) => l.isolation === 'read_uncommitted')).toMatchObject({ committed: 60, aborted: 20 });
  });
});

describe('Java client against a three-broker fleet', () => {
  const servers = useFleetServers();
  let fleet: TestFleet;
  beforeAll(async () => {
    fleet = await TestFleet.start(servers, [1, 2, 3], { args: ['--group-consumer-session-timeout-ms', '6000', '--group-consumer-heartbeat-interval-ms', '500'] });
  });
  afterAll(async () => { await fleet?.destroy(); });
  clientScenarios(() => fleet.broker(2).bootstrap, 'fleet', () => [...fleet.brokers.values()]);
});
