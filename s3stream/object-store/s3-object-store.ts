// Owns the S3 ObjectStore on @aws-sdk/client-s3: endpoint, region,
// credentials, bucket and path-style addressing, so the same code talks to
// AWS S3 and MinIO. Retries are InstrumentedObjectStore's job, so the SDK's
// own retries are off (one place decides how hard to try).

import {
  DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException,
} from '@aws-sdk/client-s3';
import { ObjectNotFoundError, type ByteRange, type ObjectInfo, type ObjectStore } from './object-store.ts';

export interface S3ObjectStoreOptions {
  bucket: string;
  /** e.g. http://127.0.0.1:9000 for MinIO; omit for AWS. */
  endpoint?: string;
  region?: string;
  /** Path-style addressing (bucket in the path), needed by MinIO and most S3-compatible servers. */
  forcePathStyle?: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Prefix for every key, so several clusters can share a bucket. */
  keyPrefix?: string;
  requestTimeoutMs?: number;
}

function isNotFound(e: unknown): boolean {
  if (e instanceof S3ServiceException) {
    return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata.httpStatusCode === 404;
  }
  return false;
}

export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3';
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(opts: S3ObjectStoreOptions) {
    this.bucket = opts.bucket;
    this.prefix = opts.keyPrefix ?? '';
    const credentials = opts.accessKeyId !== undefined && opts.secretAccessKey !== undefined
      ? { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey }
      : undefined;
    this.client = new S3Client({
      region: opts.region ?? process.env.AWS_REGION ?? 'us-east-1',
      ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}),
      forcePathStyle: opts.forcePathStyle ?? opts.endpoint !== undefined,
      ...(credentials !== undefined ? { credentials } : {}),
      maxAttempts: 1,
      requestHandler: { requestTimeout: opts.requestTimeoutMs ?? 30_000, connectionTimeout: 5_000 },
    });
  }

  private k(key: string): string {
    return this.prefix + key;
  }

  async put(key: string, body: Buffer | readonly Buffer[]): Promise<void> {
    const buf = Buffer.isBuffer(body) ? body : Buffer.concat([...body]);
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.k(key), Body: buf, ContentLength: buf.length }));
  }

  async putIfAbsent(key: string, body: Buffer): Promise<boolean> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.k(key), Body: body, IfNoneMatch: '*' }));
      return true;
    } catch (e) {
      if (e instanceof S3ServiceException && (e.$metadata.httpStatusCode === 412 || e.name === 'PreconditionFailed')) return false;
      throw e;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Buffer> {
    if (range !== undefined && range.end <= range.start) return Buffer.alloc(0);
    try {
      const res = await this.client.send(new GetObjectCommand({
        Bucket: this.bucket, Key: this.k(key),
        ...(range !== undefined ? { Range: `bytes=${range.start}-${range.end - 1}` } : {}),
      }));
      if (res.Body === undefined) return Buffer.alloc(0);
      return Buffer.from(await res.Body.transformToByteArray());
    } catch (e) {
      if (isNotFound(e)) throw new ObjectNotFoundError(key);
      throw e;
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.k(key) }));
      return { key, sizeBytes: res.ContentLength ?? 0 };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const res = await this.client.send(new ListObjectsV2Command({
        Bucket: this.bucket, Prefix: this.k(prefix), ...(token !== undefined ? { ContinuationToken: token } : {}),
      }));
      for (const o of res.Contents ?? []) {
        if (o.Key !== undefined) out.push({ key: o.Key.slice(this.prefix.length), sizeBytes: o.Size ?? 0 });
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out;
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.k(key) }));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
