// Owns the ObjectStore interface every storage backend implements, and the
// bounded retry policy with backoff and jitter that wraps backend calls.
// Must not know about streams, Kafka or the WAL.

export interface ObjectInfo {
  key: string;
  sizeBytes: number;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, exclusive. */
  end: number;
}

export class ObjectNotFoundError extends Error {
  readonly code = 'FLOE_ERR_OBJECT_NOT_FOUND';
  constructor(key: string) {
    super(`object not found: ${key}`);
    this.name = 'ObjectNotFoundError';
  }
}

export interface ObjectStore {
  readonly kind: string;
  put(key: string, body: Buffer | readonly Buffer[]): Promise<void>;
  /** Writes only if no object has the key; false when one exists. */
  putIfAbsent(key: string, body: Buffer): Promise<boolean>;
  get(key: string, range?: ByteRange): Promise<Buffer>;
  head(key: string): Promise<ObjectInfo | undefined>;
  list(prefix: string): Promise<ObjectInfo[]>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

export type ObjectOp = 'put' | 'get' | 'head' | 'list' | 'delete';

export interface ObjectStoreStats {
  /** Requests by operation and outcome, e.g. "put:ok", "get:error", "put:retry". */
  requests: Map<string, number>;
  bytesWritten: number;
  bytesRead: number;
  /** Consecutive failures of the last operation: > 0 means the store is failing right now. */
  consecutiveFailures: number;
  lastError: string | undefined;
}

export interface RetryPolicy {
  attemptsMax: number;
  backoffMsBase: number;
  backoffMsMax: number;
}

export const RETRY_DEFAULT: RetryPolicy = { attemptsMax: 5, backoffMsBase: 50, backoffMsMax: 2000 };

/** Wraps a backend: counts every request by type and outcome and retries failures with bounded backoff. */
export class InstrumentedObjectStore implements ObjectStore {
  readonly kind: string;
  readonly stats: ObjectStoreStats = { requests: new Map(), bytesWritten: 0, bytesRead: 0, consecutiveFailures: 0, lastError: undefined };
  private readonly inner: ObjectStore;
  private readonly retry: RetryPolicy;

  constructor(inner: ObjectStore, retry: RetryPolicy = RETRY_DEFAULT) {
    this.inner = inner;
    this.kind = inner.kind;
    this.retry = retry;
  }

  private count(name: string): void {
    this.stats.requests.set(name, (this.stats.requests.get(name) ?? 0) + 1);
  }

  private async run<T>(op: ObjectOp, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const v = await fn();
        this.count(`${op}:ok`);
        this.stats.consecutiveFailures = 0;
        return v;
      } catch (e) {
        if (e instanceof ObjectNotFoundError) {
          this.count(`${op}:not_found`);
          throw e;
        }
        this.count(`${op}:error`);
        this.stats.consecutiveFailures++;
        this.stats.lastError = (e as Error).message;
        if (attempt >= this.retry.attemptsMax) throw e;
        this.count(`${op}:retry`);
        const cap = Math.min(this.retry.backoffMsMax, this.retry.backoffMsBase * 2 ** (attempt - 1));
        await new Promise((r) => setTimeout(r, cap / 2 + Math.random() * (cap / 2)));
      }
    }
  }

  put(key: string, body: Buffer | readonly Buffer[]): Promise<void> {
    const size = Buffer.isBuffer(body) ? body.length : body.reduce((a, b) => a + b.length, 0);
    return this.run('put', () => this.inner.put(key, body)).then(() => { this.stats.bytesWritten += size; });
  }

  putIfAbsent(key: string, body: Buffer): Promise<boolean> {
    return this.run('put', () => this.inner.putIfAbsent(key, body));
  }

  get(key: string, range?: ByteRange): Promise<Buffer> {
    return this.run('get', () => this.inner.get(key, range)).then((b) => { this.stats.bytesRead += b.length; return b; });
  }

  head(key: string): Promise<ObjectInfo | undefined> {
    return this.run('head', () => this.inner.head(key));
  }

  list(prefix: string): Promise<ObjectInfo[]> {
    return this.run('list', () => this.inner.list(prefix));
  }

  delete(key: string): Promise<void> {
    return this.run('delete', () => this.inner.delete(key));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
