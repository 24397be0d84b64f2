import { randomBytes } from 'node:crypto';
import { constants, createReadStream, type BigIntStats } from 'node:fs';
import { chmod, copyFile, link, mkdir, open, readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { hashFile } from './hash.js';
import { StoreError, type ListResult, type LocalFileHashes, type ObjectInfo, type PutFileOptions, type Store } from './types.js';

/** How many recent puts head() can answer without re-reading (the uploader heads right after a put). */
const VERIFIED_MEMO_ENTRIES = 64;

/** The file a put verified and linked, as stat saw it just after: any later change to it shows here. */
interface VerifiedObject {
  ino: bigint;
  dev: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  hashes: LocalFileHashes;
}

/**
 * The embedded default store: a directory laid out exactly like the bucket (`<dir>/<object name>`).
 * Create-only by construction: the copy goes to a temporary file that is fsynced, verified against
 * the writer's digests and then hard-linked to its final name, which fails if the name exists;
 * finished files are made read-only. The copy runs on the libuv thread pool (copy_file_range or a
 * reflink) and the verifying read + MD5/CRC32C on the hash thread: nothing of it on the event loop.
 */
export class LocalStore implements Store {
  readonly kind = 'local' as const;
  readonly description: string;
  /**
   * What recent puts verified, so head() right after a put does not hash the file a second time.
   * Used only while the file's inode, size, mtime and ctime are still those seen after the link
   * (a write, truncate, chmod or replacement changes ctime, which no caller can set back); anything
   * else is hashed from disk.
   */
  private readonly verified = new Map<string, VerifiedObject>();

  constructor(
    readonly dir: string,
    readonly prefix: string,
  ) {
    this.description = `local directory ${dir}`;
  }

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  private pathOf(name: string): string {
    if (!name || name.startsWith('/') || name.split('/').some((p) => p === '..' || p === '.' || p === '')) {
      throw new StoreError('other', `invalid object name "${name}"`);
    }
    return path.join(this.dir, ...name.split('/'));
  }

  async putFile(name: string, source: string, opts: PutFileOptions): Promise<ObjectInfo> {
    const target = this.pathOf(name);
    const dir = path.dirname(target);
    await mkdir(dir, { recursive: true });
    if (await exists(target)) throw new StoreError('exists', `object ${name} already exists in ${this.description}`);
    const tmp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      opts.signal?.throwIfAborted();
      await copyFile(source, tmp, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
      opts.onProgress?.();
      const fh = await open(tmp, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      opts.signal?.throwIfAborted();
      // The stored bytes, read back from the copy, against what the writer thread hashed as it wrote.
      const copied = await hashFile(tmp, opts.signal);
      const want = opts.hashes;
      if (copied.size !== want.size || copied.crc32c !== want.crc32c || (want.md5Hash !== undefined && copied.md5Hash !== want.md5Hash)) {
        throw new StoreError('checksum', `copy of ${source} does not match its size/CRC32C/MD5 (the spool file changed or the disk is failing)`);
      }
      await chmod(tmp, 0o444);
      try {
        await link(tmp, target);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new StoreError('exists', `object ${name} already exists in ${this.description}`);
        throw err;
      }
      // Before the directory fsync, so one fsync makes both the link and the unlink durable.
      await unlink(tmp);
      await syncDir(dir);
      this.remember(name, await stat(target, { bigint: true }), copied);
      return { name, size: copied.size, crc32c: copied.crc32c, md5Hash: copied.md5Hash };
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  /** Size and digests of the stored bytes: from the put that verified them if the file is untouched since, else read and hashed. */
  async head(name: string): Promise<ObjectInfo | undefined> {
    const p = this.pathOf(name);
    let st: BigIntStats;
    try {
      st = await stat(p, { bigint: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const v = this.verified.get(name);
    const h = v && sameFile(v, st) ? v.hashes : await hashFile(p);
    return { name, size: h.size, crc32c: h.crc32c, md5Hash: h.md5Hash };
  }

  private remember(name: string, st: BigIntStats, hashes: LocalFileHashes): void {
    if (st.size !== BigInt(hashes.size)) return;
    this.verified.delete(name);
    this.verified.set(name, { ino: st.ino, dev: st.dev, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, hashes });
    if (this.verified.size > VERIFIED_MEMO_ENTRIES) this.verified.delete(this.verified.keys().next().value!);
  }

  async read(name: string, range?: { start: number; end?: number }): Promise<Buffer> {
    const p = this.pathOf(name);
    if (!(await exists(p))) throw new StoreError('not_found', `no object ${name} in ${this.description}`);
    const chunks: Buffer[] = [];
    const stream = createReadStream(p, range ? { start: range.start, end: range.end } : {});
    for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
    return Buffer.concat(chunks);
  }

  /** Lists like the JSON API: names in lexical order, `delimiter` folds deeper names into prefixes. */
  async list(prefix: string, opts: { delimiter?: string; pageToken?: string; maxResults?: number } = {}): Promise<ListResult> {
    const names: string[] = [];
    await walk(this.dir, '', names);
    const delimiter = opts.delimiter ?? '';
    const max = opts.maxResults ?? 1000;
    const entries = new Map<string, boolean>();
    for (const n of names) {
      if (!n.startsWith(prefix)) continue;
      const i = delimiter ? n.indexOf(delimiter, prefix.length) : -1;
      if (i >= 0) entries.set(n.slice(0, i + delimiter.length), true);
      else entries.set(n, false);
    }
    const keys = [...entries.keys()].sort().filter((k) => !opts.pageToken || k > opts.pageToken);
    const page = keys.slice(0, max);
    const objects: ObjectInfo[] = [];
    const prefixes: string[] = [];
    for (const k of page) {
      if (entries.get(k)) prefixes.push(k);
      else {
        const s = await stat(this.pathOf(k));
        objects.push({ name: k, size: s.size, crc32c: '' });
      }
    }
    return { objects, prefixes, ...(keys.length > max ? { nextPageToken: page[page.length - 1]! } : {}) };
  }
}

async function walk(root: string, rel: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(path.join(root, rel), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.name.startsWith('.')) continue; // temporary files of unfinished puts
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) await walk(root, r, out);
    else if (e.isFile()) out.push(r);
  }
}

function sameFile(v: VerifiedObject, st: BigIntStats): boolean {
  return st.isFile() && v.ino === st.ino && v.dev === st.dev && v.size === st.size && v.mtimeNs === st.mtimeNs && v.ctimeNs === st.ctimeNs;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
