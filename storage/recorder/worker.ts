import { parentPort } from 'node:worker_threads';
import { nowNs } from '../../core/clock.js';
import { loadSigningKey } from '../segment/keys.js';
import { encodeGap } from '../segment/records.js';
import { SegmentWriter, releaseLock, type FrameMeta } from '../segment/writer.js';
import type { SealedSegment } from '../types.js';
import { FrameBuilder } from './frame-builder.js';
import type { ToMain, ToWorker, WorkerInit } from './protocol.js';

/**
 * The recorder's writer thread: compresses frames, writes and fsyncs segment files, rotates and
 * seals them. Running here keeps zstd, SHA-256, signatures and fsync off the data plane's event
 * loop. Messages are handled strictly in order, so a `sync` covers every frame sent before it.
 *
 * When the disk fails, frames are kept in memory up to `failureReserveBytes` and retried every
 * `retryIntervalMs`; beyond the reserve they are dropped and a RecordingGap record says so.
 */
const port = parentPort!;

interface Retained {
  buf: Uint8Array;
  length: number;
  meta: FrameMeta;
}

let writer: SegmentWriter;
let init: WorkerInit;
let failing: Error | null = null;
const retained: Retained[] = [];
let retainedBytes = 0;
let dropped = { records: 0, bytes: 0, fromNs: 0n, toNs: 0n };
let retryTimer: NodeJS.Timeout | null = null;
let ageTimer: NodeJS.Timeout | null = null;

function post(msg: ToMain): void {
  port.postMessage(msg);
}

function errInfo(err: unknown): { message: string; code: string } {
  const e = err as NodeJS.ErrnoException;
  return { message: e?.message ?? String(err), code: e?.code ?? 'EIO' };
}

function onSealed(segment: SealedSegment): void {
  post({ t: 'sealed', segment });
}

function enterFailing(err: unknown): void {
  writer.abandon();
  if (!failing) {
    failing = err instanceof Error ? err : new Error(String(err));
    post({ t: 'failed', ...errInfo(err) });
  }
  if (!retryTimer) retryTimer = setInterval(retry, init.retryIntervalMs);
}

/** Keeps a copy of the frame (its slot goes back to the recorder) within the memory reserve. */
function retainOrDrop(raw: Uint8Array, length: number, meta: FrameMeta): boolean {
  if (retainedBytes + length <= init.failureReserveBytes) {
    retained.push({ buf: Uint8Array.prototype.slice.call(raw, 0, length), length, meta });
    retainedBytes += length;
    return true;
  }
  if (dropped.records === 0) dropped.fromNs = meta.firstNs || nowNs();
  dropped.records += meta.records;
  dropped.bytes += length;
  dropped.toNs = meta.lastNs || nowNs();
  return false;
}

function retry(): void {
  try {
    writer.recoverLeftovers();
    if (dropped.records > 0) {
      const gap = new FrameBuilder(Buffer.allocUnsafe(4096), () => undefined);
      gap.addRecord(encodeGap(dropped.records, dropped.bytes, dropped.fromNs, dropped.toNs, `disk failure: ${failing?.message ?? ''}`));
      gap.noteNs(dropped.fromNs);
      gap.noteNs(dropped.toNs);
      const f = gap.detach(Buffer.alloc(0));
      writer.writeFrame(f.buf, f.length, f.meta);
      writer.noteDropped(dropped.records);
      dropped = { records: 0, bytes: 0, fromNs: 0n, toNs: 0n };
    }
    while (retained.length > 0) {
      const r = retained[0]!;
      writer.writeFrame(r.buf, r.length, r.meta);
      retained.shift();
      retainedBytes -= r.length;
    }
    writer.sync();
    writer.rotateIfDue();
  } catch (err) {
    writer.abandon();
    failing = err instanceof Error ? err : new Error(String(err));
    return;
  }
  failing = null;
  if (retryTimer) clearInterval(retryTimer);
  retryTimer = null;
  post({ t: 'healthy' });
}

