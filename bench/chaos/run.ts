// `npm run chaos`: one fault campaign against a fleet on this machine (see
// campaign.ts), its figures printed, its report (JSON, Markdown, a timeline
// of faults against acknowledgements and errors) written to bench/reports/,
// and exit code 1 when the checker found any safety anomaly (liveness
// anomalies are reported and fail too, with --strict-liveness).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBenchArgs, type BenchOptions } from '../cli-options.ts';
import { lineChartSvg } from '../svg-chart.ts';
import { FAULT_KINDS, runCampaign, type CampaignReport, type FaultKind } from './campaign.ts';
import { LIVENESS_KINDS } from './history-checker.ts';

const OPTIONS = {
  minutes: { type: 'string', default: '2', help: 'how long faults are injected' },
  seed: { type: 'string', default: '1', help: 'the seed that chooses faults, targets and durations (a seed replays its campaign)' },
  faults: { type: 'string', default: FAULT_KINDS.join(','), help: `fault kinds to choose from: ${FAULT_KINDS.join(', ')}` },
  brokers: { type: 'string', default: '3', help: 'brokers in the fleet' },
  producers: { type: 'string', default: '2', help: 'idempotent producers (confluent-kafka-python)' },
  'transactional-producers': { type: 'string', default: '1', help: 'transactional producers (confluent-kafka-python) on the topic chaos-txn, read_committed by the group' },
  consumers: { type: 'string', default: '2', help: 'group consumers (confluent-kafka-python, classic protocol)' },
  'kip848-consumers': { type: 'string', default: '0', help: 'consumers of the KIP-848 protocol (group.protocol=consumer), in a group of their own' },
  partitions: { type: 'string', default: '6', help: 'partitions of the topic' },
  rate: { type: 'string', default: '100', help: 'records per second per producer' },
  'quiet-ms': { type: 'string', default: '4000', help: 'quiet time between faults' },
  'progress-within-ms': { type: 'string', default: '30000', help: 'every client must make progress this soon after the last fault' },
  'strict-liveness': { type: 'boolean', help: 'fail on liveness anomalies too' },
  'every-kind': { type: 'boolean', help: 'go through every fault kind, in a seeded order, before repeating one' },
  'keep-history': { type: 'string', help: 'a directory to keep every client\'s history and every broker\'s log in' },
} satisfies BenchOptions;

export function summarize(r: CampaignReport): string[] {
  const byKind = new Map<string, number>();
  for (const f of r.faults) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
  const recovered = r.recoverySeconds.filter((s) => Number.isFinite(s)).sort((a, b) => a - b);
  return [
    `faults: ${r.faults.length} (${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')})`,
    `records: ${r.sent} sent, ${r.acknowledged} acknowledged, ${r.producerErrors} producer errors, ${r.read} read by the group, ${r.finalRead} in the log at the end`,
    `transactions: ${r.transactions.committed} committed, ${r.transactions.aborted} aborted, ${r.transactions.open} never committed, ${r.transactions.unknown} of unknown outcome`,
    `producers: ${r.producerEpochBumps} epoch bumps, ${r.producerFatalErrors.length} fatal errors${r.producerFatalErrors.length > 0 ? ` (first: ${r.producerFatalErrors[0]!.slice(0, 300)})` : ''}`,
    `producers acknowledged again after a broker fault within: median ${recovered[Math.floor(recovered.length / 2)]?.toFixed(1) ?? '-'} s, max ${recovered.at(-1)?.toFixed(1) ?? '-'} s`,
    `anomalies: ${r.anomalies.length === 0 ? 'none' : ''}`,
    ...r.anomalies.slice(0, 50).map((a) => `  ${a.kind}: ${a.detail}`),
  ];
}

const isMain = import.meta.main;
if (isMain) {
  const opt = parseBenchArgs('chaos', 'a fault campaign against a fleet: seeded faults, a real workload, a checker', OPTIONS, process.argv.slice(2));
  const faults = opt.faults.split(',').map((f) => f.trim()).filter((f) => f !== '');
  for (const f of faults) if (!(FAULT_KINDS as readonly string[]).includes(f)) throw new Error(`unknown fault ${f} (${FAULT_KINDS.join(', ')})`);
  const report = await runCampaign({
    seed: Number(opt.seed), durationMs: Number(opt.minutes) * 60_000, brokers: Number(opt.brokers), faults: faults as FaultKind[],
    producers: Number(opt.producers), transactionalProducers: Number(opt['transactional-producers']), consumers: Number(opt.consumers), kip848Consumers: Number(opt['kip848-consumers']), partitions: Number(opt.partitions), rate: Number(opt.rate),
    quietMs: Number(opt['quiet-ms']), progressWithinMs: Number(opt['progress-within-ms']), log: (l) => console.log(l),
    ...(opt['keep-history'] !== undefined ? { keepHistoryIn: opt['keep-history'] } : {}),
    everyKind: opt['every-kind'],
  });
  const lines = summarize(report);
  for (const l of lines) console.log(l);
  const when = new Date(report.startedAt).toISOString();
  const dir = join(import.meta.dirname, '../reports');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `chaos-seed${opt.seed}-${opt.minutes}min-${when.replace(/[:.]/g, '-')}.json`);
  const command = `npm run chaos -- ${process.argv.slice(2).join(' ')}`;
  writeFileSync(file, JSON.stringify({ command, ...report }, null, 2));
  writeFileSync(file.replace(/\.json$/, '.md'), [`# Fault campaign, seed ${opt.seed} (${when})`, '', `\`${command}\``, '', ...lines.map((l) => (l.startsWith('  ') ? `- ${l.trim()}` : `${l}  `)), '',
    '| fault | target | start (s) | duration (s) |', '|---|---|---|---|',
    ...report.faults.map((f) => `| ${f.kind} | ${f.target} | ${((f.startedAt - report.startedAt) / 1000).toFixed(1)} | ${((f.endedAt - f.startedAt) / 1000).toFixed(1)} |`), ''].join('\n'));
  writeFileSync(file.replace(/\.json$/, '.timeline.svg'), lineChartSvg(`Faults against acknowledgements (seed ${opt.seed})`, 'seconds', 'per second', [
    { name: 'acks', points: report.timeline.map((t): [number, number] => [t.s, t.acks]) },
    { name: 'reads', points: report.timeline.map((t): [number, number] => [t.s, t.reads]) },
    { name: 'producer errors', points: report.timeline.map((t): [number, number] => [t.s, t.errors]) },
    { name: 'fault active (x100)', points: report.timeline.map((t): [number, number] => [t.s, t.fault === '' ? 0 : 100]) },
  ]));
  console.log(`report: ${file} (and .md, .timeline.svg)`);
  const safety = report.anomalies.filter((a) => !LIVENESS_KINDS.includes(a.kind));
  process.exit(safety.length > 0 || (opt['strict-liveness'] && report.anomalies.length > 0) ? 1 : 0);
}
