/**
 * The floor for any uWS + undici gateway (tapegate's own stack): the thinnest forwarder we can write
 * with uWebSockets.js in front and undici behind, so what it reaches is the most tapegate could reach
 * without replacing undici. The agent side is bench/peers/floor-uws.ts; here, undici's dispatch API
 * with the exchange itself as the handler (legacy handler methods, which undici 7 calls without a
 * wrapper; no promise, no stream per response), keep-alive, the request body streamed through a
 * Readable that pauses the agent when full.
 *
 * Run as a child: `node dist/bench/peers/floor-uws-undici.js <upstreamPort> [clients|pool]`; prints
 * `READY {"port":N}` and exits when stdin closes. `clients` (default): our own free list of undici
 * Clients, one request at a time each; `pool`: one undici Pool (what tapegate uses), which measured
 * about 8% more CPU per request here (1 KB GET, 50 connections, undici 7.30: 24 vs 22 µs) because
 * Pool scans its clients for a free one and emits events per request. Kept to re-check on a new undici.
 */
import { Readable } from 'node:stream';
import { Client, Pool, type Dispatcher } from 'undici';
import type { HttpResponse } from 'uWebSockets.js';
import { FloorExchange, runFloorMain } from './floor-uws.js';

const upstreamOrigin = `http://127.0.0.1:${Number(process.argv[2])}`;
const variant = process.argv[3] === 'pool' ? 'pool' : 'clients';
/** Like nginx's `keepalive 512` in the nginx target. */
const MAX_CONNECTIONS = 512;
const CLIENT_OPTIONS = { pipelining: 1, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000 };

const pool = variant === 'pool' ? new Pool(upstreamOrigin, { ...CLIENT_OPTIONS, connections: MAX_CONNECTIONS }) : null;

/** The `clients` variant: idle Clients (one request at a time each), created on demand up to the cap. */
const idleClients: Client[] = [];
const allClients: Client[] = [];
let nextBusy = 0;
function takeClient(): Client {
  const idle = idleClients.pop();
  if (idle !== undefined) return idle;
  if (allClients.length < MAX_CONNECTIONS) {
    const c = new Client(upstreamOrigin, CLIENT_OPTIONS);
    allClients.push(c);
    return c;
  }
  // At the cap: queue behind a busy one (undici queues per client).
  return allClients[nextBusy++ % MAX_CONNECTIONS]!;
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

class UndiciExchange extends FloorExchange implements Dispatcher.DispatchHandler {
  private body: AgentBody | null = null;
  private abort: ((err?: Error) => void) | null = null;
  private resume: (() => void) | null = null;
  private head = false;
  private client: Client | null = null;

  start(method: string, target: string, headers: string[], bodyLength: number): void {
    this.head = method === 'HEAD';
    if (bodyLength !== 0) this.body = new AgentBody(this);
    const opts: Dispatcher.DispatchOptions = { path: target, method, headers, body: this.body };
    if (pool !== null) pool.dispatch(opts, this);
    else (this.client = takeClient()).dispatch(opts, this);
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

  private release(): void {
    if (this.client !== null) {
      idleClients.push(this.client);
      this.client = null;
    }
  }
}

runFloorMain((res: HttpResponse) => new UndiciExchange(res));