/**
 * Sync durability, pipelined: a `sync` frame is written and acknowledged at once (its slot is free
 * again), and covered by the first fdatasync that starts after it was written (it starts before
 * the frame is hashed, indexed and acknowledged: see afterSyncWrite). A commit with little to
 * flush syncs inline on this thread; otherwise one fdatasync runs at a time on the thread pool, and
 * while it does this thread keeps compressing and writing the frames that arrive; when it returns
 * the next one starts at once if any sync frame is waiting. `durable` messages confirm by frame id.
 */
let pendingSyncId = 0;
let afterSync: (() => void) | null = null;
/**
 * A commit cut with no other recorded exchange running (`inline`: a lone agent, or the last of a
 * batch of closed-loop agents) whose fdatasync would flush at most this many bytes syncs on this
 * thread (blocking it for ≈ 0.1–0.3 ms here) instead of on the thread pool. More (streamed frames,
 * a fresh 1 MiB of preallocated zeros), or commits with more to follow (many agents: the pool lets
 * this thread compress the next commit meanwhile), go to the pool.
 */
const INLINE_SYNC_MAX_BYTES = 256 * 1024;

function startSync(): void {
  const cover = pendingSyncId;
  pendingSyncId = 0;
  writer.syncAsync(onSynced.bind(null, cover));
}

function onSynced(cover: number, err: NodeJS.ErrnoException | null): void {
  if (err && !failing) enterFailing(err);
  // rotate before confirming, as the unpipelined writer did: a confirmed exchange's segment is
  // sealed when it is due (the seal's fsync covers nothing more than this one did)
  if (!failing && pendingSyncId === 0 && !afterSync) rotateSafely();
  post(err ? { t: 'durable', upTo: cover, err: `cannot make recording durable: ${errInfo(err).message}` } : { t: 'durable', upTo: cover });
  if (failing) failPendingSyncs();
  if (afterSync) {
    const f = afterSync;
    afterSync = null;
    f();
    return;
  }
  if (!failing && pendingSyncId > 0) startSync();
}

/**
 * A sync frame's fdatasync starts as soon as its bytes are in the file: writeFrame calls this before
 * it hashes and indexes the frame (≈ 5 µs per small exchange, ≈ 250 µs for a commit of 50, measured
 * at 50 connections: commit → durable ≈ 1000 → 700 µs with preallocation), so that work overlaps
 * the disk flush instead of delaying it. `writingSyncId` is the frame being written.
 */
let writingSyncId = 0;
let writingInline = false;
let writtenSyncId = 0;
let inlineSyncError: Error | null = null;
function afterSyncWrite(): void {
  pendingSyncId = writtenSyncId = writingSyncId;
  if (writer.syncing) return; // the running fdatasync's callback starts the next one
  if (!writingInline || writer.unsyncedBytes > INLINE_SYNC_MAX_BYTES) {
    startSync();
    return;
  }
  // Little to flush: fdatasync right here. Two thread hand-offs fewer than the thread pool's (this
  // thread → pool → this thread), each ≈ 50–150 µs on a loaded 2-core machine; the `durable`
  // message goes out before this frame is hashed, indexed and acknowledged (the recorder accepts
  // that order). Errors are handled once writeFrame has returned (handleFrame).
  const cover = pendingSyncId;
  pendingSyncId = 0;
  try {
    writer.sync();
  } catch (err) {
    pendingSyncId = cover;
    inlineSyncError = err instanceof Error ? err : new Error(String(err));
    return;
  }
  post({ t: 'durable', upTo: cover });
}

/** Sync frames written but not covered by an fsync when the disk failed: tell the recorder. */
function failPendingSyncs(): void {
  if (pendingSyncId === 0 || writer.syncing) return;
  post({ t: 'durable', upTo: pendingSyncId, err: `recording disk failing: ${failing?.message ?? 'unknown error'}` });
  pendingSyncId = 0;
}

function rotateSafely(): void {
  if (writer.syncing) return; // the fsync callback rotates
  try {
    writer.rotateIfDue();
  } catch (err) {
    enterFailing(err);
  }
}

