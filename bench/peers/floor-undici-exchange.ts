/**
 * The upstream half of floor-uws-undici (and of the recording floor, which subclasses it): undici's
 * dispatch API with the exchange itself as the handler (legacy handler methods, which undici 7 calls
 * without a wrapper; no promise, no stream per response), keep-alive, the request body streamed
 * through a Readable that pauses the agent when full.
 */
import { Readable } from 'node:stream';
import { Client, Pool, type Dispatcher } from 'undici';
import type { HttpResponse } from 'uWebSockets.js';
import { FloorExchange } from './floor-uws.js';

/** Like nginx's `keepalive 512` in the nginx target. */
const MAX_CONNECTIONS = 512;
const CLIENT_OPTIONS = { pipelining: 1, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000 };

/**
 * `clients`: our own free list of undici Clients, one request at a time each, created on demand up
 * to the cap; `pool`: one undici Pool (what tapegate uses).
 */
export class UndiciUpstream {
  private readonly origin: string;
  private readonly pool: Pool | null;
  private readonly idle: Client[] = [];
  private readonly all: Client[] = [];
  private nextBusy = 0;

  constructor(origin: string, variant: 'clients' | 'pool') {
    this.origin = origin;
    this.pool = variant === 'pool' ? new Pool(origin, { ...CLIENT_OPTIONS, connections: MAX_CONNECTIONS }) : null;
  }

  /** Dispatches on a client of its own (returned, to release when done), or on the pool (null). */
  dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): Client | null {
    if (this.pool !== null) {
      this.pool.dispatch(opts, handler);
      return null;
    }
    const client = this.take();
    client.dispatch(opts, handler);
    return client;
  }

  release(client: Client): void {
    this.idle.push(client);
  }

  private take(): Client {
    const idle = this.idle.pop();
    if (idle !== undefined) return idle;
    if (this.all.length < MAX_CONNECTIONS) {
      const c = new Client(this.origin, CLIENT_OPTIONS);
      this.all.push(c);
      return c;
    }
    // At the cap: queue behind a busy one (undici queues per client).
    return this.all[this.nextBusy++ % MAX_CONNECTIONS]!;
  }
}

/** The agent's request body on its way upstream; a full buffer pauses the agent, undici's read resumes it. */
class AgentBody extends Readable {
  private readonly ex: UndiciExchange;
  constructor(ex: UndiciExchange) {
    super({ highWaterMark: 256 * 1024 });
    this.ex = ex;
  }
  override _read(): void {
    this.ex.resumeAgent();
  }
}

export class UndiciExchange extends FloorExchange implements Dispatcher.DispatchHandler {
  private body: AgentBody | null = null;
  private abort: ((err?: Error) => void) | null = null;
  private resume: (() => void) | null = null;
  private head = false;
  private client: Client | null = null;
  private readonly upstream: UndiciUpstream;

  constructor(res: HttpResponse, upstream: UndiciUpstream) {
    super(res);
    this.upstream = upstream;
  }

  start(method: string, target: string, headers: string[], bodyLength: number, _received: string[] | null): void {
    this.head = method === 'HEAD';
    if (bodyLength !== 0) this.body = new AgentBody(this);
    const opts: Dispatcher.DispatchOptions = { path: target, method, headers, body: this.body };
    this.client = this.upstream.dispatch(opts, this);
  }

  onAgentData(chunk: Buffer, isLast: boolean): void {
    const body = this.body;
    if (body === null || body.destroyed) return;
    if (!body.push(chunk)) this.pauseAgent();
    if (isLast) {
      body.push(null);
      this.resumeAgent(); // no _read() after the end: a paused socket would never read the next request
    }
  }

  protected abortUpstream(): void {
    if (this.abort !== null) this.abort(new Error('the agent went away'));
    this.body?.destroy();
  }

  protected resumeUpstream(): void {
    this.resume?.();
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
    if (this.aborted) abort(new Error('the agent went away'));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    this.resume = resume;
    this.respondHead(statusCode, statusText, rawHeaders, this.head || statusCode === 204 || statusCode === 304);
    return true;
  }

  onData(chunk: Buffer): boolean {
    return this.respondData(chunk);
  }

  onComplete(): void {
    this.release();
    this.respondEnd();
  }

  onError(err: Error): void {
    this.release();
    this.respondError(err);
  }

  protected release(): void {
    if (this.client !== null) {
      this.upstream.release(this.client);
      this.client = null;
    }
  }
}
