import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GcsReviewStore, Reviews, reviewRoutes, type HoldOutcome, type ReviewRecord } from '../../../core/approvals/index.js';
import type { TapegateError } from '../../../core/errors.js';
import { encodeTime } from '../../../core/approvals/gcs-store.js';
import { parseConfig } from '../../../core/config/index.js';
import type { Admission, RequestFacts } from '../../../core/gate.js';
import { createGate } from '../../../core/gatekeeper.js';
import { TapegateError as TgError } from '../../../core/errors.js';
import { newExchangeId } from '../../../core/ids.js';
import { GcsEmulator } from '../../support/gcs-emulator/index.js';
import { approvalsConfig, serveRoutes, tempDir, verifyAdminTokenStub, withTimeout } from './helpers.js';

const BUCKET = 'tapegate-reviews';

/** The real client pointed at the emulator; a custom endpoint sends no credentials by default. */
function clientOptions(apiEndpoint: string) {
  return { apiEndpoint, projectId: 'tapegate-test' };
}

function record(id: string): ReviewRecord {
  return { id, state: 'pending', createdAtMs: Date.now(), expiresAtMs: Date.now() + 60_000, instanceId: 'gw-a', requester: { subject: 'agent', issuer: 'i', groups: [] }, connection: 'storage', method: 'DELETE', target: '/storage/v1/b/bk/o/x', operation: 'storage.objects.delete', resource: 'buckets/bk/objects/x', items: [], rule: 'review' };
}

