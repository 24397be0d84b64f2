/**
 * The agent side shared by the two floor targets (floor-uws-undici.ts, floor-uws-net.ts): one
 * uWebSockets.js `any('/*')` route that hands each request to an upstream client and streams the
 * answer back. Both floors run exactly this code, so the only difference between them is the client.
 *
 * It does what any fair proxy must and nothing more: hop-by-hop headers stripped both ways (RFC 9110
 * §7.6.1, plus those a Connection header names), request bodies streamed upstream with the agent's
 * socket paused while the upstream is slow, response bodies streamed with tryEnd (Content-Length) or
 * write (chunked) and the upstream read paused while the agent is slow, writes corked (the head goes
 * out with the first body bytes), an agent abort aborting the upstream request, an upstream failure
 * answered 502 (or a visibly cut response once it has started). No routing, auth, recording,
 * X-Forwarded-*, metrics or timeouts.
 */
import uWS, { type HttpRequest, type HttpResponse } from 'uWebSockets.js';

/** Lengths of the header names below: any other name is passed on without a string compare. */
const DROP_LENGTHS = new Set([2, 4, 7, 10, 14, 16, 17, 18, 19]);
/**
 * Hop-by-hop headers, plus those this hop answers itself: uWS writes its own Content-Length (or
 * chunked framing) and Date, and answers `Expect: 100-continue` (undici refuses to send it).
 */
const DROP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization', 'content-length', 'date', 'expect']);
/** content-length is end-to-end on the request side: it tells the upstream how the body is framed. */
const REQUEST_KEEP = 'content-length';

export function dropsHeader(key: Buffer | string, connectionTokens: Set<string> | null): boolean {
  if (!DROP_LENGTHS.has(key.length) && connectionTokens === null) return false;
  const k = typeof key === 'string' ? key.toLowerCase() : key.toString('latin1').toLowerCase();
  return DROP.has(k) || (connectionTokens !== null && connectionTokens.has(k));
}

/** Header names listed in a Connection value (other than keep-alive/close), or null if none. */
export function connectionTokens(value: string): Set<string> | null {
  let out: Set<string> | null = null;
  for (const t of value.split(',')) {
    const k = t.trim().toLowerCase();
    if (k && k !== 'keep-alive' && k !== 'close') (out ??= new Set()).add(k);
  }
  return out;
}

const STATUS_TEXT: Record<number, string> = { 200: 'OK', 201: 'Created', 204: 'No Content', 206: 'Partial Content', 304: 'Not Modified', 404: 'Not Found' };

/** Cork trampolines: one module-level function per write kind, no closure per chunk. */
let corkTarget: FloorExchange | null = null;
function corkData(): void {
  corkTarget!.writeNow();
}
function corkEnd(): void {
  corkTarget!.endNow();
}

/**
 * One proxied exchange. A client subclass implements the upstream half (start, onAgentData,
 * abortUpstream, resumeUpstream) and calls respondHead/respondData/respondEnd/respondError.
 */
export abstract class FloorExchange {
  protected readonly res: HttpResponse;
  /** The agent went away: never touch `res` again. */
  protected aborted = false;
  /** The response has ended (or was closed): never touch `res` again. */
  protected ended = false;
  private agentPaused = false;
  private status = '';
  private headers: Array<Buffer | string> | null = null;
  private dropTokens: Set<string> | null = null;
  private headWritten = false;
  private bodyless = false;
  /** Response Content-Length, or -1 (chunked / until close: written with res.write). */
  private total = -1;
  private sent = 0;
  private current: Buffer | null = null;
  /** Bytes tryEnd could not take yet, and the write offset they start at. */
  private pending: Buffer | null = null;
  private pendingBase = 0;
  /** res.write reported backpressure (uWS holds the bytes; wait for onWritable). */
  private waitingWritable = false;
  private writableHooked = false;
  private upstreamDone = false;

  constructor(res: HttpResponse) {
    this.res = res;
  }

  /**
   * Sends the request head upstream (the body follows through onAgentData when bodyLength ≠ 0).
   * `received`: every request header as it came (hop-by-hop ones too), only when the floor was
   * served with `keepReceivedHeaders` (the recording floor records them); null otherwise.
   */
  abstract start(method: string, target: string, headers: string[], bodyLength: number, received: string[] | null): void;
  /** A copy of a request body chunk; `isLast` ends the body. */
  abstract onAgentData(chunk: Buffer, isLast: boolean): void;
  protected abstract abortUpstream(): void;
  protected abstract resumeUpstream(): void;

  agentAborted(): void {
    this.aborted = true;
    this.abortUpstream();
  }

