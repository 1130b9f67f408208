// The current Go clients (franz-go and sarama, from the Go module proxy, pinned in
// test/support/go/current-clients/go.mod), built by `.ci/run` into
// .test-deps/go/. Debian's old sarama is built by its own test instead.

import { existsSync } from 'node:fs';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', '..', '.test-deps', 'go');

/** The path of a built check program; a clear error when it was not built. */
export function goClient(name: 'franz-go-check' | 'sarama-check'): string {
  const path = join(BIN, name);
  if (!existsSync(path)) {
    throw new Error(`${path} is not built: run \`go -C test/support/go/current-clients build -o ../../../../.test-deps/go/ ./...\` (.ci/run does)`);
  }
  return path;
}
