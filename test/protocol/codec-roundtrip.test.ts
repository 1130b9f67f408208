// Property test over every spec and every valid version: random message ->
// encode -> decode gives the same value, and decode -> encode gives the same bytes.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { join } from 'node:path';
import { loadSpecs } from '../../protocol/generator/spec.ts';
import { Reader } from '../../protocol/primitives/reader.ts';
import { Writer } from '../../protocol/primitives/writer.ts';
import { messageArbitrary } from '../support/spec-arbitrary.ts';

const specs = loadSpecs(join(import.meta.dirname, '../../protocol/spec'));

type Codec = { read: (r: Reader, v: number) => unknown; write: (w: Writer, v: number, m: unknown) => void };

async function codecFor(name: string): Promise<Codec> {
  const mod = (await import(`../../protocol/generated/${name}.ts`)) as Record<string, unknown>;
  return { read: mod[`read${name}`] as Codec['read'], write: mod[`write${name}`] as Codec['write'] };
}

describe('generated codecs round-trip every spec and version', () => {
  for (const spec of specs) {
    it(`${spec.name} v${spec.validVersions.min}-${spec.validVersions.max}`, async () => {
      const codec = await codecFor(spec.name);
      for (let v = spec.validVersions.min; v <= spec.validVersions.max; v++) {
        fc.assert(
          fc.property(messageArbitrary(spec, v), (msg) => {
            const w = new Writer(64);
            codec.write(w, v, msg);
            const bytes = w.toBuffer();
            const r = new Reader(bytes);
            const decoded = codec.read(r, v);
            expect(r.pos).toBe(bytes.length);
            expect(decoded).toEqual(msg);
            const w2 = new Writer(64);
            codec.write(w2, v, decoded);
            expect(w2.toBuffer().equals(bytes)).toBe(true);
          }),
          { numRuns: 25 },
        );
      }
    });
  }
});
