// Owns writing a tagged-field section from known fields plus unknown ones
// kept from decoding, in ascending tag order as the protocol requires.

import type { RawTaggedField, Reader } from './reader.ts';
import type { Writer } from './writer.ts';
import { KafkaEncodeError } from './decode-error.ts';

export interface TaggedFieldWrite {
  tag: number;
  write: (w: Writer) => void;
}

export function writeTaggedFields(
  w: Writer,
  known: readonly TaggedFieldWrite[],
  unknown: readonly RawTaggedField[] | undefined,
): void {
  if (unknown === undefined || unknown.length === 0) {
    w.uvarint(known.length);
    for (const k of known) w.taggedField(k.tag, k.write);
    return;
  }
  const all: (TaggedFieldWrite | RawTaggedField)[] = [...known, ...unknown];
  all.sort((a, b) => a.tag - b.tag);
  w.uvarint(all.length);
  for (const f of all) {
    if ('write' in f) w.taggedField(f.tag, f.write);
    else w.rawTaggedField(f);
  }
}

/** For structs without any tagged field in their spec: every tag is unknown. */
export function noKnownTags(_tag: number, _r: Reader): boolean {
  return false;
}

export function notNull<T>(value: T | null, field: string): T {
  if (value === null) throw new KafkaEncodeError(`${field} is null but not nullable in this version`);
  return value;
}
