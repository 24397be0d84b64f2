import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MemoryReviewStore, Reviews } from '../../core/approvals/index.js';
import { parseConfig, type Config } from '../../core/config/index.js';
import { TapegateError } from '../../core/errors.js';
import type { HeaderList, Identity } from '../../core/exchange.js';
import type { Admission, HeldRequest, RequestFacts } from '../../core/gate.js';
import { createGate, uploadIdFromLocation, type Gatekeeper } from '../../core/gatekeeper.js';
import { approvalsConfig, people, tempDir, withTimeout } from './approvals/helpers.js';

/** Stand-in for core/auth at the seam: "Bearer <name>" is that person; anything else is a 401. */
const agents: Record<string, Identity> = {
  alice: { subject: 'alice', issuer: 'https://idp.example', groups: ['ops'] },
  guest: { subject: 'guest', issuer: 'https://idp.example', groups: [] },
};
const authenticator = {
  async authenticate(headers: HeaderList): Promise<Identity> {
    const h = headers.find(([n]) => n === 'authorization')?.[1];
    const who = h?.startsWith('Bearer ') ? agents[h.slice(7)] : undefined;
    if (!who) throw new TapegateError('TG_UNAUTHENTICATED', 401, h ? 'invalid token' : 'send Authorization: Bearer <OIDC ID token>');
    return who;
  },
};
/** Stand-in for core/credentials at the seam. */
let credentialCalls = 0;
const credential = {
  async authorization() {
    credentialCalls++;
    return 'Bearer upstream-sa-token';
  },
};

function config(dataDir: string, waitMs = 60_000): Config {
  return parseConfig({
    dataDir,
    connections: [
      { name: 'storage', match: { pathPrefixes: ['/storage/v1/', '/upload/storage/v1/'] }, upstream: 'https://storage.googleapis.com' },
      { name: 'bigquery', match: { pathPrefixes: ['/bigquery/v2/'] }, upstream: 'https://bigquery.googleapis.com' },
    ],
    policy: {
      rules: [
        { name: 'no-iam', operations: ['*.setIamPolicy'], action: 'deny', reason: 'IAM changes go through Terraform' },
        { name: 'review-removals', groups: ['ops'], effects: ['remove'], action: 'review' },
        { name: 'ops', groups: ['ops'], action: 'allow' },
      ],
    },
    approvals: { waitMs },
  });
}

interface Result {
  err: TapegateError | null;
  admission: Admission | null;
  held: HeldRequest | null;
}

function admit(gate: Gatekeeper, cfg: Config, method: string, target: string, opts: { who?: string; body?: string; headers?: HeaderList } = {}) {
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  const connection = cfg.connections.find((c) => c.match.pathPrefixes.some((p) => path.startsWith(p)))!;
  const headers: HeaderList = [...(opts.headers ?? [])];
  if (opts.who) headers.push(['authorization', `Bearer ${opts.who}`]);
  let held: HeldRequest | null = null;
  let calls = 0;
  const facts: RequestFacts = {
    method,
    target,
    path,
    query: q === -1 ? '' : target.slice(q + 1),
    headers,
    connection,
    clientAddress: '127.0.0.1',
    exchangeId: 'EX-1',
    onHold: (h) => (held = h),
  };
  if (opts.body !== undefined) facts.body = new TextEncoder().encode(opts.body);
  const result = new Promise<Result>((resolve) => {
    gate.admit(facts, (err, admission) => {
      calls++;
      resolve({ err, admission, held });
    });
  });
  return { result: withTimeout(result, 10_000, `${method} ${target}`), held: () => held, calls: () => calls };
}

async function waitFor<T>(fn: () => T | null | undefined): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not met');
}

