import { Pool } from 'undici';
import type { ConnectionConfig } from '../config/connections.js';

/**
 * One keep-alive undici Pool per connection. The data plane dispatches to it directly with a
 * handler object (no promise, no stream wrapper per request). Timeouts come from the connection:
 * connect, response head (headersTimeout) and the idle gap between response body chunks
 * (bodyTimeout).
 */
export interface Upstream {
  readonly config: ConnectionConfig;
  /** Normalised origin (lower-case, no trailing slash), for Location rewriting. */
  readonly origin: string;
  readonly pool: Pool;
}

export function createUpstream(config: ConnectionConfig): Upstream {
  const origin = new URL(config.upstream).origin;
  const pool = new Pool(origin, {
    connections: config.maxUpstreamConnections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    headersTimeout: config.timeouts.headersMs,
    bodyTimeout: config.timeouts.bodyIdleMs,
    connect: { timeout: config.timeouts.connectMs },
    // Response heads from Google are small; a bigger one is an upstream fault, not something to buffer.
    maxHeaderSize: 64 * 1024,
  });
  return { config, origin, pool };
}

/** Closes the pools gracefully, destroying any that still have requests after `graceMs`. */
export async function closeUpstreams(upstreams: readonly Upstream[], graceMs = 2000): Promise<void> {
  await Promise.all(
    upstreams.map(async (u) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
      const result = await Promise.race([u.pool.close().then(() => 'closed' as const, () => 'late' as const), late]);
      clearTimeout(timer);
      if (result === 'late') await u.pool.destroy().catch(() => undefined);
    }),
  );
}
