import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { nowNs } from '../../core/clock.js';
import { TapegateError } from '../../core/errors.js';
import { log } from '../../core/log.js';
import type { SealedSegment } from '../types.js';
import { SegmentScanner } from '../reader/scanner.js';
import {
  FRAME_ENVELOPE_BYTES,
  ZERO_HASH,
  compressBound,
  encodeHeader,
  encodeTrailerBody,
  encodeTrailerRegion,
  seqName,
  signedBytes,
  writeFrameEnvelope,
  type SegmentTrailerInfo,
} from './format.js';
import { crc32cRange } from './crc32c.js';
import { SegmentDigests } from './digests.js';
import { INDEX_FILE_SUFFIX, INDEX_PART_SUFFIX, IndexTracker } from './index-file.js';
import { publishPublicKey, signSegment, writeFileDurably, type SigningKey } from './keys.js';
import { indexRecordBytes } from './index-decoder.js';
import { WRITER_CRC_MAX, readVarint, varintEnd, type DecodedRecord } from './records.js';

import { zstd } from './zstd.js';

/** What the recorder knows about the records in one frame (so the writer never decodes them). */
export interface FrameMeta {
  records: number;
  /** Lowest / highest exchange id in the frame ('' when none). */
  minId: string;
  maxId: string;
  /** Earliest / latest timestamp carried by a start or end record (0n when none). */
  firstNs: bigint;
  lastNs: bigint;
}

export interface SegmentWriterOptions {
  instanceId: string;
  dataDir: string;
  zstdLevel: number;
  durability: 'sync' | 'async';
  segmentMaxBytes: number;
  segmentMaxAgeMs: number;
  /**
   * Seal when the segment's index lists this many exchanges (recording.segmentMaxExchanges). Index
   * lines go to open/<seq>.index.part as exchanges end, so memory no longer grows with them; a
   * 64 MiB segment of small exchanges holds 300k+ of them, and this bounds the index an auditor
   * downloads with one segment (≈ 560 B of lines per exchange, ≈ 14 B compressed) and the recovery of an unsealed one.
   */
  segmentMaxExchanges: number;
  key: SigningKey;
  onSealed?: (segment: SealedSegment) => void;
}

interface ChainState {
  instanceId: string;
  seq: number;
  sha256: string;
}

export const CHAIN_STATE_FILE = 'chain-state.json';
export const LOCK_FILE = 'recorder.lock';
const PART_SUFFIX = '.tgseg.part';
const SEALED_RE = /^(\d{12})-([0-9a-f]{16})\.tgseg$/;
/** Zero-filled space added at a time ahead of a sync segment's write position (preallocate()). */
const PREALLOC_CHUNK = 1024 * 1024;
let zeroChunk: Buffer | null = null;

/** Layout of the data dir. */
export function segmentDirs(dataDir: string): { spool: string; open: string } {
  return { spool: path.join(dataDir, 'spool'), open: path.join(dataDir, 'open') };
}

