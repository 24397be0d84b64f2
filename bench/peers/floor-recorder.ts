/**
 * The recording floor's event-loop half: the cheapest recorder we could write that still loses
 * nothing, to read tapegate's recording cost against (bench targets floor-rec-async/-sync, see
 * floor-rec-undici.ts). A bench instrument, not product code: no protobuf, CRC, hashes, index,
 * redaction, sessions or signatures.
 *
 * Hand-off: one SharedArrayBuffer byte ring (single producer: the event loop; single consumer: the
 * writer thread, floor-recorder-worker.ts). Each piece of an exchange is copied into the ring as it
 * passes (never a whole body held) as one record:
 *
 *   u32le length of what follows | u32le exchange id | u8 kind | payload
 *
 *   kind 1 request head:  UTF-8 text `METHOD target\r\nname: value\r\n…` (every header as received; CR
 *                         and LF cannot occur inside a target, name or value, so this is lossless)
 *   kind 2 request body chunk (raw)
 *   kind 3 response head: u16le status, u16le n, then n × (u32le length, bytes): raw name, value, …
 *   kind 4 response body chunk (raw)
 *   kind 5 end:           u8 outcome (0 complete, 1 upstream failed, 2 agent went away)
 *
 * The ring is a plain byte stream (a record may wrap around its end), published by an Atomics.store
 * of the write position; the thread compresses what is there as one zstd frame (level 1) per batch
 * and appends it to the file, so decompressing the file (all frames) gives the record stream back.
 * A full ring stalls the event loop (Atomics.wait) until the thread frees space: nothing is dropped.
 *
 * Durability `sync`: end() returns a sequence number; the thread, after an fdatasync that started
 * after that exchange's bytes were written, posts the highest such number, and the exchanges up to it
 * are released (group commit: one fdatasync for whatever accumulated while the previous one ran).
 * `async`: the thread flushes every ASYNC_FLUSH_MS (sooner when a lot is waiting), without fdatasync.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

export type Durability = 'async' | 'sync';

export const KIND_REQUEST_HEAD = 1;
export const KIND_REQUEST_BODY = 2;
export const KIND_RESPONSE_HEAD = 3;
export const KIND_RESPONSE_BODY = 4;
export const KIND_END = 5;
export const OUTCOME_COMPLETE = 0;
export const OUTCOME_UPSTREAM_FAILED = 1;
export const OUTCOME_AGENT_GONE = 2;

/** Control words (Int32 indices), the producer's and the consumer's on separate cache lines. */
export const C_WRITE = 0; // producer: write position in the ring
export const C_SEQ = 1; // producer: sequence number of the last end record published
export const C_WAKE = 2; // producer: bumped to wake a thread sleeping between async flushes
export const C_STOP = 3; // producer: 1 = drain and exit
export const C_READ = 16; // consumer: read position (bytes before it are on their way to the file)
export const C_SLEEPING = 17; // consumer (sync): 1 while it waits for an end record (the producer notifies C_SEQ)
export const C_STALLED = 18; // producer: 1 while the event loop waits for space
export const C_FAILED = 19; // consumer: 1 = could not write; the producer refuses new records
export const CONTROL_BYTES = 128;

export const RING_BYTES = 16 * 1024 * 1024;
/** Body chunks are cut into records of at most this (a record never needs more than a quarter of the ring). */
const MAX_CHUNK = RING_BYTES / 4;
/** How long a full ring may stall the event loop before the exchange is refused. */
const STALL_LIMIT_MS = 10_000;

/** What waits for durability (an object, not a closure per exchange: less garbage). */
export interface Durable {
  durable(): void;
}

export interface WorkerData {
  ring: SharedArrayBuffer;
  control: SharedArrayBuffer;
  file: string;
  durability: Durability;
}

/** The writer thread's module (the .ts beside it when run from source: tsx registered in the thread). */
function startWorker(data: WorkerData): Worker {
  const entry = new URL('./floor-recorder-worker.js', import.meta.url);
  if (!import.meta.url.endsWith('.ts')) return new Worker(entry, { workerData: data });
  const source = JSON.stringify(entry.href.replace(/\.js$/, '.ts'));
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return new Worker(`import(${api}).then((m) => { m.register(); return import(${source}); });`, { eval: true, workerData: data });
}

