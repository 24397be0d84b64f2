/**
 * The lightest load generator we can write in Node: HTTP/1.1 straight on node:net sockets. Each
 * request is encoded once up front (head and body in one Buffer, one write per request); responses
 * are parsed just enough to find their end (Content-Length or chunked) and the status code. About a
 * third of undici's CPU per request here, which matters when the generator shares 2 cores with the
 * upstream and the proxy under test.
 */
import net from 'node:net';
import { createHistogram, performance } from 'node:perf_hooks';
import { latencyFromHistogram, type LoadOptions, type LoadResult } from './load.js';

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

function encodeRequest(host: string, method: string, p: string, headers: Record<string, string>, body?: Buffer): Buffer {
  let head = `${method} ${p} HTTP/1.1\r\nhost: ${host}\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  if (body || method === 'POST' || method === 'PUT') head += `content-length: ${body?.length ?? 0}\r\n`;
  head += '\r\n';
  return body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
}

const enum State {
  Head,
  Body,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  /** No Content-Length and not chunked: the body ends when the server closes the connection. */
  UntilClose,
}

interface Shared {
  stopped: boolean;
  measuring: boolean;
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  bytes: number;
  firstError?: string;
  maxRequests?: number;
  hist: ReturnType<typeof createHistogram>;
  onStop(): void;
  idle(): void;
}

class NetConnection {
  private socket: net.Socket | null = null;
  private state = State.Head;
  private pending: Buffer | null = null;
  private remaining = 0;
  private status = 0;
  private started = 0;
  private next: number;
  private close = false;
  private readonly readBuf = Buffer.allocUnsafe(64 * 1024);

  constructor(
    private readonly port: number,
    private readonly host: string,
    private readonly reqs: Buffer[],
    private readonly shared: Shared,
    index: number,
  ) {
    this.next = index % reqs.length;
  }

  start(): void {
    this.connect();
  }

  private connect(): void {
    // Reads land in one buffer per connection (no Buffer per read); onData copies what it keeps.
    const s = net.connect({
      port: this.port,
      host: this.host,
      noDelay: true,
      onread: {
        buffer: this.readBuf,
        callback: (n: number, b: Uint8Array): boolean => {
          this.onData((b as Buffer).subarray(0, n));
          return true;
        },
      },
    });
    this.socket = s;
    this.state = State.Head;
    this.pending = null;
    s.on('connect', () => this.send());
    s.on('error', (err) => this.fail(err));
    s.on('close', () => {
      if (this.socket !== s) return;
      if (this.state === State.UntilClose) {
        this.close = true;
        this.complete();
        return;
      }
      this.fail(new Error('connection closed mid-exchange'));
    });
  }

  private send(): void {
    if (this.shared.stopped) {
      this.finish();
      return;
    }
    const r = this.reqs[this.next]!;
    this.next = (this.next + 1) % this.reqs.length;
    this.state = State.Head;
    this.pending = null;
    this.status = 0;
    this.close = false;
    this.started = performance.now();
    this.socket!.write(r);
  }

  private finish(): void {
    const s = this.socket;
    this.socket = null;
    s?.destroy();
    this.shared.idle();
  }

  private fail(err: Error): void {
    const s = this.socket;
    if (!s) return;
    this.socket = null;
    s.destroy();
    const sh = this.shared;
    if (sh.measuring) {
      sh.errors++;
      sh.firstError ??= `${err.name}: ${err.message}`;
    }
    if (sh.stopped) {
      sh.idle();
      return;
    }
    setTimeout(() => this.connect(), 10);
  }

  private complete(): void {
    const sh = this.shared;
    if (sh.measuring) {
      sh.requests++;
      if (this.status >= 200 && this.status < 300) sh.ok++;
      else sh.non2xx++;
      sh.hist.record(Math.max(1, Math.round((performance.now() - this.started) * 1e6)));
      if (sh.maxRequests !== undefined && sh.requests >= sh.maxRequests) sh.onStop();
    }
    if (this.close) {
      const s = this.socket;
      this.socket = null;
      s?.destroy();
      if (sh.stopped) sh.idle();
      else this.connect();
      return;
    }
    this.send();
  }

  private onData(chunk: Buffer): void {
    let buf = chunk;
    let pos = 0;
    if (this.pending) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    while (pos < buf.length) {
      switch (this.state) {
        case State.Head: {
          const end = buf.indexOf(CRLFCRLF, pos);
          if (end < 0) {
            this.pending = Buffer.from(buf.subarray(pos));
            return;
          }
          const head = buf.toString('latin1', pos, end + 2).toLowerCase();
          this.status = (buf[pos + 9]! - 48) * 100 + (buf[pos + 10]! - 48) * 10 + (buf[pos + 11]! - 48);
          this.close = head.includes('\r\nconnection: close\r\n');
          pos = end + 4;
          if (head.includes('\r\ntransfer-encoding: chunked\r\n')) {
            this.state = State.ChunkSize;
          } else {
            const i = head.indexOf('\r\ncontent-length:');
            if (i < 0 && this.status !== 204 && this.status !== 304 && this.status >= 200) {
              this.state = State.UntilClose;
              break;
            }
            this.remaining = i < 0 ? 0 : parseInt(head.slice(i + 17, head.indexOf('\r\n', i + 17)).trim(), 10);
            if (this.status === 204 || this.status === 304 || this.remaining === 0) {
              this.complete();
              if (!this.socket) return;
              continue;
            }
            this.state = State.Body;
          }
          break;
        }
        case State.UntilClose: {
          if (this.shared.measuring) this.shared.bytes += buf.length - pos;
          pos = buf.length;
          break;
        }
        case State.Body: {
          const n = Math.min(this.remaining, buf.length - pos);
          this.remaining -= n;
          pos += n;
          if (this.shared.measuring) this.shared.bytes += n;
          if (this.remaining === 0) {
            this.complete();
            if (!this.socket) return;
          }
          break;
        }
        case State.ChunkSize: {
          const end = buf.indexOf(CRLF, pos);
          if (end < 0) {
            this.pending = Buffer.from(buf.subarray(pos));
            return;
          }
          this.remaining = parseInt(buf.toString('latin1', pos, end), 16);
          pos = end + 2;
          this.state = this.remaining === 0 ? State.Trailers : State.ChunkData;
          break;
        }
        case State.ChunkData: {
          const n = Math.min(this.remaining, buf.length - pos);
          this.remaining -= n;
          pos += n;
          if (this.shared.measuring) this.shared.bytes += n;
          if (this.remaining === 0) this.state = State.ChunkDataEnd;
          break;
        }
        case State.ChunkDataEnd: {
          if (buf.length - pos < 2) {
            this.pending = Buffer.from(buf.subarray(pos));
            return;
          }
          pos += 2;
          this.state = State.ChunkSize;
          break;
        }
        case State.Trailers: {
          const end = buf.indexOf(CRLF, pos);
          if (end < 0) {
            this.pending = Buffer.from(buf.subarray(pos));
            return;
          }
          const empty = end === pos;
          pos = end + 2;
          if (empty) {
            this.complete();
            if (!this.socket) return;
          }
          break;
        }
      }
    }
  }
}

export async function runNetLoad(opts: LoadOptions): Promise<LoadResult> {
  const url = new URL(opts.origin);
  const port = Number(url.port || 80);
  const reqs = opts.requests.map((r) => encodeRequest(url.host, r.method, r.path, { ...opts.headers, ...r.headers }, r.body));
  let idleCount = 0;
  let onAllIdle: (() => void) | undefined;
  let stopResolve: (() => void) | undefined;
  let measureEnd = 0;
  const shared: Shared = {
    stopped: false,
    measuring: false,
    requests: 0,
    ok: 0,
    non2xx: 0,
    errors: 0,
    bytes: 0,
    maxRequests: opts.maxRequests,
    hist: createHistogram(),
    onStop() {
      if (shared.stopped) return;
      measureEnd = performance.now();
      shared.stopped = true;
      shared.measuring = false;
      stopResolve?.();
    },
    idle() {
      idleCount++;
      if (idleCount === opts.connections) onAllIdle?.();
    },
  };
  const conns: NetConnection[] = [];
  for (let i = 0; i < opts.connections; i++) conns.push(new NetConnection(port, url.hostname, reqs, shared, i));
  for (const c of conns) c.start();
  if (opts.warmupMs > 0) await new Promise((r) => setTimeout(r, opts.warmupMs));
  opts.onMeasureStart?.();
  const cpu0 = process.cpuUsage();
  shared.hist.reset();
  shared.measuring = true;
  const measureStart = performance.now();
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, opts.durationMs);
    stopResolve = () => {
      clearTimeout(t);
      resolve();
    };
  });
  shared.onStop();
  const cpu = process.cpuUsage(cpu0);
  const elapsedSec = (measureEnd - measureStart) / 1000;
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 10_000);
    onAllIdle = () => {
      clearTimeout(t);
      resolve();
    };
    if (idleCount >= opts.connections) onAllIdle();
  });
  const h = shared.hist;
  return {
    loadgen: 'net',
    requests: shared.requests,
    non2xx: shared.non2xx,
    errors: shared.errors,
    firstError: shared.firstError,
    elapsedSec,
    rps: shared.ok / elapsedSec,
    bytesPerSec: shared.bytes / elapsedSec,
    latencyMs: latencyFromHistogram(h),
    loadgenCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}
