#!/usr/bin/env node
// The `floe` command: parses configuration, starts one broker, and stops it
// gracefully on SIGTERM/SIGINT (answer in-flight requests, upload what the
// WAL holds, exit 0).

import { loadConfig, helpText, ConfigError } from './config.ts';
import { Broker } from './broker.ts';

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
