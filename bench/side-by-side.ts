// Owns how the harness compares two systems in one run: starting Apache
// Kafka as kafka-server-start would, reading a process's CPU and RSS, the
// ratio cell with which way is better, and the tables printed and written.
// It measures nothing itself.

import { readFileSync } from 'node:fs';
import { fmt } from './stats.ts';
import { ApacheKafka } from '../test/support/apache-kafka.ts';

/** What kafka-run-class.sh passes by default (KAFKA_JVM_PERFORMANCE_OPTS). */
const KAFKA_SERVER_START_JVM_ARGS = ['-server', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35', '-XX:+ExplicitGCInvokesConcurrent', '-Djava.awt.headless=true'];

/** A single-node Apache Kafka with kafka-server-start's JVM settings and the given heap. */
export function startApacheKafka(heapMb: number, properties: Record<string, string> = {}): Promise<ApacheKafka> {
  return ApacheKafka.start({ heapMb, jvmArgs: KAFKA_SERVER_START_JVM_ARGS, properties });
}

/** CPU seconds used so far and resident memory of a process, from /proc. */
export function procStats(pid: number): { cpuSeconds: number; rssMB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  return { cpuSeconds: ticks / 100, rssMB: rssKb / 1024 };
}

/** `b / a` with which way is better, or n/a when either is missing. */
export function ratioCell(a: number | undefined, b: number | undefined, higherIsBetter: boolean): string {
  if (a === undefined || b === undefined || a <= 0) return 'n/a';
  const r = fmt(b / a, 2);
  return `${r}x${r === '1.00' ? '' : (b > a) === higherIsBetter ? ' (better)' : ' (worse)'}`;
}

export function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) console.log(`  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`);
}

export function markdownTable(rows: string[][]): string[] {
  return [`| ${rows[0]!.join(' | ')} |`, `|---|${rows[0]!.slice(1).map(() => '---:').join('|')}|`, ...rows.slice(1).map((r) => `| ${r.join(' | ')} |`)];
}