describe('approvals: GCS-backed review store (emulator, real @google-cloud/storage client)', () => {
  const emulator = new GcsEmulator();
  let url: string;
  const tmpA = tempDir('tg-gcs-a-');
  const tmpB = tempDir('tg-gcs-b-');
  // Two stores with their own clients stand for two gateway instances sharing one bucket.
  let storeA: GcsReviewStore;
  let storeB: GcsReviewStore;
  before(async () => {
    url = await emulator.start();
    emulator.createBucket(BUCKET);
    storeA = new GcsReviewStore({ bucket: BUCKET, prefix: 'reviews/', storage: clientOptions(url) });
    storeB = new GcsReviewStore({ bucket: BUCKET, prefix: 'reviews/', storage: clientOptions(url) });
  });
  after(async () => {
    await emulator.stop();
    tmpA.remove();
    tmpB.remove();
  });

  it('creates once (ifGenerationMatch=0), reads, lists pending and decides with compare-and-set', async () => {
    await storeA.create(record('rv-gcs-1'));
    await assert.rejects(storeB.create(record('rv-gcs-1')), (e: { code?: number }) => e.code === 412);
    assert.equal((await storeB.get('rv-gcs-1'))!.state, 'pending');
    assert.equal(await storeB.get('rv-missing'), null);
    assert.deepEqual((await storeB.list(true, 10)).map((r) => r.id), ['rv-gcs-1']);
    const decided = await storeB.decide('rv-gcs-1', { state: 'approved', decidedBy: 'carol', decidedAtMs: 5, reason: 'ok' });
    assert.equal(decided!.applied, true);
    assert.equal((await storeA.get('rv-gcs-1'))!.decidedBy, 'carol');
    assert.deepEqual(await storeA.list(true, 10), []);
    assert.deepEqual((await storeA.list(false, 10)).map((r) => r.id), ['rv-gcs-1']);
    const late = await storeA.decide('rv-gcs-1', { state: 'expired', decidedBy: 'tapegate', decidedAtMs: 6, reason: 'late' });
    assert.deepEqual([late!.applied, late!.record.state], [false, 'approved']);
    const written = emulator.requests.filter((r) => r.method === 'POST' && r.query['ifGenerationMatch'] !== undefined);
    assert.ok(written.some((r) => r.query['ifGenerationMatch'] === '0'));
    assert.ok(written.some((r) => r.query['ifGenerationMatch'] !== '0'), 'decisions are conditional on the generation read');
  });

  it('lists across pages, newest first, and skips reviews older than the wait', async () => {
    const paged = new GcsReviewStore({ bucket: BUCKET, prefix: 'paged/', storage: clientOptions(url), pageSize: 2 });
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = `rv-${encodeTime(t0 + i * 60_000)}${'0'.repeat(16)}`;
      ids.push(id);
      await paged.create({ ...record(id), createdAtMs: t0 + i * 60_000 });
    }
    await paged.decide(ids[3]!, { state: 'denied', decidedBy: 'carol', decidedAtMs: 1, reason: 'no' });
    assert.deepEqual((await paged.list(true, 10)).map((r) => r.id), [ids[4], ids[2], ids[1], ids[0]]);
    assert.deepEqual((await paged.list(false, 2)).map((r) => r.id), [ids[4], ids[3]]);
    // With sinceMs, real GCS starts listing at that time (startOffset); the result is the same either way.
    const recent = (await paged.list(true, 10, t0 + 2 * 60_000)).map((r) => r.id);
    assert.ok(recent.includes(ids[4]!) && recent.includes(ids[2]!));
    // Review ids and the time prefix agree (ULID time encoding), so startOffset cuts at the right place.
    const now = Date.now();
    assert.equal(newExchangeId(now).slice(0, 10), encodeTime(now));
  });

  it('an approval and a timeout racing from two instances: exactly one wins', async () => {
    for (let round = 0; round < 3; round++) {
      const id = `rv-race-${round}`;
      await storeA.create(record(id));
      const [a, b] = await Promise.all([
        storeA.decide(id, { state: 'expired', decidedBy: 'tapegate', decidedAtMs: 1, reason: 'timeout' }),
        storeB.decide(id, { state: 'approved', decidedBy: 'carol', decidedAtMs: 1, reason: 'ok' }),
      ]);
      assert.equal([a!.applied, b!.applied].filter(Boolean).length, 1, `round ${round}`);
      assert.equal(a!.record.state, b!.record.state, 'both see the winner');
    }
  });

  it('a request held on instance A is released by an approval through instance B admin API', async () => {
    const config = approvalsConfig({ waitMs: 30_000, store: { type: 'gcs', bucket: BUCKET, pollMs: 100 } });
    const reviewsA = new Reviews({ config, instanceId: 'gw-a', dataDir: tmpA.dir, store: storeA });
    const reviewsB = new Reviews({ config, instanceId: 'gw-b', dataDir: tmpB.dir, store: storeB });
    const adminB = await serveRoutes(reviewRoutes(reviewsB, verifyAdminTokenStub));
    try {
      const held = new Promise<{ err: TapegateError | null; outcome: HoldOutcome | null }>((resolve) => {
        reviewsA.hold(
          { identity: { subject: 'agent', issuer: 'i', groups: ['ops'] }, connection: 'storage', method: 'DELETE', target: '/storage/v1/b/bk/o/y', classification: { operation: 'storage.objects.delete', resource: 'buckets/bk/objects/y', items: [] }, rule: 'review' },
          (err, outcome) => resolve({ err, outcome }),
        );
      });
      let id = '';
      for (let i = 0; i < 100 && !id; i++) {
        const res = await fetch(`${adminB.url}/reviews`, { headers: { authorization: 'Bearer carol' } });
        const list = ((await res.json()) as { reviews: Array<{ id: string; instanceId: string; resource: string }> }).reviews.filter((r) => r.resource === 'buckets/bk/objects/y');
        if (list[0]) {
          assert.equal(list[0].instanceId, 'gw-a');
          id = list[0].id;
        } else await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(id, 'B lists the review held on A');
      const res = await fetch(`${adminB.url}/reviews/${id}/approve`, { method: 'POST', headers: { authorization: 'Bearer carol' }, body: JSON.stringify({ reason: 'via B' }) });
      assert.equal(res.status, 200);
      const { err, outcome } = await withTimeout(held, 10_000, 'A sees the approval');
      assert.equal(err, null);
      assert.deepEqual([outcome!.approved, outcome!.record.decidedBy, outcome!.record.reason], [true, 'carol', 'via B']);
    } finally {
      reviewsA.close();
      reviewsB.close();
      await adminB.close();
    }
  });

  it('a resumable upload created through instance A continues through instance B without Authorization', async () => {
    const cfg = parseConfig({
      dataDir: tmpA.dir,
      connections: [{ name: 'storage', match: { pathPrefixes: ['/upload/storage/v1/'] }, upstream: 'https://storage.googleapis.com' }],
      policy: { rules: [{ name: 'ops', groups: ['ops'], action: 'allow' }] },
    });
    // Stand-in for core/auth at the seam: only "Bearer alice" is anyone.
    const authenticator = {
      authenticate: async (headers: Array<[string, string]>) => {
        if (headers.some(([n, v]) => n === 'authorization' && v === 'Bearer alice')) return { subject: 'alice', issuer: 'i', groups: ['ops'] };
        throw new TgError('TG_UNAUTHENTICATED', 401, 'no token');
      },
    };
    const reviewsA = new Reviews({ config: cfg.approvals, instanceId: 'gw-a', dataDir: tmpA.dir, store: storeA });
    const reviewsB = new Reviews({ config: cfg.approvals, instanceId: 'gw-b', dataDir: tmpB.dir, store: storeB });
    const gateA = createGate({ config: cfg, authenticator, credentialsByConnection: {}, reviews: reviewsA });
    const gateB = createGate({ config: cfg, authenticator, credentialsByConnection: {}, reviews: reviewsB });
    const admit = (gate: typeof gateA, method: string, query: string, headers: Array<[string, string]>) =>
      withTimeout(
        new Promise<{ err: TgError | null; admission: Admission | null }>((resolve) => {
          const facts: RequestFacts = { method, target: `/upload/storage/v1/b/bk/o?${query}`, path: '/upload/storage/v1/b/bk/o', query, headers, connection: cfg.connections[0]!, clientAddress: '127.0.0.1', body: new TextEncoder().encode('{"name":"big.bin"}') };
          gate.admit(facts, (err, admission) => resolve({ err, admission }));
        }),
        10_000,
        `${method} ${query}`,
      );
    try {
      const start = await admit(gateA, 'POST', 'uploadType=resumable', [['authorization', 'Bearer alice']]);
      assert.equal(start.err, null);
      gateA.onUploadSession('shared-session-1', start.admission!);
      const chunk = await admit(gateB, 'PUT', 'uploadType=resumable&upload_id=shared-session-1', []);
      assert.equal(chunk.err, null);
      assert.deepEqual([chunk.admission!.identity!.subject, chunk.admission!.resource, chunk.admission!.decision.rule], ['alice', 'buckets/bk/objects/big.bin', 'ops']);
      const names = emulator.objectNames(BUCKET).filter((n) => n.startsWith('reviews/uploads/'));
      assert.equal(names.length, 1);
      assert.ok(!names[0]!.includes('shared-session-1'), 'the upload_id (a capability) is not an object name');
      const forged = await admit(gateB, 'PUT', 'uploadType=resumable&upload_id=guessed', []);
      assert.equal(forged.err!.httpStatus, 401);
    } finally {
      gateA.close();
      gateB.close();
    }
  });

  it('refuses to hold (503) when the store is unreachable: fail closed', async () => {
    const dead = new GcsReviewStore({ bucket: 'no-such-bucket', prefix: 'r/', storage: { ...clientOptions(url), retryOptions: { autoRetry: false } } });
    const reviews = new Reviews({ config: approvalsConfig(), instanceId: 'gw', dataDir: tmpA.dir, store: dead });
    try {
      const { err, outcome } = await withTimeout(
        new Promise<{ err: TapegateError | null; outcome: HoldOutcome | null }>((resolve) => {
          reviews.hold({ identity: null, connection: 'c', method: 'DELETE', target: '/', classification: { operation: 'o', resource: 'r', items: [] }, rule: 'x' }, (e, o) => resolve({ err: e, outcome: o }));
        }),
        10_000,
        'store failure',
      );
      assert.equal(outcome, null);
      assert.equal(err!.httpStatus, 503);
      assert.equal(err!.code, 'TG_REVIEW_STORE_UNAVAILABLE');
    } finally {
      reviews.close();
    }
  });
});
