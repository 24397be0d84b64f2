/**
 * The recording floor's writer thread (see floor-recorder.ts): takes what the event loop put in the
 * ring, compresses it as one zstd frame (level 1) per batch, appends it to the file, frees the ring
 * space; `sync` also fdatasyncs and then tells the event loop the highest end sequence covered.
 */
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { C_FAILED, C_READ, C_SEQ, C_SLEEPING, C_STALLED, C_STOP, C_WAKE, C_WRITE, RING_BYTES, type WorkerData } from './floor-recorder.js';

/** The low-level binding: caller-owned output buffer, no allocation per frame. */
const zstd = createRequire(import.meta.url)('zstd-napi/binding') as typeof import('zstd-napi/binding.js');

/** A batch is at most this much of the ring (bounded compression time per frame). */
const MAX_BATCH = 1024 * 1024;
/** async: time between flushes when less than EAGER_BYTES is waiting. */
const ASYNC_FLUSH_MS = 2;
/** Flush at once (either mode) when this much is waiting. */
const EAGER_BYTES = 256 * 1024;
/** sync: how long to sleep when idle before looking again (the event loop wakes us sooner). */
const SYNC_IDLE_MS = 100;

const data = workerData as WorkerData;
const ring = new Uint8Array(data.ring);
const control = new Int32Array(data.control);
const sync = data.durability === 'sync';
const cctx = new zstd.CCtx();
const out = Buffer.allocUnsafe(zstd.compressBound(MAX_BATCH));
const fd = openSync(data.file, 'a');
let read = 0;

function available(write: number): number {
  return (write - read + RING_BYTES) % RING_BYTES;
}

/** Compresses and writes ring[read, write) (cut at the ring's end and at MAX_BATCH); returns bytes taken. */
function flushOnce(write: number): number {
  const end = write >= read ? write : RING_BYTES;
  const n = Math.min(end - read, MAX_BATCH);
  if (n === 0) return 0;
  const size = cctx.compress(out, ring.subarray(read, read + n), 1);
  let off = 0;
  while (off < size) off += writeSync(fd, out, off, size - off);
  read = (read + n) % RING_BYTES;
  Atomics.store(control, C_READ, read);
  if (Atomics.load(control, C_STALLED) === 1) Atomics.notify(control, C_READ);
  return n;
}

/** End sequence number last made durable (sync) or last flushed. */
let lastSeq = 0;

/** Everything published up to now; sync: then fdatasync and release the exchanges it covers. */
function flush(): void {
  // Sequence first, then position: every end counted in `seq` is before the position read after it.
  const seq = Atomics.load(control, C_SEQ);
  const write = Atomics.load(control, C_WRITE);
  while (available(write) > 0) flushOnce(write);
  if (sync && seq !== lastSeq) {
    fdatasyncSync(fd);
    parentPort!.postMessage(seq);
  }
  lastSeq = seq;
}

function run(): void {
  for (;;) {
    const stopping = Atomics.load(control, C_STOP) === 1;
    const avail = available(Atomics.load(control, C_WRITE));
    const urgent = avail > 0 && (stopping || avail >= EAGER_BYTES || Atomics.load(control, C_STALLED) === 1);
    if (sync) {
      // Flush as soon as an exchange has ended (it waits for this fdatasync), or when pressed.
      const seq = Atomics.load(control, C_SEQ);
      if (seq !== lastSeq || urgent) {
        flush();
        continue;
      }
      if (stopping) break;
      // Announce the sleep, then wait on the sequence word: the event loop either sees the flag and
      // notifies, or has already moved the word and the wait returns at once.
      Atomics.store(control, C_SLEEPING, 1);
      Atomics.wait(control, C_SEQ, seq, SYNC_IDLE_MS);
      Atomics.store(control, C_SLEEPING, 0);
      continue;
    }
    if (urgent) {
      flush();
      continue;
    }
    if (stopping) break;
    // async: let a few ms of exchanges gather into one frame and one write.
    Atomics.wait(control, C_WAKE, Atomics.load(control, C_WAKE), ASYNC_FLUSH_MS);
    if (available(Atomics.load(control, C_WRITE)) > 0) flush();
  }
  fdatasyncSync(fd); // async: the last frames on disk before the process exits
  closeSync(fd);
}

try {
  run();
} catch (err) {
  Atomics.store(control, C_FAILED, 1);
  Atomics.notify(control, C_READ);
  throw err;
}
