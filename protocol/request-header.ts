// Owns reading the request header of a frame and writing response frames,
// applying Kafka's header-version rules (flexible APIs use request header v2
// and response header v1; ApiVersions responses always use header v0 so that
// any client can read the error of an unsupported version).

import { Reader } from './primitives/reader.ts';
import { Writer } from './primitives/writer.ts';
import { KafkaDecodeError } from './primitives/decode-error.ts';
import { apiByKey, type ApiDescriptor } from './generated/index.ts';
import { readRequestHeader, writeRequestHeader, type RequestHeader } from './generated/RequestHeader.ts';
import { writeResponseHeader } from './generated/ResponseHeader.ts';

export interface DecodedRequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** The API, or undefined for an API key the specs do not define. */
  api: ApiDescriptor | undefined;
  /** Whether the version is within the specs' valid versions for the API. */
  versionKnown: boolean;
  /** Reader positioned at the request body. */
  body: Reader;
}

/**
 * Reads the header of a request frame. Unknown API keys and versions still
 * yield apiKey, version and correlation id (they sit at fixed offsets in every
 * header version) so the broker can answer UNSUPPORTED_VERSION.
 */
export function readRequestFrame(frame: Buffer): DecodedRequestHeader {
  const r = new Reader(frame);
  if (frame.length < 8) throw new KafkaDecodeError(`request frame of ${frame.length} bytes is shorter than a header`);
  const apiKey = frame.readInt16BE(0);
  const apiVersion = frame.readInt16BE(2);
  const api = apiKey >= 0 ? apiByKey[apiKey] : undefined;
  const versionKnown = api !== undefined && apiVersion >= api.minVersion && apiVersion <= api.maxVersion;
  let header: RequestHeader;
  if (versionKnown) {
    header = readRequestHeader(r, api.requestHeaderVersion(apiVersion));
  } else {
    // Header v1 layout (no tagged fields) is the most a client of an unknown version can rely on.
    header = readRequestHeader(r, 1);
  }
  return {
    apiKey,
    apiVersion,
    correlationId: header.correlationId,
    clientId: header.clientId,
    api,
    versionKnown,
    body: r,
  };
}

/** Writes a size-prefixed response frame; returns the chunks for a vectored socket write. */
export function writeResponseFrame<Res>(api: ApiDescriptor<unknown, Res>, version: number, correlationId: number, body: Res): Buffer[] {
  const w = new Writer();
  const size = w.reserveInt32();
  writeResponseHeader(w, api.responseHeaderVersion(version), { correlationId });
  api.writeResponse(w, version, body);
  Writer.patchInt32(size, w.length - 4);
  return w.chunksView();
}

/** Writes a size-prefixed request frame (used by tests and the benchmark's load generator). */
export function writeRequestFrame<Req>(api: ApiDescriptor<Req, unknown>, version: number, correlationId: number, clientId: string | null, body: Req): Buffer[] {
  const w = new Writer();
  const size = w.reserveInt32();
  writeRequestHeader(w, api.requestHeaderVersion(version), {
    requestApiKey: api.apiKey, requestApiVersion: version, correlationId, clientId,
  });
  api.writeRequest(w, version, body);
  Writer.patchInt32(size, w.length - 4);
  return w.chunksView();
}
