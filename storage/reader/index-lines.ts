import { createReadStream } from 'node:fs';
import { TapegateError } from '../../core/errors.js';
import { zstd } from '../segment/zstd.js';

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
  const input = typeof source === 'string' ? (createReadStream(source, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) : source;
  const dctx = new zstd.DCtx();
  const out = Buffer.allocUnsafe(zstd.dStreamOutSize());
  /** null until the first bytes tell whether the source is compressed. */
  let compressed: boolean | null = null;
  let head = Buffer.alloc(0);
  /** Decompressor state after the last call: true while inside a frame (more input needed). */
  let inFrame = false;
  let partial: Buffer[] = [];
  let partialBytes = 0;

  function* split(bytes: Buffer): Generator<string> {
    let from = 0;
    for (let nl = bytes.indexOf(0x0a, from); nl >= 0; nl = bytes.indexOf(0x0a, from)) {
      if (partialBytes > 0) {
        partial.push(bytes.subarray(from, nl));
        yield Buffer.concat(partial).toString('utf8');
        partial = [];
        partialBytes = 0;
      } else {
        yield bytes.toString('utf8', from, nl);
      }
      from = nl + 1;
    }
    if (from < bytes.length) {
      partialBytes += bytes.length - from;
      if (partialBytes > MAX_LINE_BYTES) throw invalid(what, `a line longer than ${MAX_LINE_BYTES} bytes`);
      partial.push(Buffer.from(bytes.subarray(from))); // a copy: `bytes` may be the reused output buffer
    }
  }

  for await (const chunk of input) {
    if (chunk.byteLength === 0) continue;
    let src = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (compressed === null) {
      head = Buffer.concat([head, src]);
      if (head.length < ZSTD_MAGIC.length) continue;
      compressed = head.subarray(0, 4).equals(ZSTD_MAGIC);
      src = head;
    }
    if (!compressed) {
      yield* split(src);
      continue;
    }
    // as zstd-napi's DecompressStream: until the input is used up and the output buffer not filled
    // (or a frame just ended), so nothing decompressed stays behind in the context
    for (;;) {
      let ret: number, produced: number, consumed: number;
      try {
        [ret, produced, consumed] = dctx.decompressStream(out, src);
      } catch (err) {
        throw invalid(what, (err as Error).message);
      }
      src = src.subarray(consumed);
      inFrame = ret !== 0;
      if (produced > 0) yield* split(out.subarray(0, produced));
      if (src.length === 0 && (produced < out.length || ret === 0)) break;
    }
  }
  if (compressed === null && head.length > 0) {
    compressed = false;
    yield* split(head);
  }
  if (compressed && inFrame) throw invalid(what, 'the zstd stream ends inside a frame (a truncated file)');
  if (partialBytes > 0) yield Buffer.concat(partial).toString('utf8'); // a last line without its newline
}

function invalid(what: string, why: string): TapegateError {
  return new TapegateError('TG_INDEX_INVALID', 500, `index ${what} is damaged (${why}): rebuild it from the segment, which is what it summarises`);
}