export class FloorRecorder {
  readonly durability: Durability;
  readonly file: string;
  private readonly ownDir: string | null;
  private readonly ring: Buffer;
  private readonly control: Int32Array;
  private readonly worker: Worker;
  private write = 0;
  private read = 0;
  private seq = 0;
  private nextId = 1;
  private scratch = Buffer.allocUnsafe(64 * 1024);
  /** sync: callbacks waiting for durability, in sequence order (queue with a moving head). */
  private waitSeq: number[] = [];
  private waitFor: Array<Durable | null> = [];
  private waitHead = 0;
  private failed = false;
  private exited: Promise<void>;

  /** Records into `dir`/recording.zst (dir kept), or into a temp dir removed by close(). */
  constructor(durability: Durability, dir?: string) {
    this.durability = durability;
    this.ownDir = dir === undefined ? mkdtempSync(path.join(tmpdir(), 'tapegate-floor-rec-')) : null;
    this.file = path.join(dir ?? this.ownDir!, 'recording.zst');
    const ring = new SharedArrayBuffer(RING_BYTES);
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    this.ring = Buffer.from(ring);
    this.control = new Int32Array(control);
    this.worker = startWorker({ ring, control, file: this.file, durability });
    this.worker.on('message', (durableSeq: number) => this.onDurable(durableSeq));
    this.worker.on('error', (err) => {
      process.stderr.write(`floor recorder thread: ${err.message}\n`);
      this.failed = true;
    });
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
  }

  newExchangeId(): number {
    return this.nextId++ >>> 0;
  }

  /** One string, one encode: measured cheaper than a length-prefixed field each (one native call per field). */
  requestHead(id: number, method: string, target: string, headers: string[]): void {
    let text = `${method} ${target}\r\n`;
    for (let i = 0; i < headers.length; i += 2) text += `${headers[i]!}: ${headers[i + 1]!}\r\n`;
    const s = this.scratchOf(9 + 3 * text.length);
    this.putRecord(s, 9 + s.write(text, 9), id, KIND_REQUEST_HEAD);
  }

  requestBody(id: number, chunk: Uint8Array): void {
    this.putChunk(id, KIND_REQUEST_BODY, chunk);
  }

  responseHead(id: number, status: number, rawHeaders: Array<Buffer | string>): void {
    let max = 9 + 4;
    for (let i = 0; i < rawHeaders.length; i++) max += 4 + 3 * rawHeaders[i]!.length;
    const s = this.scratchOf(max);
    let o = 13;
    for (let i = 0; i < rawHeaders.length; i++) {
      const h = rawHeaders[i]!;
      if (typeof h === 'string') o = putString(s, o, h);
      else {
        s.writeUInt32LE(h.length, o);
        h.copy(s, o + 4);
        o += 4 + h.length;
      }
    }
    s.writeUInt16LE(status, 9);
    s.writeUInt16LE(rawHeaders.length, 11);
    this.putRecord(s, o, id, KIND_RESPONSE_HEAD);
  }

  responseBody(id: number, chunk: Uint8Array): void {
    this.putChunk(id, KIND_RESPONSE_BODY, chunk);
  }

  /** The exchange's last record; returns its sequence number (for whenDurable). */
  end(id: number, outcome: number): number {
    this.reserve(10);
    this.putHeader(6, id, KIND_END);
    this.putByte(outcome);
    Atomics.store(this.control, C_WRITE, this.write);
    const seq = (this.seq = (this.seq + 1) | 0);
    Atomics.store(this.control, C_SEQ, seq);
    // sync: a thread waiting for data must see it now (async: it looks every few ms on its own).
    if (this.durability === 'sync' && Atomics.load(this.control, C_SLEEPING) === 1) Atomics.notify(this.control, C_SEQ, 1);
    return seq;
  }

  /** sync: calls `x.durable()` once an fdatasync that started after record `seq` was written has returned. */
  whenDurable(seq: number, x: Durable): void {
    this.waitSeq.push(seq);
    this.waitFor.push(x);
  }

  /** Drains the ring to the file (the thread's last frame and fdatasync), stops the thread, removes an own temp dir. */
  async close(removeDir = true): Promise<void> {
    Atomics.store(this.control, C_STOP, 1);
    Atomics.add(this.control, C_WAKE, 1);
    Atomics.notify(this.control, C_WAKE);
    Atomics.notify(this.control, C_SEQ);
    await this.exited;
    if (removeDir && this.ownDir !== null) rmSync(this.ownDir, { recursive: true, force: true });
  }