function handleFrame(id: number, raw: Uint8Array, length: number, meta: FrameMeta, sync: boolean, inline: boolean): void {
  if (failing) {
    if (length > 0) retainOrDrop(raw, length, meta);
    post({ t: 'ack', id, err: `recording disk failing: ${failing.message}`, code: 'TG_RECORDING_FAILED' });
    return;
  }
  if (length > 0) {
    try {
      if (sync) {
        writingSyncId = id;
        writingInline = inline;
        writer.writeFrame(raw, length, meta, afterSyncWrite);
      } else writer.writeFrame(raw, length, meta);
    } catch (err) {
      inlineSyncError = null;
      enterFailing(err);
      failPendingSyncs();
      retainOrDrop(raw, length, meta);
      post({ t: 'ack', id, err: `cannot write recording: ${errInfo(err).message}`, code: 'TG_RECORDING_FAILED' });
      return;
    }
  }
  // the frame is in the file now (its bytes are copied out of the slot): free the slot
  post({ t: 'ack', id });
  if (sync) {
    if (writtenSyncId !== id) {
      writingSyncId = id;
      writingInline = inline;
      afterSyncWrite(); // an empty frame: nothing was written
    }
    if (inlineSyncError) {
      const err = inlineSyncError;
      inlineSyncError = null;
      enterFailing(err);
      failPendingSyncs();
      return;
    }
    if (writer.syncing) {
      // keep zero-filled space ahead of the write position while the disk flushes
      writer.preallocate();
      return;
    }
    // synced inline: rotate (not while writeFrame ran), then preallocate for the next commit
    rotateSafely();
    writer.preallocate();
    return;
  }
  rotateSafely();
}

/** Seals the open segment (an fsync covers every pending sync frame) and tells the recorder. */
function closeNow(id: number): void {
  if (ageTimer) clearInterval(ageTimer);
  if (failing) retry();
  let err: string | undefined;
  try {
    if (failing) throw failing;
    writer.seal();
  } catch (e) {
    err = errInfo(e).message;
  }
  if (pendingSyncId > 0) {
    post(err ? { t: 'durable', upTo: pendingSyncId, err: `sealing failed: ${err}` } : { t: 'durable', upTo: pendingSyncId });
    pendingSyncId = 0;
  }
  if (retryTimer) clearInterval(retryTimer);
  if (!err) releaseLock(init.dataDir); // on failure keep it: the unsealed part awaits the next start
  post(err ? { t: 'closed', id, err } : { t: 'closed', id });
}

port.on('message', (msg: ToWorker) => {
  switch (msg.t) {
    case 'init': {
      init = msg.init;
      try {
        const key = loadSigningKey(init.dataDir, init.signingKeyFile);
        const { instanceId, dataDir, zstdLevel, durability, segmentMaxBytes, segmentMaxAgeMs, segmentMaxExchanges } = init;
        writer = new SegmentWriter({ instanceId, dataDir, zstdLevel, durability, segmentMaxBytes, segmentMaxAgeMs, segmentMaxExchanges, key, onSealed });
        const recovered = writer.recoverLeftovers();
        ageTimer = setInterval(() => {
          if (failing) return;
          rotateSafely();
          if (failing) failPendingSyncs();
        }, Math.max(10, Math.min(1000, Math.floor(init.segmentMaxAgeMs / 4))));
        post({ t: 'ready', keyId: key.keyId, publicKeyPath: writer.publicKeyPath, recovered: recovered.length });
      } catch (err) {
        post({ t: 'initError', ...errInfo(err) });
      }
      return;
    }
    case 'frame':
      handleFrame(
        msg.id,
        msg.slot >= 0 ? new Uint8Array(init.shared, msg.slot * init.frameBytes, msg.length) : new Uint8Array(msg.buf ?? new ArrayBuffer(0), 0, msg.length),
        msg.length,
        msg.meta,
        msg.sync,
        msg.inline,
      );
      return;
    case 'close': {
      // the segment must not be sealed (its fd closed) under a running fdatasync
      if (writer.syncing) afterSync = () => closeNow(msg.id);
      else closeNow(msg.id);
      return;
    }
  }
});