  pauseAgent(): void {
    if (this.agentPaused || this.aborted || this.ended) return;
    this.agentPaused = true;
    this.res.pause();
  }

  resumeAgent(): void {
    if (!this.agentPaused || this.aborted || this.ended) return;
    this.agentPaused = false;
    this.res.resume();
  }

  /**
   * The upstream's head: status, header pairs (raw, hop-by-hop still in) and whether the response
   * has no body (HEAD, 1xx, 204, 304). Written later, in the same cork as the first body bytes.
   */
  protected respondHead(statusCode: number, statusText: string, headers: Array<Buffer | string>, bodyless: boolean): void {
    this.status = `${statusCode} ${statusText || STATUS_TEXT[statusCode] || 'Unknown'}`;
    this.headers = headers;
    this.bodyless = bodyless;
    for (let i = 0; i < headers.length; i += 2) {
      const key = headers[i]!;
      if (key.length === 14 && key.toString().toLowerCase() === 'content-length') this.total = Number(headers[i + 1]!.toString());
      else if (key.length === 10 && key.toString().toLowerCase() === 'connection') this.dropTokens = connectionTokens(headers[i + 1]!.toString());
    }
  }

  /** A response body chunk; false asks the client to pause its upstream read until resumeUpstream(). */
  protected respondData(chunk: Buffer): boolean {
    if (this.aborted || this.ended) return true;
    if (this.pending !== null) {
      // Delivered after a pause (rest of the same socket read): keep order, bounded to that read.
      this.pending = Buffer.concat([this.pending, chunk]);
      this.sent += chunk.length;
      return false;
    }
    this.current = chunk;
    corkTarget = this;
    this.res.cork(corkData);
    this.current = null;
    return this.pending === null && !this.waitingWritable;
  }

  /** The upstream body is complete. */
  protected respondEnd(): void {
    if (this.aborted || this.ended) return;
    this.upstreamDone = true;
    if (this.pending !== null || this.waitingWritable) return; // onWritable finishes
    corkTarget = this;
    this.res.cork(corkEnd);
  }

  /** The upstream failed: 502 before anything was written, else a visibly cut response. */
  protected respondError(err: Error): void {
    if (this.aborted || this.ended) return;
    this.ended = true;
    if (this.headWritten) {
      this.res.close();
      return;
    }
    const body = `{"error":{"code":502,"message":${JSON.stringify(`upstream: ${err.message}`)},"status":"UNAVAILABLE"}}`;
    this.res.cork(() => {
      this.res.writeStatus('502 Bad Gateway').writeHeader('content-type', 'application/json; charset=UTF-8').end(body);
    });
  }

  private writeHead(): void {
    this.headWritten = true;
    const res = this.res;
    res.writeStatus(this.status);
    const h = this.headers!;
    for (let i = 0; i < h.length; i += 2) {
      if (!dropsHeader(h[i]!, this.dropTokens)) res.writeHeader(h[i]!, h[i + 1]!);
    }
    this.headers = null;
  }

  /** Inside res.cork: a socket paused for the request body must read again before the response ends. */
  private resumeBeforeEnd(): void {
    if (this.agentPaused) {
      this.agentPaused = false;
      this.res.resume();
    }
  }

  /** Inside res.cork (corkData). */
  writeNow(): void {
    if (!this.headWritten) this.writeHead();
    const chunk = this.current!;
    if (this.bodyless) return;
    if (this.total >= 0) {
      if (this.sent + chunk.length >= this.total) this.resumeBeforeEnd();
      const base = this.res.getWriteOffset();
      const [ok, done] = this.res.tryEnd(chunk, this.total);
      this.sent += chunk.length;
      if (done) this.ended = true;
      else if (!ok) {
        this.pending = chunk;
        this.pendingBase = base;
        this.hookWritable();
      }
    } else if (!this.res.write(chunk)) {
      this.waitingWritable = true;
      this.hookWritable();
    }
  }

  /** Inside res.cork (corkEnd). */
  endNow(): void {
    if (!this.headWritten) this.writeHead();
    this.resumeBeforeEnd();
    this.ended = true;
    if (this.bodyless) this.res.endWithoutBody(this.total >= 0 ? this.total : undefined);
    else if (this.total < 0) this.res.end();
    else if (this.total === 0) this.res.end();
    else this.res.close(); // fewer bytes than the upstream's Content-Length: cut visibly
  }

  private hookWritable(): void {
    if (this.writableHooked) return;
    this.writableHooked = true;
    this.res.onWritable((offset) => this.onWritable(offset));
  }

