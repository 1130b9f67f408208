// sarama as users run it today (github.com/IBM/sarama 1.61 from the Go
// module proxy, speaking Kafka 4.0's protocol versions), next to Debian's
// old sarama 1.22 (sarama.test.ts): ClusterAdmin calls, an idempotent
// acks=all SyncProducer with every codec, a classic consumer group that
// resumes after its commits, and a transactional producer read back with
// read_committed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.ts';
import { goClient } from '../support/go-clients.ts';
import { expectContiguousOffsets, expectEachKeyOnce } from '../support/client-checks.ts';
import { jsonLines } from '../support/java.ts';
import { runCommand } from '../support/run-command.ts';

interface Ack { key: string; error: string | null; partition: number; offset: number }
interface Rec { partition: number; offset: number; key: string; value: string }
const sarama = (args: string[], timeoutMs = 90_000) => runCommand(goClient('sarama-check'), args, { timeoutMs });

let broker: BrokerProcess;
beforeAll(async () => { broker = await BrokerProcess.start({ args: ['--group-initial-rebalance-delay-ms', '0'] }); });
afterAll(async () => { await broker?.destroy(); });

describe('sarama (current)', () => {
  it('ClusterAdmin: describe cluster, create topic with a config, describe config, create partitions, delete records, list groups, delete topic', async () => {
    const r = await sarama(['admin', broker.bootstrap, 'sa-admin']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const steps = new Map(jsonLines<{ step: string } & Record<string, unknown>>(r.stdout).map((s) => [s.step, s]));
    expect(steps.get('describeCluster')?.brokers).toBe(1);
    expect(steps.get('describeConfig')?.['retention.ms']).toBe('3600000');
    expect(steps.get('createPartitions')?.partitions).toBe(4);
    expect(steps.has('deleteTopic')).toBe(true);
  });

  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'])('idempotent acks=all producer (%s), then a consumer group reads every record once and resumes after its commits', async (codec) => {
    const topic = `sa-codec-${codec}`;
    const p = await sarama(['produce', broker.bootstrap, topic, '300', codec, '3']);
    expect(p.code, p.stdout + p.stderr).toBe(0);
    const acks = jsonLines<Ack>(p.stdout);
    expect(acks.filter((a) => a.error === null)).toHaveLength(300);
    expectContiguousOffsets(acks, 3);
    const c = await sarama(['consume', broker.bootstrap, topic, `${topic}-g`, '300', '60000']);
    expect(c.code, c.stdout.slice(-2000) + c.stderr).toBe(0);
    const recs = jsonLines<Rec>(c.stdout).filter((x) => x.key !== undefined);
    expectEachKeyOnce(recs, 300);
    const again = await sarama(['consume', broker.bootstrap, topic, `${topic}-g`, '1', '4000']);
    expect(jsonLines<Rec>(again.stdout).filter((x) => x.key !== undefined)).toHaveLength(0);
  });

  it('transactional producer: commit, abort, commit; a read_committed group reads exactly the committed records', async () => {
    const t = await sarama(['transactions', broker.bootstrap, 'sa-txn']);
    expect(t.code, t.stdout + t.stderr).toBe(0);
    expect(jsonLines<{ step: string }>(t.stdout).map((s) => s.step)).toEqual(['committed', 'aborted', 'committed']);
    // Ask for more than there is: the reader stops at its timeout with what it could read.
    const c = await sarama(['consume', broker.bootstrap, 'sa-txn', 'sa-txn-g', '41', '8000']);
    const values = jsonLines<Rec>(c.stdout).filter((x) => x.value !== undefined).map((x) => x.value);
    expect(values.sort()).toEqual([...Array.from({ length: 30 }, (_, i) => `committed-${i}`), ...Array.from({ length: 10 }, (_, i) => `committed-${50 + i}`)].sort());
  });
});
