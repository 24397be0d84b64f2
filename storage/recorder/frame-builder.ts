import { crc32c } from '@node-rs/crc32';
import { bodyRecordSize, varintSize, writeBodyRecord, writeVarint } from '../segment/records.js';
import type { ExchangeEnd, ExchangeHead, ResponseHead } from '../../core/exchange.js';
import { sizeEnd, sizeResponse, sizeStart, writeEnd, writeResponse, writeStart } from '../segment/head-encoder.js';
import type { FrameMeta } from '../segment/writer.js';

/** Largest body piece per record: keeps a record well inside one frame. */
export const MAX_BODY_PIECE = 256 * 1024;

/**
 * Accumulates framed records (varint length, Record bytes, CRC32C) in one reusable buffer until it
 * is handed to the segment writer as one zstd frame. Body chunks are encoded straight into the
 * buffer (no protobuf objects per chunk); other records arrive already encoded.
 */
export class FrameBuilder {
  buf: Buffer;
  pos = 0;
  records = 0;
  minId = '';
  maxId = '';
  firstNs = 0n;
  lastNs = 0n;

  /**
   * @param onFull called when the next record does not fit; must take the frame (detach()) and
   *   leave a fresh buffer in place
   */
  constructor(
    buf: Buffer,
    private readonly onFull: () => void,
  ) {
    this.buf = buf;
  }

  get isEmpty(): boolean {
    return this.records === 0;
  }

  /** The regular buffer set aside while an oversized record has a frame of its own. */
  private parked: Buffer | null = null;

  /**
   * Hands out the frame's buffer and metadata and starts a new frame in `next` (a function is only
   * called when a buffer is needed: after an oversized frame the parked regular buffer is reused).
   */
  detach(next: Buffer | (() => Buffer)): { buf: Buffer; length: number; meta: FrameMeta } {
    const out = {
      buf: this.buf,
      length: this.pos,
      meta: { records: this.records, minId: this.minId, maxId: this.maxId, firstNs: this.firstNs, lastNs: this.lastNs },
    };
    if (this.parked) {
      this.buf = this.parked;
      this.parked = null;
    } else {
      this.buf = typeof next === 'function' ? next() : next;
    }
    this.pos = 0;
    this.records = 0;
    this.minId = '';
    this.maxId = '';
    this.firstNs = 0n;
    this.lastNs = 0n;
    return out;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.records > 0) this.onFull();
    if (this.pos + n > this.buf.length) {
      // one record larger than a frame (huge header lists): give it a frame of its own
      this.parked = this.buf;
      this.buf = Buffer.allocUnsafeSlow(n);
    }
  }

  noteId(id: string): void {
    if (!this.minId || id < this.minId) this.minId = id;
    if (id > this.maxId) this.maxId = id;
  }

  noteNs(ns: bigint): void {
    if (this.firstNs === 0n || ns < this.firstNs) this.firstNs = ns;
    if (ns > this.lastNs) this.lastNs = ns;
  }

  /** Appends an encoded Record. */
  addRecord(bytes: Uint8Array): void {
    const need = varintSize(bytes.length) + bytes.length + 4;
    this.ensure(need);
    let p = writeVarint(this.buf, this.pos, bytes.length);
    this.buf.set(bytes, p);
    this.buf.writeUInt32LE(crc32c(this.buf.subarray(p, p + bytes.length)), p + bytes.length);
    p += bytes.length + 4;
    this.pos = p;
    this.records++;
  }

  /** Makes room for a Record of `size` bytes and writes its length; returns where the Record goes. */
  private openRecord(size: number): number {
    this.ensure(varintSize(size) + size + 4);
    return writeVarint(this.buf, this.pos, size);
  }

  private closeRecord(start: number, end: number, size: number): void {
    if (end - start !== size) throw new Error(`record encoder wrote ${end - start} bytes, sized ${size}`);
    this.buf.writeUInt32LE(crc32c(this.buf.subarray(start, end)), end);
    this.pos = end + 4;
    this.records++;
  }

  /** ExchangeStart, encoded in place (storage/segment/head-encoder.ts). */
  addStart(head: ExchangeHead): void {
    const size = sizeStart(head);
    const p = this.openRecord(size);
    this.closeRecord(p, writeStart(this.buf, p, head), size);
  }

  addResponse(exchangeId: string, head: ResponseHead): void {
    const size = sizeResponse(exchangeId, head);
    const p = this.openRecord(size);
    this.closeRecord(p, writeResponse(this.buf, p, exchangeId, head), size);
  }

  addEnd(exchangeId: string, end: ExchangeEnd): void {
    const size = sizeEnd(exchangeId, end);
    const p = this.openRecord(size);
    this.closeRecord(p, writeEnd(this.buf, p, exchangeId, end), size);
  }

  /**
   * Appends a body chunk as one or more BodyChunk records (split at frame boundaries), copying the
   * bytes: the caller may reuse `chunk` as soon as this returns.
   */
  addBody(id: string, idBytes: Uint8Array, direction: number, offset: number, chunk: Uint8Array): void {
    let done = 0;
    const total = chunk.length;
    while (done < total) {
      const overheadMax = 48 + idBytes.length; // tags, varints, length prefix, CRC
      let room = this.buf.length - this.pos - overheadMax;
      if (room < Math.min(total - done, 4096) && this.records > 0) {
        this.onFull();
        room = this.buf.length - this.pos - overheadMax;
      }
      const piece = Math.max(1, Math.min(total - done, room, MAX_BODY_PIECE));
      const recSize = bodyRecordSize(idBytes.length, offset + done, piece);
      this.ensure(varintSize(recSize) + recSize + 4);
      let p = writeVarint(this.buf, this.pos, recSize);
      const recStart = p;
      p = writeBodyRecord(this.buf, p, idBytes, direction, offset + done, chunk, done, piece);
      this.buf.writeUInt32LE(crc32c(this.buf.subarray(recStart, p)), p);
      this.pos = p + 4;
      this.records++;
      done += piece;
      if (!this.minId || id < this.minId) this.minId = id;
      if (id > this.maxId) this.maxId = id;
    }
  }
}
