import { createHash, createPublicKey } from 'node:crypto';
import path from 'node:path';
import type { SealedSegment } from '../types.js';

/**
 * Object names, the same in a bucket and in the local store:
 *   <prefix>/segments/<yyyy>/<mm>/<dd>/<hh>/<instance>/<seq>-<sha256 prefix>.tgseg
 *   <prefix>/index/<yyyy>/<mm>/<dd>/<hh>/<instance>/<seq>-<sha256 prefix>.jsonl.zst
 *   <prefix>/keys/<instance>/<keyid>.pub
 * The date and hour are the UTC of the segment's createdAtMs; `<seq>-<sha256 prefix>` is the spool
 * file's own base name, so the writer decides its padding and prefix length.
 */
function join(prefix: string, ...parts: string[]): string {
  return (prefix ? [prefix, ...parts] : parts).join('/');
}

function hourPath(createdAtMs: number): string[] {
  const d = new Date(createdAtMs);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return [String(d.getUTCFullYear()), p2(d.getUTCMonth() + 1), p2(d.getUTCDate()), p2(d.getUTCHours())];
}

export function segmentBaseName(seg: Pick<SealedSegment, 'path'>): string {
  return path.basename(seg.path, '.tgseg');
}

export function segmentObjectName(prefix: string, seg: Pick<SealedSegment, 'path' | 'instanceId' | 'createdAtMs'>): string {
  return join(prefix, 'segments', ...hourPath(seg.createdAtMs), seg.instanceId, `${segmentBaseName(seg)}.tgseg`);
}

/**
 * The index object of a segment: `.jsonl.zst` (JSON lines, zstd-compressed: what the writer makes,
 * FORMAT.md §4), or `.jsonl` when `indexPath` names a plain `.jsonl` index (left in a spool by a
 * version before the compressed index): the name says what the bytes are.
 */
export function indexObjectName(prefix: string, seg: Pick<SealedSegment, 'path' | 'instanceId' | 'createdAtMs'> & { indexPath?: string }): string {
  return join(prefix, 'index', ...hourPath(seg.createdAtMs), seg.instanceId, `${segmentBaseName(seg)}${isPlainIndex(seg.indexPath) ? '.jsonl' : '.jsonl.zst'}`);
}

/**
 * Content type of an index object: `application/zstd` for the compressed index, stored as it is
 * (no Content-Encoding, so no store transcodes it: readers get the bytes whose CRC32C/MD5 were
 * verified and decompress them themselves); `application/x-ndjson` for a plain one.
 */
export function indexContentType(indexPath: string): string {
  return isPlainIndex(indexPath) ? 'application/x-ndjson' : 'application/zstd';
}

function isPlainIndex(indexPath: string | undefined): boolean {
  return indexPath !== undefined && indexPath.endsWith('.jsonl');
}

export function keyObjectName(prefix: string, instanceId: string, keyId: string): string {
  return join(prefix, 'keys', instanceId, `${keyId}.pub`);
}

/**
 * Key id, as the segment writer defines it (storage/segment/keys.ts): the first 16 hex digits of the
 * SHA-256 of the raw 32-byte Ed25519 public key. Taken from the writer's file name
 * (key-<keyId>.pub.pem) when it has one.
 */
export function publicKeyId(pem: string | Buffer, fileName?: string): string {
  const m = fileName ? /^key-([0-9a-f]{16})\.pub\.pem$/.exec(path.basename(fileName)) : null;
  if (m) return m[1]!;
  let raw: Buffer;
  try {
    raw = createPublicKey(pem).export({ type: 'spki', format: 'der' }).subarray(-32);
  } catch {
    raw = Buffer.isBuffer(pem) ? pem : Buffer.from(pem);
  }
  return createHash('sha256').update(raw).digest('hex').slice(0, 16);
}
