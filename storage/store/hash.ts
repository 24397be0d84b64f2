import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { crc32c } from '@node-rs/crc32';
import type { LocalFileHashes } from './types.js';

/** GCS's hash forms: base64 of the big-endian CRC32C and of the MD5 digest (hashes-etags). */
export function crc32cBase64(state: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(state >>> 0);
  return b.toString('base64');
}

/** Size, CRC32C and MD5 of a file in one streaming pass. */
export async function hashFile(path: string): Promise<LocalFileHashes> {
  let crc = 0;
  let size = 0;
  const md5 = createHash('md5');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    crc = crc32c(chunk, crc);
    md5.update(chunk);
    size += chunk.length;
  }
  return { size, crc32c: crc32cBase64(crc), md5Hash: md5.digest('base64') };
}

export function hashBuffer(data: Uint8Array): LocalFileHashes {
  return { size: data.length, crc32c: crc32cBase64(crc32c(data)), md5Hash: createHash('md5').update(data).digest('base64') };
}
