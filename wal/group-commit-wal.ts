// Owns the local write-ahead log: appends resolve once durable, and every
// append that arrives while a write+fdatasync is in flight joins the next one
// (group commit: one write and one fdatasync for all waiting appends). Owns
// segment rotation, recovery (replay intact entries in order, truncate a torn
// or corrupt tail) and trimming of segments that were uploaded.
// It knows nothing of Kafka or object storage: entries are opaque bytes.

import { open, readdir, readFile, unlink, mkdir, type FileHandle } from 'node:fs/promises';
import { openSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import {
  ENTRY_HEADER_BYTES, SEGMENT_HEADER_BYTES, decodeSegmentHeader, encodeEntryHeader, encodeSegmentHeader,
  parseSegmentFileName, scanEntries, segmentFileName,
} from './wal-format.ts';

export interface WalOptions {
  dir: string;
  /** Rotate to a new segment file once the current one holds this many bytes. */
  segmentBytes?: number;
  /**
   * Bound on bytes appended but not yet trimmed. `hasCapacity` turns false
   * past it and `waitForCapacity` waits: callers apply backpressure before
   * appending instead of growing disk and memory without limit.
   */
  untrimmedBytesMax?: number;
}

export interface WalStats {
  appends: number;
  appendedBytes: number;
  fsyncs: number;
  fsyncSecondsTotal: number;
  /** Appends waiting for the next write+fsync. */
  queueDepth: number;
  untrimmedBytes: number;
  segments: number;
  recoveredEntries: number;
  truncatedTailBytes: number;
}

interface Segment {
  start: number;
  path: string;
}

interface PendingAppend {
  frame: Buffer[];
  resolve: () => void;
  reject: (e: Error) => void;
}

export const WAL_SEGMENT_BYTES_DEFAULT = 64 * 1024 * 1024;
export const WAL_UNTRIMMED_BYTES_MAX_DEFAULT = 512 * 1024 * 1024;

export type WalReplay = (position: number, payload: Buffer) => void;

export class GroupCommitWal {
  private readonly dir: string;
  private readonly segmentBytes: number;
  private readonly untrimmedBytesMax: number;
  private segments: Segment[] = [];
  private fh: FileHandle | undefined;
  /** Bytes of entries in the active segment file (after its header). */
  private activeBytes = 0;
  /** Logical position the next append gets. */
  private nextPosition = 0;
  /** Logical position up to which the log is durable. */
  private durablePosition = 0;
  private trimPosition = 0;
  private queue: PendingAppend[] = [];
  private flushing = false;
  private syncing = false;
  /** Written but not yet covered by an fdatasync. */
  private written: PendingAppend[] = [];
  private writtenPosition = 0;
  private syncWaiters: (() => void)[] = [];
  private failed: Error | undefined;
  private capacityWaiters: (() => void)[] = [];
  private closed = false;
  readonly stats: WalStats = {
    appends: 0, appendedBytes: 0, fsyncs: 0, fsyncSecondsTotal: 0, queueDepth: 0, untrimmedBytes: 0,
    segments: 0, recoveredEntries: 0, truncatedTailBytes: 0,
  };

  private constructor(opts: WalOptions) {
    this.dir = opts.dir;
    this.segmentBytes = opts.segmentBytes ?? WAL_SEGMENT_BYTES_DEFAULT;
    this.untrimmedBytesMax = opts.untrimmedBytesMax ?? WAL_UNTRIMMED_BYTES_MAX_DEFAULT;
  }

  /** Opens the WAL in `dir`, replaying every intact entry in order through `replay` before returning. */
  static async open(opts: WalOptions, replay: WalReplay): Promise<GroupCommitWal> {
    const wal = new GroupCommitWal(opts);
    await wal.recover(replay);
    return wal;
  }

  private async recover(replay: WalReplay): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const names = (await readdir(this.dir)).filter((n) => parseSegmentFileName(n) !== undefined).sort();
    const found: Segment[] = names.map((n) => ({ start: parseSegmentFileName(n)!, path: join(this.dir, n) }));
    let end = found.length > 0 ? found[0]!.start : 0;
    let keep = 0;
    let torn = false;
    for (const seg of found) {
      const buf = await readFile(seg.path);
      const start = decodeSegmentHeader(buf);
      if (start === undefined || start !== seg.start || start !== end) {
        // A segment whose header is unreadable, or that does not continue the log, ends recovery.
        torn = true;
        this.stats.truncatedTailBytes += buf.length;
        break;
      }
      const body = buf.subarray(SEGMENT_HEADER_BYTES);
      const { entries, validBytes } = scanEntries(body);
      for (const e of entries) replay(seg.start + e.offset, e.payload);
      this.stats.recoveredEntries += entries.length;
      end = seg.start + validBytes;
      keep++;
      if (validBytes < body.length) {
        this.stats.truncatedTailBytes += body.length - validBytes;
        const fh = await open(seg.path, 'r+');
        await fh.truncate(SEGMENT_HEADER_BYTES + validBytes);
        await fh.datasync();
        await fh.close();
        torn = true;
        break;
      }
    }
    for (const seg of found.slice(keep)) await unlink(seg.path);
    if (torn || keep < found.length) this.syncDir();
    this.segments = found.slice(0, keep);
    this.nextPosition = end;
    this.durablePosition = end;
    this.writtenPosition = end;
    this.trimPosition = this.segments.length > 0 ? this.segments[0]!.start : end;
    if (this.segments.length === 0) {
      await this.startSegment(end);
    } else {
      const last = this.segments[this.segments.length - 1]!;
      this.fh = await open(last.path, 'r+');
      this.activeBytes = end - last.start;
    }
    this.updateGauges();
  }

  private async startSegment(start: number): Promise<void> {
    const path = join(this.dir, segmentFileName(start));
    const fh = await open(path, 'w+');
    await fh.write(encodeSegmentHeader(start), 0, SEGMENT_HEADER_BYTES, 0);
    await fh.datasync();
    this.syncDir();
    if (this.fh !== undefined) await this.fh.close();
    this.fh = fh;
    this.activeBytes = 0;
    this.segments.push({ start, path });
  }

  private syncDir(): void {
    const fd = openSync(this.dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Whether the untrimmed log is under its bound. */
  hasCapacity(): boolean {
    return this.nextPosition - this.trimPosition < this.untrimmedBytesMax;
  }

  /** Resolves once the untrimmed log is under its bound (after uploads trim it). */
  waitForCapacity(): Promise<void> {
    if (this.hasCapacity()) return Promise.resolve();
    return new Promise((resolve) => this.capacityWaiters.push(resolve));
  }

  /** Position the next append will get; also the end of everything appended so far. */
  get endPosition(): number {
    return this.nextPosition;
  }

  /**
   * Appends one entry. Its position is fixed synchronously (appends are
   * ordered as called); the promise resolves once it is on disk.
   */
  append(payload: Buffer | readonly Buffer[]): { position: number; durable: Promise<void> } {
    if (this.closed) throw new Error('WAL is closed');
    if (this.failed) return { position: -1, durable: Promise.reject(this.failed) };
    const parts = Buffer.isBuffer(payload) ? [payload] : [...payload];
    const header = encodeEntryHeader(parts);
    const size = ENTRY_HEADER_BYTES + header.readUInt32BE(0);
    if (size === ENTRY_HEADER_BYTES) throw new Error('WAL entries must not be empty');
    const position = this.nextPosition;
    this.nextPosition += size;
    this.stats.appends++;
    this.stats.appendedBytes += size;
    const durable = new Promise<void>((resolve, reject) => {
      this.queue.push({ frame: [header, ...parts], resolve, reject });
    });
    this.stats.queueDepth = this.queue.length;
    if (!this.flushing) queueMicrotask(() => void this.flush());
    return { position, durable };
  }

  /**
   * Writes what is queued. Writing and fdatasync are pipelined: while one
   * fdatasync runs, the next group is already written, and the following
   * fdatasync covers it. An append is acknowledged only by an fdatasync that
   * started after its write completed.
   */
  private async flush(): Promise<void> {
    if (this.flushing || this.queue.length === 0 || this.fh === undefined || this.failed) return;
    this.flushing = true;
    const batch = this.queue;
    this.queue = [];
    this.stats.queueDepth = 0;
    try {
      if (this.activeBytes >= this.segmentBytes) {
        // The new segment must not start before the old one's data is durable.
        while (this.syncing || this.written.length > 0) await this.syncDone();
        await this.startSegment(this.durablePosition);
      }
      // One vectored write of every entry's frame: no copy of the payloads.
      const bufs = batch.flatMap((p) => p.frame);
      const total = bufs.reduce((a, b) => a + b.length, 0);
      const at = SEGMENT_HEADER_BYTES + this.activeBytes;
      let written = (await this.fh.writev(bufs, at)).bytesWritten;
      if (written < total) {
        // A short write (rare on regular files): finish the rest from a copy.
        const rest = Buffer.concat(bufs).subarray(written);
        let done = 0;
        while (done < rest.length) done += (await this.fh.write(rest, done, rest.length - done, at + written + done)).bytesWritten;
        written = total;
      }
      this.activeBytes += total;
      this.writtenPosition += total;
      this.written.push(...batch);
    } catch (e) {
      this.fail(e as Error, batch);
    } finally {
      this.flushing = false;
    }
    void this.sync();
    if (this.queue.length > 0) void this.flush();
  }

  private async sync(): Promise<void> {
    if (this.syncing || this.written.length === 0 || this.fh === undefined || this.failed) return;
    this.syncing = true;
    const batch = this.written;
    this.written = [];
    const end = this.writtenPosition;
    try {
      const t0 = process.hrtime.bigint();
      await this.fh.datasync();
      this.stats.fsyncSecondsTotal += Number(process.hrtime.bigint() - t0) / 1e9;
      this.stats.fsyncs++;
      this.durablePosition = end;
      for (const p of batch) p.resolve();
    } catch (e) {
      this.fail(e as Error, batch);
    } finally {
      this.syncing = false;
    }
    this.updateGauges();
    for (const w of this.syncWaiters.splice(0)) w();
    void this.sync();
  }

  private syncDone(): Promise<void> {
    return new Promise((resolve) => {
      this.syncWaiters.push(resolve);
      void this.sync();
    });
  }

  /**
   * A failed write or fsync leaves the file in an unknown state: this and
   * every later append fail. The owner must stop; recovery on restart keeps
   * exactly what is intact.
   */
  private fail(e: Error, batch: PendingAppend[]): void {
    this.failed ??= e;
    for (const p of [...batch, ...this.written, ...this.queue]) p.reject(this.failed);
    this.written = [];
    this.queue = [];
    for (const w of this.syncWaiters.splice(0)) w();
  }

  /** Why the WAL stopped taking appends (a failed write or fsync: a full disk, an I/O error); undefined while it works. */
  get failure(): Error | undefined {
    return this.failed;
  }

  /** Position up to which every appended entry is on disk. */
  get durableEnd(): number {
    return this.durablePosition;
  }

  /**
   * Everything before `position` is no longer needed (uploaded and indexed).
   * Whole segments before it are deleted; the active segment never is.
   */
  async trim(position: number): Promise<void> {
    if (position <= this.trimPosition) return;
    this.trimPosition = Math.min(position, this.durablePosition);
    while (this.segments.length > 1 && this.segments[1]!.start <= this.trimPosition) {
      const seg = this.segments.shift()!;
      await unlink(seg.path);
    }
    this.updateGauges();
    while (this.capacityWaiters.length > 0 && this.hasCapacity()) this.capacityWaiters.shift()!();
  }

  private updateGauges(): void {
    this.stats.untrimmedBytes = this.nextPosition - this.trimPosition;
    this.stats.segments = this.segments.length;
  }

  /** Waits for queued appends to be durable, then closes the active segment. */
  async close(): Promise<void> {
    this.closed = true;
    while ((this.flushing || this.syncing || this.queue.length > 0 || this.written.length > 0) && !this.failed) {
      if (!this.flushing && this.queue.length > 0) await this.flush();
      else await new Promise((r) => setTimeout(r, 1));
    }
    await this.fh?.close();
    this.fh = undefined;
    for (const w of this.capacityWaiters) w();
    this.capacityWaiters = [];
  }
}
