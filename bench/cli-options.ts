// Owns the benchmark harness's command lines: each workload declares its
// options once (name, default, what it means) and gets parsing, `--help`
// (every option with its default, exit 0) and a usage message instead of a
// stack trace for an unknown or malformed option (exit 2). Knows nothing
// about what a workload measures.

import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface BenchOption {
  /** 'string' takes a value; 'boolean' is a flag; `multiple` repeats. */
  type: 'string' | 'boolean';
  default?: string | boolean | string[];
  multiple?: boolean;
  help: string;
}

export type BenchOptions = Record<string, BenchOption>;

export type ParsedOptions<O extends BenchOptions> = {
  [K in keyof O]: O[K]['type'] extends 'boolean' ? boolean : O[K]['multiple'] extends true ? string[] : string;
};

/** The help text of a workload: its summary, then every option with its default. */
export function usage(workload: string, summary: string, options: BenchOptions): string {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = o.type === 'boolean' ? `--${name}` : `--${name} <value>`;
    const def = o.default === undefined || (Array.isArray(o.default) && o.default.length === 0) || o.default === false || o.default === '' ? '' : ` (default: ${Array.isArray(o.default) ? o.default.join(' ') : String(o.default)})`;
    return `  ${flag.padEnd(30)} ${o.help}${def}${o.multiple === true ? ' [repeatable]' : ''}`;
  });
  return [`usage: npm run bench -- ${workload}${rows.length > 0 ? ' [options]' : ''}`, '', summary, '', ...(rows.length > 0 ? ['options:', ...rows] : ['no options']), '  --help                         print this and exit', ''].join('\n');
}

/**
 * Parses `args` against `options`; `--help` prints the usage and exits 0, a
 * mistake prints it with the reason and exits 2.
 */
export function parseBenchArgs<O extends BenchOptions>(workload: string, summary: string, options: O, args: string[]): ParsedOptions<O> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(usage(workload, summary, options));
    process.exit(0);
  }
  const config: NonNullable<ParseArgsConfig['options']> = Object.fromEntries(Object.entries(options).map(([name, o]) => [name, {
    type: o.type, ...(o.multiple === true ? { multiple: true } : {}), ...(o.default !== undefined ? { default: o.default } : {}),
  }]));
  try {
    const { values, positionals } = parseArgs({ args, options: config, allowPositionals: true });
    if (positionals.length > 0) throw new Error(`unexpected argument '${positionals[0]}'`);
    return values as ParsedOptions<O>;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${usage(workload, summary, options)}`);
    process.exit(2);
  }
}
