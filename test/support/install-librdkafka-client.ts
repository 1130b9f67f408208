// postinstall: kafka-crab-js (librdkafka for Node, used by tests and the
// bench) ships its native build as an optional package that declares
// engines node 24; npm running on an older system Node skips it silently.
// This runs on the project's Node 24 (npm puts node_modules/.bin first) and
// installs that package when it is missing. It must never fail an install:
// without the devDependency (production installs) it does nothing.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const modules = join(import.meta.dirname, '../../node_modules');
const client = join(modules, 'kafka-crab-js/package.json');

if (process.platform === 'linux' && process.arch === 'x64' && existsSync(client) && !existsSync(join(modules, 'kafka-crab-js-linux-x64-gnu/package.json'))) {
  const manifest = JSON.parse(readFileSync(client, 'utf8')) as { optionalDependencies: Record<string, string> };
  const version = manifest.optionalDependencies['kafka-crab-js-linux-x64-gnu']!;
  try {
    execFileSync('npm', ['install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', `kafka-crab-js-linux-x64-gnu@${version}`], { stdio: 'inherit' });
  } catch (e) {
    console.error(`could not install kafka-crab-js-linux-x64-gnu@${version}: ${(e as Error).message}`);
  }
}
