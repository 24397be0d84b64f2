import { crc32c } from '@node-rs/crc32';
import {
  FRAME_ENVELOPE_BYTES,
  FRAME_MARKER,
  HEADER_PREFIX_BYTES,
  decodeHeader,
  headerLength,
  readFrameEnvelope,
  type FrameEnvelope,
  type SegmentHeaderInfo,
} from '../segment/format.js';
import { decodeRecord, type DecodedRecord } from '../segment/records.js';

import { zstd } from '../segment/zstd.js';

const EMPTY = Buffer.alloc(0);

/** What can be wrong with a segment; `offset` is always a byte offset in the segment file. */
export type DamageReason =
  | 'header_invalid'
  | 'frame_envelope_invalid'
  | 'frame_truncated'
  | 'frame_crc_mismatch'
  | 'frame_decompress_failed'
  | 'record_framing_invalid'
  | 'record_crc_mismatch'
  | 'record_decode_failed'
  | 'record_count_mismatch'
  | 'trailer_missing'
  | 'trailer_invalid'
  | 'digest_mismatch'
  | 'signature_invalid'
  | 'unknown_signing_key'
  | 'chain_broken'
  | 'chain_seq_gap'
  | 'chain_order'
  | 'chain_instance_mismatch';

export interface Damage {
  /** Segment file (as given to the reader). */
  segment: string;
  /** Byte offset in the segment file where the damage starts (the frame, for damage inside a frame). */
  offset: number;
  reason: DamageReason;
  detail: string;
  /** For damage inside a frame: offset of the record within the decompressed frame. */
  recordOffset?: number;
}

export interface ScanHandlers {
  onHeader?(header: SegmentHeaderInfo, headerBytes: Buffer): void;
  /** `frameOffset` is the file offset of the frame holding the record. */
  onRecord?(record: DecodedRecord, frameOffset: number): void;
  onDamage?(damage: Damage): void;
  onFrame?(frameOffset: number, env: FrameEnvelope, frameEnd: number): void;
}

export interface ScanSummary {
  header: SegmentHeaderInfo | null;
  headerBytes: Buffer | null;
  frames: number;
  records: number;
  rawBytes: number;
  damaged: boolean;
  /** End of the longest undamaged prefix made of the header and whole valid frames. */
  validPrefixEnd: number;
  /** Bytes skipped while looking for the next frame after damage. */
  skippedBytes: number;
}

/**
 * Push parser for the data part of a segment (header and frames, up to the trailer). Bytes are fed
 * in file order in chunks of any size, so a caller can stream a file of any length through it with
 * memory bounded by one frame. After damage it resynchronises at the next byte offset where a frame
 * envelope with a valid CRC starts.
 */
export class SegmentScanner {
  private readonly chunks: Buffer[] = [];
  private avail = 0;
  /** File offset of the first unconsumed byte. */
  private pos = 0;
  private state: 'header' | 'frame' | 'resync' | 'done' = 'header';
  private readonly dctx = new zstd.DCtx();
  private firstDamageSeen = false;
  readonly summary: ScanSummary = {
    header: null,
    headerBytes: null,
    frames: 0,
    records: 0,
    rawBytes: 0,
    damaged: false,
    validPrefixEnd: 0,
    skippedBytes: 0,
  };

  /**
   * @param segment name used in damage reports
   * @param dataEnd file offset where the data part ends (the trailer start, or the file size when
   *   the segment has no trailer)
   * @param stopAtFirstDamage crash recovery only needs the valid prefix
   */
  constructor(
    private readonly segment: string,
    private readonly dataEnd: number,
    private readonly handlers: ScanHandlers,
    private readonly stopAtFirstDamage = false,
  ) {}

