// Owns cutting a TCP byte stream into Kafka frames: a 4-byte big-endian size
// then that many bytes. Handles frames split across chunks and many frames in
// one chunk, copies only when a frame spans chunks, and refuses a declared
// size above the limit before buffering any of it.

export class FrameTooLargeError extends Error {
  readonly code = 'FLOE_ERR_FRAME_TOO_LARGE';
  readonly sizeBytes: number;
  readonly limitBytes: number;
  constructor(sizeBytes: number, limitBytes: number) {
    super(`frame of ${sizeBytes} bytes exceeds the limit of ${limitBytes} bytes`);
    this.name = 'FrameTooLargeError';
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
  }
}

export class InvalidFrameSizeError extends Error {
  readonly code = 'FLOE_ERR_FRAME_SIZE';
  constructor(sizeBytes: number) {
    super(`invalid frame size ${sizeBytes}`);
    this.name = 'InvalidFrameSizeError';
  }
}

const SIZE_PREFIX_BYTES = 4;

export class FrameDecoder {
  /** Changeable: a SASL listener accepts small frames only until the client has authenticated. */
  frameBytesMax: number;
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(frameBytesMax: number) {
    this.frameBytesMax = frameBytesMax;
  }

  /** Bytes held waiting for the rest of a frame (bounded by frameBytesMax + 4). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Adds a chunk and returns every complete frame it finishes (without the size prefix). */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    if (this.buffered === 0) {
      // Fast path: whole frames inside this chunk need no copy.
      let pos = 0;
      while (chunk.length - pos >= SIZE_PREFIX_BYTES) {
        const size = this.checkedSize(chunk.readInt32BE(pos));
        if (chunk.length - pos - SIZE_PREFIX_BYTES < size) break;
        frames.push(chunk.subarray(pos + SIZE_PREFIX_BYTES, pos + SIZE_PREFIX_BYTES + size));
        pos += SIZE_PREFIX_BYTES + size;
      }
      if (pos < chunk.length) {
        this.chunks.push(chunk.subarray(pos));
        this.buffered = chunk.length - pos;
      }
      return frames;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= SIZE_PREFIX_BYTES) {
      const size = this.checkedSize(this.peekSize());
      if (this.buffered < SIZE_PREFIX_BYTES + size) break;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      frames.push(all.subarray(SIZE_PREFIX_BYTES, SIZE_PREFIX_BYTES + size));
      const rest = all.subarray(SIZE_PREFIX_BYTES + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
    return frames;
  }

  private peekSize(): number {
    const first = this.chunks[0]!;
    if (first.length >= SIZE_PREFIX_BYTES) return first.readInt32BE(0);
    const head = Buffer.concat(this.chunks, Math.min(this.buffered, 64));
    return head.readInt32BE(0);
  }

  private checkedSize(size: number): number {
    if (size < 0) throw new InvalidFrameSizeError(size);
    if (size > this.frameBytesMax) throw new FrameTooLargeError(size, this.frameBytesMax);
    return size;
  }
}
