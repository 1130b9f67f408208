// The HTTP API (Confluent REST Proxy v3 shapes) and the MCP server of a
// broker process, driven by plain fetch and by the MCP TypeScript SDK's own
// client, with kafkajs on the other side: records produced over HTTP are
// read by a Kafka client and the reverse; every MCP tool is called; bad
// input gets a clear error and writes nothing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BrokerProcess } from '../support/broker-process.ts';
import { until } from '../support/until.ts';

let broker: BrokerProcess;
let kafka: Kafka;
let base: string;
let cluster: string;

const call = async (method: string, path: string, body?: unknown, raw?: string): Promise<{ status: number; json: Record<string, unknown> }> => {
  const r = await fetch(`${base}${path}`, {
    method, headers: body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {},
    ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: r.status, json: await r.json() as Record<string, unknown> };
};

beforeAll(async () => {
  broker = await BrokerProcess.start({ args: ['--group-initial-rebalance-delay-ms', '0'] });
  kafka = new Kafka({ clientId: 'http-api-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  base = `http://127.0.0.1:${broker.httpPort}`;
  const c = await call('GET', '/v3/clusters');
  cluster = ((c.json.data as { cluster_id: string }[])[0]!).cluster_id;
});
afterAll(async () => { await broker?.destroy(); });

describe('REST API (v3 shapes)', () => {
  it('creates a topic, produces one record and a batch; a Kafka client reads them; records produced by kafkajs are read back over HTTP', async () => {
    const created = await call('POST', `/v3/clusters/${cluster}/topics`, { topic_name: 'rest-t', partitions_count: 3, configs: [{ name: 'retention.ms', value: '3600000' }] });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ topic_name: 'rest-t', partitions_count: 3 });
    const one = await call('POST', `/v3/clusters/${cluster}/topics/rest-t/records`, {
      partition_id: 0, key: { type: 'STRING', data: 'order-1' }, value: { type: 'JSON', data: { amount: 12, currency: 'EUR' } }, headers: [{ name: 'source', value: Buffer.from('agent').toString('base64') }],
    });
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ error_code: 200, topic_name: 'rest-t', partition_id: 0, offset: 0 });
    const batch = await call('POST', `/v3/clusters/${cluster}/topics/rest-t/records:batch`, {
      entries: Array.from({ length: 5 }, (_, i) => ({ id: `e${i}`, partition_id: 1, value: { type: 'STRING', data: `line ${i}` } })),
    });
    expect(batch.status).toBe(207);
    expect((batch.json.successes as { id: string; offset: number }[]).map((s) => [s.id, s.offset])).toEqual([['e0', 0], ['e1', 1], ['e2', 2], ['e3', 3], ['e4', 4]]);
    expect(batch.json.failures).toEqual([]);

    const consumer = kafka.consumer({ groupId: 'rest-reader' });
    await consumer.connect();
    await consumer.subscribe({ topics: ['rest-t'], fromBeginning: true });
    const got: { partition: number; key: string | null; value: string; headers: Record<string, string> }[] = [];
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        got.push({ partition, key: message.key?.toString() ?? null, value: message.value!.toString(), headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])) });
      },
    });
    await until(() => got.length >= 6, 30_000, 'six records read by kafkajs');
    await consumer.disconnect();
    const first = got.find((g) => g.partition === 0)!;
    expect(first).toEqual({ partition: 0, key: 'order-1', value: '{"amount":12,"currency":"EUR"}', headers: { source: 'agent' } });
    expect(got.filter((g) => g.partition === 1).map((g) => g.value)).toEqual(['line 0', 'line 1', 'line 2', 'line 3', 'line 4']);

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'rest-t', acks: -1, messages: [
      { partition: 2, key: 'k', value: '{"event":"signup"}' },
      { partition: 2, value: 'plain text' },
      { partition: 2, value: Buffer.from([0xff, 0x00, 0xfe]) },
    ] });
    await producer.disconnect();
    const read = await call('GET', `/v3/clusters/${cluster}/topics/rest-t/partitions/2/records?offset=0&max_records=10`);
    expect(read.status).toBe(200);
    expect(read.json.high_watermark).toBe(3);
    expect((read.json.data as { offset: number; key: unknown; value: unknown }[]).map((r) => [r.offset, r.key, r.value])).toEqual([
      [0, { type: 'STRING', data: 'k' }, { type: 'JSON', data: { event: 'signup' } }],
      [1, null, { type: 'STRING', data: 'plain text' }],
      [2, null, { type: 'BINARY', data: Buffer.from([0xff, 0x00, 0xfe]).toString('base64') }],
    ]);
    const described = await call('GET', `/v3/clusters/${cluster}/topics/rest-t`);
    expect((described.json.partitions as { high_watermark: number }[]).map((p) => p.high_watermark)).toEqual([1, 5, 3]);
    expect((described.json.configs as Record<string, string>)['retention.ms']).toBe('3600000');
  });

  // The read skipped every transactional record of a producer with any aborted transaction in the range, committed ones too.
  it('reads over HTTP what a read_committed consumer reads: a producer\'s committed transactions around its aborted one', async () => {
    await call('POST', `/v3/clusters/${cluster}/topics`, { topic_name: 'rest-txn', partitions_count: 1 });
    const producer = kafka.producer({ transactionalId: 'rest-txn-producer', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    for (const [value, commit] of [['first', true], ['aborted', false], ['second', true]] as const) {
      const txn = await producer.transaction();
      await txn.send({ topic: 'rest-txn', messages: [{ partition: 0, value }] });
      await (commit ? txn.commit() : txn.abort());
    }
    await producer.disconnect();
    const read = await call('GET', `/v3/clusters/${cluster}/topics/rest-txn/partitions/0/records?offset=0&max_records=10`);
    expect(read.status).toBe(200);
    expect((read.json.data as { offset: number; value: { data: string } }[]).map((r) => [r.offset, r.value.data])).toEqual([[0, 'first'], [4, 'second']]);
  });

  it('tails a partition over Server-Sent Events: records a Kafka client writes arrive as events, and Last-Event-ID resumes after the last one', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'tailed', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'tailed', acks: -1, messages: [{ key: 'a', value: 'before' }] });
    const url = `${base}/v3/clusters/${cluster}/topics/tailed/partitions/0/records/stream`;
    /** Reads events until `n` records came (bounded), then closes the stream. */
    const readEvents = async (n: number, headers: Record<string, string> = {}, query = ''): Promise<{ id: string; data: { offset: number; value: { data: unknown } } }[]> => {
      const abort = new AbortController();
      const res = await fetch(url + query, { headers, signal: abort.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const events: { id: string; data: { offset: number; value: { data: unknown } } }[] = [];
      const reader = res.body!.getReader();
      let text = '';
      const deadline = setTimeout(() => abort.abort(), 30_000);
      try {
        while (events.length < n) {
          const { value, done } = await reader.read();
          if (done) break;
          text += Buffer.from(value).toString();
          let end: number;
          while ((end = text.indexOf('\n\n')) >= 0) {
            const block = text.slice(0, end);
            text = text.slice(end + 2);
            const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
            if (fields.event === 'record') events.push({ id: fields.id!, data: JSON.parse(fields.data!) as { offset: number; value: { data: unknown } } });
          }
        }
      } finally {
        clearTimeout(deadline);
        abort.abort();
      }
      return events;
    };
    const live = readEvents(3, {}, '?offset=0');
    // Written while the stream is open: they arrive as they are committed.
    await producer.send({ topic: 'tailed', acks: -1, messages: [{ key: 'b', value: 'during-1' }] });
    await producer.send({ topic: 'tailed', acks: -1, messages: [{ key: 'c', value: 'during-2' }] });
    const got = await live;
    expect(got.map((e) => [e.id, e.data.offset])).toEqual([['0', 0], ['1', 1], ['2', 2]]);
    // A reconnecting EventSource sends the last id it saw: the stream resumes after it.
    await producer.send({ topic: 'tailed', acks: -1, messages: [{ key: 'd', value: 'after' }] });
    const resumed = await readEvents(1, { 'last-event-id': '2' });
    expect(resumed.map((e) => e.data.offset)).toEqual([3]);
    await producer.disconnect();
    // Once every client is gone, no stream is left open.
    await until(async () => (await (await fetch(`${base}/metrics`)).text()).includes('floe_http_record_streams_open 0'), 10_000, 'the streams to be closed');
    expect((await call('GET', `/v3/clusters/${cluster}/topics/no-such-topic/partitions/0/records/stream`)).status).toBe(404);
    expect((await call('GET', `/v3/clusters/${cluster}/topics/tailed/partitions/0/records/stream?offset=-4`)).status).toBe(400);
  });

  it('a batch of keyed entries goes out as one batch per partition: each key stays on one partition, in entry order, and every entry is answered', async () => {
    expect((await call('POST', `/v3/clusters/${cluster}/topics`, { topic_name: 'rest-keyed', partitions_count: 4 })).status).toBe(201);
    const entries = Array.from({ length: 30 }, (_, i) => ({ id: `e${i}`, key: { type: 'STRING', data: `k${i % 10}` }, value: { type: 'JSON', data: { i } } }));
    const r = await call('POST', `/v3/clusters/${cluster}/topics/rest-keyed/records:batch`, { entries });
    expect(r.status).toBe(207);
    expect(r.json.failures).toEqual([]);
    const ok = r.json.successes as { id: string; partition_id: number; offset: number }[];
    expect(ok.map((x) => x.id)).toEqual(entries.map((e) => e.id));
    for (let k = 0; k < 10; k++) {
      const mine = ok.filter((_, i) => i % 10 === k);
      expect(new Set(mine.map((x) => x.partition_id)).size).toBe(1);
      expect(mine.map((x) => x.offset)).toEqual([...mine.map((x) => x.offset)].sort((a, b) => a - b));
    }
    // Offsets are unique per partition.
    expect(new Set(ok.map((x) => `${x.partition_id}:${x.offset}`)).size).toBe(30);
  });

  it('reads a partition from a time: the first record at or after it (milliseconds or ISO 8601), over REST and MCP', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'timed', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const t0 = Date.now() - 60_000;
    await producer.send({ topic: 'timed', acks: -1, messages: [0, 1, 2].map((i) => ({ value: `at-${i}`, timestamp: String(t0 + i * 1000) })) });
    await producer.disconnect();
    const path = `/v3/clusters/${cluster}/topics/timed/partitions/0/records`;
    const offsets = async (q: string): Promise<number[]> => ((await call('GET', `${path}?${q}`)).json.data as { offset: number }[]).map((r) => r.offset);
    expect(await offsets(`timestamp=${t0 + 500}`)).toEqual([1, 2]);
    expect(await offsets(`timestamp=${encodeURIComponent(new Date(t0 + 1000).toISOString())}`)).toEqual([1, 2]);
    expect(await offsets(`timestamp=${t0 - 1}`)).toEqual([0, 1, 2]);
    expect(await offsets(`timestamp=${Date.now() + 60_000}`)).toEqual([]);
    expect((await call('GET', `${path}?timestamp=${t0}&offset=0`)).status).toBe(400);
    expect((await call('GET', `${path}?timestamp=yesterday`)).status).toBe(400);
    const client = new Client({ name: 'floe-test-time', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
    try {
      const read = await client.callTool({ name: 'read_records', arguments: { topic: 'timed', partition: 0, timestamp: new Date(t0 + 1500).toISOString() } });
      const got = JSON.parse(((read as { content: { text: string }[] }).content[0]!).text) as { records: { offset: number; value: { data: unknown } }[] };
      expect(got.records.map((r) => [r.offset, r.value.data])).toEqual([[2, 'at-2']]);
    } finally {
      await client.close();
    }
  });

  it('lists and describes consumer groups, their consumers with their partitions, and a group\'s lag summary', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'v3-groups-t', numPartitions: 2 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'v3-groups-t', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `g${i}` })) });
    const consumer = kafka.consumer({ groupId: 'v3-group' });
    await consumer.connect();
    await consumer.subscribe({ topics: ['v3-groups-t'], fromBeginning: true });
    let n = 0;
    await consumer.run({ eachMessage: async () => { n++; } });
    await until(() => n >= 10, 30_000, 'the group reads the ten records');
    const groups = `/v3/clusters/${cluster}/consumer-groups`;
    const listed = (await call('GET', groups)).json.data as { consumer_group_id: string; state: string }[];
    expect(listed.find((g) => g.consumer_group_id === 'v3-group')).toMatchObject({ state: 'STABLE' });
    const described = await call('GET', `${groups}/v3-group`);
    expect(described.json).toMatchObject({ kind: 'KafkaConsumerGroup', consumer_group_id: 'v3-group', type: 'CLASSIC', state: 'STABLE' });
    const consumers = (await call('GET', `${groups}/v3-group/consumers`)).json.data as { consumer_id: string; client_id: string; assignments: { related: string } }[];
    expect(consumers).toHaveLength(1);
    expect(consumers[0]!.client_id).toBe('http-api-test');
    const assignments = await call('GET', new URL(consumers[0]!.assignments.related).pathname);
    expect((assignments.json.data as { topic_name: string; partition_id: number }[]).map((a) => [a.topic_name, a.partition_id])).toEqual([['v3-groups-t', 0], ['v3-groups-t', 1]]);
    await consumer.disconnect();
    // Five more records nobody has read: the lag.
    await producer.send({ topic: 'v3-groups-t', acks: -1, messages: [0, 0, 0, 1, 1].map((partition) => ({ partition, value: 'later' })) });
    await producer.disconnect();
    const lag = await call('GET', `${groups}/v3-group/lag-summary`);
    expect(lag.json).toMatchObject({ consumer_group_id: 'v3-group', total_lag: 5, max_lag: 3, max_lag_topic_name: 'v3-groups-t', max_lag_partition_id: 0 });
    expect((await call('GET', `${groups}/v3-group/consumers`)).json.data).toEqual([]);
    expect(await call('GET', `${groups}/nobody`)).toMatchObject({ status: 404, json: { kafka_error: 'GROUP_ID_NOT_FOUND' } });
    expect((await call('GET', '/v3/clusters/not-this-one/consumer-groups')).status).toBe(404);
  });

  it('bad input gets a clear error and writes nothing', async () => {
    await call('POST', `/v3/clusters/${cluster}/topics`, { topic_name: 'rest-bad', partitions_count: 1 });
    const hw = async (): Promise<number> => ((await call('GET', `/v3/clusters/${cluster}/topics/rest-bad`)).json.partitions as { high_watermark: number }[])[0]!.high_watermark;
    const records = `/v3/clusters/${cluster}/topics/rest-bad/records`;
    const malformed = await call('POST', records, undefined, '{"value": ');
    expect(malformed.status).toBe(400);
    expect((await call('POST', records, { partition_id: 'zero', value: { type: 'STRING', data: 'x' } })).status).toBe(400);
    expect((await call('POST', records, { value: { type: 'BINARY', data: 'not base64!' } })).json.message).toContain('base64');
    expect((await call('POST', records, { value: { type: 'AVRO', data: 1 } })).status).toBe(400);
    const unknownTopic = await call('POST', `/v3/clusters/${cluster}/topics/no-such-topic/records`, { value: { type: 'STRING', data: 'x' } });
    expect(unknownTopic.status).toBe(404);
    expect(unknownTopic.json.kafka_error).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect((await call('POST', records, { partition_id: 7, value: { type: 'STRING', data: 'x' } })).status).toBe(404);
    expect((await call('POST', `/v3/clusters/not-this-one/topics/rest-bad/records`, { value: { type: 'STRING', data: 'x' } })).status).toBe(404);
    // One bad entry fails the whole batch before anything is written.
    const batch = await call('POST', `${records}:batch`, { entries: [{ id: 'ok', value: { type: 'STRING', data: 'fine' } }, { id: 'bad', value: { type: 'BINARY', data: '%%%' } }] });
    expect(batch.status).toBe(400);
    expect(batch.json.message).toContain('bad');
    // Over the body limit: 413, and the client sees it though it is still writing its body (fetch
    // failed with EPIPE when the broker answered and closed the connection without reading the rest).
    const huge = await call('POST', records, undefined, JSON.stringify({ value: { type: 'STRING', data: 'x'.repeat(2 * 1024 * 1024) } }));
    expect(huge.status).toBe(413);
    expect(huge.json.message).toMatch(/large/);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let sent = 0;
    const slowUpload = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === 0) controller.enqueue(Buffer.from('{"value":{"type":"STRING","data":"'));
        if (sent++ === 40) { controller.enqueue(Buffer.from('"}}')); controller.close(); return; }
        await new Promise((r) => setTimeout(r, 2));
        controller.enqueue(chunk);
      },
    });
    const streamed = await fetch(`${base}${records}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: slowUpload, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(sent).toBe(41);
    const created = await call('POST', `/v3/clusters/${cluster}/topics`, { topic_name: 'bad name!', partitions_count: 1 });
    expect(created.status).toBe(400);
    expect(created.json.kafka_error).toBe('INVALID_TOPIC_EXCEPTION');
    expect((await call('POST', `/v3/clusters/${cluster}/topics`, { topic_name: 'rest-bad' })).json.kafka_error).toBe('TOPIC_ALREADY_EXISTS');
    const outOfRange = await call('GET', `/v3/clusters/${cluster}/topics/rest-bad/partitions/0/records?offset=99`);
    expect(outOfRange.status).toBe(400);
    expect(outOfRange.json.kafka_error).toBe('OFFSET_OUT_OF_RANGE');
    expect((await call('GET', `/v3/clusters/${cluster}/topics/rest-bad/partitions/0/records?max_records=100000`)).status).toBe(400);
    expect(await hw()).toBe(0);
  });
});

describe('MCP server (/mcp)', () => {
  it('the SDK client lists the tools and calls every one of them', async () => {
    const client = new Client({ name: 'floe-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
    try {
      const tools = (await client.listTools()).tools.map((t) => t.name).sort();
      expect(tools).toEqual(['consume_records', 'consumer_lag', 'create_topic', 'describe_topic', 'list_topics', 'produce_records', 'read_records']);
      const text = (r: unknown): Record<string, unknown> => JSON.parse(((r as { content: { text: string }[] }).content[0]!).text) as Record<string, unknown>;

      expect((await client.callTool({ name: 'create_topic', arguments: { topic: 'agent-events', partitions: 2 } })).isError).toBeFalsy();
      const produced = await client.callTool({ name: 'produce_records', arguments: { topic: 'agent-events', partition: 1, records: [
        { key: 'task-1', value: '{"step":"plan"}', headers: { agent: 'planner' } }, { key: 'task-1', value: '{"step":"act"}' },
      ] } });
      expect(produced.isError).toBeFalsy();
      expect((text(produced).records as { partition: number; offset: number }[]).map((r) => [r.partition, r.offset])).toEqual([[1, 0], [1, 1]]);
      const read = text(await client.callTool({ name: 'read_records', arguments: { topic: 'agent-events', partition: 1, offset: 0 } }));
      expect((read.records as { value: unknown; headers: Record<string, string> }[]).map((r) => r.value)).toEqual([{ type: 'JSON', data: { step: 'plan' } }, { type: 'JSON', data: { step: 'act' } }]);
      expect((read.records as { headers: Record<string, string> }[])[0]!.headers).toEqual({ agent: 'planner' });
      const described = text(await client.callTool({ name: 'describe_topic', arguments: { topic: 'agent-events' } }));
      expect((described.partitions as { highWatermark: number }[]).map((p) => p.highWatermark)).toEqual([0, 2]);
      const listed = text(await client.callTool({ name: 'list_topics', arguments: {} }));
      expect((listed.topics as { name: string }[]).map((t) => t.name)).toContain('agent-events');

      // A group commits with kafkajs; the lag tool sees it.
      const consumer = kafka.consumer({ groupId: 'agent-reader' });
      await consumer.connect();
      await consumer.subscribe({ topics: ['agent-events'], fromBeginning: true });
      let n = 0;
      await consumer.run({ autoCommitInterval: 100, eachMessage: async () => { n++; } });
      await until(() => n >= 2, 30_000, 'the group to read both records');
      await consumer.disconnect();
      await client.callTool({ name: 'produce_records', arguments: { topic: 'agent-events', partition: 1, records: [{ value: 'unread' }] } });
      const lag = text(await client.callTool({ name: 'consumer_lag', arguments: { group: 'agent-reader' } }));
      expect((lag.lag as { partition: number; lag: number }[]).find((l) => l.partition === 1)).toMatchObject({ committed: 2, highWatermark: 3, lag: 1 });

      // A named group consumes through the tool: each call goes on where the last one committed.
      const consume = async (max: number): Promise<{ records: { partition: number; offset: number }[]; committed: { partition: number; offset: number }[] }> =>
        text(await client.callTool({ name: 'consume_records', arguments: { group: 'mcp-reader', topic: 'agent-events', max_records: max } })) as never;
      const first = await consume(2);
      expect(first.records.map((r) => [r.partition, r.offset])).toEqual([[1, 0], [1, 1]]);
      expect(first.committed).toEqual([{ partition: 1, offset: 2 }]);
      expect((await consume(10)).records.map((r) => [r.partition, r.offset])).toEqual([[1, 2]]);
      expect((await consume(10)).records).toEqual([]);
      const mcpLag = text(await client.callTool({ name: 'consumer_lag', arguments: { group: 'mcp-reader' } }));
      expect((mcpLag.lag as { partition: number; lag: number }[]).find((l) => l.partition === 1)).toMatchObject({ committed: 3, lag: 0 });
      // Topics are resources too.
      const resources = (await client.listResources()).resources.map((r) => r.uri);
      expect(resources).toContain('floe://topics/agent-events');
      const resource = await client.readResource({ uri: 'floe://topics/agent-events' });
      expect((JSON.parse((resource.contents[0] as { text: string }).text) as { partitions: unknown[] }).partitions).toHaveLength(2);

      // Errors are tool results, and the session goes on.
      const unknown = await client.callTool({ name: 'read_records', arguments: { topic: 'nope', partition: 0, offset: 0 } });
      expect(unknown.isError).toBe(true);
      expect(JSON.stringify(unknown.content)).toContain('UNKNOWN_TOPIC_OR_PARTITION');
      const invalid = await client.callTool({ name: 'produce_records', arguments: { topic: 'agent-events', records: [] } });
      expect(invalid.isError).toBe(true);
      const exists = await client.callTool({ name: 'create_topic', arguments: { topic: 'agent-events' } });
      expect(JSON.stringify(exists.content)).toContain('TOPIC_ALREADY_EXISTS');
    } finally {
      await client.close();
    }
  });
});
