import uWS from 'uWebSockets.js';
import type { Config } from '../config/index.js';
import type { ExchangeSink } from '../exchange.js';
import type { Gate } from '../gate.js';
import { log } from '../log.js';
import { Metrics } from '../metrics.js';
import { HeaderRedactor } from '../redact.js';
import { Router } from '../route.js';
import { SessionTracker } from '../session.js';
import { closeUpstreams, createUpstream, type Upstream } from '../upstream/pools.js';
import type { ServerContext } from './context.js';
import { Exchange } from './exchange.js';

/**
 * The data plane: one uWS app on the data port. Every request becomes an Exchange (core/server/
 * exchange). The request-head limit (listen.maxHeaderBytes) is enforced by the exchange with a 431:
 * this uWS build ignores UWS_HTTP_MAX_HEADERS_SIZE; it closes connections whose head is over 4 KiB
 * and split across reads, or a few hundred KiB at once (README: known limits).
 */
export interface DataPlaneOptions {
  config: Config;
  sink: ExchangeSink;
  gate: Gate;
  metrics?: Metrics;
}

export interface DataPlane {
  readonly metrics: Metrics;
  /** Binds the data port; resolves with the bound port (useful with port 0). */
  listen(host: string, port: number): Promise<number>;
  readonly port: number;
  readonly draining: boolean;
  readonly inFlight: number;
  /**
   * Stops accepting connections, lets in-flight exchanges finish until `deadlineMs`, then closes
   * every socket. Resolves true when everything finished in time.
   */
  drain(deadlineMs: number): Promise<boolean>;
  /** Closes everything at once (tests). */
  close(): Promise<void>;
}

export function createDataPlane(options: DataPlaneOptions): DataPlane {
  const { config, sink, gate } = options;
  const metrics = options.metrics ?? new Metrics();
  const upstreams: Upstream[] = config.connections.map((c) => createUpstream(c));
  let idleWaiters: Array<() => void> = [];
  const ctx: ServerContext = {
    config,
    sink,
    gate,
    metrics,
    router: new Router(upstreams),
    sessions: new SessionTracker(config.recording.sessionIdleGapMs),
    redactor: new HeaderRedactor(config.recording.redactHeaders),
    proto: config.listen.publicScheme,
    listenAuthority: `${config.listen.host}:${config.listen.port}`,
    draining: false,
    inFlight: 0,
    receiving: new Set(),
    onExchangeDone() {
      if (ctx.inFlight === 0 && idleWaiters.length > 0) {
        const w = idleWaiters;
        idleWaiters = [];
        for (const f of w) f();
      }
    },
  };

  // One timer for every exchange still receiving a body: an agent that stops sending mid-body is cut
  // after its connection's timeouts.bodyIdleMs (the upstream side is undici's bodyTimeout).
  const idleCheckMs = Math.max(50, Math.min(1000, ...config.connections.map((c) => Math.floor(c.timeouts.bodyIdleMs / 4))));
  const idleTimer = setInterval(() => {
    if (ctx.receiving.size === 0) return;
    const now = performance.now();
    for (const ex of ctx.receiving) ex.checkAgentIdle(now);
  }, idleCheckMs);
  idleTimer.unref();

  const app = uWS.App();
  app.any('/*', (res, req) => {
    try {
      new Exchange(ctx, res, req);
    } catch (err) {
      // A bug must not take the gateway down; the agent sees a closed connection.
      log.error({ event: 'exchange_crash', err: (err as Error).stack }, 'exchange handler threw');
      try {
        res.close();
      } catch {
        /* already closed */
      }
    }
  });

  let listenSocket: uWS.us_listen_socket | null = null;
  let boundPort = 0;
  let closed = false;

  function stopListening(): void {
    if (listenSocket !== null) {
      uWS.us_listen_socket_close(listenSocket);
      listenSocket = null;
    }
  }

  async function closeAll(): Promise<void> {
    if (closed) return;
    closed = true;
    clearInterval(idleTimer);
    stopListening();
    (app as unknown as { close(): void }).close();
    await closeUpstreams(upstreams);
  }

  return {
    metrics,
    get port() {
      return boundPort;
    },
    get draining() {
      return ctx.draining;
    },
    get inFlight() {
      return ctx.inFlight;
    },
    listen(host, port) {
      return new Promise((resolve, reject) => {
        app.listen(host, port, (socket) => {
          if (!socket) {
            reject(new Error(`cannot listen on ${host}:${port} (address in use or not available)`));
            return;
          }
          listenSocket = socket;
          boundPort = uWS.us_socket_local_port(socket as unknown as uWS.us_socket);
          ctx.listenAuthority = `${host}:${boundPort}`;
          resolve(boundPort);
        });
      });
    },
    async drain(deadlineMs) {
      ctx.draining = true;
      stopListening();
      let finished = ctx.inFlight === 0;
      if (!finished) {
        let timer: NodeJS.Timeout | undefined;
        finished = await new Promise<boolean>((resolve) => {
          idleWaiters.push(() => resolve(true));
          timer = setTimeout(() => resolve(false), deadlineMs);
        });
        clearTimeout(timer);
      }
      await closeAll();
      return finished;
    },
    close: closeAll,
  };
}