/** The store write is asynchronous: wait until the held request's review is listed. */
async function pendingReviews(reviews: Reviews) {
  for (let i = 0; i < 200; i++) {
    const list = await reviews.list(true);
    if (list.length > 0) return list;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no pending review');
}

describe('gatekeeper: authenticate → classify → policy → review → credential', () => {
  let tmp: ReturnType<typeof tempDir>;
  let cfg: Config;
  let reviews: Reviews;
  let gate: Gatekeeper;
  beforeEach(() => {
    tmp = tempDir('tg-gate-');
    cfg = config(tmp.dir);
    reviews = new Reviews({ config: cfg.approvals, instanceId: 'gw-a', dataDir: tmp.dir });
    gate = createGate({ config: cfg, authenticator, credentialsByConnection: { storage: credential, bigquery: credential }, reviews });
  });
  afterEach(() => {
    gate.close();
    tmp.remove();
  });

  it('refuses a caller without identity with the authenticator 401, recorded as denied', async () => {
    const { err, admission } = await admit(gate, cfg, 'GET', '/storage/v1/b/bk/o/a').result;
    assert.equal(err!.httpStatus, 401);
    assert.equal(admission!.identity, null);
    assert.equal(admission!.operation, 'storage.objects.get');
    assert.deepEqual([admission!.decision.action, admission!.decision.rule], ['deny', 'authentication']);
    assert.equal(admission!.upstreamAuthorization, null);
  });

  it('allows by rule and injects the connection credential', async () => {
    const { err, admission } = await admit(gate, cfg, 'GET', '/storage/v1/b/bk/o/a%2Fb', { who: 'alice' }).result;
    assert.equal(err, null);
    assert.equal(admission!.identity!.subject, 'alice');
    assert.equal(admission!.operation, 'storage.objects.get');
    assert.equal(admission!.resource, 'buckets/bk/objects/a/b');
    assert.deepEqual(admission!.decision, { action: 'allow', rule: 'ops' });
    assert.equal(admission!.upstreamAuthorization, 'Bearer upstream-sa-token');
  });

  it('denies with 403 naming the rule, and by default', async () => {
    const iam = await admit(gate, cfg, 'PUT', '/storage/v1/b/bk/iam', { who: 'alice' }).result;
    assert.equal(iam.err!.httpStatus, 403);
    assert.equal(iam.err!.code, 'TG_POLICY_DENIED');
    assert.match(iam.err!.message, /IAM changes go through Terraform \[policy rule "no-iam"\]/);
    assert.deepEqual([iam.admission!.decision.action, iam.admission!.decision.rule], ['deny', 'no-iam']);
    assert.equal(iam.admission!.upstreamAuthorization, null);
    const guest = await admit(gate, cfg, 'GET', '/storage/v1/b/bk/o/a', { who: 'guest' }).result;
    assert.equal(guest.err!.httpStatus, 403);
    assert.equal(guest.admission!.decision.rule, 'default');
  });

  it('classifies BigQuery jobs from the body prefix it asked for', async () => {
    assert.equal(gate.bodyNeeded('POST', '/bigquery/v2/projects/p/queries', cfg.connections[1]!), 256 * 1024);
    assert.equal(gate.bodyNeeded('GET', '/storage/v1/b/bk/o/a', cfg.connections[0]!), 0);
    const body = JSON.stringify({ query: 'SELECT 1' });
    const ok = await admit(gate, cfg, 'POST', '/bigquery/v2/projects/p/queries', { who: 'alice', body, headers: [['content-length', String(body.length)]] }).result;
    assert.deepEqual([ok.err, ok.admission!.operation], [null, 'bigquery.jobs.query.select']);
  });

  it('holds a dangerous call; an approval lets exactly it through with who, when and why', async () => {
    const req = admit(gate, cfg, 'DELETE', '/storage/v1/b/bk/o/precious', { who: 'alice' });
    const held = await waitFor(req.held);
    assert.match(held.reviewId, /^rv-/);
    held.body.write(new Uint8Array([1, 2, 3]));
    await held.body.end();
    const [review] = await pendingReviews(reviews);
    assert.equal(review!.id, held.reviewId);
    assert.equal(review!.exchangeId, 'EX-1');
    assert.equal(req.calls(), 0, 'still held');
    await reviews.decide(held.reviewId, true, people['carol']!, 'restore drill');
    const { err, admission } = await req.result;
    assert.equal(err, null);
    assert.equal(admission!.decision.action, 'allow');
    assert.equal(admission!.decision.rule, 'review-removals');
    assert.equal(admission!.decision.reviewId, held.reviewId);
    assert.equal(admission!.decision.reviewedBy, 'carol');
    assert.equal(admission!.decision.reviewReason, 'restore drill');
    assert.ok(admission!.decision.reviewedAtMs! > 0);
    assert.equal(admission!.upstreamAuthorization, 'Bearer upstream-sa-token');
    assert.deepEqual([...readFileSync((held.body as unknown as { file: string }).file)], [1, 2, 3]);
    held.body.dispose();
    assert.equal(req.calls(), 1);
    // The same call again is a new review: an approval is not a standing grant.
    const again = admit(gate, cfg, 'DELETE', '/storage/v1/b/bk/o/precious', { who: 'alice' });
    const held2 = await waitFor(again.held);
    assert.notEqual(held2.reviewId, held.reviewId);
    held2.cancel('test over');
    assert.equal((await again.result).err!.httpStatus, 403);
  });

  it('a denial returns 403 with the review id and the reason', async () => {
    const req = admit(gate, cfg, 'DELETE', '/storage/v1/b/bk/o/precious', { who: 'alice' });
    const held = await waitFor(req.held);
    await pendingReviews(reviews);
    await reviews.decide(held.reviewId, false, people['carol']!, 'change freeze');
    const { err, admission } = await req.result;
    assert.equal(err!.httpStatus, 403);
    assert.equal(err!.code, 'TG_REVIEW_DENIED');
    assert.ok(err!.message.includes(held.reviewId));
    assert.match(err!.message, /denied by carol: change freeze/);
    assert.deepEqual([admission!.decision.action, admission!.decision.reviewedBy, admission!.decision.reviewReason], ['deny', 'carol', 'change freeze']);
  });

  it('a review nobody decides times out with 403', async () => {
    gate.close();
    cfg = config(tmp.dir, 100);
    reviews = new Reviews({ config: cfg.approvals, instanceId: 'gw-a', dataDir: tmp.dir });
    gate = createGate({ config: cfg, authenticator, credentialsByConnection: new Map([['storage', credential]]), reviews });
    const { err, admission } = await admit(gate, cfg, 'DELETE', '/storage/v1/b/bk/o/x', { who: 'alice' }).result;
    assert.equal(err!.code, 'TG_REVIEW_TIMEOUT');
    assert.equal(err!.httpStatus, 403);
    assert.match(err!.message, /rv-\w+ and timed out/);
    assert.equal(admission!.decision.reviewedBy, 'tapegate');
  });

  it('binds a resumable upload session to the request that created it, and nothing else', async () => {
    const start = await admit(gate, cfg, 'POST', '/upload/storage/v1/b/bk/o?uploadType=resumable', { who: 'alice', body: '{"name":"big.bin"}' }).result;
    assert.equal(start.err, null);
    assert.equal(start.admission!.createsUploadSession, true);
    assert.equal(start.admission!.resource, 'buckets/bk/objects/big.bin');
    const location = 'https://storage.googleapis.com/upload/storage/v1/b/bk/o?uploadType=resumable&name=big.bin&upload_id=ADPycdt-session_1';
    const uploadId = uploadIdFromLocation(location)!;
    assert.equal(uploadId, 'ADPycdt-session_1');
    gate.onUploadSession(uploadId, start.admission!);

    credentialCalls = 0;
    const chunk = await admit(gate, cfg, 'PUT', `/upload/storage/v1/b/bk/o?uploadType=resumable&name=big.bin&upload_id=${uploadId}`).result;
    assert.equal(chunk.err, null, 'no Authorization needed under the binding');
    assert.equal(chunk.admission!.identity!.subject, 'alice');
    assert.equal(chunk.admission!.resource, 'buckets/bk/objects/big.bin');
    assert.deepEqual(chunk.admission!.decision, start.admission!.decision);
    assert.equal(chunk.admission!.upstreamAuthorization, 'Bearer upstream-sa-token');
    assert.equal(credentialCalls, 1);

    const other = await admit(gate, cfg, 'PUT', '/upload/storage/v1/b/bk/o?uploadType=resumable&upload_id=guessed').result;
    assert.equal(other.err!.httpStatus, 401, 'an unknown upload_id gets no binding');
    const elsewhere = await admit(gate, cfg, 'PUT', `/upload/storage/v1/b/other/o?uploadType=resumable&upload_id=${uploadId}`).result;
    assert.equal(elsewhere.err!.httpStatus, 401, 'the binding holds only for its own session path');
    const notUpload = await admit(gate, cfg, 'DELETE', `/storage/v1/b/bk/o/big.bin?upload_id=${uploadId}`).result;
    assert.equal(notUpload.err!.httpStatus, 401, 'the binding admits nothing but the session');
    const sideload = await admit(gate, cfg, 'POST', `/upload/storage/v1/b/bk/o?uploadType=media&name=evil&upload_id=${uploadId}`).result;
    assert.equal(sideload.err!.httpStatus, 401, 'only the session PUTs ride on the binding, not another upload on its path');

    // A forged report for an admission that did not create a session is ignored.
    const plain = await admit(gate, cfg, 'GET', '/storage/v1/b/bk/o/a', { who: 'alice' }).result;
    gate.onUploadSession('forged', plain.admission!);
    assert.equal((await admit(gate, cfg, 'PUT', '/upload/storage/v1/b/bk/o?uploadType=resumable&upload_id=forged').result).err!.httpStatus, 401);
    assert.equal(gate.uploadBindings, 1);
  });

  it('answers synchronously (no Promise) for a cached token and a fresh credential; otherwise through the slow path', async () => {
    const cached = { ...authenticator, authenticateCached: (h: HeaderList) => (h.some(([n, v]) => n === 'authorization' && v === 'Bearer alice') ? agents.alice : undefined) };
    let slow = 0;
    const fresh = { authorization: async () => (slow++, 'Bearer slow'), cachedAuthorization: () => 'Bearer fast' };
    const fast = createGate({ config: cfg, authenticator: cached, credentialsByConnection: { storage: fresh }, reviews });
    const a = admit(fast, cfg, 'GET', '/storage/v1/b/bk/o/a', { who: 'alice' });
    assert.equal(a.calls(), 1, 'decided before admit() returned');
    const { err, admission } = await a.result;
    assert.equal(err, null);
    assert.equal(admission!.upstreamAuthorization, 'Bearer fast');
    assert.equal(slow, 0);
    // A token the cache does not know goes through authenticate() (asynchronous), with the same rules.
    const b = admit(fast, cfg, 'GET', '/storage/v1/b/bk/o/a', { who: 'guest' });
    assert.equal(b.calls(), 0);
    assert.equal((await b.result).err!.httpStatus, 403);
  });

  it('fails closed with 503 when the credential cannot be obtained', async () => {
    const failing = createGate({
      config: cfg,
      authenticator,
      credentialsByConnection: { storage: { authorization: () => Promise.reject(new Error('token endpoint down')) } },
      reviews,
    });
    const { err, admission } = await admit(failing, cfg, 'GET', '/storage/v1/b/bk/o/a', { who: 'alice' }).result;
    assert.equal(err!.httpStatus, 503);
    assert.equal(err!.code, 'TG_CREDENTIAL_UNAVAILABLE');
    assert.equal(admission!.upstreamAuthorization, null);
  });
});

describe('gatekeeper: two gateway instances share review state', () => {
  it('an approval given through instance B releases the request held on instance A', async () => {
    const tmpA = tempDir('tg-gate-a-');
    const tmpB = tempDir('tg-gate-b-');
    const store = new MemoryReviewStore();
    const cfg = config(tmpA.dir);
    const reviewsA = new Reviews({ config: approvalsConfig(), instanceId: 'gw-a', dataDir: tmpA.dir, store });
    const reviewsB = new Reviews({ config: approvalsConfig(), instanceId: 'gw-b', dataDir: tmpB.dir, store });
    const gateA = createGate({ config: cfg, authenticator, credentialsByConnection: {}, reviews: reviewsA });
    try {
      const req = admit(gateA, cfg, 'DELETE', '/storage/v1/b/bk/o/x', { who: 'alice' });
      const held = await waitFor(req.held);
      const [seen] = await pendingReviews(reviewsB);
      assert.equal(seen!.instanceId, 'gw-a');
      await reviewsB.decide(held.reviewId, true, people['dave']!, 'ok from B');
      const { err, admission } = await req.result;
      assert.equal(err, null);
      assert.equal(admission!.decision.reviewedBy, 'dave');
    } finally {
      gateA.close();
      tmpA.remove();
      tmpB.remove();
    }
  });
});

describe('gatekeeper: assembled from config with the real authenticator (development issuer)', () => {
  it('admits a dev-token caller, holds a delete, and an approver releases it through the admin routes', async () => {
    const { createAuthenticator } = await import('../../core/auth/index.js');
    const { DevIssuer } = await import('../../core/auth/dev-issuer.js');
    const { assembleGate } = await import('../../core/gatekeeper.js');
    const tmp = tempDir('tg-gate-real-');
    const cfg = config(tmp.dir);
    const auth = await createAuthenticator(cfg.auth, { dataDir: tmp.dir, listenHosts: ['127.0.0.1'] });
    const assembled = assembleGate(cfg, auth);
    try {
      const dev = await DevIssuer.open(cfg.auth, tmp.dir);
      const aliceToken = await dev.mint('alice', ['ops'], 600);
      const carolToken = await dev.mint('carol', ['approvers'], 600);
      const headers: HeaderList = [['authorization', `Bearer ${aliceToken}`]];
      const ok = await admit(assembled.gate, cfg, 'GET', '/storage/v1/b/bk/o/a', { headers }).result;
      assert.equal(ok.err, null);
      assert.equal(ok.admission!.identity!.subject, 'alice');
      assert.equal(ok.admission!.upstreamAuthorization, null, 'no credential configured for the connection');
      const anon = await admit(assembled.gate, cfg, 'GET', '/storage/v1/b/bk/o/a').result;
      assert.equal(anon.err!.httpStatus, 401);

      const req = admit(assembled.gate, cfg, 'DELETE', '/storage/v1/b/bk/o/a', { headers });
      const held = await waitFor(req.held);
      await pendingReviews(assembled.reviews);
      const approve = assembled.adminRoutes.find((r) => r.method === 'POST' && r.path === '/reviews/*')!;
      const denied = await approve.handle({ method: 'POST', path: `/reviews/${held.reviewId}/approve`, query: new URLSearchParams(), headers: [['authorization', `Bearer ${aliceToken}`]], body: Buffer.from('{"reason":"me"}') });
      assert.equal(denied.status, 403, 'alice is not an approver');
      const res = await approve.handle({ method: 'POST', path: `/reviews/${held.reviewId}/approve`, query: new URLSearchParams(), headers: [['authorization', `Bearer ${carolToken}`]], body: Buffer.from('{"reason":"ok"}') });
      assert.equal(res.status, 200, String(res.body));
      const { err, admission } = await req.result;
      assert.equal(err, null);
      assert.deepEqual([admission!.decision.reviewedBy, admission!.decision.reviewReason], ['carol', 'ok']);
    } finally {
      assembled.close();
      auth.close();
      tmp.remove();
    }
  });
});
