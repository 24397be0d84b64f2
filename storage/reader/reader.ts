import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import {
  FOOTER_BYTES,
  SIGNATURE_BYTES,
  TRAILER_MARKER,
  decodeTrailerBody,
  signedBytes,
  trailerRegionLength,
  type SegmentHeaderInfo,
  type SegmentTrailerInfo,
} from '../segment/format.js';
import { publicKeyFileName } from '../segment/keys.js';
import type { DecodedRecord } from '../segment/records.js';
import { SegmentScanner, type Damage } from './scanner.js';

/**
 * Streams the records out of segment files and verifies them: per-record CRC32C, per-frame CRC and
 * decompression, the trailer's digest and Ed25519 signature, and the hash chain across an ordered
 * list of segments. Files are read in chunks; memory stays bounded by one frame.
 */

/** Public keys by key id; a function can fetch them from wherever the auditor keeps them. */
export type KeyLookup = Map<string, KeyObject> | ((keyId: string) => KeyObject | undefined);

export interface ReadOptions {
  /**
   * Where to find public keys. Default: the `key-<keyId>.pub.pem` file next to the segment (what the
   * recorder writes); an auditor should pass the keys they trust instead.
   */
  keys?: KeyLookup;
  /** Read size (default 1 MiB). */
  chunkBytes?: number;
}

export type ReadEvent =
  | { type: 'record'; record: DecodedRecord; frameOffset: number }
  | { type: 'damage'; damage: Damage };

export interface SegmentReport {
  segment: string;
  sizeBytes: number;
  header: SegmentHeaderInfo | null;
  trailer: SegmentTrailerInfo | null;
  /** Hex SHA-256 of the whole file (what the next segment's header chains to). */
  sha256: string;
  frames: number;
  records: number;
  rawBytes: number;
  damage: Damage[];
  ok: boolean;
}

export function publicKeyFromPem(pem: string | Buffer): KeyObject {
  return createPublicKey(pem);
}

function lookupKey(keys: KeyLookup | undefined, keyId: string, segmentPath: string): KeyObject | undefined {
  if (keys instanceof Map) return keys.get(keyId);
  if (typeof keys === 'function') return keys(keyId);
  const file = path.join(path.dirname(segmentPath), publicKeyFileName(keyId));
  return existsSync(file) ? publicKeyFromPem(readFileSync(file)) : undefined;
}

interface TrailerLocation {
  start: number;
  body: Buffer;
  signature: Buffer;
  info: SegmentTrailerInfo;
}

async function locateTrailer(file: string, size: number, damage: Damage[]): Promise<TrailerLocation | null> {
  const fh = await open(file, 'r');
  try {
    const footer = Buffer.alloc(FOOTER_BYTES);
    if (size >= FOOTER_BYTES) await fh.read(footer, 0, FOOTER_BYTES, size - FOOTER_BYTES);
    const regionLen = size >= FOOTER_BYTES ? trailerRegionLength(footer) : 'file too short for a trailer';
    if (typeof regionLen === 'string') {
      damage.push({ segment: file, offset: size, reason: 'trailer_missing', detail: regionLen });
      return null;
    }
    const start = size - regionLen;
    if (start < 0) {
      damage.push({ segment: file, offset: size - FOOTER_BYTES, reason: 'trailer_invalid', detail: 'trailer longer than the file' });
      return null;
    }
    const region = Buffer.alloc(regionLen);
    await fh.read(region, 0, regionLen, start);
    const bodyLen = regionLen - 8 - SIGNATURE_BYTES - FOOTER_BYTES;
    if (!region.subarray(0, 4).equals(TRAILER_MARKER) || region.readUInt32LE(4) !== bodyLen) {
      damage.push({ segment: file, offset: start, reason: 'trailer_invalid', detail: 'trailer marker or length does not match the footer' });
      return null;
    }
    const body = region.subarray(8, 8 + bodyLen);
    try {
      return { start, body, signature: region.subarray(8 + bodyLen, 8 + bodyLen + SIGNATURE_BYTES), info: decodeTrailerBody(body) };
    } catch (err) {
      damage.push({ segment: file, offset: start + 8, reason: 'trailer_invalid', detail: `trailer does not decode: ${(err as Error).message}` });
      return null;
    }
  } finally {
    await fh.close();
  }
}

/**
 * Reads one segment. Iterate `events()` once; `report` is complete when the iteration ends.
 */
export class SegmentReader {
  readonly report: SegmentReport;
  constructor(
    readonly file: string,
    private readonly options: ReadOptions = {},
  ) {
    this.report = { segment: file, sizeBytes: 0, header: null, trailer: null, sha256: '', frames: 0, records: 0, rawBytes: 0, damage: [], ok: false };
  }

