// Which Python client a test runs: Debian's python3-confluent-kafka (librdkafka
// 2.0.2, old protocol versions) or the current confluent-kafka from PyPI that
// .ci/run installs into .test-deps/python (its own, current librdkafka).

import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const PYTHON = '/usr/bin/python3';
const CURRENT = join(import.meta.dirname, '../../.test-deps/python');

/** Environment for a child python3 that imports the current confluent-kafka; a clear error when it is not installed. */
export function currentConfluentKafkaEnv(): NodeJS.ProcessEnv {
  if (!existsSync(join(CURRENT, 'confluent_kafka'))) {
    throw new Error('the current confluent-kafka is not installed: python3 -m pip install --target .test-deps/python confluent-kafka==2.16.1 (.ci/run does)');
  }
  return { ...process.env, PYTHONPATH: CURRENT };
}
