// A fleet with two Kafka listeners per broker, as in a container network:
// INTERNAL (what brokers and in-network clients use) and EXTERNAL, whose
// advertised addresses the brokers themselves cannot reach (192.0.2.0/24,
// TEST-NET). Each request is answered with the addresses of the listener it
// came in on; everything one broker asks another (offsets for the admin API,
// here) goes over the inter-broker listener, so it works although the
// EXTERNAL addresses lead nowhere.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { TestFleet, useFleetServers } from '../support/fleet.ts';
import { until } from '../support/until.ts';
import { WireClient } from '../../protocol/wire-client.ts';
import { DescribeClusterApi, FindCoordinatorApi, MetadataApi } from '../../protocol/generated/index.ts';
import { defaultMetadataRequest } from '../../protocol/generated/MetadataRequest.ts';
import { defaultDescribeClusterRequest } from '../../protocol/generated/DescribeClusterRequest.ts';
import { defaultFindCoordinatorRequest } from '../../protocol/generated/FindCoordinatorRequest.ts';

const servers = useFleetServers();
const UNREACHABLE = '192.0.2.1';

/** The ports a broker says it bound, by listener (from its start line). */
function boundPorts(log: string): Map<string, number> {
  const line = log.split('\n').find((l) => l.includes('"floe broker started"'));
  if (line === undefined) throw new Error('no start line');
  return new Map((JSON.parse(line) as { listeners: { name: string; port: number }[] }).listeners.map((l) => [l.name, l.port]));
}

describe('a fleet with an internal and an external listener', () => {
  let fleet: TestFleet;
  beforeAll(async () => {
    fleet = await TestFleet.start(servers, [1, 2], {
      argsOf: (id) => [
        // EXTERNAL first: a broker's first listener is also the address it registered before listeners existed.
        '--listeners', 'EXTERNAL://127.0.0.1:0,INTERNAL://127.0.0.1:0',
        '--advertised-listeners', `EXTERNAL://${UNREACHABLE}:${9090 + id}`,
        '--listener-security-protocol-map', 'INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT',
        '--inter-broker-listener-name', 'INTERNAL',
      ],
    });
  });
  afterAll(async () => { await fleet?.destroy(); });
  afterEach(() => { expect(fleet.handlerErrors()).toEqual([]); });

  it('answers each listener with its own addresses; clients of the internal one produce and consume across brokers', async () => {
    const internal = new Map([1, 2].map((id) => [id, boundPorts(fleet.broker(id).log).get('INTERNAL')!]));
    const external = boundPorts(fleet.broker(1).log).get('EXTERNAL')!;
    expect(fleet.broker(1).port).toBe(external);

    const ask = async (port: number) => {
      const c = await WireClient.connect('127.0.0.1', port);
      try {
        const md = await c.request(MetadataApi, 12, { ...defaultMetadataRequest(), topics: null });
        const dc = await c.request(DescribeClusterApi, 0, defaultDescribeClusterRequest());
        const fc = await c.request(FindCoordinatorApi, 4, { ...defaultFindCoordinatorRequest(), keyType: 0, coordinatorKeys: ['some-group'] });
        return {
          metadata: md.brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`).sort(),
          cluster: dc.brokers.map((b) => `${b.brokerId}@${b.host}:${b.port}`).sort(),
          coordinator: `${fc.coordinators[0]!.host}:${fc.coordinators[0]!.port}`,
        };
      } finally {
        c.close();
      }
    };
    const viaExternal = await ask(external);
    expect(viaExternal.metadata).toEqual([`1@${UNREACHABLE}:9091`, `2@${UNREACHABLE}:9092`]);
    expect(viaExternal.cluster).toEqual(viaExternal.metadata);
    expect(viaExternal.coordinator).toMatch(new RegExp(`^${UNREACHABLE}:909[12]$`));
    const viaInternal = await ask(internal.get(1)!);
    expect(viaInternal.metadata).toEqual([`1@127.0.0.1:${internal.get(1)}`, `2@127.0.0.1:${internal.get(2)}`]);
    expect(viaInternal.cluster).toEqual(viaInternal.metadata);

    const kafka = new Kafka({ clientId: 'listeners', brokers: [`127.0.0.1:${internal.get(2)}`], logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'two-listeners', numPartitions: 4 }], waitForLeaders: true });
    const leaders = (await admin.fetchTopicMetadata({ topics: ['two-listeners'] })).topics[0]!.partitions.map((p) => p.leader);
    expect(new Set(leaders)).toEqual(new Set([1, 2]));
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic: 'two-listeners', acks: -1, messages: Array.from({ length: 40 }, (_, i) => ({ value: `v${i}`, partition: i % 4 })) });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'two-listeners-group' });
    await consumer.connect();
    await consumer.subscribe({ topics: ['two-listeners'], fromBeginning: true });
    const got = new Set<string>();
    await consumer.run({ eachMessage: async ({ message }) => { got.add(message.value!.toString()); } });
    await until(() => got.size === 40, 30_000, 'every record through the internal listener');
    await consumer.disconnect();
  });

  it('brokers reach each other on the inter-broker listener: the admin API has every partition\'s offsets from its leader', async () => {
    const r = await fetch(`http://127.0.0.1:${fleet.broker(1).httpPort}/admin/topics/two-listeners`);
    const t = await r.json() as { partitions: { leader: number; highWatermark?: number }[] };
    expect(t.partitions.some((p) => p.leader === 2)).toBe(true);
    expect(t.partitions.map((p) => p.highWatermark)).toEqual([10, 10, 10, 10]);
  });
});
