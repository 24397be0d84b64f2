import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { nowNs } from '../../core/clock.js';
import type { RecordingConfig } from '../../core/config/recording.js';
import { TapegateError } from '../../core/errors.js';
import type { ExchangeEnd, ExchangeHead, ExchangeRecorder, ExchangeSink, ResponseHead } from '../../core/exchange.js';
import { log } from '../../core/log.js';
import { DIRECTION_REQUEST, DIRECTION_RESPONSE, encodeGap } from '../segment/records.js';
import type { FrameMeta } from '../segment/writer.js';
import type { SegmentSealedListener, SpoolGauge } from '../types.js';
import { startThread } from '../worker-thread.js';
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
/*
 * sync, recording.syncCommitWindowMs (default 2): how long a commit waits for other running
 * exchanges to end and share its fdatasync. An
 * fdatasync costs ≈ 75 µs of CPU on a virtio disk (the flush traps to the hypervisor), each commit
 * a frame, three messages and a wake-up of every thread involved, and confirming bigger batches
 * sends the agents' responses back to back. Measured at 50 connections (1 KB GETs): CPU per
 * exchange 95 → 74 µs with 1 ms, 72 µs with 2 ms (0.06 → 0.02 fdatasync per exchange), p50 and
 * p99 latency no higher (less CPU, less queueing). An exchange that ends while no other recorded
 * exchange runs is committed at once (no one could join it), so a lone agent does not wait.
 */
const MAX_RESTART_DELAY_MS = 30_000;

/** An exchange whose end() waits for a sync commit. */
interface Waiter {
  id: string;
  end: ExchangeEnd;
  cb: DurableCallback;
}

interface InFlight {
  id: number;
  length: number;
  /** Shared slot the frame occupies until acknowledged (-1: none). */
  slot: number;
  meta: FrameMeta | null;
  /** A commit's exchanges, until confirmed (null for other frames, and once confirmed). */
  waiters: Waiter[] | null;
  /** A sync commit (acknowledging it lets the next commit go). */
  commit: boolean;
}

/** A frame cut while the writer thread is down (crashed, restarting): sent once it is up again. */
interface Queued {
  entry: InFlight;
  msg: ToWorker;
  transfer: ArrayBuffer[];
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

/**
 * The exchange id as UTF-8 for its body records. Ids are ASCII (ULIDs): a small on-heap Uint8Array
 * filled in JS costs a fraction of Buffer.from's native string conversion (≈ 0.6 µs per exchange,
 * measured with --only=small).
 */
function idBytesOf(id: string): Uint8Array {
  const n = id.length;
  if (n > 64) return Buffer.from(id);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = id.charCodeAt(i);
    if (c > 127) return Buffer.from(id);
    out[i] = c;
  }
  return out;
}

class ExchangeRecording implements ExchangeRecorder {
  private requestOffset = 0;
  private responseOffset = 0;
  private ended = false;

