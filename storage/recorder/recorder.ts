import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { nowNs } from '../../core/clock.js';
import type { RecordingConfig } from '../../core/config/recording.js';
import { TapegateError } from '../../core/errors.js';
import type { ExchangeEnd, ExchangeHead, ExchangeRecorder, ExchangeSink, ResponseHead } from '../../core/exchange.js';
import { log } from '../../core/log.js';
import { DIRECTION_REQUEST, DIRECTION_RESPONSE } from '../segment/records.js';
import type { SegmentSealedListener, SpoolGauge } from '../types.js';
import { FrameBuilder } from './frame-builder.js';
import type { ToMain, ToWorker } from './protocol.js';

export interface RecorderOptions {
  recording: RecordingConfig;
  instanceId: string;
  dataDir: string;
  spoolGauge?: SpoolGauge;
  sealedListener?: SegmentSealedListener;
}

type DurableCallback = (err: Error | null) => void;

const CLOSE_TIMEOUT_MS = 30_000;

interface InFlight {
  id: number;
  length: number;
  /** Shared slot the frame occupies until acknowledged (-1: none). */
  slot: number;
  waiters: DurableCallback[] | null;
}


function recordingFailed(detail: string): TapegateError {
  return new TapegateError(
    'TG_RECORDING_FAILED',
    503,
    `The gateway could not record this exchange durably (${detail}), so it is not confirmed. Retry later; operators: check the recording disk and spool.`,
  );
}

/** Recorder for exchanges in mode 'off': nothing is written. */
const OFF_RECORDER: ExchangeRecorder = {
  requestBody() {},
  responseHead() {},
  responseBody() {},
  end(_end, onDurable) {
    process.nextTick(onDurable, null);
  },
};

class ExchangeRecording implements ExchangeRecorder {
  private requestOffset = 0;
  private responseOffset = 0;
  private ended = false;

  constructor(
    private readonly recorder: Recorder,
    private readonly id: string,
    private readonly idBytes: Buffer,
    private readonly bodies: boolean,
  ) {}

  requestBody(chunk: Uint8Array): void {
    if (this.bodies && chunk.length > 0) this.recorder.frame.addBody(this.id, this.idBytes, DIRECTION_REQUEST, this.requestOffset, chunk);
    this.requestOffset += chunk.length;
  }

  responseHead(head: ResponseHead): void {
    this.recorder.frame.addResponse(this.id, head);
    this.recorder.frame.noteId(this.id);
  }

  responseBody(chunk: Uint8Array): void {
    if (this.bodies && chunk.length > 0) this.recorder.frame.addBody(this.id, this.idBytes, DIRECTION_RESPONSE, this.responseOffset, chunk);
    this.responseOffset += chunk.length;
  }

  end(end: ExchangeEnd, onDurable: DurableCallback): void {
    if (this.ended) {
      process.nextTick(onDurable, new Error('ExchangeRecorder.end() called twice'));
      return;
    }
    this.ended = true;
    this.recorder.finishExchange(this.id, end, onDurable);
  }
}

/**
 * The ExchangeSink: encodes records on the event loop into frames (cheap: copies and CRC32C) and
 * hands whole frames to a writer thread that compresses, writes, fsyncs, rotates and seals.
 *
 * Durability `sync`: end() queues onDurable; one fdatasync (group commit) is in flight at a time and
 * covers every exchange that ended before it was sent. `async`: onDurable at once; frames are
 * written every flushIntervalMs (and whenever one is full).
 */
