import { crc32c } from '@node-rs/crc32';
import { WRITER_CRC_MAX, bodyRecordSize, varintSize, writeBodyRecord, writeVarint } from '../segment/records.js';
import type { ExchangeEnd, ExchangeHead, ResponseHead } from '../../core/exchange.js';
import { closeLength, endBound, rememberedStartBound, responseBound, sizeEnd, sizeResponse, sizeStart, writeEnd, writeResponse, writeResponseRaw, writeEndOnePass, writeStart, writeStartRemembered, wroteNonAscii } from '../segment/head-encoder.js';
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
   * @param crcOnWriter leave the CRC32C of records shorter than WRITER_CRC_MAX to the segment writer
   *   (SegmentWriter.writeFrame fills them in before compressing): the recorder's event loop then
   *   makes no native call per small record (with the typed scratch list in head-encoder.ts:
   *   ≈ 3 µs less per small exchange on the event loop, ≈ 0.8 µs more on the writer, measured)
   */
  constructor(
    buf: Buffer,
    private readonly onFull: () => void,
    private readonly crcOnWriter = false,
  ) {
    this.buf = buf;
  }

  /** Writes the CRC32C of the Record bytes [start, end) at `end`, unless the writer does it. */
  private crc(start: number, end: number): void {
    if (this.crcOnWriter && end - start < WRITER_CRC_MAX) return;
    this.buf.writeUInt32LE(crc32c(this.buf.subarray(start, end)), end);
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
    this.lastId = '';
    this.firstNs = 0n;
    this.lastNs = 0n;
    return out;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.records > 0) this.onFull();
    if (this.pos + n > this.buf.length) {
      // one record larger than a frame (huge header lists): give it a frame of its own (a retry
      // after an optimistic size may replace that one; the regular buffer stays parked)
      this.parked ??= this.buf;
      this.buf = Buffer.allocUnsafeSlow(n);
    }
  }

  /**
   * The last id noted in this frame: an exchange's records mostly come one after another (response
   * head, body, end in one upstream read), and comparing the same string object is a pointer check
   * where `<`/`>` compare characters (≈ 20 ns per note, four notes per small exchange).
   */
  private lastId = '';

  noteId(id: string): void {
    if (id === this.lastId) return;
    this.lastId = id;
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
    this.crc(p, p + bytes.length);
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
    this.crc(start, end);
    this.pos = end + 4;
    this.records++;
  }

  /**
   * Makes room for a Record of at most `bound` bytes written in one pass (head-encoder.ts
   * writeResponseRaw, writeEndOnePass) and returns where it goes: after space for its length.
   */
  private reserveOnePass(bound: number): number {
    this.ensure(varintSize(bound) + bound + 4);
    return this.pos + varintSize(bound);
  }

  /** The one-pass Record ends at `written`: writes its length (moving it if fewer bytes do) and CRC. */
  private closeOnePass(bound: number, written: number): void {
    const reserve = varintSize(bound);
    const end = closeLength(this.buf, this.pos, reserve, written);
    this.crc(end - (written - this.pos - reserve), end);
    this.pos = end + 4;
    this.records++;
  }

  /** ExchangeStart, encoded in place (storage/segment/head-encoder.ts). */
  // Each sized optimistically (ASCII strings, see head-encoder.ts) and, in the rare case that was
  // wrong, sized exactly and written again over the discarded attempt (pos has not moved).
  addStart(head: ExchangeHead): void {
    const bound = rememberedStartBound(head);
    if (bound >= 0) {
      // the session's remembered fields and header list hit: one pass (writeStartRemembered)
      const at = this.reserveOnePass(bound); // first: it may start a new frame (this.buf)
      this.closeOnePass(bound, writeStartRemembered(this.buf, at, head, bound));
      return;
    }
    let size = sizeStart(head, true);
    let p = this.openRecord(size);
    let end = writeStart(this.buf, p, head);
    if (wroteNonAscii()) {
      size = sizeStart(head);
      p = this.openRecord(size);
      end = writeStart(this.buf, p, head);
    }
    this.closeRecord(p, end, size);
  }

  addResponse(exchangeId: string, head: ResponseHead): void {
    if (head.rawHeaders !== undefined) {
      // undici's bytes: one pass, lengths filled in after (writeResponseRaw)
      const bound = responseBound(exchangeId, head.rawHeaders);
      const at = this.reserveOnePass(bound); // first: it may start a new frame (this.buf)
      this.closeOnePass(bound, writeResponseRaw(this.buf, at, exchangeId, head, bound));
      return;
    }
    let size = sizeResponse(exchangeId, head, true);
    let p = this.openRecord(size);
    let end = writeResponse(this.buf, p, exchangeId, head);
    if (wroteNonAscii()) {
      size = sizeResponse(exchangeId, head);
      p = this.openRecord(size);
      end = writeResponse(this.buf, p, exchangeId, head);
    }
    this.closeRecord(p, end, size);
  }

  addEnd(exchangeId: string, end: ExchangeEnd): void {
    if (end.decision === undefined) {
      const bound = endBound(exchangeId, end);
      const at = this.reserveOnePass(bound); // first: it may start a new frame (this.buf)
      this.closeOnePass(bound, writeEndOnePass(this.buf, at, exchangeId, end, bound));
      return;
    }
    let size = sizeEnd(exchangeId, end, true);
    let p = this.openRecord(size);
    let stop = writeEnd(this.buf, p, exchangeId, end);
    if (wroteNonAscii()) {
      size = sizeEnd(exchangeId, end);
      p = this.openRecord(size);
      stop = writeEnd(this.buf, p, exchangeId, end);
    }
    this.closeRecord(p, stop, size);
  }

  /**
   * Frame buffers are slots of a SharedArrayBuffer, which V8 copies into with relaxed atomics: word
   * by word when source and destination addresses agree mod 8, else byte by byte (measured, 1 KiB:
   * 260 ns misaligned, 55 ns aligned; 25 ns between ordinary buffers). A misaligned body piece is
   * first copied (a plain memcpy) into a scratch buffer at the destination's alignment.
   */
  private scratch: Uint8Array | null = null; // not a Buffer: writeBodyRecord's subarray() is then V8's builtin
  private scratchStart = 0;
  /** this.buf when alignShared was last decided (reading .buffer is a C++ builtin call). */
  private alignBuf: Buffer | null = null;
  private alignShared = false;

  /** Where writeBodyRecord copies `piece` bytes of `chunk` (from `start`) to this.buf[dst] from: `chunk` or the scratch. */
  private bodySource(chunk: Uint8Array, start: number, piece: number, dst: number): Uint8Array {
    const buf = this.buf;
    if (buf !== this.alignBuf) {
      this.alignBuf = buf;
      this.alignShared = buf.buffer instanceof SharedArrayBuffer;
    }
    if (piece < 256 || !this.alignShared) return chunk;
    const dstAlign = (buf.byteOffset + dst) & 7;
    if (((chunk.byteOffset + start) & 7) === dstAlign) return chunk;
    this.scratch ??= new Uint8Array(MAX_BODY_PIECE + 8); // bounded: one piece
    this.scratch.set(start === 0 && piece === chunk.length ? chunk : chunk.subarray(start, start + piece), dstAlign);
    this.scratchStart = dstAlign;
    return this.scratch;
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
      const src = this.bodySource(chunk, done, piece, recStart + recSize - piece); // the data ends the record
      p = writeBodyRecord(this.buf, p, idBytes, direction, offset + done, src, src === chunk ? done : this.scratchStart, piece);
      this.crc(recStart, p);
      this.pos = p + 4;
      this.records++;
      done += piece;
      this.noteId(id);
    }
  }
}
