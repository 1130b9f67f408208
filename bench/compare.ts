// Puts produce reports side by side with ratios to the first one:
//   npm run bench -- compare bench/reports/a.json bench/reports/b.json ...

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface Report {
  label?: string;
  params: { partitions: number; durability: string; backend: string; rateMBps: number; bootstrap: string | null };
  produce: { mbPerSec: number; latencyMs: { p50: number; p99: number; p999: number } };
  consume: { endToEndLatencyMs: { p50: number; p99: number } };
  broker: { cpuCoresUsed: number; rssMBMax: number } | null;
}

const USAGE = 'usage: npm run bench -- compare <report.json> [<report.json> ...]\n\nPuts produce reports side by side with ratios to the first one.\n';
const files = process.argv.slice(3);
if (files.includes('--help') || files.includes('-h')) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (files.length === 0) {
  process.stderr.write(USAGE);
  process.exit(2);
}
const reports = files.map((f) => ({ name: basename(f, '.json'), r: JSON.parse(readFileSync(f, 'utf8')) as Report }));
const base = reports[0]!.r;
const rows: [string, (r: Report) => number | undefined][] = [
  ['produce MB/s', (r) => r.produce.mbPerSec],
  ['produce p50 ms', (r) => r.produce.latencyMs.p50],
  ['produce p99 ms', (r) => r.produce.latencyMs.p99],
  ['produce p999 ms', (r) => r.produce.latencyMs.p999],
  ['e2e p50 ms', (r) => r.consume.endToEndLatencyMs.p50],
  ['e2e p99 ms', (r) => r.consume.endToEndLatencyMs.p99],
  ['broker cores', (r) => r.broker?.cpuCoresUsed],
  ['broker RSS max MB', (r) => r.broker?.rssMBMax],
];
console.log(`| metric | ${reports.map((x) => x.name).join(' | ')} |`);
console.log(`|---|${reports.map(() => '---:').join('|')}|`);
for (const [label, get] of rows) {
  const b = get(base);
  const cells = reports.map(({ r }) => {
    const v = get(r);
    if (v === undefined) return 'n/a';
    const ratio = b !== undefined && b !== 0 && r !== base ? ` (x${(v / b).toFixed(2)})` : '';
    return `${v.toFixed(2)}${ratio}`;
  });
  console.log(`| ${label} | ${cells.join(' | ')} |`);
}