  constructor(
    private readonly recorder: Recorder,
    private readonly id: string,
    private readonly idBytes: Uint8Array,
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
 * Durability `sync`: end() queues onDurable; a commit cuts the current frame and sends it marked
 * `sync`. One commit is on its way to the thread at a time (sent, not yet written), and at most two
 * are past the write and not yet durable; the thread pipelines fdatasync with further writes and
 * confirms each commit after the first fdatasync that started after the commit's frame was written
 * (group commit). `async`: onDurable at once; frames
 * are written every flushIntervalMs (and whenever one is full).
 *
 * When a commit fails after the exchange was forwarded, its end record (already in the frame) would
 * claim the original outcome; the recorder appends an amending end record (see amend()) before
 * telling core/, which then breaks the agent's response. A writer thread that dies is restarted
 * (with backoff); meanwhile the recorder is unhealthy (503s), and the new thread recovers the
 * unsealed segment before it takes new frames.
 */
export class Recorder implements ExchangeSink {
  /** The frame being filled (used by ExchangeRecording; not part of the sink API). */
  readonly frame: FrameBuilder;
  keyId = '';
  publicKeyPath = '';
  private readonly cfg: RecordingConfig;
  private worker: Worker;
  /** The current thread has said `ready` and has not died: frames may be posted to it. */
  private workerUp = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private crashes = 0;
  private lastCrashMs = 0;
  private queued: Queued[] = [];
  /**
   * Frame buffers are slots of one SharedArrayBuffer the writer thread reads in place: transferring
   * ArrayBuffers back and forth made V8 account 1 MiB of new external memory per frame and collect
   * garbage for it (measured ~8 % of the event loop's CPU while streaming).
   */
  private readonly shared: SharedArrayBuffer;
  private readonly freeSlots: number[] = [];
  private readonly slotCount: number;
  private readonly inflight: InFlight[] = [];
  /** Sync frames written by the thread and waiting for the fdatasync that covers them, in id order. */
  private readonly unsynced: InFlight[] = [];
  private nextId = 1;
  private unwritten = 0;
  private waiting: Waiter[] = [];
  /** A commit frame was sent and the thread has not written it yet. */
  private commitUnwritten = false;
  private commitScheduled = false;
  /** Recorded exchanges begun and not yet ended (sync: may join the next commit). */
  private running = 0;
  /** performance.now() when the oldest exchange in `waiting` ended. */
  private waitingSince = 0;
  private windowTimer: NodeJS.Timeout | null = null;
  private readonly windowEnd = (): void => {
    this.windowTimer = null;
    this.commit();
  };
  private failure: Error | null = null;
  private closed = false;
  private readonly highWater: number;
  private readonly lowWater: number;
  private drainWaiters: Array<() => void> = [];
  private readonly flushTimer: NodeJS.Timeout;
  private readonly commitNow = (): void => this.commit();
  /**
   * async: exchanges ended during this loop turn, confirmed together after its poll phase (as a
   * sync commit confirms its batch) instead of one process.nextTick each inside the data plane's
   * socket callbacks: their last writes then go out back to back (measured at 50 connections:
   * ≈ 8 µs less CPU per exchange on the event loop).
   */
  private confirmed: DurableCallback[] = [];
  private readonly confirmAll = (): void => {
    const cbs = this.confirmed;
    this.confirmed = [];
    for (let i = 0; i < cbs.length; i++) cbs[i]!(null);
  };
  private readonly takeBufferFn = (): Buffer => this.takeBuffer();
  private closeResolve: ((err?: string) => void) | null = null;
  private readyResolve: ((err: Error | null) => void) | null = null;
  readonly counters = { frames: 0, rawBytes: 0, syncs: 0, rejected: 0, rejectedDropped: 0, exchanges: 0, amended: 0, threadRestarts: 0 };

  constructor(private readonly options: RecorderOptions) {
    this.cfg = options.recording;
    /*
     * 8 MiB of frames waiting for the writer thread keep it busy (it compresses a 1 MiB frame in
     * ~1 ms at level 1; reading resumes at lowWater, 4 frames ahead). 16 MiB and 4 spare slots held
     * ~9 MiB more RSS while the writer thread was the bottleneck (slots are touched once used), for
     * no measurable throughput (test/storage/recorder/stream-1gib.test.ts: ≈ 1 GB/s either way).
     * Two spare slots: one for the frame being filled, one for a partial frame (flush timer, sync
     * commit) while congested.
     */
    this.highWater = Math.min(Math.floor(this.cfg.maxUnwrittenBytes / 2), 8 * 1024 * 1024);
    this.lowWater = Math.floor(this.highWater / 2);
    const slots = Math.ceil(this.highWater / this.cfg.frameBytes) + 2;
    this.slotCount = slots;
    this.shared = new SharedArrayBuffer(slots * this.cfg.frameBytes);
    for (let i = slots - 1; i >= 0; i--) this.freeSlots.push(i);
    this.frame = new FrameBuilder(this.takeBuffer(), () => this.flush(false, null), true);
    this.worker = this.spawnWorker();
    this.flushTimer = setInterval(() => {
      if (!this.frame.isEmpty) this.flush(false, null);
    }, this.cfg.flushIntervalMs);
    this.flushTimer.unref();
  }

  private spawnWorker(): Worker {
    const worker = startThread(new URL('./worker.js', import.meta.url), { name: 'tapegate-recorder' });
    let gone = false;
    const onGone = (err: Error): void => {
      if (gone) return;
      gone = true;
      this.onWorkerGone(worker, err);
    };
    worker.on('message', (msg: ToMain) => this.onMessage(msg));
    worker.on('error', (err) => onGone(err));
    worker.on('exit', (code) => onGone(new Error(`recorder thread exited with code ${code}`)));
    return worker;
  }

  private initMessage(): ToWorker {
    return {
      t: 'init',
      init: {
        instanceId: this.options.instanceId,
        dataDir: path.resolve(this.options.dataDir),
        zstdLevel: this.cfg.zstdLevel,
        durability: this.cfg.durability,
        segmentMaxBytes: this.cfg.segmentMaxBytes,
        segmentMaxAgeMs: this.cfg.segmentMaxAgeMs,
        segmentMaxExchanges: this.cfg.segmentMaxExchanges,
        ...(this.cfg.signingKeyFile ? { signingKeyFile: path.resolve(this.cfg.signingKeyFile) } : {}),
        retryIntervalMs: this.cfg.retryIntervalMs,
        failureReserveBytes: this.cfg.failureReserveBytes,
        shared: this.shared,
        frameBytes: this.cfg.frameBytes,
      },
    };
  }

  /** Starts the writer thread (loads or creates the signing key, recovers unsealed segments). */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.readyResolve = (err) => (err ? reject(err) : resolve());
      this.worker.postMessage(this.initMessage());
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
    this.running++;
    return new ExchangeRecording(this, head.exchangeId, idBytesOf(head.exchangeId), head.mode === 'full');
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
    this.running--;
    this.frame.addEnd(id, end);
    this.frame.noteId(id);
    this.frame.noteNs(end.completedNs);
    if (this.closed) {
      process.nextTick(onDurable, recordingFailed('the recorder is closed'));
      return;
    }
    if (this.cfg.durability === 'async') {
      if (this.failure) {
        const err = recordingFailed(this.failure.message);
        this.amend(id, end, err.message);
        process.nextTick(onDurable, err);
        return;
      }
      this.confirmed.push(onDurable);
      if (this.confirmed.length === 1) setImmediate(this.confirmAll);
      return;
    }
    if (this.waiting.length === 0) this.waitingSince = performance.now();
    this.waiting.push({ id, end, cb: onDurable });
    if (!this.commitScheduled && !this.commitUnwritten) {
      this.commitScheduled = true;
      setImmediate(this.commitNow);
    }
  }

  private commit(): void {
    this.commitScheduled = false;
    // At most two commits past the thread's write: one covered by the running fdatasync, one written
    // and waiting for the next. More would not make anything durable sooner (they would join the
    // next fdatasync anyway) and cost a frame and two messages each (measured: postMessage was 6 %
    // of the event loop at one commit per loop turn).
    if (this.commitUnwritten || this.unsynced.length >= 2 || this.waiting.length === 0 || this.closed) return;
    if (this.running > 0) {
      const wait = this.waitingSince + this.cfg.syncCommitWindowMs - performance.now();
      if (wait > 0) {
        this.windowTimer ??= setTimeout(this.windowEnd, wait);
        return;
      }
    }
    if (this.windowTimer) {
      clearTimeout(this.windowTimer);
      this.windowTimer = null;
    }
    const waiters = this.waiting;
    this.waiting = [];
    this.commitUnwritten = true;
    this.counters.syncs++;
    this.flush(true, waiters, this.running === 0);
  }

  /**
   * The exchange's end record is in a frame already, and it says how the exchange went for the
   * upstream (often `completed`); but its records could not be made durable, so core/ breaks the
   * agent's response. A second end record for the same exchange tells the truth: `completed`
   * becomes `upstream_error` (the agent saw a broken response, as with an upstream failure
   * mid-body), other outcomes stay, and the error text starts with "recording failed:". Readers
   * take the last end record of an exchange (storage/FORMAT.md §2). It is written when the disk
   * works again (kept in the memory reserve meanwhile), or lost with a gap record beyond it.
   */
  private amend(id: string, end: ExchangeEnd, detail: string): void {
    if (this.closed) return;
    const amended: ExchangeEnd = {
      outcome: end.outcome === 'completed' ? 'upstream_error' : end.outcome,
      error: `recording failed: ${detail}${end.error ? `; ${end.error}` : ''}`,
      completedNs: nowNs(),
      requestBytes: end.requestBytes,
      responseBytes: end.responseBytes,
      ...(end.decision ? { decision: end.decision } : {}),
    };
    this.frame.addEnd(id, amended);
    this.frame.noteId(id);
    this.frame.noteNs(amended.completedNs);
    this.counters.amended++;
  }

  private failWaiters(waiters: Waiter[], detail: string): void {
    const e = recordingFailed(detail);
    for (const w of waiters) this.amend(w.id, w.end, detail);
    for (const w of waiters) w.cb(e);
  }

  /** A free shared slot, or (all busy: the data plane ignores `congested`) a private buffer. */
  private takeBuffer(): Buffer {
    const slot = this.freeSlots.pop();
    if (slot === undefined) return Buffer.allocUnsafeSlow(this.cfg.frameBytes);
    return Buffer.from(this.shared, slot * this.cfg.frameBytes, this.cfg.frameBytes);
  }

  /** Sends the current frame (possibly empty, for a sync) to the writer thread. */
  private flush(sync: boolean, waiters: Waiter[] | null, inline = false): void {
    const id = this.nextId++;
    let msg: ToWorker;
    let transfer: ArrayBuffer[] = [];
    let length = 0;
    let slot = -1;
    let meta: FrameMeta | null = null;
    if (this.frame.isEmpty) {
      msg = { t: 'frame', id, slot: -1, buf: null, length: 0, meta: { records: 0, minId: '', maxId: '', firstNs: 0n, lastNs: 0n }, sync, inline };
    } else {
      const f = this.frame.detach(this.takeBufferFn);
      length = f.length;
      meta = f.meta;
      if (f.buf.buffer === this.shared) {
        slot = f.buf.byteOffset / this.cfg.frameBytes;
        msg = { t: 'frame', id, slot, buf: null, length, meta: f.meta, sync, inline };
      } else {
        const ab = f.buf.buffer as ArrayBuffer;
        msg = { t: 'frame', id, slot: -1, buf: ab, length, meta: f.meta, sync, inline };
        transfer = [ab];
      }
      this.counters.frames++;
      this.counters.rawBytes += length;
    }
    this.unwritten += length;
    const entry: InFlight = { id, length, slot, meta, waiters, commit: sync };
    if (!this.workerUp) {
      this.queued.push({ entry, msg, transfer });
      return;
    }
    this.inflight.push(entry);
    this.worker.postMessage(msg, transfer);
  }

  private onMessage(msg: ToMain): void {
    switch (msg.t) {
      case 'ack':
        return this.onAck(msg.id, msg.err);
      case 'durable':
        return this.onDurable(msg.upTo, msg.err);
      case 'ready':
        return this.onReady(msg.keyId, msg.publicKeyPath, msg.recovered);
      case 'initError': {
        const err = new TapegateError('TG_RECORDER_START_FAILED', 500, `cannot start the recorder in ${this.options.dataDir}: ${msg.message}`);
        if (this.readyResolve) {
          this.readyResolve(err);
          this.readyResolve = null;
        } else {
          // a restarted thread could not start: let it exit; onWorkerGone schedules the next try
          log.error({ event: 'recorder_thread_restart_failed', err: msg.message }, 'the restarted recorder thread could not start');
          void this.worker.terminate();
        }
        return;
      }
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

  private onReady(keyId: string, publicKeyPath: string, recovered: number): void {
    this.keyId = keyId;
    this.publicKeyPath = publicKeyPath;
    if (recovered > 0) log.warn({ event: 'recording_recovered', segments: recovered }, 'sealed unsealed segments left by a crash');
    this.workerUp = true;
    if (this.readyResolve) {
      this.readyResolve(null);
      this.readyResolve = null;
    } else {
      log.warn({ event: 'recorder_thread_restarted', recoveredSegments: recovered, queuedFrames: this.queued.length }, 'recorder thread restarted; accepting exchanges again');
      this.failure = null;
    }
    const queued = this.queued;
    this.queued = [];
    for (const q of queued) {
      this.inflight.push(q.entry);
      this.worker.postMessage(q.msg, q.transfer);
    }
  }

  private onAck(id: number, err: string | undefined): void {
    const entry = this.inflight.shift();
    if (!entry || entry.id !== id) {
      this.onWorkerGone(this.worker, new Error(`recorder thread acknowledged frame ${id} out of order`));
      void this.worker.terminate();
      return;
    }
    this.unwritten -= entry.length;
    if (entry.slot >= 0) this.freeSlots.push(entry.slot);
    if (err && !this.failure) this.failure = new Error(err);
    if (entry.commit) {
      this.commitUnwritten = false;
      // waiters is null when `durable` came first (the thread synced inline, see onDurable)
      if (entry.waiters) {
        if (err) this.failWaiters(entry.waiters, err);
        else this.unsynced.push(entry);
      }
      if (this.waiting.length > 0 && !this.commitScheduled) this.commit();
    }
    if (this.drainWaiters.length > 0 && this.drained) {
      const ws = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of ws) w();
    }
  }

  private onDurable(upTo: number, err: string | undefined): void {
    while (this.unsynced.length > 0 && this.unsynced[0]!.id <= upTo) {
      const entry = this.unsynced.shift()!;
      if (err) this.failWaiters(entry.waiters!, err);
      else for (const w of entry.waiters!) w.cb(null);
    }
    // A commit the thread made durable before acknowledging it (it syncs small commits inline,
    // before hashing and indexing the frame): confirm now; onAck then only frees the slot. Only a
    // success can overtake the ack: the thread reports failures after it.
    if (!err) {
      for (let i = 0; i < this.inflight.length; i++) {
        const entry = this.inflight[i]!;
        if (entry.id > upTo) break;
        if (entry.waiters) {
          const ws = entry.waiters;
          entry.waiters = null;
          for (const w of ws) w.cb(null);
        }
      }
    }
    if (this.waiting.length > 0 && !this.commitScheduled) this.commit();
  }

  /**
   * The writer thread died (an uncaught error, a native crash, terminate()). Frames it had not
   * acknowledged may or may not be in the segment file: their slots are free again, a gap record
   * says how many records they held (an upper bound of what is lost), and every exchange waiting
   * for durability is failed (core/ breaks those responses; amend() records why). A new thread is
   * started after retryIntervalMs (doubling for repeated crashes, up to 30 s); it recovers the
   * unsealed segment, and healthy stays false until it is ready.
   */
  private onWorkerGone(worker: Worker, err: Error): void {
    if (worker !== this.worker) return;
    const wasUp = this.workerUp;
    this.workerUp = false;
    if (this.closed) {
      const e = recordingFailed(`the recorder thread failed while closing (${err.message})`);
      for (const f of this.inflight.splice(0)) for (const w of f.waiters ?? []) w.cb(e);
      for (const f of this.unsynced.splice(0)) for (const w of f.waiters ?? []) w.cb(e);
      this.closeResolve?.(err.message);
      this.closeResolve = null;
      return;
    }
    if (this.readyResolve) {
      this.readyResolve(err);
      this.readyResolve = null;
      return;
    }
    if (wasUp || !this.failure) log.error({ event: 'recorder_thread_failed', err: err.message }, 'recorder thread failed; restarting it');
    this.failure = err;
    const detail = `the recorder thread failed (${err.message})`;
    let records = 0;
    let bytes = 0;
    let fromNs = 0n;
    let toNs = 0n;
    const failed: Waiter[] = [];
    for (const f of this.inflight.splice(0)) {
      this.unwritten -= f.length;
      if (f.slot >= 0) this.freeSlots.push(f.slot);
      if (f.meta) {
        records += f.meta.records;
        bytes += f.length;
        if (f.meta.firstNs > 0n && (fromNs === 0n || f.meta.firstNs < fromNs)) fromNs = f.meta.firstNs;
        if (f.meta.lastNs > toNs) toNs = f.meta.lastNs;
      }
      if (f.waiters) failed.push(...f.waiters);
    }
    for (const f of this.unsynced.splice(0)) failed.push(...f.waiters!);
    failed.push(...this.waiting.splice(0));
    this.commitUnwritten = false;
    if (records > 0) {
      const now = nowNs();
      this.frame.addRecord(encodeGap(records, bytes, fromNs || now, toNs || now, `${detail}: records of frames it had not acknowledged may be missing (at most this many)`));
      this.frame.noteNs(fromNs || now);
      this.frame.noteNs(toNs || now);
    }
    this.failWaiters(failed, detail);
    const ws = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of ws) w();
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.closed || this.restartTimer) return;
    const now = Date.now();
    if (now - this.lastCrashMs > 60_000) this.crashes = 0;
    this.crashes++;
    this.lastCrashMs = now;
    const delay = Math.min(this.cfg.retryIntervalMs * 2 ** (this.crashes - 1), MAX_RESTART_DELAY_MS);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.closed) return;
      this.counters.threadRestarts++;
      this.worker = this.spawnWorker();
      this.worker.postMessage(this.initMessage());
    }, delay);
  }

  /** Stops the writer thread without sealing (a failed start). */
  async abort(): Promise<void> {
    this.closed = true;
    clearInterval(this.flushTimer);
    if (this.windowTimer) clearTimeout(this.windowTimer);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await this.worker.terminate();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.flushTimer);
    if (this.windowTimer) clearTimeout(this.windowTimer);
    if (!this.workerUp) {
      // the thread died and its successor is not ready: nothing can be sealed now
      this.closed = true;
      if (this.restartTimer) clearTimeout(this.restartTimer);
      this.restartTimer = null;
      this.failWaiters(this.waiting.splice(0), 'the recorder is shutting down');
      await this.worker.terminate();
      throw recordingFailed('the recorder thread was not running at shutdown; the unsealed segment is recovered at next start');
    }
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
