import { crc32c } from '@node-rs/crc32';
import { tapegate } from '../gen/recording.js';

/**
 * Byte layout of a segment file (.tgseg); storage/FORMAT.md is the prose version of this module.
 * All fixed-width integers are little-endian.
 *
 *   header   magic(8) version(u16) len(u32) SegmentHeader(len) crc32c(u32, over the bytes before it)
 *   frames   marker "TGFR"(4) compressedLen(u32) rawLen(u32) records(u32) payloadCrc(u32) envCrc(u32)
 *            then compressedLen bytes: one zstd frame holding records, each
 *            varint(len) Record(len) crc32c(u32, over the Record bytes)
 *   trailer  marker "TGTR"(4) len(u32) SegmentTrailer(len) ed25519 signature(64) len(u32) "TGSEGEND"(8)
 */
export const pb = tapegate.recording.v1;

export const FORMAT_VERSION = 1;
export const FILE_MAGIC = Buffer.from([0x89, 0x54, 0x47, 0x53, 0x45, 0x47, 0x0d, 0x0a]); // \x89TGSEG\r\n
export const HEADER_PREFIX_BYTES = 14;
export const FRAME_MARKER = Buffer.from('TGFR', 'latin1');
export const FRAME_ENVELOPE_BYTES = 24;
export const TRAILER_MARKER = Buffer.from('TGTR', 'latin1');
export const END_MAGIC = Buffer.from('TGSEGEND', 'latin1');
export const FOOTER_BYTES = 12;
export const SIGNATURE_BYTES = 64;
/** Signed bytes start with this context string so a segment signature can't be replayed elsewhere. */
export const SIGNATURE_CONTEXT = Buffer.from('tapegate.segment.v1\n', 'latin1');
/** Upper bounds a reader trusts before allocating (a damaged length must not allocate gigabytes). */
export const MAX_FRAME_RAW_BYTES = 64 * 1024 * 1024;
export const MAX_FRAME_COMPRESSED_BYTES = MAX_FRAME_RAW_BYTES + (MAX_FRAME_RAW_BYTES >>> 7) + 4096;
export const MAX_HEADER_BYTES = 64 * 1024;
export const ZERO_HASH = Buffer.alloc(32);

export interface SegmentHeaderInfo {
  instanceId: string;
  seq: number;
  createdAtNs: bigint;
  prevSha256: string;
  keyId: string;
  zstdLevel: number;
  durability: string;
}

export interface SegmentTrailerInfo {
  recordCount: number;
  frameCount: number;
  firstExchangeId: string;
  lastExchangeId: string;
  firstNs: bigint;
  lastNs: bigint;
  /** Hex SHA-256 over every byte before the trailer. */
  sha256: string;
  recovered: boolean;
  discardedBytes: number;
  sealedAtNs: bigint;
  rawBytes: number;
  droppedRecords: number;
  /** Zero-filled space at the end of a recovered file that no frame reached (0 unless recovered). */
  unwrittenBytes: number;
}

type LongLike = number | { low: number; high: number; unsigned?: boolean };

export function longToBigInt(v: LongLike | null | undefined): bigint {
  if (v == null) return 0n;
  if (typeof v === 'number') return BigInt(v);
  return (BigInt(v.high | 0) << 32n) | BigInt(v.low >>> 0);
}

export function longToNumber(v: LongLike | null | undefined): number {
  if (v == null) return 0;
  if (typeof v === 'number') return v;
  return (v.high >>> 0) * 4294967296 + (v.low >>> 0);
}

/** The generated code types int64 fields as long.js Longs; protobufjs only reads low/high from them. */
export type PbLong = NonNullable<tapegate.recording.v1.ExchangeStart.$Properties['receivedNs']>;

/** int64 field value for protobufjs from a bigint (protobufjs has no bigint support). */
export function bigIntToLong(v: bigint): PbLong {
  return { low: Number(v & 0xffffffffn) | 0, high: Number((v >> 32n) & 0xffffffffn) | 0, unsigned: false } as unknown as PbLong;
}

