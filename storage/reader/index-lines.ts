import { createReadStream } from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import { DecompressStream } from 'zstd-napi';
import { TapegateError } from '../../core/errors.js';

/** The zstd frame magic number as its 4 bytes on disk (28 B5 2F FD). */
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
/** A line longer than this is not an index line: a damaged or foreign file (bounds memory). */
const MAX_LINE_BYTES = 64 << 20;

/**
 * The lines of a segment's index (`<seq>-<sha16>.index.jsonl.zst`, FORMAT.md §4), one JSON object
 * each (`JSON.parse` gives the fields listed there), in file order, streamed: memory stays at a read
 * chunk, a decompressed chunk, zstd's window (≤ 1 MiB) and one line, whatever the index holds.
 * `source` is a file path or the bytes as they come (e.g. a store download). A plain, uncompressed
 * `.jsonl` index (earlier versions) is read as it is. Throws TG_INDEX_INVALID when the zstd stream is
 * damaged or cut short (zstd's content checksum is checked); the lines before the damage have been
 * yielded by then.
 */
export async function* indexLines(source: string | AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<string, void, undefined> {
  const what = typeof source === 'string' ? source : 'index stream';
  const input = typeof source === 'string' ? createReadStream(source, { highWaterMark: 64 * 1024 }) : Readable.from(source, { objectMode: false });
  const reader = input[Symbol.asyncIterator]();
  // the first bytes tell whether the index is compressed
  const first: Buffer[] = [];
  let firstBytes = 0;
  while (firstBytes < ZSTD_MAGIC.length) {
    const r = await reader.next();
    if (r.done) break;
    const chunk = r.value as Uint8Array;
    first.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    firstBytes += chunk.byteLength;
  }
  const head = Buffer.concat(first);
  async function* bytes(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (let r = await reader.next(); !r.done; r = await reader.next()) {
      const chunk = r.value as Uint8Array;
      yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
  }
  const compressed = head.length >= ZSTD_MAGIC.length && head.subarray(0, 4).equals(ZSTD_MAGIC);
  // zstd-napi's stream checks zstd's content checksums and reports a stream cut inside a frame
  const lines = compressed ? pipeline(Readable.from(bytes()), new DecompressStream(), () => undefined) : bytes();
  let partial: Buffer[] = [];
  let partialBytes = 0;
  try {
    for await (const chunk of lines as AsyncIterable<Buffer>) {
      let from = 0;
      for (let nl = chunk.indexOf(0x0a, from); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
        if (partialBytes > 0) {
          partial.push(chunk.subarray(from, nl));
          yield Buffer.concat(partial).toString('utf8');
          partial = [];
          partialBytes = 0;
        } else {
          yield chunk.toString('utf8', from, nl);
        }
        from = nl + 1;
      }
      if (from < chunk.length) {
        partialBytes += chunk.length - from;
        if (partialBytes > MAX_LINE_BYTES) throw invalid(what, `a line longer than ${MAX_LINE_BYTES} bytes`);
        partial.push(Buffer.from(chunk.subarray(from))); // a copy: a caller's iterable may reuse its buffers
      }
    }
  } catch (err) {
    if (err instanceof TapegateError) throw err;
    const message = (err as Error).message;
    throw invalid(what, /middle of compressed data frame/.test(message) ? 'the zstd stream ends inside a frame (a truncated file)' : message);
  } finally {
    await reader.return?.(); // a consumer that stops early: close the file
  }
  if (partialBytes > 0) yield Buffer.concat(partial).toString('utf8'); // a last line without its newline
}

function invalid(what: string, why: string): TapegateError {
  return new TapegateError('TG_INDEX_INVALID', 500, `index ${what} is damaged (${why}): rebuild it from the segment, which is what it summarises`);
}