export class Recorder implements ExchangeSink {
  /** The frame being filled (used by ExchangeRecording; not part of the sink API). */
  readonly frame: FrameBuilder;
  keyId = '';
  publicKeyPath = '';
  private readonly cfg: RecordingConfig;
  private readonly worker: Worker;
  /**
   * Frame buffers are slots of one SharedArrayBuffer the writer thread reads in place: transferring
   * ArrayBuffers back and forth made V8 account 1 MiB of new external memory per frame and collect
   * garbage for it (measured ~8 % of the event loop's CPU while streaming).
   */
  private readonly shared: SharedArrayBuffer;
  private readonly freeSlots: number[] = [];
  private readonly slotCount: number;
  private readonly inflight: InFlight[] = [];
  private nextId = 1;
  private unwritten = 0;
  private waiting: DurableCallback[] = [];
  private syncInFlight = false;
  private commitScheduled = false;
  private failure: Error | null = null;
  private closed = false;
  private readonly highWater: number;
  private readonly lowWater: number;
  private drainWaiters: Array<() => void> = [];
  private readonly flushTimer: NodeJS.Timeout;
  private readonly commitNow = (): void => this.commit();
  private readonly takeBufferFn = (): Buffer => this.takeBuffer();
  private closeResolve: ((err?: string) => void) | null = null;
  private readyResolve: ((err: Error | null) => void) | null = null;
  readonly counters = { frames: 0, rawBytes: 0, syncs: 0, rejected: 0, rejectedDropped: 0, exchanges: 0 };

  constructor(private readonly options: RecorderOptions) {
    this.cfg = options.recording;
    this.highWater = Math.min(Math.floor(this.cfg.maxUnwrittenBytes / 2), 16 * 1024 * 1024);
    this.lowWater = Math.floor(this.highWater / 2);
    const slots = Math.ceil(this.highWater / this.cfg.frameBytes) + 4;
    this.slotCount = slots;
    this.shared = new SharedArrayBuffer(slots * this.cfg.frameBytes);
    for (let i = slots - 1; i >= 0; i--) this.freeSlots.push(i);
    this.frame = new FrameBuilder(this.takeBuffer(), () => this.flush(false, null));
    const self = import.meta.url;
    if (self.endsWith('.ts')) {
      // run from source (tsx: development and single-file tests): Node 20 does not pass the TS
      // loader hooks to worker threads, so the thread registers tsx before loading worker.ts
      const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
      const entry = JSON.stringify(new URL('./worker.ts', self).href);
      this.worker = new Worker(`import(${api}).then((m) => { m.register(); return import(${entry}); });`, { eval: true, name: 'tapegate-recorder' });
    } else {
      this.worker = new Worker(new URL('./worker.js', self), { name: 'tapegate-recorder' });
    }
    this.worker.on('message', (msg: ToMain) => this.onMessage(msg));
    this.worker.on('error', (err) => this.onWorkerGone(err));
    this.worker.on('exit', (code) => {
      if (!this.closed) this.onWorkerGone(new Error(`recorder thread exited with code ${code}`));
    });
    this.flushTimer = setInterval(() => {
      if (!this.frame.isEmpty) this.flush(false, null);
    }, this.cfg.flushIntervalMs);
    this.flushTimer.unref();
  }

  /** Starts the writer thread (loads or creates the signing key, recovers unsealed segments). */
  start(): Promise<void> {
    const msg: ToWorker = {
      t: 'init',
      init: {
        instanceId: this.options.instanceId,
        dataDir: path.resolve(this.options.dataDir),
        zstdLevel: this.cfg.zstdLevel,
        durability: this.cfg.durability,
        segmentMaxBytes: this.cfg.segmentMaxBytes,
        segmentMaxAgeMs: this.cfg.segmentMaxAgeMs,
        ...(this.cfg.signingKeyFile ? { signingKeyFile: path.resolve(this.cfg.signingKeyFile) } : {}),
        retryIntervalMs: this.cfg.retryIntervalMs,
        failureReserveBytes: this.cfg.failureReserveBytes,
        shared: this.shared,
        frameBytes: this.cfg.frameBytes,
      },
    };
    return new Promise((resolve, reject) => {
      this.readyResolve = (err) => (err ? reject(err) : resolve());
      this.worker.postMessage(msg);
    });
  }

  get healthy(): boolean {
    return !this.closed && this.failure === null && this.unwritten <= this.cfg.maxUnwrittenBytes && !this.options.spoolGauge?.overLimit();
  }

  /**
   * True while more than a few frames wait for the writer thread (disk or compression slower than
   * the traffic). The data plane may pause reading bodies until onDrain fires; without that the
   * backlog grows until maxUnwrittenBytes, where new exchanges are refused.
   */
  get congested(): boolean {
    // partial frames (flush timer, sync commits) hold slots while carrying few bytes: count both
    return this.unwritten >= this.highWater || this.freeSlots.length < 2;
  }

