import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HeaderList } from '../exchange.js';
import { log } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { AdminRequest, AdminRoute } from './routes.js';

/**
 * The admin port: /healthz (the process is up), /readyz (it takes traffic: not draining and the
 * sink accepts exchanges), /metrics (Prometheus text), plus the AdminRoute handlers other modules
 * mount (reviews, sign-in…). Low traffic, so plain node:http.
 */
export interface AdminServerOptions {
  metrics: Metrics;
  /** Null when ready; otherwise why not (shown on /readyz). */
  notReadyReason(): string | null;
  routes?: readonly AdminRoute[];
  /** Largest admin request body accepted. */
  maxBodyBytes?: number;
}

export interface AdminServer {
  listen(host: string, port: number): Promise<number>;
  readonly port: number;
  close(): Promise<void>;
}

function findRoute(routes: readonly AdminRoute[], method: string, path: string): AdminRoute | undefined {
  let best: AdminRoute | undefined;
  for (const r of routes) {
    if (r.method !== method) continue;
    if (r.path === path) return r;
    if (r.path.endsWith('/*') && path.startsWith(r.path.slice(0, -1)) && (!best || r.path.length > best.path.length)) best = r;
  }
  return best;
}

export function createAdminServer(options: AdminServerOptions): AdminServer {
  const routes = options.routes ?? [];
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const method = req.method ?? 'GET';
    const send = (status: number, body: string | Buffer, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
      res.end(body);
    };
    if (method === 'GET' && url.pathname === '/healthz') return send(200, 'ok\n');
    if (method === 'GET' && url.pathname === '/readyz') {
      const why = options.notReadyReason();
      return why === null ? send(200, 'ready\n') : send(503, `not ready: ${why}\n`);
    }
    if (method === 'GET' && url.pathname === '/metrics') {
      options.metrics.text().then(
        (text) => send(200, text, { 'content-type': options.metrics.contentType }),
        (err: Error) => send(500, `metrics failed: ${err.message}\n`),
      );
      return;
    }
    let decodedPath: string;
    try {
      decodedPath = decodeURIComponent(url.pathname);
    } catch {
      return send(400, 'bad path encoding\n');
    }
    const route = findRoute(routes, method, decodedPath);
    if (!route) return send(404, 'not found\n');
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) {
        send(413, 'request body too large\n');
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (size > maxBody) return;
      const headers: HeaderList = [];
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i]!.toLowerCase(), req.rawHeaders[i + 1]!]);
      const areq: AdminRequest = { method, path: decodedPath, query: url.searchParams, headers, body: Buffer.concat(chunks) };
      route.handle(areq).then(
        (r) => send(r.status, r.body, r.headers ?? {}),
        (err: Error) => {
          log.error({ event: 'admin_route_error', path: decodedPath, err: err.message }, 'admin route failed');
          send(500, 'internal error\n');
        },
      );
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  let port = 0;
  return {
    get port() {
      return port;
    },
    listen(host, p) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(p, host, () => {
          port = (server.address() as AddressInfo).port;
          resolve(port);
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
    },
  };
}