  push(chunk: Buffer): void {
    if (this.state === 'done' || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.avail += chunk.length;
    this.run(false);
  }

  /** Call after the last byte before `dataEnd` was pushed. */
  finish(): ScanSummary {
    if (this.state !== 'done') this.run(true);
    this.state = 'done';
    return this.summary;
  }

  private damage(offset: number, reason: DamageReason, detail: string, recordOffset?: number): void {
    this.summary.damaged = true;
    if (!this.firstDamageSeen) {
      this.firstDamageSeen = true;
      if (this.stopAtFirstDamage) this.state = 'done';
    }
    const d: Damage = { segment: this.segment, offset, reason, detail };
    if (recordOffset !== undefined) d.recordOffset = recordOffset;
    this.handlers.onDamage?.(d);
  }

  /** Returns the next n unconsumed bytes as one buffer (without consuming), or null if not there yet. */
  private peek(n: number): Buffer | null {
    if (this.avail < n) return null;
    if (this.chunks.length === 0) return EMPTY;
    if (this.chunks[0]!.length < n) {
      const joined = Buffer.concat(this.chunks, this.avail);
      this.chunks.length = 0;
      this.chunks.push(joined);
    }
    return this.chunks[0]!;
  }

  private consume(n: number): void {
    this.pos += n;
    this.avail -= n;
    while (n > 0) {
      const first = this.chunks[0]!;
      if (first.length <= n) {
        n -= first.length;
        this.chunks.shift();
      } else {
        this.chunks[0] = first.subarray(n);
        n = 0;
      }
    }
  }

  private run(final: boolean): void {
    for (let guard = 0; guard < 1e9; guard++) {
      if (this.state === 'done') return;
      if (this.state === 'header') {
        if (!this.stepHeader(final)) return;
      } else if (this.state === 'frame') {
        if (!this.stepFrame(final)) return;
      } else if (!this.stepResync(final)) {
        return;
      }
    }
  }

  private stepHeader(final: boolean): boolean {
    const prefix = this.peek(Math.min(HEADER_PREFIX_BYTES, this.dataEnd));
    if (!prefix) {
      if (final) {
        this.damage(0, 'header_invalid', 'file shorter than the header');
        this.state = 'done';
      }
      return false;
    }
    const total = headerLength(prefix);
    if (typeof total === 'string') {
      this.damage(0, 'header_invalid', total);
      this.state = 'resync';
      return true;
    }
    const buf = this.peek(total);
    if (!buf) {
      if (final) {
        this.damage(0, 'header_invalid', 'file shorter than its header');
        this.state = 'done';
      }
      return false;
    }
    const header = decodeHeader(buf.subarray(0, total));
    if (typeof header === 'string') {
      this.damage(0, 'header_invalid', header);
      this.state = 'resync';
      return true;
    }
    const headerBytes = Buffer.from(buf.subarray(0, total));
    this.summary.header = header;
    this.summary.headerBytes = headerBytes;
    this.consume(total);
    this.summary.validPrefixEnd = this.pos;
    this.handlers.onHeader?.(header, headerBytes);
    this.state = 'frame';
    return true;
  }

  private stepFrame(final: boolean): boolean {
    const offset = this.pos;
    const remaining = this.dataEnd - offset;
    if (remaining <= 0) {
      this.state = 'done';
      return false;
    }
    if (remaining < FRAME_ENVELOPE_BYTES) {
      if (!final && this.avail < remaining) return false;
      this.damage(offset, 'frame_truncated', `${remaining} stray bytes where a frame envelope should start`);
      this.consume(Math.min(remaining, this.avail));
      this.state = 'done';
      return false;
    }
    const envBuf = this.peek(FRAME_ENVELOPE_BYTES);
    if (!envBuf) {
      if (final) this.state = 'done';
      return false;
    }
    const env = readFrameEnvelope(envBuf, 0);
    if (typeof env === 'string') {
      this.damage(offset, 'frame_envelope_invalid', env);
      this.consume(1);
      this.summary.skippedBytes++;
      this.state = 'resync';
      return true;
    }
    const frameBytes = FRAME_ENVELOPE_BYTES + env.compressedLength;
    if (frameBytes > remaining) {
      this.damage(offset, 'frame_truncated', `frame of ${frameBytes} bytes but only ${remaining} bytes left before the trailer/end`);
      this.consume(1);
      this.summary.skippedBytes++;
      this.state = 'resync';
      return true;
    }
    const buf = this.peek(frameBytes);
    if (!buf) {
      if (final) this.state = 'done';
      return false;
    }
    const payload = buf.subarray(FRAME_ENVELOPE_BYTES, frameBytes);
    const frameEnd = offset + frameBytes;
    let ok = true;
    if (crc32c(payload) !== env.payloadCrc) {
      this.damage(offset, 'frame_crc_mismatch', 'CRC32C of the compressed frame does not match its envelope');
      ok = false;
    }
    let raw: Buffer | null = null;
    if (ok) {
      raw = Buffer.allocUnsafe(env.rawLength);
      try {
        const n = this.dctx.decompress(raw, payload);
        if (n !== env.rawLength) throw new Error(`decompressed ${n} bytes, envelope says ${env.rawLength}`);
      } catch (err) {
        this.damage(offset, 'frame_decompress_failed', (err as Error).message);
        ok = false;
      }
    }
    if (ok && raw) ok = this.parseRecords(raw, offset, env);
    this.consume(frameBytes);
    if (this.state === 'done') return false;
    this.summary.frames++;
    this.summary.rawBytes += env.rawLength;
    if (ok && !this.firstDamageSeen) this.summary.validPrefixEnd = frameEnd;
    this.handlers.onFrame?.(offset, env, frameEnd);
    return true;
  }

  private parseRecords(raw: Buffer, frameOffset: number, env: FrameEnvelope): boolean {
    let p = 0;
    let count = 0;
    let ok = true;
    const decoded: DecodedRecord[] = [];
    while (p < raw.length) {
      const start = p;
      let len = 0;
      let mul = 1;
      let b = 0;
      do {
        if (p >= raw.length || mul > 2 ** 35) {
          this.damage(frameOffset, 'record_framing_invalid', 'record length prefix runs past the frame', start);
          return false;
        }
        b = raw[p++]!;
        len += (b & 0x7f) * mul;
        mul *= 128;
      } while (b & 0x80);
      if (p + len + 4 > raw.length) {
        this.damage(frameOffset, 'record_framing_invalid', `record of ${len} bytes runs past the frame`, start);
        return false;
      }
      const bytes = raw.subarray(p, p + len);
      const crc = raw.readUInt32LE(p + len);
      p += len + 4;
      count++;
      if (crc32c(bytes) !== crc) {
        this.damage(frameOffset, 'record_crc_mismatch', 'CRC32C of the record does not match', start);
        ok = false;
        if (this.state === 'done') return false;
        continue;
      }
      try {
        decoded.push(decodeRecord(bytes));
      } catch (err) {
        this.damage(frameOffset, 'record_decode_failed', (err as Error).message, start);
        ok = false;
        if (this.state === 'done') return false;
      }
    }
    if (count !== env.recordCount) {
      this.damage(frameOffset, 'record_count_mismatch', `frame holds ${count} records, envelope says ${env.recordCount}`);
      ok = false;
      if (this.state === 'done') return false;
    }
    this.summary.records += decoded.length;
    if (this.handlers.onRecord) for (const r of decoded) this.handlers.onRecord(r, frameOffset);
    return ok;
  }

  /** Skips forward to the next offset holding a frame envelope whose CRC checks out. */
  private stepResync(final: boolean): boolean {
    for (let guard = 0; guard < 1e9; guard++) {
      const remaining = this.dataEnd - this.pos;
      if (remaining < FRAME_ENVELOPE_BYTES) {
        if (!final && this.avail < remaining) return false;
        this.summary.skippedBytes += Math.min(remaining, this.avail);
        this.consume(Math.min(remaining, this.avail));
        this.state = 'done';
        return false;
      }
      if (this.avail < FRAME_ENVELOPE_BYTES) return false;
      const buf = this.peek(this.avail)!;
      const idx = buf.indexOf(FRAME_MARKER, 0);
      if (idx < 0) {
        // keep the last 3 bytes: a marker may straddle the next chunk
        const drop = Math.max(0, buf.length - 3);
        this.summary.skippedBytes += drop;
        this.consume(drop);
        if (final) {
          this.summary.skippedBytes += this.avail;
          this.consume(this.avail);
          this.state = 'done';
        }
        return false;
      }
      this.summary.skippedBytes += idx;
      this.consume(idx);
      const env = this.peek(FRAME_ENVELOPE_BYTES);
      if (!env) {
        if (final) this.state = 'done';
        return false;
      }
      if (typeof readFrameEnvelope(env, 0) !== 'string') {
        this.state = 'frame';
        return true;
      }
      this.consume(1);
      this.summary.skippedBytes++;
    }
    return false;
  }
}
