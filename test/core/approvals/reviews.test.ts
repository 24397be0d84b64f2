import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { register } from 'prom-client';
import { Reviews, MemoryReviewStore, type HoldOutcome } from '../../../core/approvals/index.js';
import type { TapegateError } from '../../../core/errors.js';
import type { Identity } from '../../../core/exchange.js';
import { approvalsConfig, people, tempDir, withTimeout } from './helpers.js';

const agent: Identity = { subject: 'agent-7', issuer: 'https://idp.example', groups: ['ops'] };
const subject = {
  identity: agent,
  connection: 'storage',
  method: 'DELETE',
  target: '/storage/v1/b/bk/o/a.txt',
  classification: { operation: 'storage.objects.delete', resource: 'buckets/bk/objects/a.txt', items: [{ operation: 'storage.objects.delete', resource: 'buckets/bk/objects/a.txt', effect: 'remove' as const }] },
  rule: 'review-removals',
  exchangeId: 'EX1',
};

function holdAndWait(reviews: Reviews) {
  let resolve!: (v: { err: TapegateError | null; outcome: HoldOutcome | null }) => void;
  const result = new Promise<{ err: TapegateError | null; outcome: HoldOutcome | null }>((r) => (resolve = r));
  let calls = 0;
  const hold = reviews.hold(subject, (err, outcome) => {
    calls++;
    resolve({ err, outcome });
  });
  return { hold, result, calls: () => calls };
}

async function pendingId(reviews: Reviews): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const list = await reviews.list(true);
    if (list.length > 0) return list[0]!.id;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no pending review appeared');
}

describe('approvals: holding a request for review (in-process store)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let reviews: Reviews;
  beforeEach(() => {
    tmp = tempDir('tg-reviews-');
    reviews = new Reviews({ config: approvalsConfig({ waitMs: 60_000 }), instanceId: 'gw-a', dataDir: tmp.dir });
  });
  afterEach(() => {
    reviews.close();
    tmp.remove();
  });

  it('an approval releases exactly that held request, with who, when and why', async () => {
    const { hold, result, calls } = holdAndWait(reviews);
    const id = await pendingId(reviews);
    assert.equal(id, hold.id);
    const listed = (await reviews.list(true))[0]!;
    assert.deepEqual([listed.operation, listed.resource, listed.rule, listed.exchangeId, listed.requester?.subject], ['storage.objects.delete', 'buckets/bk/objects/a.txt', 'review-removals', 'EX1', 'agent-7']);
    const before = Date.now();
    const decided = await reviews.decide(id, true, people['carol']!, 'cleanup ticket OPS-12');
    assert.equal(decided.state, 'approved');
    const { err, outcome } = await withTimeout(result, 5_000, 'hold resolution');
    assert.equal(err, null);
    assert.equal(outcome!.approved, true);
    assert.equal(outcome!.record.decidedBy, 'carol');
    assert.equal(outcome!.record.reason, 'cleanup ticket OPS-12');
    assert.ok(outcome!.record.decidedAtMs! >= before);
    await assert.rejects(reviews.decide(id, true, people['dave']!, 'again'), (e: TapegateError) => e.httpStatus === 409 && /already approved by carol/.test(e.message));
    await assert.rejects(reviews.decide(id, false, people['dave']!, 'too late'), (e: TapegateError) => e.httpStatus === 409);
    assert.equal(calls(), 1);
    assert.equal((await reviews.list(true)).length, 0);
  });

  it('a denial refuses the request with the reason and removes the spooled body', async () => {
    const { hold, result } = holdAndWait(reviews);
    hold.body.write(new TextEncoder().encode('secret payload'));
    const id = await pendingId(reviews);
    await reviews.decide(id, false, people['carol']!, 'not during the freeze');
    const { outcome } = await withTimeout(result, 5_000, 'hold resolution');
    assert.equal(outcome!.approved, false);
    assert.equal(outcome!.record.state, 'denied');
    assert.equal(outcome!.record.reason, 'not during the freeze');
    assert.equal(existsSync((hold.body as unknown as { file: string }).file), false);
  });

  it('times out after the configured wait, and a late approval changes nothing', async () => {
    reviews.close();
    reviews = new Reviews({ config: approvalsConfig({ waitMs: 150 }), instanceId: 'gw-a', dataDir: tmp.dir });
    const { hold, result } = holdAndWait(reviews);
    const { outcome } = await withTimeout(result, 5_000, 'timeout');
    assert.equal(outcome!.approved, false);
    assert.equal(outcome!.record.state, 'expired');
    assert.match(outcome!.record.reason!, /no approver decided within/);
    await assert.rejects(reviews.decide(hold.id, true, people['carol']!, 'late'), (e: TapegateError) => e.httpStatus === 409 && /expired/.test(e.message));
  });

  it('only the approver group decides, with a reason, and never on their own request', async () => {
    const { result } = holdAndWait(reviews);
    const id = await pendingId(reviews);
    await assert.rejects(reviews.decide(id, true, people['alice']!, 'me'), (e: TapegateError) => e.httpStatus === 403 && /approver group "approvers"/.test(e.message));
    await assert.rejects(reviews.decide(id, true, people['carol']!, '  '), (e: TapegateError) => e.httpStatus === 400);
    const self: Identity = { ...agent, groups: ['approvers'] };
    await assert.rejects(reviews.decide(id, true, self, 'trust me'), (e: TapegateError) => e.code === 'TG_SELF_APPROVAL');
    await assert.rejects(reviews.decide('rv-nope', true, people['carol']!, 'x'), (e: TapegateError) => e.httpStatus === 404);
    await reviews.decide(id, false, people['carol']!, 'done');
    await withTimeout(result, 5_000, 'resolution');
  });

  it('an agent that goes away withdraws its review', async () => {
    const { hold, result } = holdAndWait(reviews);
    await pendingId(reviews);
    hold.cancel('client disconnected');
    const { outcome } = await withTimeout(result, 5_000, 'cancel');
    assert.equal(outcome!.record.state, 'cancelled');
    assert.equal((await reviews.get(hold.id))!.state, 'cancelled');
  });

  it('a review withdrawn before it was even stored does not stay pending', async () => {
    const { hold, result } = holdAndWait(reviews);
    hold.cancel('agent gone at once');
    assert.equal((await withTimeout(result, 5_000, 'cancel')).outcome!.record.state, 'cancelled');
    for (let i = 0; i < 100 && (await reviews.get(hold.id))?.state !== 'cancelled'; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal((await reviews.get(hold.id))?.state, 'cancelled');
    assert.deepEqual(await reviews.list(true), []);
  });

  it('an approval and a timeout racing on the shared store: exactly one wins', async () => {
    const store = new MemoryReviewStore();
    const base = { id: 'rv-race', state: 'pending' as const, createdAtMs: 1, expiresAtMs: 2, instanceId: 'a', requester: null, connection: 'c', method: 'DELETE', target: '/', operation: 'o', resource: 'r', items: [], rule: 'x' };
    await store.create(base);
    const [a, b] = await Promise.all([
      store.decide('rv-race', { state: 'approved', decidedBy: 'carol', decidedAtMs: 3, reason: 'ok' }),
      store.decide('rv-race', { state: 'expired', decidedBy: 'tapegate', decidedAtMs: 3, reason: 'late' }),
    ]);
    assert.equal([a!.applied, b!.applied].filter(Boolean).length, 1);
    assert.equal(b!.record.state, 'approved');
    await assert.rejects(store.create(base));
  });

  it('counts reviews in the tapegate_reviews metrics', async () => {
    const before = (await register.getSingleMetricAsString('tapegate_reviews_total')) ?? '';
    const created = (s: string) => Number(/tapegate_reviews_total\{outcome="created"\} (\d+)/.exec(s)?.[1] ?? 0);
    const { result } = holdAndWait(reviews);
    const id = await pendingId(reviews);
    assert.match(await register.getSingleMetricAsString('tapegate_reviews_pending'), /tapegate_reviews_pending [1-9]/);
    await reviews.decide(id, true, people['carol']!, 'ok');
    await withTimeout(result, 5_000, 'resolution');
    const afterText = await register.getSingleMetricAsString('tapegate_reviews_total');
    assert.equal(created(afterText), created(before) + 1);
    assert.match(afterText, /outcome="approved"/);
  });
});

