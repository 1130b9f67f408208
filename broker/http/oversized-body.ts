// Owns the answer to a request body over the HTTP server's limit: 413, read
// by the client. Fastify refuses such a body before reading it and closes the
// connection; a client still writing it (undici's fetch, for one) then fails
// with EPIPE instead of seeing the 413. So the rest of the body is read and
// dropped first, within a bound of bytes and time, as a lingering close does.
// Must not buffer what it drains, nor touch any other error.

import type { FastifyInstance } from 'fastify';

/** Past this much more body, or this long, the connection is closed without waiting for the rest. */
export const OVERSIZED_DRAIN_MAX_BYTES = 64 * 1024 * 1024;
export const OVERSIZED_DRAIN_MAX_MS = 10_000;

/** Reads and drops what is left of `stream`, until its end or a bound. */
function drain(stream: NodeJS.ReadableStream & { readableEnded?: boolean; destroyed?: boolean }): Promise<void> {
  if (stream.readableEnded === true || stream.destroyed === true) return Promise.resolve();
  return new Promise((resolve) => {
    let bytes = 0;
    const done = (): void => {
      clearTimeout(timer);
      stream.removeListener('data', onData);
      stream.removeListener('end', done);
      stream.removeListener('error', done);
      stream.removeListener('close', done);
      resolve();
    };
    const onData = (chunk: Buffer | string): void => {
      bytes += chunk.length;
      if (bytes > OVERSIZED_DRAIN_MAX_BYTES) done();
    };
    const timer = setTimeout(done, OVERSIZED_DRAIN_MAX_MS);
    stream.on('data', onData);
    stream.once('end', done);
    stream.once('error', done);
    stream.once('close', done);
    stream.resume();
  });
}

export function registerOversizedBodyAnswer(app: FastifyInstance, limitBytes: number): void {
  app.setErrorHandler(async (error, request, reply) => {
    if ((error as { code?: string }).code !== 'FST_ERR_CTP_BODY_TOO_LARGE') throw error;
    await drain(request.raw);
    reply.code(413);
    return { error_code: 413, message: `the request body is larger than ${limitBytes} bytes` };
  });
}
