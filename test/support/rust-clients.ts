// The Rust client (the `rdkafka` crate, from crates.io, pinned in
// test/support/rust/rdkafka-check/Cargo.lock, with its bundled librdkafka),
// built by `.ci/run` into .test-deps/rust/.

import { existsSync } from 'node:fs';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', '..', '.test-deps', 'rust', 'release', 'rdkafka-check');

/** The path of the built check program; a clear error when it was not built. */
export function rustClient(): string {
  if (!existsSync(BIN)) {
    throw new Error(`${BIN} is not built: run \`cargo build --release --locked --manifest-path test/support/rust/rdkafka-check/Cargo.toml --target-dir .test-deps/rust\` (.ci/run does)`);
  }
  return BIN;
}
