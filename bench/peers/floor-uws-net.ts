/**
 * The floor for a uWS gateway with a hand-written upstream client: the same agent side as
 * floor-uws-undici (bench/peers/floor-uws.ts), with undici replaced by a minimal HTTP/1.1 client on
 * node:net. The gap between the two floors is what undici itself costs per exchange.
 *
 * The client: a keep-alive pool (idle connections reused last-in first-out, at most 512, requests
 * queued beyond), the request head written with the first body bytes in one writev, request bodies
 * streamed as they come (chunked when the agent's are), the agent paused while the socket's buffer is
 * full; responses framed by Content-Length, chunked encoding or the connection closing, the socket
 * paused while the agent is slow. A bodiless request that fails on a reused idle connection before any
 * answer (the upstream closed it) is retried once on a new one. No timeouts, no pipelining, no trailers
 * passed on.
 *
 * Run as a child: `node dist/bench/peers/floor-uws-net.js <upstreamPort>`; prints `READY {"port":N}`
 * and exits when stdin closes.
 */
import net from 'node:net';
import type { HttpResponse } from 'uWebSockets.js';
import { FloorExchange, runFloorMain } from './floor-uws.js';

const upstreamPort = Number(process.argv[2]);
const upstreamHost = '127.0.0.1';
const MAX_CONNECTIONS = 512;
const CRLF = '\r\n';
const HEAD_END = Buffer.from('\r\n\r\n');
/** Bytes of a response head we accept (larger is an upstream fault). */
const MAX_HEAD = 64 * 1024;

const enum State {
  Head,
  Body,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
}

// ---------------------------------------------------------------- pool

const idle: UpstreamConnection[] = [];
const waiting: NetExchange[] = [];
let open = 0;

function acquire(ex: NetExchange): void {
  const c = idle.pop() ?? (open < MAX_CONNECTIONS ? new UpstreamConnection() : null);
  if (c !== null) c.assign(ex);
  else waiting.push(ex);
}

function release(c: UpstreamConnection): void {
  for (;;) {
    const next = waiting.shift();
    if (next === undefined) break;
    if (next.gone()) continue;
    c.assign(next);
    return;
  }
  idle.push(c);
}

function forget(c: UpstreamConnection): void {
  open--;
  const i = idle.indexOf(c);
  if (i >= 0) idle.splice(i, 1);
  // A freed slot: start the next waiting request on a new connection.
  while (waiting.length && open < MAX_CONNECTIONS) {
    const next = waiting.shift()!;
    if (!next.gone()) new UpstreamConnection().assign(next);
  }
}

// ---------------------------------------------------------------- one upstream connection

class UpstreamConnection {
  private readonly socket: net.Socket;
  private ex: NetExchange | null = null;
  private state = State.Head;
  private headBuf: Buffer | null = null;
  private remaining = 0;
  private chunkLine = '';
  private trailerLine = '';
  private crlfLeft = 0;
  private closeAfter = false;
  private requestDone = false;
  /** Served a request before: a failure before any answer may be a keep-alive race. */
  private reused = false;
  private gotBytes = false;
  private dead = false;

  constructor() {
    open++;
    this.socket = net.connect({ host: upstreamHost, port: upstreamPort, noDelay: true });
    this.socket.on('data', (b: Buffer) => this.onData(b));
    this.socket.on('drain', () => this.ex?.resumeAgent());
    this.socket.on('end', () => this.onEnd());
    this.socket.on('error', (err) => this.onClose(err));
    this.socket.on('close', () => this.onClose(null));
  }

  assign(ex: NetExchange): void {
    this.ex = ex;
    this.state = State.Head;
    this.requestDone = ex.bodyLength === 0;
    this.closeAfter = false;
    this.gotBytes = false;
    ex.attach(this);
  }

  write(data: string | Buffer): boolean {
    return this.socket.write(data as Buffer);
  }

  /** Writes several pieces as one writev. */
  writeAll(a: string | Buffer, b: string | Buffer, c?: string | Buffer): boolean {
    this.socket.cork();
    this.socket.write(a as Buffer);
    let ok = this.socket.write(b as Buffer);
    if (c !== undefined) ok = this.socket.write(c as Buffer);
    this.socket.uncork();
    return ok;
  }

