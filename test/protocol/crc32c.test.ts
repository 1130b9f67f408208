import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32c, crc32cSoftware, crc32cImplementation } from '../../protocol/crc32c.ts';

// Published check values: the CRC catalogue's "123456789" and RFC 3720 (iSCSI) appendix B.4.
const vectors: [string, Buffer, number][] = [
  ['check string', Buffer.from('123456789'), 0xe3069283],
  ['32 zero bytes', Buffer.alloc(32, 0), 0x8a9136aa],
  ['32 0xff bytes', Buffer.alloc(32, 0xff), 0x62a8ab43],
  ['32 incrementing bytes', Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e],
  ['32 decrementing bytes', Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c],
  ['empty', Buffer.alloc(0), 0],
];

describe('CRC-32C', () => {
  for (const [name, input, expected] of vectors) {
    it(`software: ${name}`, () => expect(crc32cSoftware(input)).toBe(expected));
    it(`${crc32cImplementation}: ${name}`, () => expect(crc32c(input)).toBe(expected));
  }
  it('native and software agree on random input, ranges and continuation', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(), fc.nat(), (arr, a, b) => {
      const buf = Buffer.from(arr);
      const start = buf.length === 0 ? 0 : a % buf.length;
      const end = start + (buf.length - start === 0 ? 0 : b % (buf.length - start + 1));
      expect(crc32c(buf, start, end)).toBe(crc32cSoftware(buf, start, end));
      const mid = start + Math.floor((end - start) / 2);
      expect(crc32c(buf, mid, end, crc32c(buf, start, mid))).toBe(crc32cSoftware(buf, start, end));
    }));
  });
});