  async *events(): AsyncGenerator<ReadEvent, SegmentReport, undefined> {
    const report = this.report;
    const fh = await open(this.file, 'r');
    const size = (await fh.stat()).size;
    await fh.close();
    report.sizeBytes = size;
    const trailer = await locateTrailer(this.file, size, report.damage);
    for (const d of report.damage) yield { type: 'damage', damage: d };
    const dataEnd = trailer ? trailer.start : size;
    report.trailer = trailer?.info ?? null;

    const pending: ReadEvent[] = [];
    const scanner = new SegmentScanner(this.file, dataEnd, {
      onRecord: (record, frameOffset) => pending.push({ type: 'record', record, frameOffset }),
      onDamage: (damage) => {
        report.damage.push(damage);
        pending.push({ type: 'damage', damage });
      },
    });
    const dataHash = createHash('sha256');
    const fileHash = createHash('sha256');
    let pos = 0;
    const stream = createReadStream(this.file, { highWaterMark: this.options.chunkBytes ?? 1024 * 1024 });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      fileHash.update(chunk);
      if (pos < dataEnd) {
        const part = pos + chunk.length <= dataEnd ? chunk : chunk.subarray(0, dataEnd - pos);
        dataHash.update(part);
        scanner.push(part);
      }
      pos += chunk.length;
      if (pending.length) {
        for (const e of pending) yield e;
        pending.length = 0;
      }
    }
    const summary = scanner.finish();
    for (const e of pending) yield e;
    pending.length = 0;
    report.sha256 = fileHash.digest('hex');
    report.header = summary.header;
    report.frames = summary.frames;
    report.records = summary.records;
    report.rawBytes = summary.rawBytes;

    const late: Damage[] = [];
    if (trailer) {
      const digest = dataHash.digest('hex');
      if (digest !== trailer.info.sha256) {
        late.push({ segment: this.file, offset: trailer.start, reason: 'digest_mismatch', detail: `SHA-256 of bytes 0..${trailer.start} is ${digest}, trailer says ${trailer.info.sha256}` });
      }
      if (!summary.damaged && trailer.info.recordCount !== summary.records) {
        late.push({ segment: this.file, offset: trailer.start, reason: 'record_count_mismatch', detail: `segment holds ${summary.records} records, trailer says ${trailer.info.recordCount}` });
      }
      if (summary.header && summary.headerBytes) {
        const key = lookupKey(this.options.keys, summary.header.keyId, this.file);
        const sigOffset = trailer.start + 8 + trailer.body.length;
        if (!key) {
          late.push({ segment: this.file, offset: sigOffset, reason: 'unknown_signing_key', detail: `no public key for key id ${summary.header.keyId}` });
        } else if (!verify(null, signedBytes(summary.headerBytes, trailer.body), key, trailer.signature)) {
          late.push({ segment: this.file, offset: sigOffset, reason: 'signature_invalid', detail: `Ed25519 signature does not verify with key ${summary.header.keyId}` });
        }
      }
    }
    for (const d of late) {
      report.damage.push(d);
      yield { type: 'damage', damage: d };
    }
    report.ok = report.damage.length === 0;
    return report;
  }
}

/** Reads and verifies one segment, discarding the records. */
export async function verifySegment(file: string, options: ReadOptions = {}): Promise<SegmentReport> {
  const reader = new SegmentReader(file, options);
  for await (const _ of reader.events()) {
    // records are only counted
  }
  return reader.report;
}

export interface ChainReport {
  segments: SegmentReport[];
  /** Every damage found, per segment and across the chain, in file order. */
  damage: Damage[];
  ok: boolean;
}

/**
 * Verifies an ordered list of segments of one instance: each segment on its own, then that each
 * header chains to the SHA-256 of the segment before it with the next sequence number. A removed
 * segment shows as a sequence gap and a broken chain at the segment after the hole; reordered
 * segments as out-of-order sequence numbers.
 */
export async function verifyChain(files: readonly string[], options: ReadOptions & { expectPrevSha256?: string } = {}): Promise<ChainReport> {
  const segments: SegmentReport[] = [];
  const damage: Damage[] = [];
  let prev: SegmentReport | null = null;
  for (const file of files) {
    const r = await verifySegment(file, options);
    segments.push(r);
    damage.push(...r.damage);
    const h = r.header;
    if (h && prev?.header) {
      const p = prev.header;
      if (h.instanceId !== p.instanceId) {
        damage.push({ segment: file, offset: 14, reason: 'chain_instance_mismatch', detail: `instance ${h.instanceId} follows instance ${p.instanceId}` });
      }
      if (h.seq <= p.seq) {
        damage.push({ segment: file, offset: 14, reason: 'chain_order', detail: `sequence ${h.seq} comes after sequence ${p.seq}` });
      } else if (h.seq !== p.seq + 1) {
        damage.push({ segment: file, offset: 14, reason: 'chain_seq_gap', detail: `sequence jumps from ${p.seq} to ${h.seq}: ${h.seq - p.seq - 1} segment(s) missing` });
      }
      if (h.prevSha256 !== prev.sha256) {
        damage.push({ segment: file, offset: 14, reason: 'chain_broken', detail: `header chains to ${h.prevSha256.slice(0, 16)}…, previous segment ${path.basename(prev.segment)} is ${prev.sha256.slice(0, 16)}…` });
      }
    } else if (h && !prev && options.expectPrevSha256 !== undefined && h.prevSha256 !== options.expectPrevSha256) {
      damage.push({ segment: file, offset: 14, reason: 'chain_broken', detail: `header chains to ${h.prevSha256.slice(0, 16)}…, expected ${options.expectPrevSha256.slice(0, 16)}…` });
    }
    prev = r;
  }
  return { segments, damage, ok: damage.length === 0 };
}
