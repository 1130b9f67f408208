// Owns the layout of a stream's records in the metadata store: the stream
// key (log start offset), the owner key (owner and epoch; its version is the
// fence), index entries (one per uploaded region, keyed by base offset so a
// range scan is offset order), per-object reference counts and the objects
// scheduled for deletion. Must not read or write anything itself.

import { randomBytes } from 'node:crypto';

/** An index entry: where a region of a stream is (object, position, length) and the offset it ends at. */
export interface IndexValue {
  o: string;
  p: number;
  l: number;
  e: number;
  /** Upload time (ms): the age time-based retention goes by. */
  t?: number;
  /**
   * Stable offset at upload: no transaction open below it (those whose end was
   * not yet committed to the metadata store counted open), at most `e`. What a
   * read replica may serve to read_committed consumers. Absent: not known.
   */
  s?: number;
  /** The newest aborted transaction's marker offset in the metadata store at upload (absent: none), so a replica asks for them only when there are new ones. */
  a?: number;
}

/** How many live index regions an object holds; at 0 the object is scheduled for deletion. */
export interface ObjectRefs {
  n: number;
}

/** Who may append to a stream, and since when: the value of its owner key. */
export interface StreamOwner {
  /** The owning process (a broker's node id). */
  owner: number;
  /** Bumped on every change of owner; the partition's leader epoch. */
  epoch: number;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
export const streamKey = (id: number): string => `s/${pad(id, 12)}`;
/** The owner key of a stream: its value is a StreamOwner; its version is the fence. */
export const streamOwnerKey = (id: number): string => `e/${pad(id, 12)}`;
export const STREAM_OWNER_PREFIX = 'e/';
export const streamIdOfOwnerKey = (key: string): number => Number(key.slice(STREAM_OWNER_PREFIX.length));
export const indexPrefix = (id: number): string => `i/${pad(id, 12)}/`;
export const indexKey = (id: number, base: number): string => `${indexPrefix(id)}${pad(base, 16)}`;
export const baseOfIndexKey = (key: string): number => Number(key.slice(-16));
export const streamIdOfIndexKey = (key: string): number => Number(key.slice(2, 14));
export const objectRefsKey = (objectKey: string): string => `o/${objectKey}`;
export const GC_PREFIX = 'gc/';
export const gcKey = (objectKey: string): string => `${GC_PREFIX}${objectKey}`;
export const objectKeyOfGcKey = (key: string): string => key.slice(GC_PREFIX.length);

/** A new object's key: time-ordered (listing shows the oldest first), random so brokers never collide. */
export function newObjectKey(): string {
  return `data/${Date.now().toString(36).padStart(10, '0')}-${randomBytes(8).toString('hex')}`;
}
