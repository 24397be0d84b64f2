import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AdminRoute } from '../../../core/admin/routes.js';
import { approvalsSchema, type ApprovalsConfig } from '../../../core/config/policy.js';
import type { Identity } from '../../../core/exchange.js';
import { TapegateError } from '../../../core/errors.js';

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function approvalsConfig(overrides: Record<string, unknown> = {}): ApprovalsConfig {
  return approvalsSchema.parse(overrides);
}

/**
 * Stand-in for core/auth's verifyAdminToken (the seam to the identity module): "Bearer <name>"
 * maps to a fixed set of people.
 */
export const people: Record<string, Identity> = {
  carol: { subject: 'carol', issuer: 'urn:tapegate:admin', groups: ['approvers'] },
  dave: { subject: 'dave', issuer: 'urn:tapegate:admin', groups: ['approvers', 'ops'] },
  alice: { subject: 'alice', issuer: 'urn:tapegate:admin', groups: ['ops'] },
};
export async function verifyAdminTokenStub(header: string | undefined): Promise<Identity> {
  const who = header?.startsWith('Bearer ') ? people[header.slice(7)] : undefined;
  if (!who) throw new TapegateError('TG_ADMIN_UNAUTHENTICATED', 401, 'invalid admin token');
  return who;
}

/** Mounts AdminRoutes on a loopback node:http server (the real admin server lives in core/admin). */
export async function serveRoutes(routes: AdminRoute[]): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const route = routes.find((r) => r.method === req.method && (r.path === u.pathname || (r.path.endsWith('/*') && u.pathname.startsWith(r.path.slice(0, -1)))));
      if (!route) {
        res.writeHead(404).end();
        return;
      }
      const headers: Array<[string, string]> = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i]!.toLowerCase(), req.rawHeaders[i + 1]!]);
      route.handle({ method: req.method!, path: decodeURIComponent(u.pathname), query: u.searchParams, headers, body: Buffer.concat(chunks) }).then(
        (r) => res.writeHead(r.status, r.headers).end(r.body),
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)))]).finally(() => clearTimeout(t));
}