export function encodeHeader(h: SegmentHeaderInfo): Buffer {
  const body = pb.SegmentHeader.encode({
    instanceId: h.instanceId,
    seq: h.seq,
    createdAtNs: bigIntToLong(h.createdAtNs),
    prevSha256: Buffer.from(h.prevSha256, 'hex'),
    keyId: h.keyId,
    zstdLevel: h.zstdLevel,
    durability: h.durability,
  }).finish();
  const out = Buffer.allocUnsafe(HEADER_PREFIX_BYTES + body.length + 4);
  FILE_MAGIC.copy(out, 0);
  out.writeUInt16LE(FORMAT_VERSION, 8);
  out.writeUInt32LE(body.length, 10);
  out.set(body, HEADER_PREFIX_BYTES);
  out.writeUInt32LE(crc32c(out.subarray(0, HEADER_PREFIX_BYTES + body.length)), HEADER_PREFIX_BYTES + body.length);
  return out;
}

/** Total header length once the 14-byte prefix is known, or an error text. */
export function headerLength(prefix: Buffer): number | string {
  if (prefix.length < HEADER_PREFIX_BYTES) return 'file shorter than the header prefix';
  if (!prefix.subarray(0, 8).equals(FILE_MAGIC)) return 'bad magic (not a tapegate segment)';
  const version = prefix.readUInt16LE(8);
  if (version !== FORMAT_VERSION) return `unsupported format version ${version}`;
  const len = prefix.readUInt32LE(10);
  if (len > MAX_HEADER_BYTES) return `header length ${len} is implausible`;
  return HEADER_PREFIX_BYTES + len + 4;
}

export function decodeHeader(buf: Buffer): SegmentHeaderInfo | string {
  const total = headerLength(buf);
  if (typeof total === 'string') return total;
  if (buf.length < total) return 'file shorter than its header';
  const bodyEnd = total - 4;
  if (crc32c(buf.subarray(0, bodyEnd)) !== buf.readUInt32LE(bodyEnd)) return 'header CRC32C mismatch';
  try {
    const m = pb.SegmentHeader.decode(buf.subarray(HEADER_PREFIX_BYTES, bodyEnd));
    return {
      instanceId: m.instanceId,
      seq: longToNumber(m.seq),
      createdAtNs: longToBigInt(m.createdAtNs),
      prevSha256: Buffer.from(m.prevSha256).toString('hex'),
      keyId: m.keyId,
      zstdLevel: m.zstdLevel,
      durability: m.durability,
    };
  } catch (err) {
    return `header does not decode: ${(err as Error).message}`;
  }
}

export interface FrameEnvelope {
  compressedLength: number;
  rawLength: number;
  recordCount: number;
  payloadCrc: number;
}

export function writeFrameEnvelope(out: Buffer, env: FrameEnvelope): void {
  FRAME_MARKER.copy(out, 0);
  out.writeUInt32LE(env.compressedLength, 4);
  out.writeUInt32LE(env.rawLength, 8);
  out.writeUInt32LE(env.recordCount, 12);
  out.writeUInt32LE(env.payloadCrc >>> 0, 16);
  out.writeUInt32LE(crc32c(out.subarray(0, 20)), 20);
}

/** Parses the 24 envelope bytes at `off`; returns an error text when they are not a valid envelope. */
export function readFrameEnvelope(buf: Buffer, off: number): FrameEnvelope | string {
  if (buf[off] !== 0x54 || buf[off + 1] !== 0x47 || buf[off + 2] !== 0x46 || buf[off + 3] !== 0x52) {
    return 'no frame marker';
  }
  if (crc32c(buf.subarray(off, off + 20)) !== buf.readUInt32LE(off + 20)) return 'frame envelope CRC32C mismatch';
  const env = {
    compressedLength: buf.readUInt32LE(off + 4),
    rawLength: buf.readUInt32LE(off + 8),
    recordCount: buf.readUInt32LE(off + 12),
    payloadCrc: buf.readUInt32LE(off + 16),
  };
  if (env.rawLength > MAX_FRAME_RAW_BYTES || env.compressedLength > MAX_FRAME_COMPRESSED_BYTES) {
    return `frame lengths implausible (raw ${env.rawLength}, compressed ${env.compressedLength})`;
  }
  return env;
}

