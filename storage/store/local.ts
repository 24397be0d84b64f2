import { randomBytes } from 'node:crypto';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { chmod, link, mkdir, open, readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { hashFile } from './hash.js';
import { StoreError, type ListResult, type ObjectInfo, type PutFileOptions, type Store } from './types.js';

/**
 * The embedded default store: a directory laid out exactly like the bucket (`<dir>/<object name>`).
 * Create-only by construction: the copy goes to a temporary file that is fsynced and then hard-linked
 * to its final name, which fails if the name exists; finished files are made read-only.
 */
export class LocalStore implements Store {
  readonly kind = 'local' as const;
  readonly description: string;

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
      await pipeline(createReadStream(source), createWriteStream(tmp, { flags: 'wx' }), { signal: opts.signal });
      const fh = await open(tmp, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      const copied = await hashFile(tmp);
      if (copied.crc32c !== opts.hashes.crc32c || copied.size !== opts.hashes.size) {
        throw new StoreError('checksum', `copy of ${source} does not match its CRC32C/size (the spool file changed or the disk is failing)`);
      }
      await chmod(tmp, 0o444);
      try {
        await link(tmp, target);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new StoreError('exists', `object ${name} already exists in ${this.description}`);
        throw err;
      }
      await syncDir(dir);
      return { name, size: copied.size, crc32c: copied.crc32c, md5Hash: copied.md5Hash };
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  async head(name: string): Promise<ObjectInfo | undefined> {
    const p = this.pathOf(name);
    if (!(await exists(p))) return undefined;
    const h = await hashFile(p);
    return { name, size: h.size, crc32c: h.crc32c, md5Hash: h.md5Hash };
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
