import { parseArgs } from 'node:util';

/**
 * `tapegate reviews list|approve|deny` — approvers' side of held requests, over the admin API.
 *   tapegate reviews list [--all] [--admin URL] [--token T] [--json]
 *   tapegate reviews approve ID --reason TEXT [--admin URL] [--token T] [--json]
 *   tapegate reviews deny ID --reason TEXT [--admin URL] [--token T] [--json]
 * The token is an admin token from sign-in (--token, or the TAPEGATE_ADMIN_TOKEN environment
 * variable so it stays out of shell history). Exit code: 0 done, 1 error, 2 usage, 3 not allowed
 * (401/403), 4 unknown or already decided review (404/409).
 */
const USAGE = `usage: tapegate reviews list [--all] [--admin URL] [--token TOKEN] [--json]
       tapegate reviews approve ID --reason TEXT [--admin URL] [--token TOKEN] [--json]
       tapegate reviews deny ID --reason TEXT [--admin URL] [--token TOKEN] [--json]

--admin defaults to http://127.0.0.1:9090; --token defaults to $TAPEGATE_ADMIN_TOKEN.
Exit code: 0 done, 1 error, 2 usage, 3 not allowed (401/403), 4 unknown or already decided (404/409).`;

interface ReviewView {
  id: string;
  state: string;
  requester: { subject: string } | null;
  operation: string;
  resource: string;
  connection: string;
  createdAt: string;
  expiresAt: string;
  decidedBy?: string;
  reason?: string;
}

function exitFor(status: number): number {
  if (status === 401 || status === 403) return 3;
  if (status === 404 || status === 409) return 4;
  return 1;
}

export async function run(argv: string[]): Promise<number> {
  const out = (s: string) => process.stdout.write(s + '\n');
  const err = (s: string) => process.stderr.write(s + '\n');
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') {
    (sub ? out : err)(USAGE);
    return sub ? 0 : 2;
  }
  if (sub !== 'list' && sub !== 'approve' && sub !== 'deny') {
    err(`tapegate reviews: unknown subcommand "${sub}"\n\n${USAGE}`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        admin: { type: 'string', default: 'http://127.0.0.1:9090' },
        token: { type: 'string' },
        reason: { type: 'string' },
        all: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        'timeout-ms': { type: 'string', default: '15000' },
      },
    });
  } catch (e) {
    err(`tapegate reviews: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const v = parsed.values;
  const token = v.token ?? process.env['TAPEGATE_ADMIN_TOKEN'];
  if (!token) {
    err('tapegate reviews: give an admin token with --token or TAPEGATE_ADMIN_TOKEN (sign in to the admin API first)');
    return 2;
  }
  const base = v.admin!.replace(/\/+$/, '');
  let url: string;
  let init: RequestInit;
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (sub === 'list') {
    if (parsed.positionals.length > 0) {
      err(`tapegate reviews list: unexpected argument "${parsed.positionals[0]}"`);
      return 2;
    }
    url = `${base}/reviews?state=${v.all ? 'all' : 'pending'}`;
    init = { method: 'GET', headers };
  } else {
    const id = parsed.positionals[0];
    if (!id || parsed.positionals.length > 1 || !/^[A-Za-z0-9-]+$/.test(id)) {
      err(`tapegate reviews ${sub}: give exactly one review id\n\n${USAGE}`);
      return 2;
    }
    if (!v.reason || !v.reason.trim()) {
      err(`tapegate reviews ${sub}: --reason is required (it is recorded with the exchange)`);
      return 2;
    }
    url = `${base}/reviews/${id}/${sub}`;
    init = { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ reason: v.reason }) };
  }
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(Number(v['timeout-ms']) || 15_000) });
    text = await res.text();
  } catch (e) {
    err(`tapegate reviews: cannot reach the admin API at ${base}: ${(e as Error).message}`);
    return 1;
  }
  if (!res.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
    } catch {
      // not JSON: print as is
    }
    err(`tapegate reviews: ${res.status} ${message}`);
    return exitFor(res.status);
  }
  if (v.json) {
    out(text);
    return 0;
  }
  if (sub === 'list') {
    const list = (JSON.parse(text) as { reviews: ReviewView[] }).reviews;
    if (list.length === 0) {
      out(v.all ? 'no reviews' : 'no pending reviews');
      return 0;
    }
    const rows = list.map((r) => [r.id, r.state, r.requester?.subject ?? '-', r.operation, r.resource, v.all ? (r.decidedBy ?? '') : r.expiresAt]);
    const head = ['ID', 'STATE', 'REQUESTER', 'OPERATION', 'RESOURCE', v.all ? 'DECIDED BY' : 'EXPIRES'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const r of [head, ...rows]) out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
    return 0;
  }
  const r = JSON.parse(text) as ReviewView;
  out(`review ${r.id} ${r.state} by ${r.decidedBy}: ${r.reason}`);
  return 0;
}
