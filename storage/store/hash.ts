import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { isMainThread, parentPort, workerData, type Worker } from 'node:worker_threads';
import { crc32c } from '@node-rs/crc32';
import { startThread } from '../worker-thread.js';
import type { LocalFileHashes } from './types.js';

/** GCS's hash forms: base64 of the big-endian CRC32C and of the MD5 digest (hashes-etags). */
export function crc32cBase64(state: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(state >>> 0);
  return b.toString('base64');
}

export function hashBuffer(data: Uint8Array): LocalFileHashes {
  return { size: data.length, crc32c: crc32cBase64(crc32c(data)), md5Hash: createHash('md5').update(data).digest('base64') };
}

const CHUNK_BYTES = 1024 * 1024;
/** Files up to this size (keys, small indexes) are hashed in place: cheaper than a trip to the thread. */
const INLINE_MAX_BYTES = 256 * 1024;
const HASH_THREAD_ROLE = 'tapegate-hash';

/**
 * Size, CRC32C and MD5 of a file in one pass, synchronously. Only for the hash thread (or a thread
 * that may block): a 64 MiB segment takes ~100 ms of CPU.
 */
export function hashFileSync(path: string, buf: Buffer = Buffer.allocUnsafe(CHUNK_BYTES)): LocalFileHashes {
  const fd = openSync(path, 'r');
  try {
    let crc = 0;
    let size = 0;
    const md5 = createHash('md5');
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const chunk = buf.subarray(0, n);
      crc = crc32c(chunk, crc);
      md5.update(chunk);
      size += n;
    }
    return { size, crc32c: crc32cBase64(crc), md5Hash: md5.digest('base64') };
  } finally {
    closeSync(fd);
  }
}

interface HashRequest {
  id: number;
  path: string;
}
type HashReply = { id: number; hashes: LocalFileHashes } | { id: number; error: { message: string; code?: string; syscall?: string; errno?: number; path?: string } };

/**
 * Size, CRC32C and MD5 of a file. Beyond a few hundred KiB (segments) they are computed on a helper
 * thread: the read and both digests stay off the event loop (the gateway's throughput bottleneck).
 * An abort rejects at once; the thread finishes that file in the background and its answer is dropped.
 */
export async function hashFile(path: string, signal?: AbortSignal): Promise<LocalFileHashes> {
  signal?.throwIfAborted();
  const fh = await open(path, 'r');
  let small: Buffer | undefined;
  try {
    if ((await fh.stat()).size <= INLINE_MAX_BYTES) small = await fh.readFile();
  } finally {
    await fh.close();
  }
  if (small) return hashBuffer(small);
  return hashThread.hash(path, signal);
}

interface Pending {
  resolve: (h: LocalFileHashes) => void;
  reject: (err: Error) => void;
}

/** One lazily started thread, serving requests in order; it keeps the process alive only while busy. */
class HashThread {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  hash(path: string, signal?: AbortSignal): Promise<LocalFileHashes> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const worker = this.worker ?? this.spawn();
    const id = this.nextId++;
    return new Promise<LocalFileHashes>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.settle(id)) reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (h) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(h);
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, path } satisfies HashRequest);
    });
  }

  /** Forgets a request; returns it if it was still pending. */
  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker?.unref();
    return p;
  }

  private spawn(): Worker {
    const worker = startThread(new URL(import.meta.url), { name: HASH_THREAD_ROLE, workerData: { role: HASH_THREAD_ROLE } });
    worker.unref();
    worker.on('message', (msg: HashReply) => {
      const p = this.settle(msg.id);
      if (!p) return;
      if ('hashes' in msg) p.resolve(msg.hashes);
      else p.reject(Object.assign(new Error(msg.error.message), msg.error));
    });
    const gone = (err: Error): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const failed = [...this.pending.values()];
      this.pending.clear();
      for (const p of failed) p.reject(err);
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`hash thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('hashing aborted');
}

const hashThread = new HashThread();

/** This module is also the hash thread's entry point. */
function serveHashRequests(): void {
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  parentPort!.on('message', (req: HashRequest) => {
    let reply: HashReply;
    try {
      reply = { id: req.id, hashes: hashFileSync(req.path, buf) };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      reply = { id: req.id, error: { message: e.message, code: e.code, syscall: e.syscall, errno: e.errno, path: e.path } };
    }
    parentPort!.postMessage(reply);
  });
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === HASH_THREAD_ROLE) serveHashRequests();