describe('approvals: body spool', () => {
  const tmp = tempDir('tg-spool-');
  after(() => tmp.remove());

  it('spools the held body to a private file and replays it byte for byte', async () => {
    const reviews = new Reviews({ config: approvalsConfig({ waitMs: 60_000 }), instanceId: 'gw', dataDir: tmp.dir });
    try {
      const { hold, result } = holdAndWait(reviews);
      const chunk = new Uint8Array(64 * 1024);
      let total = 0;
      // The data plane registers one drain listener and pauses the agent while the disk catches up.
      let drains = 0;
      let wake: (() => void) | null = null;
      hold.body.onDrain(() => {
        drains++;
        wake?.();
      });
      for (let i = 0; i < 32; i++) {
        chunk.fill(i);
        // The data plane reuses its buffer: the spool must have copied it.
        if (!hold.body.write(chunk)) await withTimeout(new Promise<void>((r) => (wake = r)), 5_000, 'drain');
        total += chunk.length;
      }
      assert.ok(drains > 0, 'backpressure was signalled and released');
      await hold.body.end();
      assert.equal(hold.body.bytes, total);
      const file = (hold.body as unknown as { file: string }).file;
      assert.equal(path.dirname(file), path.join(tmp.dir, 'review-spool'));
      assert.ok(readFileSync(file).length === total);
      const id = await pendingId(reviews);
      await reviews.decide(id, true, people['carol']!, 'ok');
      assert.equal((await withTimeout(result, 5_000, 'approval')).outcome!.approved, true);
      // Approved: the body stays for the data plane to replay upstream.
      const replayed: Buffer[] = [];
      for await (const c of hold.body.open()) replayed.push(c as Buffer);
      const all = Buffer.concat(replayed);
      assert.equal(all.length, total);
      for (let i = 0; i < 32; i++) assert.equal(all[i * 64 * 1024 + 5], i);
      hold.body.dispose();
      assert.deepEqual(readdirSync(path.join(tmp.dir, 'review-spool')), []);
    } finally {
      reviews.close();
    }
  });

  it('refuses a held body past spoolMaxBytes with 413', async () => {
    const reviews = new Reviews({ config: approvalsConfig({ spoolMaxBytes: 1000 }), instanceId: 'gw', dataDir: tmp.dir });
    try {
      const { hold, result } = holdAndWait(reviews);
      hold.body.write(new Uint8Array(600));
      assert.throws(() => hold.body.write(new Uint8Array(600)), (e: TapegateError) => e.httpStatus === 413 && /spoolMaxBytes/.test(e.message));
      hold.cancel('too large');
      await withTimeout(result, 5_000, 'cancel');
    } finally {
      reviews.close();
    }
  });
});