  /** The request body is all written (a response that came first already closed the connection). */
  requestEnded(): void {
    this.requestDone = true;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** The agent went away mid-exchange: the connection's state is unknown, close it. */
  destroy(): void {
    this.ex = null;
    this.socket.destroy();
    this.onClose(null);
  }

  private onData(buf: Buffer): void {
    const ex = this.ex;
    if (ex === null) {
      this.destroy(); // bytes nobody asked for
      return;
    }
    this.gotBytes = true;
    let at = 0;
    while (at < buf.length && this.ex === ex) {
      switch (this.state) {
        case State.Head: {
          let b = buf.subarray(at);
          if (this.headBuf !== null) {
            b = Buffer.concat([this.headBuf, b]);
            this.headBuf = null;
          }
          const end = b.indexOf(HEAD_END);
          if (end < 0) {
            if (b.length > MAX_HEAD) return this.fail(new Error('response head too large'));
            this.headBuf = b;
            return;
          }
          at = buf.length - (b.length - end - 4);
          if (!this.parseHead(b.toString('latin1', 0, end), ex)) return;
          break;
        }
        case State.Body: {
          const n = Math.min(this.remaining, buf.length - at);
          this.remaining -= n;
          const more = ex.data(buf.subarray(at, at + n));
          at += n;
          if (this.remaining === 0) this.responseEnded();
          else if (!more) this.socket.pause();
          break;
        }
        case State.ChunkSize: {
          const nl = buf.indexOf(10, at);
          if (nl < 0) {
            this.chunkLine += buf.toString('latin1', at);
            if (this.chunkLine.length > 1024) return this.fail(new Error('bad chunk size line'));
            return;
          }
          const line = this.chunkLine + buf.toString('latin1', at, nl);
          this.chunkLine = '';
          at = nl + 1;
          const size = parseInt(line, 16);
          if (!Number.isFinite(size) || size < 0) return this.fail(new Error('bad chunk size'));
          if (size === 0) this.state = State.Trailers;
          else {
            this.remaining = size;
            this.state = State.ChunkData;
          }
          break;
        }
        case State.ChunkData: {
          const n = Math.min(this.remaining, buf.length - at);
          this.remaining -= n;
          const more = ex.data(buf.subarray(at, at + n));
          at += n;
          if (this.remaining === 0) {
            this.crlfLeft = 2;
            this.state = State.ChunkEnd;
          }
          if (!more) this.socket.pause();
          break;
        }
        case State.ChunkEnd: {
          const n = Math.min(this.crlfLeft, buf.length - at);
          this.crlfLeft -= n;
          at += n;
          if (this.crlfLeft === 0) this.state = State.ChunkSize;
          break;
        }
        case State.Trailers: {
          // Lines until an empty one; trailers are not passed on.
          const nl = buf.indexOf(10, at);
          if (nl < 0) {
            this.trailerLine += buf.toString('latin1', at);
            return;
          }
          const line = this.trailerLine + buf.toString('latin1', at, nl);
          this.trailerLine = '';
          at = nl + 1;
          if (line === '' || line === '\r') this.responseEnded();
          break;
        }
        case State.UntilClose:
          if (!ex.data(buf.subarray(at))) this.socket.pause();
          at = buf.length;
          break;
      }
    }
  }

  /** Parses a response head; false when the connection failed or the exchange already completed. */
  private parseHead(head: string, ex: NetExchange): boolean {
    const lines = head.split(CRLF);
    const statusLine = lines[0]!;
    const status = Number(statusLine.slice(9, 12));
    if (!statusLine.startsWith('HTTP/1.') || !(status >= 100 && status < 600)) {
      this.fail(new Error('malformed response status line'));
      return false;
    }
    if (status < 200) return true; // 1xx: the real head follows
    const headers: string[] = [];
    let length = -1;
    let chunked = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const key = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (key === 'content-length') length = Number(value);
      else if (key === 'transfer-encoding') chunked = value.toLowerCase().includes('chunked');
      else if (key === 'connection' && value.toLowerCase().includes('close')) this.closeAfter = true;
      headers.push(key, value);
    }
    const bodyless = ex.method === 'HEAD' || status === 204 || status === 304;
    ex.head(status, statusLine.slice(13), headers, bodyless);
    if (bodyless || (!chunked && length === 0)) this.responseEnded();
    else if (chunked) this.state = State.ChunkSize;
    else if (length > 0) {
      this.remaining = length;
      this.state = State.Body;
    } else {
      this.closeAfter = true;
      this.state = State.UntilClose;
    }
    return true;
  }

  private responseEnded(): void {
    const ex = this.ex!;
    this.state = State.Head;
    this.socket.resume();
    ex.end();
    if (this.requestDone) this.finish();
    else {
      // Answered before the request body was all sent: the connection cannot be reused.
      this.ex = null;
      this.destroy();
    }
  }