function writeAll(fd: number, buf: Uint8Array, position?: number): void {
  let off = 0;
  while (off < buf.length) {
    const n = writeSync(fd, buf, off, buf.length - off, position === undefined ? null : position + off);
    if (n <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    off += n;
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function digestsOfFile(file: string, upTo?: number): { hash: SegmentDigests; size: number } {
  const fd = openSync(file, 'r');
  const hash = new SegmentDigests();
  const buf = Buffer.allocUnsafe(1024 * 1024);
  let pos = 0;
  try {
    const end = upTo ?? fstatSync(fd).size;
    while (pos < end) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, end - pos), pos);
      if (n <= 0) break;
      hash.update(buf.subarray(0, n));
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  return { hash, size: pos };
}

/**
 * Where the bytes written to a part file end: the end of the file less its trailing zero bytes, but
 * not before `from` (the valid prefix). A sync segment keeps zero-filled space ahead of its write
 * position (SegmentWriter.preallocate), so after a crash that tail is unwritten space, not damage.
 */
function writtenEnd(fd: number, from: number, size: number): number {
  const buf = Buffer.allocUnsafe(64 * 1024);
  let end = size;
  while (end > from) {
    const n = Math.min(buf.length, end - from);
    const got = readSync(fd, buf, 0, n, end - n);
    if (got !== n) return end; // the file shrank under us: count the rest as discarded
    for (let i = n - 1; i >= 0; i--) if (buf[i] !== 0) return end - n + i + 1;
    end -= n;
  }
  return end;
}

/** Running statistics that end up in the trailer. */
class SegmentStats {
  records = 0;
  frames = 0;
  rawBytes = 0;
  minId = '';
  maxId = '';
  firstNs = 0n;
  lastNs = 0n;
  dropped = 0;

  addIds(min: string, max: string): void {
    if (min && (!this.minId || min < this.minId)) this.minId = min;
    if (max && max > this.maxId) this.maxId = max;
  }

  addNs(first: bigint, last: bigint): void {
    if (first > 0n && (this.firstNs === 0n || first < this.firstNs)) this.firstNs = first;
    if (last > this.lastNs) this.lastNs = last;
  }

  addRecord(r: DecodedRecord): void {
    this.records++;
    if (r.type === 'gap') {
      this.dropped += r.droppedRecords;
      return this.addNs(r.fromNs, r.toNs);
    }
    this.addIds(r.exchangeId, r.exchangeId);
    if (r.type === 'start') this.addNs(r.receivedNs, r.receivedNs);
    else if (r.type === 'end') this.addNs(r.completedNs, r.completedNs);
  }
}

/**
 * Writes segment files synchronously: meant to run on a worker thread (storage/recorder/worker.ts)
 * so compression, writes and fsync never block the event loop. Rotates by size and age, seals with
 * a signed trailer into <dataDir>/spool, keeps the hash chain in <dataDir>/chain-state.json and
 * recovers unsealed segments left in <dataDir>/open by a crash.
 */
export class SegmentWriter {
  readonly spoolDir: string;
  readonly openDir: string;
  readonly publicKeyPath: string;
  private chain: ChainState;
  private readonly cctx = new zstd.CCtx();
  private out = Buffer.allocUnsafe(FRAME_ENVELOPE_BYTES + compressBound(1024 * 1024));

  // the open segment
  private fd = -1;
  private partPath = '';
  private seq = 0;
  private createdAtMs = 0;
  private size = 0;
  private headerBytes: Buffer = Buffer.alloc(0);
  private hash: SegmentDigests | null = null;
  private stats = new SegmentStats();
  private readonly index = new IndexTracker();
  private indexErrors = 0;
  /** sync durability: the file's length, the data end plus zero-filled space ahead of it (preallocate()). */
  private allocEnd = 0;
  private preallocFailed = false;
  /** The data end and the zero bytes written since the last fdatasync started (unsyncedBytes). */
  private sizeAtSync = 0;
  private zerosSinceSync = 0;
  /** The fd an fdatasync (syncAsync) is running on, -1 when none; it is closed only after that returns. */
  private syncingFd = -1;
  private closeAfterSync = false;

  constructor(private readonly opts: SegmentWriterOptions) {
    const dirs = segmentDirs(opts.dataDir);
    this.spoolDir = dirs.spool;
    this.openDir = dirs.open;
    mkdirSync(this.spoolDir, { recursive: true });
    mkdirSync(this.openDir, { recursive: true });
    acquireLock(opts.dataDir);
    this.publicKeyPath = publishPublicKey(opts.key, this.spoolDir);
    this.chain = this.loadChainState();
  }

  get hasOpenSegment(): boolean {
    return this.fd >= 0;
  }

  get openSegmentAgeMs(): number {
    return this.fd >= 0 ? Date.now() - this.createdAtMs : 0;
  }

  get lastSealed(): { seq: number; sha256: string } {
    return { seq: this.chain.seq, sha256: this.chain.sha256 };
  }

  private loadChainState(): ChainState {
    const file = path.join(this.opts.dataDir, CHAIN_STATE_FILE);
    let state: ChainState = { instanceId: this.opts.instanceId, seq: 0, sha256: ZERO_HASH.toString('hex') };
    if (existsSync(file)) {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as ChainState;
      if (parsed.instanceId === this.opts.instanceId) state = parsed;
    }
    // a crash between sealing and saving the state: the newest sealed file in the spool wins
    for (const name of readdirSync(this.spoolDir)) {
      const m = SEALED_RE.exec(name);
      if (m && Number(m[1]) > state.seq) {
        state = { instanceId: this.opts.instanceId, seq: Number(m[1]), sha256: digestsOfFile(path.join(this.spoolDir, name)).hash.sha256.digest('hex') };
      }
    }
    return state;
  }

  private saveChainState(): void {
    writeFileDurably(path.join(this.opts.dataDir, CHAIN_STATE_FILE), JSON.stringify(this.chain));
  }

  /**
   * Seals every unsealed segment left in the open dir (after a crash, or after an I/O error in this
   * process): keeps the valid prefix, cuts off the torn tail and writes a trailer marked recovered.
   */
  recoverLeftovers(): SealedSegment[] {
    if (this.fd >= 0) this.abandon();
    const names = readdirSync(this.openDir);
    // index part files of a writer that died: each segment's recovery rebuilds its index
    for (const n of names) {
      if (!n.endsWith(INDEX_PART_SUFFIX)) continue;
      try {
        unlinkSync(path.join(this.openDir, n));
      } catch {
        // gone already
      }
    }
    const parts = names
      .filter((n) => n.endsWith(PART_SUFFIX))
      .sort();
    const sealed: SealedSegment[] = [];
    for (const name of parts) {
      const s = this.recoverPart(path.join(this.openDir, name));
      if (s) sealed.push(s);
    }
    return sealed;
  }

  private recoverPart(file: string): SealedSegment | null {
    const stats = new SegmentStats();
    const index = new IndexTracker(true); // buffered: an amending end record updates its exchange's line
    const size = fstatSafe(file);
    let headerBytes: Buffer | null = null;
    let seq = 0;
    let createdAtMs = 0;
    const scanner = new SegmentScanner(file, size, {
      onHeader: (h, bytes) => {
        headerBytes = bytes;
        seq = h.seq;
        createdAtMs = Number(h.createdAtNs / 1_000_000n);
      },
      onRecord: (r) => {
        stats.addRecord(r);
        index.addRecord(r);
      },
      onFrame: () => {
        stats.frames++;
      },
    }, true);
    const fd = openSync(file, 'r+');
    try {
      const buf = Buffer.allocUnsafe(1024 * 1024);
      let pos = 0;
      while (pos < size) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
        if (n <= 0) break;
        scanner.push(Buffer.from(buf.subarray(0, n)));
        pos += n;
      }
      const summary = scanner.finish();
      // zeros at the end are space preallocated ahead of the writer that no write reached
      const written = writtenEnd(fd, summary.validPrefixEnd, size);
      if (!summary.header || !headerBytes) {
        // not even a header survived: nothing to keep, and its sequence number was never used
        closeSync(fd);
        if (written === 0) unlinkSync(file);
        else renameSync(file, `${file}.damaged`);
        return null;
      }
      if (summary.frames === 0) {
        // nothing recorded survived; keep damaged bytes for forensics, drop an empty segment
        closeSync(fd);
        if (written > summary.validPrefixEnd) renameSync(file, `${file}.damaged`);
        else unlinkSync(file);
        return null;
      }
      const validEnd = summary.validPrefixEnd;
      ftruncateSync(fd, validEnd);
      const { hash } = digestsOfFile(file, validEnd);
      stats.rawBytes = summary.rawBytes;
      const sealed = this.finishSegment(fd, file, seq, createdAtMs, headerBytes, hash, validEnd, stats, index, {
        recovered: true,
        discardedBytes: written - validEnd,
        unwrittenBytes: size - written,
      });
      return sealed;
    } catch (err) {
      try {
        closeSync(fd);
      } catch {
        // already closed by finishSegment
      }
      throw err;
    }
  }

  private openSegment(): void {
    const seq = this.chain.seq + 1;
    const createdAtNs = nowNs();
    const header = encodeHeader({
      instanceId: this.opts.instanceId,
      seq,
      createdAtNs,
      prevSha256: this.chain.sha256,
      keyId: this.opts.key.keyId,
      zstdLevel: this.opts.zstdLevel,
      durability: this.opts.durability,
    });
    const file = path.join(this.openDir, `${seqName(seq)}${PART_SUFFIX}`);
    const fd = openSync(file, 'w', 0o644);
    try {
      writeAll(fd, header);
      fsyncDir(this.openDir);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    this.fd = fd;
    this.partPath = file;
    this.seq = seq;
    this.createdAtMs = Number(createdAtNs / 1_000_000n);
    this.size = header.length;
    this.allocEnd = header.length;
    this.preallocFailed = false;
    this.sizeAtSync = 0;
    this.zerosSinceSync = 0;
    this.headerBytes = header;
    this.hash = new SegmentDigests(header);
    this.stats = new SegmentStats();
  }

  /**
   * Compresses `raw[0, length)` (whole records) into one zstd frame and appends it. Fills in the
   * CRC32C of every record shorter than WRITER_CRC_MAX first (`raw` is modified). Throws on I/O errors.
   * `afterWrite` runs once the frame's bytes are in the file, before they are hashed and indexed.
   */
  writeFrame(raw: Uint8Array, length: number, meta: FrameMeta, afterWrite?: () => void): void {
    if (length === 0) return;
    fillSmallRecordCrcs(raw, length);
    if (this.fd < 0) {
      this.openSegment();
      // the index's lines go to a part file as they come, not to memory until the seal
      this.index.spillInto(path.join(this.openDir, `${seqName(this.seq)}${INDEX_PART_SUFFIX}`));
    }
    const bound = FRAME_ENVELOPE_BYTES + compressBound(length);
    if (this.out.length < bound) this.out = Buffer.allocUnsafe(bound);
    const n = this.cctx.compress(this.out.subarray(FRAME_ENVELOPE_BYTES), raw.subarray(0, length), this.opts.zstdLevel);
    const payload = this.out.subarray(FRAME_ENVELOPE_BYTES, FRAME_ENVELOPE_BYTES + n);
    writeFrameEnvelope(this.out, { compressedLength: n, rawLength: length, recordCount: meta.records, payloadCrc: crc32c(payload) });
    const frame = this.out.subarray(0, FRAME_ENVELOPE_BYTES + n);
    try {
      writeAll(this.fd, frame, this.size);
    } catch (err) {
      // a torn write: cut it off so the file stays a valid prefix (best effort; recovery rescans anyway)
      try {
        ftruncateSync(this.fd, this.size);
      } catch {
        // the recovery scan will cut it
      }
      throw err;
    }
    this.size += frame.length;
    afterWrite?.(); // sync: the fdatasync starts now, hashing and indexing overlap it (worker.ts)
    this.hash!.update(frame);
    this.stats.records += meta.records;
    this.stats.frames++;
    this.stats.rawBytes += length;
    this.stats.addIds(meta.minId, meta.maxId);
    this.stats.addNs(meta.firstNs, meta.lastNs);
    try {
      indexRecords(raw, length, this.index);
    } catch (err) {
      // the index is a convenience; a bug here must never cost a recording
      this.indexErrors++;
      if (this.indexErrors === 1) log.error({ event: 'segment_index_failed', seq: this.seq, err: (err as Error).message }, 'could not index a frame; the segment itself is intact');
    }
  }

  /** Records lost before this point (see RecordingGap); counted in the open segment's trailer. */
  noteDropped(records: number): void {
    this.stats.dropped += records;
  }

  /** Seals the open segment when it reached the size, age or exchange-count limit. */
  rotateIfDue(): SealedSegment | null {
    if (this.fd < 0) return null;
    if (
      this.size >= this.opts.segmentMaxBytes ||
      this.openSegmentAgeMs >= this.opts.segmentMaxAgeMs ||
      this.index.segmentEntries >= this.opts.segmentMaxExchanges
    ) {
      return this.seal();
    }
    return null;
  }

  /**
   * sync durability: keeps at least half of PREALLOC_CHUNK of zero-filled space after the write
   * position. Frames then overwrite allocated, initialised blocks without changing the file's size,
   * so an fdatasync flushes only data, with no ext4 journal commit (measured here: p50 ≈ 125–155
   * instead of ≈ 185–205 µs, ≈ 30 % less CPU per fdatasync); the one fdatasync after an extension
   * commits it. PostgreSQL zero-fills its WAL segments for the same reason. Best effort: a failure
   * (a full disk) stops preallocating this segment and the next frame write reports the error.
   * Seal truncates the file to its data; recovery counts a zero tail as unwritten space (FORMAT.md §6).
   */
  preallocate(): void {
    if (this.fd < 0 || this.preallocFailed || this.opts.durability !== 'sync') return;
    if (this.allocEnd < this.size) this.allocEnd = this.size;
    if (this.allocEnd - this.size >= PREALLOC_CHUNK / 2) return;
    zeroChunk ??= Buffer.alloc(PREALLOC_CHUNK);
    try {
      writeAll(this.fd, zeroChunk, this.allocEnd);
      this.allocEnd += PREALLOC_CHUNK;
      this.zerosSinceSync += PREALLOC_CHUNK;
    } catch {
      this.preallocFailed = true; // a partial zero tail is harmless: seal cuts it, recovery skips it
    }
  }

  /** Makes everything written so far durable (group commit: one call covers many exchanges). */
  sync(): void {
    if (this.fd < 0) return;
    this.noteSyncStart();
    fdatasyncSync(this.fd);
  }

  /** Bytes written to the open segment (frames and preallocated zeros) since the last fdatasync started. */
  get unsyncedBytes(): number {
    return this.fd < 0 ? 0 : this.size - this.sizeAtSync + this.zerosSinceSync;
  }

  private noteSyncStart(): void {
    this.sizeAtSync = this.size;
    this.zerosSinceSync = 0;
  }

  /** True while a syncAsync() has not called back. */
  get syncing(): boolean {
    return this.syncingFd >= 0;
  }

  /**
   * fdatasync on the libuv thread pool, so the caller can compress and write the next frames while
   * the disk flushes (sync durability pipelines commits this way). It covers at least every byte
   * written before the call. One at a time; do not seal while it runs (the fd stays open until it
   * returns even if the segment is abandoned meanwhile). Without an open segment everything written
   * was already made durable by its seal: `cb(null)` on the next tick.
   */
  syncAsync(cb: (err: NodeJS.ErrnoException | null) => void): void {
    if (this.syncingFd >= 0) throw new Error('syncAsync() while another one runs');
    if (this.fd < 0) {
      process.nextTick(cb, null);
      return;
    }
    const fd = this.fd;
    this.syncingFd = fd;
    this.noteSyncStart();
    fdatasync(fd, (err) => {
      this.syncingFd = -1;
      if (this.closeAfterSync) {
        this.closeAfterSync = false;
        try {
          closeSync(fd);
        } catch {
          // nothing more to lose
        }
      }
      cb(err);
    });
  }

  /** Closes a segment fd, or defers that until the fdatasync running on it returns. */
  private closeFd(fd: number): void {
    if (fd === this.syncingFd) this.closeAfterSync = true;
    else closeSync(fd);
  }

  /** Seals the open segment (if any) into the spool. */
  seal(): SealedSegment | null {
    if (this.fd < 0) return null;
    const fd = this.fd;
    this.fd = -1;
    try {
      return this.finishSegment(fd, this.partPath, this.seq, this.createdAtMs, this.headerBytes, this.hash!, this.size, this.stats, this.index, {
        recovered: false,
        discardedBytes: 0,
        unwrittenBytes: 0,
      });
    } catch (err) {
      // leave the part file for recovery; keep the fd closed
      throw err;
    }
  }

  private finishSegment(
    fd: number,
    file: string,
    seq: number,
    createdAtMs: number,
    headerBytes: Buffer,
    hash: SegmentDigests,
    dataEnd: number,
    stats: SegmentStats,
    index: IndexTracker,
    flags: { recovered: boolean; discardedBytes: number; unwrittenBytes: number },
  ): SealedSegment {
    try {
      const trailer: SegmentTrailerInfo = {
        recordCount: stats.records,
        frameCount: stats.frames,
        firstExchangeId: stats.minId,
        lastExchangeId: stats.maxId,
        firstNs: stats.firstNs,
        lastNs: stats.lastNs,
        sha256: hash.sha256.copy().digest('hex'),
        recovered: flags.recovered,
        discardedBytes: flags.discardedBytes,
        sealedAtNs: nowNs(),
        rawBytes: stats.rawBytes,
        droppedRecords: stats.dropped,
        unwrittenBytes: flags.unwrittenBytes,
      };
      const body = encodeTrailerBody(trailer);
      const region = encodeTrailerRegion(body, signSegment(this.opts.key, signedBytes(headerBytes, body)));
      writeAll(fd, region, dataEnd);
      ftruncateSync(fd, dataEnd + region.length);
      fsyncSync(fd);
      hash.update(region);
    } finally {
      this.closeFd(fd);
    }
    const sha256 = hash.sha256.digest('hex');
    const digests = hash.store.digests();
    const base = `${seqName(seq)}-${sha256.slice(0, 16)}`;
    const segPath = path.join(this.spoolDir, `${base}.tgseg`);
    const indexPath = path.join(this.spoolDir, `${base}${INDEX_FILE_SUFFIX}`);
    const indexDigests = index.writeFile(indexPath);
    renameSync(file, segPath);
    fsyncDir(this.spoolDir);
    fsyncDir(this.openDir);
    if (seq > this.chain.seq) {
      this.chain = { instanceId: this.opts.instanceId, seq, sha256 };
      this.saveChainState();
    }
    const sizeBytes = fstatSafe(segPath);
    const sealed: SealedSegment = {
      instanceId: this.opts.instanceId,
      seq,
      sha256,
      createdAtMs,
      sizeBytes,
      path: path.resolve(segPath),
      indexPath: path.resolve(indexPath),
      publicKeyPath: path.resolve(this.publicKeyPath),
      // digests of every byte written (header, frames, trailer), unless the file is not that size
      ...(sizeBytes === digests.size ? { storeDigests: digests } : {}),
      indexStoreDigests: indexDigests,
    };
    this.opts.onSealed?.(sealed);
    return sealed;
  }

  /** After an I/O error: close the open segment without sealing; recoverLeftovers() seals it later. */
  abandon(): void {
    if (this.fd < 0) return;
    this.index.discardSegment(); // recovery rebuilds this segment's index from the file
    try {
      this.closeFd(this.fd);
    } catch {
      // nothing more to lose
    }
    this.fd = -1;
  }
}

// Records in a raw frame are laid out as varint(length) ‖ record ‖ CRC32C (FORMAT.md).

/** Writes the CRC32C after each record shorter than WRITER_CRC_MAX (FrameBuilder's crcOnWriter). */
function fillSmallRecordCrcs(raw: Uint8Array, length: number): void {
  const buf = Buffer.from(raw.buffer, raw.byteOffset, length);
  let p = 0;
  while (p < length) {
    const len = readVarint(buf, p);
    p = varintEnd;
    const end = p + len;
    if (end + 4 > length) throw new Error(`record at ${p} runs past the end of its frame`);
    if (len < WRITER_CRC_MAX) {
      const c = crc32cRange(buf, p, end);
      buf[end] = c & 0xff;
      buf[end + 1] = (c >>> 8) & 0xff;
      buf[end + 2] = (c >>> 16) & 0xff;
      buf[end + 3] = c >>> 24;
    }
    p = end + 4;
  }
}

/**
 * Feeds the start, response and end records of a raw frame to the index (body records, the bulk of
 * the bytes, are skipped by their tag). The recorder wrote these bytes itself, so a record that does
 * not parse is a bug worth failing loudly on.
 */
function indexRecords(raw: Uint8Array, length: number, index: IndexTracker): void {
  const buf = Buffer.from(raw.buffer, raw.byteOffset, length);
  let p = 0;
  try {
    while (p < length) {
      const len = readVarint(buf, p);
      p = varintEnd;
      indexRecordBytes(buf, p, p + len, index);
      p += len + 4;
    }
  } finally {
    index.finishFrame(); // the frame's slot is reused once written: keep what open exchanges need
  }
}

/**
 * One recorder per data dir: two would interleave sequence numbers and fork the hash chain. The lock
 * holds the owner's pid; a lock whose process is gone (a crash) is taken over.
 */
function acquireLock(dataDir: string): void {
  const file = path.join(dataDir, LOCK_FILE);
  const mine = JSON.stringify({ pid: process.pid, hostname: hostname(), since: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeAll(fd, Buffer.from(mine));
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner: { pid?: number; hostname?: string } = {};
    try {
      owner = JSON.parse(readFileSync(file, 'utf8')) as typeof owner;
    } catch {
      // half-written by a process that died: stale
    }
    if (owner.pid && owner.pid !== process.pid && owner.hostname === hostname() && pidAlive(owner.pid)) {
      throw new TapegateError(
        'TG_RECORDER_LOCKED',
        500,
        `dataDir ${dataDir} is in use by another tapegate process (pid ${owner.pid}); give each instance its own dataDir, or stop the other one`,
      );
    }
    unlinkSync(file);
  }
  throw new TapegateError('TG_RECORDER_LOCKED', 500, `cannot take the lock ${file}; remove it if no tapegate process uses ${dataDir}`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Releases the data dir lock (on shutdown, after the last seal). */
export function releaseLock(dataDir: string): void {
  const file = path.join(dataDir, LOCK_FILE);
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as { pid?: number };
    if (owner.pid === process.pid) unlinkSync(file);
  } catch {
    // already gone
  }
}

function fstatSafe(file: string): number {
  const fd = openSync(file, 'r');
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}
