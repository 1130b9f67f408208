// The cluster overview page, in a real headless Chromium (Debian's chromium,
// driven by playwright-core): topics, consumer-group lag, throughput and the
// cost and usage per topic show up as a person would see them; the record
// browser shows a partition's records (an Avro one decoded with its
// registered schema) and the form produces a record that the browser then
// shows; charts show the last hour's throughput per topic and lag per group;
// a live group's members show their partitions, and its reads show up per
// group. A screenshot is written for the record.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { Kafka, logLevel } from 'kafkajs';
import avro from 'avsc';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerProcess } from '../support/broker-process.ts';

const CHROMIUM = process.env.FLOE_CHROMIUM ?? '/usr/bin/chromium';
let broker: BrokerProcess;
let browser: Browser;
beforeAll(async () => {
  broker = await BrokerProcess.start({ args: ['--offsets-topic-num-partitions', '2', '--group-initial-rebalance-delay-ms', '0', '--console-history-interval-ms', '250'] });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
afterAll(async () => {
  await browser?.close();
  await broker.destroy();
});

it('shows topics, records, groups with lag and members\' partitions, throughput, charts of the last hour, cost and usage per topic and group; browses records (decoded with their schema) and produces one', async () => {
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }, { topic: 'payments', numPartitions: 1 }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'orders', acks: -1, messages: Array.from({ length: 120 }, (_, i) => ({ key: `k${i}`, value: `order-${i}` })) });
  // A group that committed offset 20 on each partition: lag = 120 - 60.
  await admin.setOffsets({ groupId: 'billing', topic: 'orders', partitions: [0, 1, 2].map((partition) => ({ partition, offset: '20' })) });
  await admin.disconnect();
  // A live group: its member's partitions show, and its commits count as its reads.
  const reader = kafka.consumer({ groupId: 'live-reader' });
  await reader.connect();
  await reader.subscribe({ topics: ['orders'], fromBeginning: true });
  let read = 0;
  await reader.run({ eachMessage: async () => { read++; } });
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => { if (read >= 120) { clearInterval(t); resolve(); } }, 50);
    setTimeout(() => { clearInterval(t); reject(new Error('live-reader did not read the 120 records')); }, 30_000);
  });

  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await page.goto(`http://127.0.0.1:${broker.httpPort}/`);
  await page.waitForSelector('#topics tbody tr');
  // Keep producing so the second poll sees a non-zero rate.
  const sending = (async () => {
    for (let i = 0; i < 20; i++) {
      await producer.send({ topic: 'orders', acks: -1, messages: [{ value: 'x'.repeat(50_000) }] });
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  // A string runs in the page (this file is not compiled with the DOM types).
  await page.waitForFunction("Number(document.getElementById('in')?.textContent ?? '0') > 0", undefined, { timeout: 15_000 });
  await sending;
  await producer.disconnect();
  // The charts: a line for the topic written to, one for the group with lag.
  await page.waitForSelector('#chart-topics polyline[data-series="orders"]', { state: 'attached', timeout: 15_000 });
  await page.waitForSelector('#chart-groups polyline[data-series="billing"]', { state: 'attached', timeout: 15_000 });
  expect(await page.locator('#legend-topics').innerText()).toContain('orders');
  const members = "[...document.querySelectorAll('#groups tbody tr')].find((tr) => tr.cells[0].textContent === 'live-reader')?.cells[4].textContent ?? ''";
  await page.waitForFunction(`(${members}).includes('orders [0,1,2]')`, undefined, { timeout: 15_000 });
  await page.waitForFunction("[...document.querySelectorAll('#group-usage tbody tr')].some((tr) => tr.cells[0].textContent === 'live-reader' && Number(tr.cells[1].textContent) > 0)", undefined, { timeout: 30_000 });
  await reader.disconnect();
  const topicRow = await page.locator('#topics tbody tr', { hasText: 'orders' }).innerText();
  expect(topicRow).toMatch(/^orders\s+3\s+1\d\d\s+0$/);
  const groupRow = await page.locator('#groups tbody tr', { hasText: 'billing' }).innerText();
  expect(groupRow).toMatch(/^billing\s+Empty\s+0\s+\d+\s*$/);
  expect(Number(groupRow.trim().split(/\s+/).at(-1))).toBeGreaterThanOrEqual(60);
  expect(await page.locator('#cluster').innerText()).toContain('local-wal');
  // Cost and usage: the topic's bytes reach object storage and show up with their cost.
  await page.waitForFunction("[...document.querySelectorAll('#usage tbody tr')].some((tr) => tr.cells[0].textContent === 'orders' && Number(tr.cells[1].textContent) > 0.9)", undefined, { timeout: 30_000 });
  const usageRow = (await page.locator('#usage tbody tr', { hasText: 'orders' }).innerText()).split(/\s+/);
  expect(Number(usageRow[2])).toBeGreaterThanOrEqual(140); // records: 120 + 20
  expect(Number(usageRow[3])).toBeGreaterThan(0.9); // MB in: the 20 x 50 kB records
  expect(Number(usageRow[5])).toBeGreaterThan(0); // PUTs
  expect(Number(usageRow[7])).toBeGreaterThan(0); // USD/day
  expect(await page.locator('#prices').innerText()).toContain('$0.005 per 1,000 PUTs');

  // The record browser: a partition from an offset; a record with a registered Avro schema shows decoded.
  const schema = { type: 'record', name: 'Payment', fields: [{ name: 'id', type: 'string' }, { name: 'cents', type: 'long' }] };
  const reg = await fetch(`http://127.0.0.1:${broker.httpPort}/subjects/payments-value/versions`, {
    method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: JSON.stringify({ schema: JSON.stringify(schema) }),
  });
  const schemaId = ((await reg.json()) as { id: number }).id;
  const head = Buffer.alloc(5);
  head.writeInt32BE(schemaId, 1);
  const p2 = kafka.producer();
  await p2.connect();
  await p2.send({ topic: 'payments', acks: -1, messages: [{ key: 'pay-1', value: Buffer.concat([head, avro.Type.forSchema(schema as avro.Schema).toBuffer({ id: 'p-1', cents: 1250 })]) }] });
  await p2.disconnect();
  await page.waitForSelector('#browse-topic option[value="payments"]', { state: 'attached', timeout: 15_000 });
  await page.selectOption('#browse-topic', 'payments');
  await page.click('#browse button');
  await page.waitForSelector('#records tbody tr');
  const paymentRow = await page.locator('#records tbody tr').first().innerText();
  expect(paymentRow).toContain('pay-1');
  expect(paymentRow).toContain('"cents": 1250');
  expect(paymentRow).toContain(`(AVRO, schema ${schemaId})`);
  // Produce a test record from the page; read it back there.
  await page.selectOption('#browse-topic', 'orders');
  await page.fill('#produce-partition', '1');
  await page.fill('#produce-key', 'from-console');
  await page.fill('#produce-value', '{"hello": "console"}');
  // The browser's local time, to the second, just before the record is written: reading from it finds that record first.
  const before = new Date(Date.now() - 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const localTime = `${before.getFullYear()}-${pad(before.getMonth() + 1)}-${pad(before.getDate())}T${pad(before.getHours())}:${pad(before.getMinutes())}:${pad(before.getSeconds())}`;
  await page.click('#produce button');
  await page.waitForFunction("document.getElementById('produce-status').textContent.startsWith('written at offset')", undefined, { timeout: 15_000 });
  const offset = (await page.locator('#produce-status').innerText()).match(/offset (\d+)/)![1]!;
  await page.fill('#browse-partition', '1');
  await page.fill('#browse-offset', offset);
  await page.click('#browse button');
  await page.waitForFunction(`document.querySelector('#records tbody tr td')?.textContent === '${offset}'`, undefined, { timeout: 15_000 });
  const produced = await page.locator('#records tbody tr').first().innerText();
  expect(produced).toContain('from-console');
  expect(produced).toContain('"hello": "console"');
  // From a time instead: the same record comes first (from offset 0, first, the partition's older records show).
  await page.fill('#browse-offset', '0');
  await page.click('#browse button');
  await page.waitForFunction("document.querySelector('#records tbody tr td')?.textContent === '0'", undefined, { timeout: 15_000 });
  await page.fill('#browse-time', localTime);
  await page.click('#browse button');
  await page.waitForFunction(`document.querySelector('#records tbody tr td')?.textContent === '${offset}' && document.getElementById('browse-status').textContent.startsWith('1 records')`, undefined, { timeout: 15_000 });

  const shot = join(process.env.FLOE_SCREENSHOT_DIR ?? tmpdir(), 'floe-overview.png');
  await page.screenshot({ path: shot, fullPage: true });
  await page.close();
}, 60_000);