  private onDurable(durableSeq: number): void {
    const seqs = this.waitSeq;
    const cbs = this.waitFor;
    let h = this.waitHead;
    // Sequence numbers wrap at 2^31: compare by difference.
    while (h < seqs.length && ((durableSeq - seqs[h]!) | 0) >= 0) {
      const x = cbs[h]!;
      cbs[h] = null;
      h++;
      x.durable();
    }
    if (h === seqs.length) {
      seqs.length = 0;
      cbs.length = 0;
      h = 0;
    } else if (h > 4096) {
      seqs.splice(0, h);
      cbs.splice(0, h);
      h = 0;
    }
    this.waitHead = h;
  }

  private scratchOf(max: number): Buffer {
    if (this.scratch.length < max) this.scratch = Buffer.allocUnsafe(max);
    return this.scratch;
  }

  /** A raw chunk: its 9-byte header from scratch, then the bytes, cut to at most MAX_CHUNK per record. */
  private putChunk(id: number, kind: number, chunk: Uint8Array): void {
    for (let off = 0; off < chunk.length || off === 0; off += MAX_CHUNK) {
      const n = Math.min(MAX_CHUNK, chunk.length - off);
      this.reserve(9 + n);
      this.putHeader(5 + n, id, kind);
      this.copyIn(chunk, off, n);
      Atomics.store(this.control, C_WRITE, this.write);
      if (chunk.length === 0) break;
    }
  }

  /** scratch[9, end) is the payload: fill in the header, copy it all in. */
  private putRecord(s: Buffer, end: number, id: number, kind: number): void {
    s.writeUInt32LE(end - 4, 0);
    s.writeUInt32LE(id, 4);
    s[8] = kind;
    this.reserve(end);
    this.copyIn(s, 0, end);
    Atomics.store(this.control, C_WRITE, this.write);
  }

  /** A record's 9-byte header straight into the ring, byte by byte (cheaper than a native copy this small). */
  private putHeader(length: number, id: number, kind: number): void {
    this.putByte(length & 255);
    this.putByte((length >>> 8) & 255);
    this.putByte((length >>> 16) & 255);
    this.putByte(length >>> 24);
    this.putByte(id & 255);
    this.putByte((id >>> 8) & 255);
    this.putByte((id >>> 16) & 255);
    this.putByte(id >>> 24);
    this.putByte(kind);
  }

  private putByte(b: number): void {
    const w = this.write;
    this.ring[w] = b;
    this.write = w + 1 === RING_BYTES ? 0 : w + 1;
  }

  private copyIn(src: Uint8Array, from: number, n: number): void {
    const w = this.write;
    const first = Math.min(n, RING_BYTES - w);
    this.ring.set(from === 0 && first === src.length ? src : src.subarray(from, from + first), w);
    if (first < n) this.ring.set(src.subarray(from + first, from + n), 0);
    this.write = (w + n) % RING_BYTES;
  }

  /** Waits (blocking the event loop) until n bytes are free; throws when the thread failed or is stuck. */
  private reserve(n: number): void {
    if (this.failed) throw new Error('floor recorder: the writer thread failed; refusing to proxy unrecorded');
    if (this.freeBytes() >= n) return;
    this.read = Atomics.load(this.control, C_READ);
    if (this.freeBytes() >= n) return;
    const deadline = Date.now() + STALL_LIMIT_MS;
    Atomics.store(this.control, C_STALLED, 1);
    Atomics.add(this.control, C_WAKE, 1);
    Atomics.notify(this.control, C_WAKE);
    Atomics.notify(this.control, C_SEQ);
    try {
      while (this.freeBytes() < n) {
        if (Atomics.load(this.control, C_FAILED) === 1) this.failed = true;
        if (this.failed || Date.now() > deadline) throw new Error('floor recorder: ring full and the writer thread is not draining it');
        Atomics.wait(this.control, C_READ, this.read, 50);
        this.read = Atomics.load(this.control, C_READ);
      }
    } finally {
      Atomics.store(this.control, C_STALLED, 0);
    }
  }

  /** Free bytes as of the last read position seen (one byte kept free: write === read means empty). */
  private freeBytes(): number {
    return (this.read - this.write - 1 + 2 * RING_BYTES) % RING_BYTES;
  }
}

function putString(s: Buffer, o: number, v: string): number {
  s.writeUInt32LE(v.length, o);
  return o + 4 + s.write(v, o + 4, 'latin1');
}
