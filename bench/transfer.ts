/**
 * One large streamed transfer through a target: a media download or a media insert of `bytes`
 * bytes on one connection, chunks reused from a pattern buffer so the client allocates nothing per
 * chunk. Reports the transfer rate and the time to the first response byte.
 */
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { Client } from 'undici';
import { PATTERN_BYTES, jsonLines } from './data.js';

export interface TransferResult {
  direction: 'download' | 'upload';
  /** Upload sent with Transfer-Encoding: chunked (no Content-Length). */
  chunked: boolean;
  bytes: number;
  seconds: number;
  bytesPerSec: number;
  ttfbMs: number;
  status: number;
  error?: string;
  loadgenCpuSeconds: number;
}

let pattern: Buffer | undefined;
function uploadPattern(): Buffer {
  pattern ??= jsonLines(PATTERN_BYTES, 11);
  return pattern;
}

const CHUNK = 256 * 1024;

/** Smallest body uWebSockets.js v20.30 refuses to take with a Content-Length header. */
export const CONTENT_LENGTH_LIMIT = 1_000_000_000;

function patternStream(total: number): Readable {
  const src = uploadPattern();
  let sent = 0;
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      while (sent < total) {
        const p = sent % PATTERN_BYTES;
        const len = Math.min(CHUNK, PATTERN_BYTES - p, total - sent);
        sent += len;
        if (!this.push(src.subarray(p, p + len))) return;
      }
      this.push(null);
    },
  });
}

export async function runTransfer(origin: string, direction: 'download' | 'upload', bytes: number, headers: Record<string, string> = {}, timeoutMs = 600_000): Promise<TransferResult> {
  uploadPattern(); // generated before the clock starts
  const client = new Client(origin, { headersTimeout: 60_000, bodyTimeout: 60_000, connectTimeout: 10_000 });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let ttfb = NaN;
  let received = 0;
  let status = 0;
  let error: string | undefined;
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`transfer did not finish within ${timeoutMs} ms`)), timeoutMs);
  try {
    const res =
      direction === 'download'
        ? await client.request({ method: 'GET', path: `/download/storage/v1/b/bench-bucket/o/big.jsonl?alt=media&size=${bytes}`, headers, signal: ac.signal })
        : await client.request({
            method: 'POST',
            path: `/upload/storage/v1/b/bench-bucket/o?uploadType=media&name=big-${Date.now()}.jsonl`,
            // uWebSockets.js v20.30 (the fake upstream and tapegate's data plane) refuses a
            // Content-Length of 10 digits (>= 1e9 bytes) by resetting the connection: larger
            // uploads go chunked, as a client streaming a body of unknown length would.
            headers: { ...headers, 'content-type': 'application/octet-stream', ...(bytes < CONTENT_LENGTH_LIMIT ? { 'content-length': String(bytes) } : {}) },
            body: patternStream(bytes),
            signal: ac.signal,
          });
    status = res.statusCode;
    ttfb = performance.now() - t0;
    for await (const chunk of res.body) received += (chunk as Buffer).length;
    if (direction === 'download' && received !== bytes) error = `short body: ${received} of ${bytes} bytes`;
    if (status < 200 || status >= 300) error ??= `HTTP ${status}`;
  } catch (err) {
    error = (err as Error).message;
  } finally {
    clearTimeout(timer);
    await client.destroy().catch(() => undefined);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    direction,
    chunked: direction === 'upload' && bytes >= CONTENT_LENGTH_LIMIT,
    bytes,
    seconds,
    bytesPerSec: error ? NaN : bytes / seconds,
    ttfbMs: ttfb,
    status,
    error,
    loadgenCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}