  private get drained(): boolean {
    return this.unwritten <= this.lowWater && this.freeSlots.length >= this.slotCount >> 1;
  }

  onDrain(cb: () => void): void {
    if (!this.congested) process.nextTick(cb);
    else this.drainWaiters.push(cb);
  }

  /** Bytes handed to the writer thread and not yet written. */
  get unwrittenBytes(): number {
    return this.unwritten;
  }

  begin(head: ExchangeHead): ExchangeRecorder | null {
    if (!this.healthy) return null;
    if (head.mode === 'off') return OFF_RECORDER;
    this.frame.addStart(head);
    this.frame.noteId(head.exchangeId);
    this.frame.noteNs(head.receivedNs);
    this.counters.exchanges++;
    return new ExchangeRecording(this, head.exchangeId, Buffer.from(head.exchangeId), head.mode === 'full');
  }

  reject(head: ExchangeHead, reason: string): void {
    if (this.closed) return;
    // the memory reserve: beyond it a rejection is only counted (and logged), never allowed to grow memory
    if (this.unwritten > this.cfg.maxUnwrittenBytes + this.cfg.failureReserveBytes) {
      this.counters.rejectedDropped++;
      return;
    }
    const end: ExchangeEnd = { outcome: 'rejected_unrecordable', error: reason, completedNs: nowNs(), requestBytes: 0, responseBytes: 0 };
    this.frame.addStart(head);
    this.frame.addEnd(head.exchangeId, end);
    this.frame.noteId(head.exchangeId);
    this.frame.noteNs(head.receivedNs);
    this.frame.noteNs(end.completedNs);
    this.counters.rejected++;
  }

  /** Called by ExchangeRecording.end(). */
  finishExchange(id: string, end: ExchangeEnd, onDurable: DurableCallback): void {
    this.frame.addEnd(id, end);
    this.frame.noteId(id);
    this.frame.noteNs(end.completedNs);
    if (this.closed) {
      process.nextTick(onDurable, recordingFailed('the recorder is closed'));
      return;
    }
    if (this.cfg.durability === 'async') {
      process.nextTick(onDurable, this.failure ? recordingFailed(this.failure.message) : null);
      return;
    }
    this.waiting.push(onDurable);
    if (!this.commitScheduled && !this.syncInFlight) {
      this.commitScheduled = true;
      setImmediate(this.commitNow);
    }
  }

  private commit(): void {
    this.commitScheduled = false;
    if (this.syncInFlight || this.waiting.length === 0 || this.closed) return;
    const waiters = this.waiting;
    this.waiting = [];
    this.syncInFlight = true;
    this.counters.syncs++;
    this.flush(true, waiters);
  }

  /** A free shared slot, or (all busy: the data plane ignores `congested`) a private buffer. */
  private takeBuffer(): Buffer {
    const slot = this.freeSlots.pop();
    if (slot === undefined) return Buffer.allocUnsafeSlow(this.cfg.frameBytes);
    return Buffer.from(this.shared, slot * this.cfg.frameBytes, this.cfg.frameBytes);
  }

  /** Sends the current frame (possibly empty, for a sync) to the writer thread. */
  private flush(sync: boolean, waiters: DurableCallback[] | null): void {
    const id = this.nextId++;
    let msg: ToWorker;
    let transfer: ArrayBuffer[] = [];
    let length = 0;
    let slot = -1;
    if (this.frame.isEmpty) {
      msg = { t: 'frame', id, slot: -1, buf: null, length: 0, meta: { records: 0, minId: '', maxId: '', firstNs: 0n, lastNs: 0n }, sync };
    } else {
      const f = this.frame.detach(this.takeBufferFn);
      length = f.length;
      if (f.buf.buffer === this.shared) {
        slot = f.buf.byteOffset / this.cfg.frameBytes;
        msg = { t: 'frame', id, slot, buf: null, length, meta: f.meta, sync };
      } else {
        const ab = f.buf.buffer as ArrayBuffer;
        msg = { t: 'frame', id, slot: -1, buf: ab, length, meta: f.meta, sync };
        transfer = [ab];
      }
      this.counters.frames++;
      this.counters.rawBytes += length;
    }
    this.unwritten += length;
    this.inflight.push({ id, length, slot, waiters });
    this.worker.postMessage(msg, transfer);
  }

