// The cluster overview page, in a real headless Chromium (Debian's chromium,
// driven by playwright-core): topics, consumer-group lag, throughput and the
// cost and usage per topic show up as a person would see them. A screenshot
// is written for the record.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { Kafka, logLevel } from 'kafkajs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerProcess } from '../support/broker-process.ts';

const CHROMIUM = process.env.FLOE_CHROMIUM ?? '/usr/bin/chromium';
let broker: BrokerProcess;
let browser: Browser;
beforeAll(async () => {
  broker = await BrokerProcess.start({ args: ['--offsets-topic-num-partitions', '2', '--group-initial-rebalance-delay-ms', '0'] });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
afterAll(async () => {
  await browser?.close();
  await broker.destroy();
});

it('shows topics, records, groups with lag, throughput, and cost and usage per topic', async () => {
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'orders', acks: -1, messages: Array.from({ length: 120 }, (_, i) => ({ key: `k${i}`, value: `order-${i}` })) });
  // A group that committed offset 20 on each partition: lag = 120 - 60.
  await admin.setOffsets({ groupId: 'billing', topic: 'orders', partitions: [0, 1, 2].map((partition) => ({ partition, offset: '20' })) });
  await admin.disconnect();

  const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
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
  const topicRow = await page.locator('#topics tbody tr', { hasText: 'orders' }).innerText();
  expect(topicRow).toMatch(/^orders\s+3\s+1\d\d\s+0$/);
  const groupRow = await page.locator('#groups tbody tr', { hasText: 'billing' }).innerText();
  expect(groupRow).toMatch(/^billing\s+Empty\s+0\s+\d+$/);
  expect(Number(groupRow.split(/\s+/).at(-1))).toBeGreaterThanOrEqual(60);
  expect(await page.locator('#cluster').innerText()).toContain('local-wal');
  // Cost and usage: the topic's bytes reach object storage and show up with their cost.
  await page.waitForFunction("[...document.querySelectorAll('#usage tbody tr')].some((tr) => tr.cells[0].textContent === 'orders' && Number(tr.cells[1].textContent) > 0.9)", undefined, { timeout: 30_000 });
  const usageRow = (await page.locator('#usage tbody tr', { hasText: 'orders' }).innerText()).split(/\s+/);
  expect(Number(usageRow[2])).toBeGreaterThan(0.9); // MB in: the 20 x 50 kB records
  expect(Number(usageRow[4])).toBeGreaterThan(0); // PUTs
  expect(Number(usageRow[6])).toBeGreaterThan(0); // USD/day
  expect(await page.locator('#prices').innerText()).toContain('$0.005 per 1,000 PUTs');
  const shot = join(process.env.FLOE_SCREENSHOT_DIR ?? tmpdir(), 'floe-overview.png');
  await page.screenshot({ path: shot, fullPage: true });
  await page.close();
}, 60_000);
