import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { FRAME_ENVELOPE_BYTES, compressBound, headerLength, readFrameEnvelope } from './segment/format.js';
import { encodeBodyChunkPb, writeBodyRecord } from './segment/records.js';
import { zstd } from './segment/zstd.js';

/**
 * Small, stable entry points for micro-benchmarks (bench/) and tests: the pieces of the recording
 * hot path, callable one at a time.
 */
export { FrameBuilder } from './recorder/frame-builder.js';
export { verifySegment, verifyChain, SegmentReader } from './reader/reader.js';
export { encodeBodyChunkPb } from './segment/records.js';

/** Encodes one BodyChunk Record with the hand-rolled hot-path encoder into `out`; returns its length. */
export function encodeBodyChunk(out: Buffer, exchangeIdBytes: Uint8Array, direction: 1 | 2, offset: number, data: Uint8Array): number {
  return writeBodyRecord(out, 0, exchangeIdBytes, direction, offset, data, 0, data.length);
}

/** The same record through protobufjs (allocates a message and a result buffer). */
export function encodeBodyChunkWithProtobufjs(exchangeId: string, direction: 1 | 2, offset: number, data: Uint8Array): Uint8Array {
  return encodeBodyChunkPb(exchangeId, direction, offset, data);
}

let cctx: InstanceType<typeof zstd.CCtx> | null = null;
let out = Buffer.allocUnsafe(0);

/** Compresses one frame the way the writer does (zstd-napi CCtx, reused output); returns the compressed size. */
export function compressFrame(raw: Uint8Array, level = 1): number {
  cctx ??= new zstd.CCtx();
  const bound = compressBound(raw.length);
  if (out.length < bound) out = Buffer.allocUnsafe(bound);
  return cctx.compress(out, raw, level);
}

/** SHA-256 of a whole segment file, streamed (what the hash chain and the uploader use). */
export async function hashSegment(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) h.update(chunk);
  return h.digest('hex');
}

/**
 * Every frame of a segment decompressed and concatenated (the framed records, CRCs included).
 * Loads the whole file: for tests and tools on small segments (e.g. grepping for secrets).
 */
export function decompressedRecordBytes(file: string): Buffer {
  const buf = readFileSync(file);
  const total = headerLength(buf);
  if (typeof total === 'string') throw new Error(`${file}: ${total}`);
  const dctx = new zstd.DCtx();
  const parts: Buffer[] = [];
  let p = total;
  while (p + FRAME_ENVELOPE_BYTES <= buf.length) {
    const env = readFrameEnvelope(buf, p);
    if (typeof env === 'string') break;
    const raw = Buffer.allocUnsafe(env.rawLength);
    dctx.decompress(raw, buf.subarray(p + FRAME_ENVELOPE_BYTES, p + FRAME_ENVELOPE_BYTES + env.compressedLength));
    parts.push(raw);
    p += FRAME_ENVELOPE_BYTES + env.compressedLength;
  }
  return Buffer.concat(parts);
}