  private onMessage(msg: ToMain): void {
    switch (msg.t) {
      case 'ack':
        return this.onAck(msg.id, msg.err);
      case 'ready':
        this.keyId = msg.keyId;
        this.publicKeyPath = msg.publicKeyPath;
        if (msg.recovered > 0) log.warn({ event: 'recording_recovered', segments: msg.recovered }, 'sealed unsealed segments left by a crash');
        this.readyResolve?.(null);
        this.readyResolve = null;
        return;
      case 'initError':
        this.readyResolve?.(new TapegateError('TG_RECORDER_START_FAILED', 500, `cannot start the recorder in ${this.options.dataDir}: ${msg.message}`));
        this.readyResolve = null;
        return;
      case 'sealed':
        this.options.sealedListener?.onSealed(msg.segment);
        return;
      case 'failed':
        this.failure = new Error(`${msg.code}: ${msg.message}`);
        log.error({ event: 'recording_failed', code: msg.code, err: msg.message }, 'recording disk failed; refusing new exchanges');
        return;
      case 'healthy':
        if (this.failure) log.warn({ event: 'recording_recovered_from_failure' }, 'recording disk writable again');
        this.failure = null;
        return;
      case 'closed':
        this.closeResolve?.(msg.err);
        this.closeResolve = null;
        return;
    }
  }

  private onAck(id: number, err: string | undefined): void {
    const entry = this.inflight.shift();
    if (!entry || entry.id !== id) {
      this.onWorkerGone(new Error(`recorder thread acknowledged frame ${id} out of order`));
      return;
    }
    this.unwritten -= entry.length;
    if (entry.slot >= 0) this.freeSlots.push(entry.slot);
    if (err && !this.failure) this.failure = new Error(err);
    if (entry.waiters) {
      this.syncInFlight = false;
      const e = err ? recordingFailed(err) : null;
      for (const w of entry.waiters) w(e);
      if (this.waiting.length > 0 && !this.commitScheduled) this.commit();
    }
    if (this.drainWaiters.length > 0 && this.drained) {
      const ws = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of ws) w();
    }
  }

  private onWorkerGone(err: Error): void {
    if (!this.failure) log.error({ event: 'recorder_thread_failed', err: err.message }, 'recorder thread failed');
    this.failure = err;
    this.readyResolve?.(err);
    this.readyResolve = null;
    const e = recordingFailed(err.message);
    for (const f of this.inflight.splice(0)) if (f.waiters) for (const w of f.waiters) w(e);
    for (const w of this.waiting.splice(0)) w(e);
    this.closeResolve?.(err.message);
    this.closeResolve = null;
  }

  /** Stops the writer thread without sealing (a failed start). */
  async abort(): Promise<void> {
    this.closed = true;
    clearInterval(this.flushTimer);
    await this.worker.terminate();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.flushTimer);
    const waiters = this.waiting;
    this.waiting = [];
    if (!this.failure || !this.frame.isEmpty || waiters.length) this.flush(true, waiters);
    this.closed = true;
    // a hung disk must not hang shutdown forever: the unsealed segment is recovered at next start
    let timer: NodeJS.Timeout | undefined;
    const err = await new Promise<string | undefined>((resolve) => {
      this.closeResolve = resolve;
      timer = setTimeout(() => resolve(`the recorder thread did not finish sealing within ${CLOSE_TIMEOUT_MS} ms`), CLOSE_TIMEOUT_MS);
      this.worker.postMessage({ t: 'close', id: this.nextId++ } satisfies ToWorker);
    });
    clearTimeout(timer);
    await this.worker.terminate();
    if (err) throw recordingFailed(`sealing on shutdown failed: ${err}`);
  }
}

/** Creates the ExchangeSink for config.recording and starts its writer thread. */
export async function createRecorder(options: RecorderOptions): Promise<Recorder> {
  const recorder = new Recorder(options);
  try {
    await recorder.start();
  } catch (err) {
    await recorder.abort();
    throw err;
  }
  return recorder;
}
