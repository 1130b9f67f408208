// Bounded fuzz pass: truncated, bit-flipped and random frames must produce a
// KafkaDecodeError (or decode to something), never any other exception.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { join } from 'node:path';
import { loadSpecs } from '../../protocol/generator/spec.ts';
import { Reader } from '../../protocol/primitives/reader.ts';
import { Writer } from '../../protocol/primitives/writer.ts';
import { KafkaDecodeError } from '../../protocol/primitives/decode-error.ts';
import { apiByKey } from '../../protocol/generated/index.ts';
import { readRequestFrame } from '../../protocol/request-header.ts';
import { splitRecordBatches, checkRecordBatch } from '../../protocol/records/record-batch-header.ts';
import { buildRecordBatch, readRecords } from '../../protocol/records/record.ts';
import { messageArbitrary } from '../support/spec-arbitrary.ts';

const specs = loadSpecs(join(import.meta.dirname, '../../protocol/spec'));
const RUNS_PER_VERSION = 8;

function onlyDecodeErrors(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof KafkaDecodeError)) throw e;
  }
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }), count: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('overwrite' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(buf: Buffer, m: Mutation): Buffer {
  const out = Buffer.from(buf);
  if (out.length === 0) return out;
  const at = m.at % out.length;
  switch (m.kind) {
    case 'truncate': return out.subarray(0, at);
    case 'flip':
      for (let i = 0; i < m.count; i++) out[(at + i * 7) % out.length]! ^= 1 << m.bit;
      return out;
    case 'overwrite':
      Buffer.from(m.bytes).copy(out, at);
      return out;
  }
}

describe('decoders never throw anything but KafkaDecodeError', () => {
  for (const spec of specs.filter((s) => s.kind === 'request' || s.kind === 'response')) {
    it(`${spec.name}`, () => {
      const api = apiByKey[spec.apiKey!]!;
      for (let v = spec.validVersions.min; v <= spec.validVersions.max; v++) {
        fc.assert(fc.property(messageArbitrary(spec, v), mutation, (msg, m) => {
          const w = new Writer(64);
          if (spec.kind === 'request') api.writeRequest(w, v, msg);
          else api.writeResponse(w, v, msg);
          const bad = mutate(w.toBuffer(), m);
          onlyDecodeErrors(() => {
            const r = new Reader(bad);
            if (spec.kind === 'request') api.readRequest(r, v);
            else api.readResponse(r, v);
          });
        }), { numRuns: RUNS_PER_VERSION });
      }
    });
  }

  it('random request frames: header and body', () => {
    fc.assert(fc.property(fc.integer({ min: -2, max: 100 }), fc.integer({ min: -1, max: 20 }), fc.uint8Array({ maxLength: 200 }), (key, version, rest) => {
      const frame = Buffer.alloc(4 + rest.length);
      frame.writeInt16BE(key, 0);
      frame.writeInt16BE(version, 2);
      Buffer.from(rest).copy(frame, 4);
      onlyDecodeErrors(() => {
        const h = readRequestFrame(frame);
        if (h.api !== undefined && h.versionKnown) h.api.readRequest(h.body, h.apiVersion);
      });
    }), { numRuns: 3000 });
  });

  it('mutated record batches: split, check and record iteration', () => {
    const clean = [0, 1, 2, 3, 4].map((c) => buildRecordBatch(
      [{ key: 'a', value: 'b'.repeat(50), headers: [{ key: 'x', value: 'y' }] }, { value: null }], { compression: c }));
    fc.assert(fc.property(fc.integer({ min: 0, max: 4 }), mutation, (c, m) => {
      onlyDecodeErrors(() => {
        for (const b of splitRecordBatches(mutate(clean[c]!, m))) {
          checkRecordBatch(b);
          readRecords(b);
        }
      });
    }), { numRuns: 2000 });
  });
});

it('a clean frame decodes (the fuzz harness is not vacuous)', () => {
  const api = apiByKey[18]!;
  const w = new Writer();
  api.writeRequest(w, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
  expect(api.readRequest(new Reader(w.toBuffer()), 3)).toMatchObject({ clientSoftwareName: 'x' });
});
