import type { HeaderList } from '../exchange.js';

/**
 * Admin API routes (reviews, sign-in, dev issuer discovery…) are plain async handlers; the admin
 * server (core/admin/server) mounts them on the admin port next to /healthz, /readyz and /metrics.
 */
export interface AdminRequest {
  method: string;
  /** Decoded path without the query. */
  path: string;
  query: URLSearchParams;
  headers: HeaderList;
  body: Buffer;
}

export interface AdminResponse {
  status: number;
  headers?: Record<string, string>;
  body: string | Buffer;
}

export interface AdminRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Exact path, or a prefix ending in '/*'. */
  path: string;
  handle(req: AdminRequest): Promise<AdminResponse>;
}
