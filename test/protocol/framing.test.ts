import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FrameDecoder, FrameTooLargeError, InvalidFrameSizeError } from '../../protocol/framing.ts';

function frame(body: Buffer): Buffer {
  const b = Buffer.alloc(4 + body.length);
  b.writeInt32BE(body.length, 0);
  body.copy(b, 4);
  return b;
}

describe('FrameDecoder', () => {
  it('yields the same frames however the stream is chunked', () => {
    fc.assert(fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
      (bodies, cuts) => {
        const stream = Buffer.concat(bodies.map((b) => frame(Buffer.from(b))));
        const d = new FrameDecoder(1000);
        const got: Buffer[] = [];
        let pos = 0;
        let i = 0;
        while (pos < stream.length) {
          const n = cuts[i++ % cuts.length]!;
          got.push(...d.push(stream.subarray(pos, pos + n)));
          pos += n;
        }
        expect(got.map((b) => Buffer.from(b))).toEqual(bodies.map((b) => Buffer.from(b)));
        expect(d.bufferedBytes).toBe(0);
      },
    ));
  });
  it('refuses a frame over the limit from its size prefix alone', () => {
    const d = new FrameDecoder(100);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(101, 0);
    expect(() => d.push(prefix)).toThrow(FrameTooLargeError);
  });
  it('refuses a negative size', () => {
    expect(() => new FrameDecoder(100).push(Buffer.from([0xff, 0xff, 0xff, 0xfe]))).toThrow(InvalidFrameSizeError);
  });
  it('handles a size prefix split across chunks', () => {
    const d = new FrameDecoder(100);
    const f = frame(Buffer.from('abc'));
    expect(d.push(f.subarray(0, 2))).toEqual([]);
    expect(d.push(f.subarray(2, 3))).toEqual([]);
    expect(d.push(f.subarray(3)).map(String)).toEqual(['abc']);
  });
});
