import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Reviews, reviewRoutes, type HoldOutcome } from '../../../core/approvals/index.js';
import { ReviewNotifier } from '../../../core/approvals/notify.js';
import type { TapegateError } from '../../../core/errors.js';
import { cliCommand, repoRoot } from '../../support/cli.js';
import { approvalsConfig, serveRoutes, tempDir, verifyAdminTokenStub, withTimeout } from './helpers.js';

const subject = (target: string) => ({
  identity: { subject: 'agent-7', issuer: 'https://idp.example', groups: ['ops'] },
  connection: 'storage',
  method: 'DELETE',
  target,
  classification: { operation: 'storage.objects.delete', resource: `buckets/bk/objects${target.slice(target.lastIndexOf('/'))}`, items: [] },
  rule: 'review-removals',
});

function tapegate(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const { command, args: full } = cliCommand(args);
  return new Promise((resolve) => {
    execFile(command, full, { cwd: repoRoot, timeout: 30_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('approvals: admin API and `tapegate reviews`', () => {
  const tmp = tempDir('tg-admin-');
  let reviews: Reviews;
  let admin: { url: string; close(): Promise<void> };
  before(async () => {
    reviews = new Reviews({ config: approvalsConfig({ waitMs: 60_000 }), instanceId: 'gw', dataDir: tmp.dir });
    admin = await serveRoutes(reviewRoutes(reviews, verifyAdminTokenStub));
  });
  after(async () => {
    reviews.close();
    await admin.close();
    tmp.remove();
  });

  function hold(target: string) {
    let resolve!: (o: { err: TapegateError | null; outcome: HoldOutcome | null }) => void;
    const done = new Promise<{ err: TapegateError | null; outcome: HoldOutcome | null }>((r) => (resolve = r));
    const h = reviews.hold(subject(target), (err, outcome) => resolve({ err, outcome }));
    return { id: h.id, done };
  }

  it('requires an admin token of the approver group', async () => {
    const none = await fetch(`${admin.url}/reviews`);
    assert.equal(none.status, 401);
    assert.ok(none.headers.get('www-authenticate'));
    const bad = await fetch(`${admin.url}/reviews`, { headers: { authorization: 'Bearer mallory' } });
    assert.equal(bad.status, 401);
    const notApprover = await fetch(`${admin.url}/reviews`, { headers: { authorization: 'Bearer alice' } });
    assert.equal(notApprover.status, 403);
    assert.match(((await notApprover.json()) as { error: { message: string } }).error.message, /approver group/);
  });

  it('lists, approves and denies over HTTP', async () => {
    const a = hold('/storage/v1/b/bk/o/one');
    const b = hold('/storage/v1/b/bk/o/two');
    await new Promise((r) => setTimeout(r, 20));
    const list = (await (await fetch(`${admin.url}/reviews`, { headers: { authorization: 'Bearer carol' } })).json()) as { reviews: Array<{ id: string; state: string }> };
    assert.deepEqual(list.reviews.map((r) => r.id).sort(), [a.id, b.id].sort());
    const noReason = await fetch(`${admin.url}/reviews/${a.id}/approve`, { method: 'POST', headers: { authorization: 'Bearer carol' }, body: '{}' });
    assert.equal(noReason.status, 400);
    const ok = await fetch(`${admin.url}/reviews/${a.id}/approve`, { method: 'POST', headers: { authorization: 'Bearer carol', 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'ticket 1' }) });
    assert.equal(ok.status, 200);
    assert.deepEqual(((await ok.json()) as { state: string; decidedBy: string }).decidedBy, 'carol');
    assert.equal((await withTimeout(a.done, 5_000, 'a')).outcome!.approved, true);
    const no = await fetch(`${admin.url}/reviews/${b.id}/deny`, { method: 'POST', headers: { authorization: 'Bearer dave' }, body: JSON.stringify({ reason: 'no' }) });
    assert.equal(no.status, 200);
    assert.equal((await withTimeout(b.done, 5_000, 'b')).outcome!.record.reason, 'no');
    const again = await fetch(`${admin.url}/reviews/${b.id}/approve`, { method: 'POST', headers: { authorization: 'Bearer carol' }, body: JSON.stringify({ reason: 'x' }) });
    assert.equal(again.status, 409);
    const one = (await (await fetch(`${admin.url}/reviews/${b.id}`, { headers: { authorization: 'Bearer carol' } })).json()) as { state: string; reason: string };
    assert.deepEqual([one.state, one.reason], ['denied', 'no']);
  });

  it('`tapegate reviews list|approve|deny` drives the same API', async () => {
    const a = hold('/storage/v1/b/bk/o/cli-one');
    const b = hold('/storage/v1/b/bk/o/cli-two');
    await new Promise((r) => setTimeout(r, 20));
    const listed = await tapegate(['reviews', 'list', '--admin', admin.url, '--json'], { TAPEGATE_ADMIN_TOKEN: 'carol' });
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(((JSON.parse(listed.stdout) as { reviews: Array<{ id: string }> }).reviews.map((r) => r.id)).sort(), [a.id, b.id].sort());
    const table = await tapegate(['reviews', 'list', '--admin', admin.url, '--token', 'carol']);
    assert.match(table.stdout, new RegExp(`${a.id}\\s+pending\\s+agent-7\\s+storage\\.objects\\.delete\\s+buckets/bk/objects/cli-one`));

    const approved = await tapegate(['reviews', 'approve', a.id, '--reason', 'ticket 2', '--admin', admin.url, '--token', 'carol']);
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, new RegExp(`review ${a.id} approved by carol: ticket 2`));
    assert.equal((await withTimeout(a.done, 5_000, 'a')).outcome!.approved, true);

    const noReason = await tapegate(['reviews', 'deny', b.id, '--admin', admin.url, '--token', 'carol']);
    assert.equal(noReason.code, 2);
    const forbidden = await tapegate(['reviews', 'deny', b.id, '--reason', 'x', '--admin', admin.url, '--token', 'alice']);
    assert.equal(forbidden.code, 3);
    const denied = await tapegate(['reviews', 'deny', b.id, '--reason', 'not now', '--admin', admin.url, '--token', 'dave', '--json']);
    assert.equal(denied.code, 0, denied.stderr);
    assert.equal((JSON.parse(denied.stdout) as { state: string }).state, 'denied');
    assert.equal((await withTimeout(b.done, 5_000, 'b')).outcome!.approved, false);
    const twice = await tapegate(['reviews', 'deny', b.id, '--reason', 'x', '--admin', admin.url, '--token', 'dave']);
    assert.equal(twice.code, 4);
    assert.match(twice.stderr, /already denied by dave/);
  });
});

describe('approvals: webhook', () => {
  it('a new review is announced to the webhook with its id, operation and requester', async () => {
    let resolveBody!: (b: string) => void;
    const got = new Promise<string>((r) => (resolveBody = r));
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(200).end();
        resolveBody(Buffer.concat(chunks).toString('utf8'));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const tmp = tempDir('tg-webhook-');
    const reviews = new Reviews({ config: approvalsConfig({ webhook: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` } }), instanceId: 'gw', dataDir: tmp.dir });
    try {
      const hold = reviews.hold(subject('/storage/v1/b/bk/o/hooked'), () => {});
      const payload = JSON.parse(await withTimeout(got, 10_000, 'webhook')) as { type: string; review: { id: string; operation: string; requester: { subject: string } } };
      assert.equal(payload.type, 'tapegate.review.pending');
      assert.equal(payload.review.id, hold.id);
      assert.equal(payload.review.operation, 'storage.objects.delete');
      assert.equal(payload.review.requester.subject, 'agent-7');
      hold.cancel('test over');
    } finally {
      reviews.close();
      tmp.remove();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('POSTs the review as JSON and retries a failing endpoint a bounded number of times', async () => {
    const received: Array<{ type: string; review: { id: string; operation: string } }> = [];
    let calls = 0;
    const server = createServer((req, res) => {
      calls++;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (calls === 1) {
          res.writeHead(503).end();
          return;
        }
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      const notifier = new ReviewNotifier(approvalsConfig({ webhook: { url } }));
      const record = { id: 'rv-1', state: 'pending' as const, createdAtMs: 0, expiresAtMs: 1, instanceId: 'gw', requester: null, connection: 'storage', method: 'DELETE', target: '/x', operation: 'storage.objects.delete', resource: 'buckets/b/objects/x', items: [], rule: 'r' };
      assert.equal(await withTimeout(notifier.post({ url, timeoutMs: 2_000, maxAttempts: 3 }, { type: 'tapegate.review.pending', review: record }), 10_000, 'webhook'), true);
      assert.equal(calls, 2);
      assert.equal(received[0]!.review.operation, 'storage.objects.delete');

      calls = -100; // every call now answers 503: give up after maxAttempts
      const before = calls;
      server.removeAllListeners('request');
      server.on('request', (_req, res) => {
        calls++;
        res.writeHead(500).end();
      });
      assert.equal(await withTimeout(notifier.post({ url, timeoutMs: 2_000, maxAttempts: 2 }, {}), 10_000, 'webhook give up'), false);
      assert.equal(calls - before, 2);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