  private onWritable(offset: number): boolean {
    if (this.aborted || this.ended) return true;
    if (this.pending !== null) {
      if (this.sent >= this.total) this.resumeBeforeEnd();
      const [ok, done] = this.res.tryEnd(this.pending.subarray(offset - this.pendingBase), this.total);
      if (done) {
        this.ended = true;
        this.pending = null;
        return true;
      }
      if (!ok) return false;
      this.pending = null;
    }
    this.waitingWritable = false;
    if (this.upstreamDone) this.endNow(); // onWritable runs corked
    else this.resumeUpstream();
    return true;
  }
}

// ---------------------------------------------------------------- the route

/** Request headers of the request being read (req is only valid inside the handler). */
let collecting: string[] = [];
let connectionValue = '';
function collect(key: string, value: string): void {
  if (key === 'connection') connectionValue = value;
  if (key === REQUEST_KEEP || !dropsHeader(key, null)) collecting.push(key, value);
}
/** Every request header as received, for `keepReceivedHeaders`. */
let received: string[] = [];
function collectAll(key: string, value: string): void {
  received.push(key, value);
  collect(key, value);
}

export interface FloorOptions {
  /** Hand every request header as received to start() too (the recording floor records them). */
  keepReceivedHeaders?: boolean;
}

export interface Floor {
  port: number;
  close(): void;
}

/** Listens on host:port (0: ephemeral) and forwards every request through `create`'s exchanges. */
export function serveFloor(create: (res: HttpResponse) => FloorExchange, opts: FloorOptions = {}, port = 0, host = '127.0.0.1'): Promise<Floor> {
  const keepReceived = opts.keepReceivedHeaders === true;
  const app = uWS.App();
  app.any('/*', (res: HttpResponse, req: HttpRequest) => {
    const ex = create(res);
    res.onAborted(() => ex.agentAborted());
    const query = req.getQuery();
    const target = query === undefined ? req.getUrl() : `${req.getUrl()}?${query}`;
    collecting = [];
    connectionValue = '';
    let all: string[] | null = null;
    if (keepReceived) {
      received = [];
      req.forEach(collectAll);
      all = received;
      received = [];
    } else {
      req.forEach(collect);
    }
    let headers = collecting;
    collecting = [];
    if (connectionValue !== '') {
      const tokens = connectionTokens(connectionValue);
      if (tokens !== null) headers = headers.filter((_, i) => !tokens.has(headers[i - (i % 2)]!));
    }
    const length = req.getHeader('content-length');
    const bodyLength = req.getHeader('transfer-encoding') !== '' ? -1 : length === '' ? 0 : Number(length);
    if (bodyLength !== 0) {
      res.onData((chunk, isLast) => ex.onAgentData(Buffer.copyBytesFrom(new Uint8Array(chunk)), isLast));
    }
    try {
      ex.start(req.getCaseSensitiveMethod(), target, headers, bodyLength, all);
    } catch (err) {
      // The exchange cannot start (the recording floor's recorder refused it): fail closed, nothing proxied.
      res.cork(() => res.writeStatus('503 Service Unavailable').end(`{"error":{"code":503,"message":${JSON.stringify((err as Error).message)}}}`));
    }
  });
  return new Promise((resolve, reject) => {
    app.listen(host, port, (listenSocket) => {
      if (!listenSocket) {
        reject(new Error(`floor: cannot listen on ${host}:${port}`));
        return;
      }
      resolve({ port: uWS.us_socket_local_port(listenSocket), close: () => uWS.us_listen_socket_close(listenSocket) });
    });
  });
}

export interface FloorMainOptions extends FloorOptions {
  /** More fields for the READY line (the recording floor: its file). */
  ready?: Record<string, unknown>;
  /** Runs before the process exits (the recording floor drains its recording). */
  onExit?: () => void | Promise<void>;
}

/** Child-process main: `READY {"port":N,…}` on stdout; exits when stdin closes or on SIGTERM. */
export function runFloorMain(create: (res: HttpResponse) => FloorExchange, opts: FloorMainOptions = {}): void {
  serveFloor(create, opts).then(
    (floor) => {
      process.stdout.write(`READY ${JSON.stringify({ port: floor.port, ...opts.ready })}\n`);
      let exiting = false;
      const exit = (): void => {
        if (exiting) return;
        exiting = true;
        floor.close();
        void Promise.resolve(opts.onExit?.()).finally(() => process.exit(0));
      };
      process.stdin.on('end', exit);
      process.stdin.resume();
      process.on('SIGTERM', exit);
    },
    (err: Error) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
