#!/usr/bin/env node
// The `floe` command: parses configuration, starts one broker, and stops it
// gracefully on SIGTERM/SIGINT (answer in-flight requests, upload what the
// WAL holds, exit 0).

import { setFlagsFromString } from 'node:v8';
import { loadConfig, helpText, ConfigError } from './config.ts';
import { Broker } from './broker.ts';

// The broker's JS heap is small (~25 MB) but it allocates and drops tens of MB
// of ArrayBuffers a second (socket reads, batch copies, upload objects). With
// V8's default heap growth that ran a full mark-compact every ~0.6 s at
// 10 MB/s, each freeing almost nothing on the heap, and those pauses were the
// produce p99. Letting the old generation grow to 3x its live size before the
// next one cut them ~7x (bench/README.md, "GC tuning"). Set at run time so that
// every way of starting the broker (npm start, the container, tests) gets it.
setFlagsFromString('--heap-growing-percent=200');

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(helpText());
  process.exit(0);
}

let config;
try {
  config = loadConfig(argv);
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(`floe: ${e.message}`);
    process.exit(2);
  }
  throw e;
}

const broker = await Broker.start(config);
let stopping = false;
const shutdown = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  broker.log.info({ signal }, 'signal received');
  broker.stop().then(() => process.exit(0), (e: unknown) => {
    broker.log.error({ err: e instanceof Error ? e.stack : String(e) }, 'error while stopping');
    process.exit(1);
  });
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
