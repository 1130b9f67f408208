// The Rust client users run (the `rdkafka` crate 0.39 from crates.io, with
// the librdkafka 2.12 it bundles): admin calls (create a topic with a config,
// metadata, describe and alter configs, create partitions, list groups,
// delete), an idempotent acks=all producer with every codec, and consumer
// groups, classic and KIP-848, that commit and resume after their commits.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.ts';
import { rustClient } from '../support/rust-clients.ts';
import { expectContiguousOffsets, expectEachKeyOnce } from '../support/client-checks.ts';
import { jsonLines } from '../support/java.ts';
import { runCommand } from '../support/run-command.ts';

interface Ack { key: string; error: string | null; partition: number; offset: number }
interface Rec { partition: number; offset: number; key: string; value: string }
const rdkafka = (args: string[], timeoutMs = 90_000) => runCommand(rustClient(), args, { timeoutMs });

let broker: BrokerProcess;
beforeAll(async () => { broker = await BrokerProcess.start({ args: ['--group-initial-rebalance-delay-ms', '0'] }); });
afterAll(async () => { await broker?.destroy(); });

describe('rdkafka (Rust)', () => {
  it('admin: create a topic with a config, metadata, describe and alter its config, create partitions, list groups, delete it', async () => {
    const r = await rdkafka(['admin', broker.bootstrap, 'rs-admin']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const steps = new Map(jsonLines<{ step: string } & Record<string, unknown>>(r.stdout).map((s) => [s.step, s]));
    expect(steps.get('metadata')).toMatchObject({ brokers: 1, partitions: 3 });
    expect(steps.get('describeConfig')?.['retention.ms']).toBe('3600000');
    expect(steps.get('alterConfig')?.['retention.ms']).toBe('7200000');
    expect(steps.get('createPartitions')?.partitions).toBe(4);
    expect(steps.has('listGroups')).toBe(true);
    expect(steps.has('deleteTopic')).toBe(true);
  });

  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'])('idempotent acks=all producer (%s); a consumer group reads every record once and resumes after its commit', async (codec) => {
    const topic = `rs-codec-${codec}`;
    const p = await rdkafka(['produce', broker.bootstrap, topic, '300', codec, '3']);
    expect(p.code, p.stdout + p.stderr).toBe(0);
    const acks = jsonLines<Ack>(p.stdout);
    expect(acks.filter((a) => a.error === null)).toHaveLength(300);
    expectContiguousOffsets(acks, 3);
    const c = await rdkafka(['consume', broker.bootstrap, topic, `${topic}-g`, '300', '60000']);
    expect(c.code, c.stdout.slice(-2000) + c.stderr).toBe(0);
    const recs = jsonLines<Rec>(c.stdout).filter((x) => x.key !== undefined);
    expectEachKeyOnce(recs, 300);
    expect(jsonLines<{ event?: string; sum?: number }>(c.stdout).find((x) => x.event === 'committed')?.sum).toBe(300);
    // The group resumes after its commit: nothing left to read.
    const again = await rdkafka(['consume', broker.bootstrap, topic, `${topic}-g`, '1', '4000']);
    expect(again.code, again.stderr).toBe(0);
    expect(jsonLines<Rec>(again.stdout).filter((x) => x.key !== undefined)).toHaveLength(0);
  });

  it('a KIP-848 group (group.protocol=consumer) reads, commits and resumes', async () => {
    const p = await rdkafka(['produce', broker.bootstrap, 'rs-kip848', '200', 'lz4', '4']);
    expect(p.code, p.stderr).toBe(0);
    const c = await rdkafka(['consume', broker.bootstrap, 'rs-kip848', 'rs-kip848-g', '120', '60000', 'consumer']);
    expect(c.code, c.stdout.slice(-2000) + c.stderr).toBe(0);
    const first = jsonLines<Rec>(c.stdout).filter((x) => x.key !== undefined);
    expect(first).toHaveLength(120);
    const committed = jsonLines<{ event?: string; sum?: number }>(c.stdout).find((x) => x.event === 'committed')?.sum;
    // The commit is the position after what it handed out, not what it had prefetched.
    expect(committed).toBe(120);
    const rest = await rdkafka(['consume', broker.bootstrap, 'rs-kip848', 'rs-kip848-g', '80', '60000', 'consumer']);
    expect(rest.code, rest.stderr).toBe(0);
    const second = jsonLines<Rec>(rest.stdout).filter((x) => x.key !== undefined);
    expect(new Set([...first, ...second].map((x) => x.key)).size).toBe(200);
    expect(first.length + second.length).toBe(200);
  });
});
