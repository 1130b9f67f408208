// Owns the local-filesystem ObjectStore, the embedded default: each object
// is a file under a root directory, written to a temporary name, fsynced,
// renamed into place and the directory fsynced, so an object is either
// absent or whole after a crash. Keys may contain '/', mapped to directories.

import { mkdir, open, readdir, rename, stat, unlink, link, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ObjectNotFoundError, type ByteRange, type ObjectInfo, type ObjectStore } from './object-store.ts';

const TMP_SUFFIX = '.floe-tmp';

export class FileSystemObjectStore implements ObjectStore {
  readonly kind = 'filesystem';
  private readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  private path(key: string): string {
    if (key.length === 0 || key.split('/').some((p) => p === '' || p === '.' || p === '..')) throw new Error(`invalid object key ${JSON.stringify(key)}`);
    return join(this.root, ...key.split('/'));
  }

  /** Makes a rename durable; off the event loop, which keeps serving produce requests meanwhile. */
  private async syncDir(dir: string): Promise<void> {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  private async writeTemp(path: string, body: Buffer | readonly Buffer[]): Promise<string> {
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${randomBytes(6).toString('hex')}${TMP_SUFFIX}`;
    const fh: FileHandle = await open(tmp, 'w');
    try {
      const bufs = Buffer.isBuffer(body) ? [body] : body;
      await fh.writev([...bufs]);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    return tmp;
  }

  async put(key: string, body: Buffer | readonly Buffer[]): Promise<void> {
    const path = this.path(key);
    const tmp = await this.writeTemp(path, body);
    await rename(tmp, path);
    await this.syncDir(dirname(path));
  }

  async putIfAbsent(key: string, body: Buffer): Promise<boolean> {
    const path = this.path(key);
    const tmp = await this.writeTemp(path, body);
    try {
      // link() fails if the target exists: an atomic create-if-absent.
      await link(tmp, path);
      await this.syncDir(dirname(path));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    } finally {
      await unlink(tmp);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Buffer> {
    let fh: FileHandle;
    try {
      fh = await open(this.path(key), 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectNotFoundError(key);
      throw e;
    }
    try {
      const size = (await fh.stat()).size;
      const start = range?.start ?? 0;
      const end = Math.min(range?.end ?? size, size);
      const buf = Buffer.allocUnsafe(Math.max(0, end - start));
      let read = 0;
      while (read < buf.length) {
        const { bytesRead } = await fh.read(buf, read, buf.length - read, start + read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      return buf.subarray(0, read);
    } finally {
      await fh.close();
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const s = await stat(this.path(key));
      return { key, sizeBytes: s.size };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const walk = async (dir: string): Promise<void> => {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      for (const n of names) {
        const p = join(dir, n);
        const s = await stat(p).catch(() => undefined);
        if (s === undefined) continue;
        if (s.isDirectory()) await walk(p);
        else if (!n.endsWith(TMP_SUFFIX)) {
          const key = relative(this.root, p).split(sep).join('/');
          if (key.startsWith(prefix)) out.push({ key, sizeBytes: s.size });
        }
      }
    };
    await walk(this.root);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.path(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  async close(): Promise<void> {}
}