export function encodeTrailerBody(t: SegmentTrailerInfo): Uint8Array {
  return pb.SegmentTrailer.encode({
    recordCount: t.recordCount,
    frameCount: t.frameCount,
    firstExchangeId: t.firstExchangeId,
    lastExchangeId: t.lastExchangeId,
    firstNs: bigIntToLong(t.firstNs),
    lastNs: bigIntToLong(t.lastNs),
    sha256: Buffer.from(t.sha256, 'hex'),
    recovered: t.recovered,
    discardedBytes: t.discardedBytes,
    sealedAtNs: bigIntToLong(t.sealedAtNs),
    rawBytes: t.rawBytes,
    droppedRecords: t.droppedRecords,
    unwrittenBytes: t.unwrittenBytes,
  }).finish();
}

export function decodeTrailerBody(body: Uint8Array): SegmentTrailerInfo {
  const m = pb.SegmentTrailer.decode(body);
  return {
    recordCount: longToNumber(m.recordCount),
    frameCount: longToNumber(m.frameCount),
    firstExchangeId: m.firstExchangeId,
    lastExchangeId: m.lastExchangeId,
    firstNs: longToBigInt(m.firstNs),
    lastNs: longToBigInt(m.lastNs),
    sha256: Buffer.from(m.sha256).toString('hex'),
    recovered: m.recovered,
    discardedBytes: longToNumber(m.discardedBytes),
    sealedAtNs: longToBigInt(m.sealedAtNs),
    rawBytes: longToNumber(m.rawBytes),
    droppedRecords: longToNumber(m.droppedRecords),
    unwrittenBytes: longToNumber(m.unwrittenBytes),
  };
}

/** The bytes the Ed25519 signature covers: context ‖ header region ‖ trailer body. */
export function signedBytes(headerRegion: Uint8Array, trailerBody: Uint8Array): Buffer {
  return Buffer.concat([SIGNATURE_CONTEXT, headerRegion, trailerBody]);
}

/** Trailer region bytes (from the TGTR marker to the end of the file). */
export function encodeTrailerRegion(trailerBody: Uint8Array, signature: Uint8Array): Buffer {
  const t = trailerBody.length;
  const out = Buffer.allocUnsafe(8 + t + SIGNATURE_BYTES + FOOTER_BYTES);
  TRAILER_MARKER.copy(out, 0);
  out.writeUInt32LE(t, 4);
  out.set(trailerBody, 8);
  out.set(signature, 8 + t);
  out.writeUInt32LE(t, 8 + t + SIGNATURE_BYTES);
  END_MAGIC.copy(out, 12 + t + SIGNATURE_BYTES);
  return out;
}

/** From the last 12 bytes of a file: the trailer region's length, or an error text. */
export function trailerRegionLength(footer: Buffer): number | string {
  if (footer.length < FOOTER_BYTES || !footer.subarray(4, 12).equals(END_MAGIC)) return 'no trailer (segment not sealed or truncated)';
  const t = footer.readUInt32LE(0);
  if (t > MAX_HEADER_BYTES) return `trailer length ${t} is implausible`;
  return 8 + t + SIGNATURE_BYTES + FOOTER_BYTES;
}

/** Upper bound of the zstd output size for `n` input bytes (ZSTD_COMPRESSBOUND). */
export function compressBound(n: number): number {
  return n + (n >>> 8) + (n < 128 * 1024 ? (128 * 1024 - n) >>> 11 : 0) + 64;
}

/** Zero-padded sequence number used in file names so they sort. */
export function seqName(seq: number): string {
  return String(seq).padStart(12, '0');
}
