// The differential harness: runs a list of scenarios (each a function of a
// connection that returns what it observed, already normalized) once against
// an Apache Kafka and once against floe, compares the answers as JSON, and
// reports every scenario as the same, allowed (with the reason) or different.
// It owns the brokers compared (one fresh Apache Kafka and one fresh floe per
// file, topics not auto-created), the comparison and the report; not the
// scenarios.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WireClient } from '../../protocol/wire-client.ts';
import { ApacheKafka } from '../support/apache-kafka.ts';
import { BrokerProcess } from '../support/broker-process.ts';

export type Answer = Record<string, unknown>;
/** What a scenario needs: a connection, and the broker's port to open more. */
export interface ScenarioTarget {
  client: WireClient;
  port: number;
}
export type Scenario = (t: ScenarioTarget) => Promise<Answer>;

export interface Comparison {
  /** Scenarios that differ and are not allowed: the test fails on any. */
  differences: string[];
  /** The report, one line per scenario. */
  report: string;
}

const json = (v: unknown): string => JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));

/** Runs the scenarios in order on one connection (each may rely on those before it). */
export async function answers(port: number, scenarios: [string, Scenario][]): Promise<Map<string, Answer>> {
  let client = await WireClient.connect('127.0.0.1', port);
  const out = new Map<string, Answer>();
  try {
    for (const [name, run] of scenarios) {
      try {
        out.set(name, await run({ client, port }));
      } catch (e) {
        // An answer that cannot be decoded (or a closed connection) is an answer too; the next scenario gets a new connection.
        out.set(name, { failed: e instanceof Error ? e.message : String(e) });
        client.close();
        client = await WireClient.connect('127.0.0.1', port);
      }
    }
  } finally {
    client.close();
  }
  return out;
}

/**
 * `fixed`: scenarios that once differed, with what was fixed in floe (each scenario failed on the code
 * before its fix), so the report lists them as well.
 */
export function compare(title: string, scenarios: [string, Scenario][], allowed: Record<string, string>,
  fromKafka: Map<string, Answer>, fromFloe: Map<string, Answer>, fixed: Record<string, string> = {}): Comparison {
  const differences: string[] = [];
  const lines = [`# ${title}`, ''];
  for (const [name] of scenarios) {
    const k = json(fromKafka.get(name));
    const f = json(fromFloe.get(name));
    if (k === f) {
      lines.push(fixed[name] === undefined ? `- same: ${name}` : `- same: ${name} (found different and fixed: ${fixed[name]})`);
    } else if (allowed[name] !== undefined) {
      lines.push(`- allowed: ${name} (${allowed[name]})`, `  - Apache Kafka ${k}`, `  - floe ${f}`);
    } else {
      differences.push(`${name}: Apache Kafka ${k}, floe ${f}`);
      lines.push(`- DIFFERENT: ${name}`, `  - Apache Kafka ${k}`, `  - floe ${f}`);
    }
  }
  return { differences, report: lines.join('\n') + '\n' };
}

/** Prints the report and, when FLOE_DIFFERENTIAL_REPORT_DIR is set, writes it there. */
export function publish(file: string, report: string): void {
  console.log(report);
  const dir = process.env.FLOE_DIFFERENTIAL_REPORT_DIR;
  if (dir === undefined || dir === '') return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, file), report);
}

/**
 * The test of a file of scenarios: both brokers started once, the scenarios
 * run against each in order, the report printed (and written as `reportFile`
 * under FLOE_DIFFERENTIAL_REPORT_DIR), and any difference not allowed fails.
 */
export function differentialSuite(title: string, reportFile: string, scenarios: [string, Scenario][], allowed: Record<string, string>, fixed: Record<string, string> = {}): void {
  describe(title, () => {
    let kafka: ApacheKafka;
    let floe: BrokerProcess;
    beforeAll(async () => {
      kafka = await ApacheKafka.start({ properties: { 'auto.create.topics.enable': 'false' } });
      floe = await BrokerProcess.start({ args: ['--auto-create-topics-enable', 'false'] });
    }, 180_000);
    afterAll(async () => {
      await kafka?.destroy();
      await floe?.destroy();
    });

    it('get the same answers, but for the listed differences', async () => {
      const fromKafka = await answers(kafka.port, scenarios);
      const fromFloe = await answers(floe.port, scenarios);
      const c = compare(title, scenarios, allowed, fromKafka, fromFloe, fixed);
      for (const name of Object.keys({ ...allowed, ...fixed })) if (!scenarios.some(([n]) => n === name)) throw new Error(`ALLOWED or FIXED names no scenario: ${name}`);
      publish(reportFile, c.report);
      expect(c.differences).toEqual([]);
    }, 180_000);
  });
}