  /** Request and response both done: back to the pool, or closed. */
  private finish(): void {
    this.ex = null;
    this.reused = true;
    if (this.closeAfter) this.destroy();
    else release(this);
  }

  private fail(err: Error): void {
    const ex = this.ex;
    this.ex = null;
    this.socket.destroy();
    this.onClose(null);
    ex?.upstreamFailed(err);
  }

  private onEnd(): void {
    if (this.ex !== null && this.state === State.UntilClose) this.responseEnded();
    this.socket.end();
  }

  private onClose(err: Error | null): void {
    if (this.dead) {
      return;
    }
    this.dead = true;
    forget(this);
    const ex = this.ex;
    this.ex = null;
    if (ex === null) return;
    if (this.reused && !this.gotBytes && ex.bodyLength === 0 && ex.retry()) return;
    ex.upstreamFailed(err ?? new Error('upstream closed the connection'));
  }
}

// ---------------------------------------------------------------- one exchange

class NetExchange extends FloorExchange {
  method = '';
  bodyLength = 0;
  private requestHead = '';
  private conn: UpstreamConnection | null = null;
  /** Body chunks that arrived before a connection was assigned. */
  private early: Buffer[] | null = null;
  private earlyLast = false;
  private headSent = false;
  private retried = false;
  /** The upstream answered (or failed): later request body bytes have nowhere to go. */
  private responded = false;

  start(method: string, target: string, headers: string[], bodyLength: number): void {
    this.method = method;
    this.bodyLength = bodyLength;
    let head = `${method} ${target} HTTP/1.1\r\n`;
    for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    if (bodyLength < 0) head += 'transfer-encoding: chunked\r\n';
    this.requestHead = head + CRLF;
    acquire(this);
  }

  gone(): boolean {
    return this.aborted;
  }

  attach(conn: UpstreamConnection): void {
    this.conn = conn;
    if (this.bodyLength === 0) {
      conn.write(this.requestHead);
      this.headSent = true;
      return;
    }
    const early = this.early;
    this.early = null;
    if (early !== null) {
      let ok = true;
      for (let i = 0; i < early.length; i++) ok = this.send(early[i]!, this.earlyLast && i === early.length - 1);
      if (ok) this.resumeAgent();
    }
  }

  onAgentData(chunk: Buffer, isLast: boolean): void {
    if (this.responded || this.aborted) return;
    if (this.conn === null) {
      (this.early ??= []).push(chunk);
      this.earlyLast = isLast;
      if (!isLast) this.pauseAgent(); // bounded: nothing more is read until a connection is assigned
      return;
    }
    this.send(chunk, isLast);
  }

  /** Writes a body chunk (with the head before the first); false when the socket's buffer is full. */
  private send(chunk: Buffer, isLast: boolean): boolean {
    const conn = this.conn!;
    let ok: boolean;
    const head = this.headSent ? '' : this.requestHead;
    this.headSent = true;
    if (this.bodyLength < 0) {
      // Chunk framing: size line, data, CRLF; the last piece carries the zero-size terminator.
      if (chunk.length > 0) ok = conn.writeAll(`${head}${chunk.length.toString(16)}\r\n`, chunk, isLast ? '\r\n0\r\n\r\n' : CRLF);
      else if (head !== '' || isLast) ok = conn.write(head + (isLast ? '0\r\n\r\n' : ''));
      else ok = true;
    } else {
      ok = head ? conn.writeAll(head, chunk) : conn.write(chunk);
    }
    if (isLast) {
      conn.requestEnded();
      this.resumeAgent();
      return true;
    }
    if (!ok) this.pauseAgent(); // the socket's 'drain' resumes
    return ok;
  }

  /** Retries a bodiless request once on a new connection (keep-alive race); false if it may not. */
  retry(): boolean {
    if (this.retried || this.aborted) return false;
    this.retried = true;
    this.conn = null;
    this.headSent = false;
    acquire(this);
    return true;
  }

  head(status: number, statusText: string, headers: string[], bodyless: boolean): void {
    this.respondHead(status, statusText, headers, bodyless);
  }

  data(chunk: Buffer): boolean {
    return this.respondData(chunk);
  }

  end(): void {
    this.conn = null;
    this.responded = true;
    this.respondEnd();
  }

  upstreamFailed(err: Error): void {
    this.conn = null;
    this.responded = true;
    this.respondError(err);
  }

  protected abortUpstream(): void {
    const conn = this.conn;
    this.conn = null;
    conn?.destroy();
  }

  protected resumeUpstream(): void {
    this.conn?.resume();
  }
}

runFloorMain((res: HttpResponse) => new NetExchange(res));
