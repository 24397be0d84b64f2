import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExchangeEnd, ExchangeHead } from '../../../core/exchange.js';
import { FrameBuilder } from '../../../storage/recorder/frame-builder.js';
import { indexRecordBytes } from '../../../storage/segment/index-decoder.js';
import { emptyEntry, IndexTracker, type IndexEntry } from '../../../storage/segment/index-file.js';
import { decodeRecord } from '../../../storage/segment/records.js';
import { head } from '../helpers.js';

test('the writer thread\'s partial decoder builds the same index as the full protobuf decoder', () => {
  const heads: ExchangeHead[] = [
    head(),
    head({ identity: null, decision: null, operation: '', resource: '', mode: 'metadata' }),
    head({ target: '/b/ünï/o/😀', identity: { subject: 'sübject ✓', issuer: 'https://i', groups: ['a', ''] }, decision: { action: 'review', rule: 'r', reviewId: 'x', reviewedAtMs: 5 } }),
    head({ receivedNs: 0n, sessionId: '', requestHeaders: [] }),
    head({ receivedNs: -7n, requestHeaders: [['cookie', 'c'.repeat(5000)]] }),
    // same-length values that differ (the decoder reuses a field's last string when the bytes match)
    head({ identity: { subject: 'agent-1', issuer: 'https://a', groups: [] }, method: 'PUT', sessionId: 's-1' }),
    head({ identity: { subject: 'agent-2', issuer: 'https://b', groups: [] }, method: 'GET', sessionId: 's-2' }),
  ];
  const ends: ExchangeEnd[] = [
    { outcome: 'completed', error: '', completedNs: 1764000000000000123n, requestBytes: 10, responseBytes: 2 ** 40 },
    { outcome: 'rejected_unrecordable', error: 'disk full ✗', completedNs: 1n, requestBytes: 0, responseBytes: 0 },
    { outcome: 'denied', error: 'no', completedNs: 2n ** 62n, requestBytes: 1, responseBytes: 2, decision: { action: 'deny', rule: 'r', reviewedBy: 'bob' } },
    { outcome: 'timeout', error: '', completedNs: 0n, requestBytes: 0, responseBytes: 0 },
    { outcome: 'client_aborted', error: 'reset', completedNs: 3n, requestBytes: 4, responseBytes: 5 },
  ];
  const fb = new FrameBuilder(Buffer.allocUnsafeSlow(1 << 20), () => assert.fail('frame overflow'));
  heads.forEach((h, i) => {
    fb.addStart(h);
    fb.addBody(h.exchangeId, Buffer.from(h.exchangeId), 2, 0, Buffer.from('body'));
    if (i !== 3) fb.addResponse(h.exchangeId, { status: 200 + i, headers: [['a', 'b']], upstreamConnectedNs: 1n, firstByteNs: 2n });
  });
  // an exchange that started "before" (its start is not in these records) and one left open
  fb.addEnd('EARLIER-EXCHANGE', ends[0]!);
  heads.slice(0, 4).forEach((h, i) => fb.addEnd(h.exchangeId, ends[i]!));
  const frame = fb.detach(Buffer.alloc(0));

  const fast = new IndexTracker();
  const full = new IndexTracker();
  let p = 0;
  while (p < frame.length) {
    let len = 0;
    let mul = 1;
    let b: number;
    do {
      b = frame.buf[p++]!;
      len += (b & 0x7f) * mul;
      mul *= 128;
    } while (b & 0x80);
    indexRecordBytes(frame.buf, p, p + len, fast);
    full.addRecord(decodeRecord(frame.buf.subarray(p, p + len)));
    p += len + 4;
  }
  const a = fast.takeSegment();
  assert.equal(a, full.takeSegment());
  const lines = a.trim().split('\n').map((l) => JSON.parse(l) as { exchangeId: string; state: string; subject: string; outcome: string });
  assert.equal(lines.length, 8);
  const l5 = JSON.parse(a.trim().split('\n').find((l) => l.includes(heads[5]!.exchangeId))!) as { subject: string; issuer: string; method: string; sessionId: string };
  const l6 = JSON.parse(a.trim().split('\n').find((l) => l.includes(heads[6]!.exchangeId))!) as { subject: string; issuer: string; method: string; sessionId: string };
  assert.deepEqual([l5.subject, l5.issuer, l5.method, l5.sessionId], ['agent-1', 'https://a', 'PUT', 's-1']);
  assert.deepEqual([l6.subject, l6.issuer, l6.method, l6.sessionId], ['agent-2', 'https://b', 'GET', 's-2']);
  assert.equal(lines.find((l) => l.exchangeId === heads[4]!.exchangeId)!.state, 'open');
  assert.equal(lines.find((l) => l.exchangeId === heads[2]!.exchangeId)!.subject, 'sübject ✓');
  assert.equal(lines.find((l) => l.exchangeId === 'EARLIER-EXCHANGE')!.outcome, 'completed');
});

test('the index keeps first-seen order across segments and amends a second end record in place', () => {
  const t = new IndexTracker();
  const mk = (id: string): IndexEntry => ({ ...emptyEntry(), exchangeId: id, receivedNs: 1n });
  t.start(mk('a'));
  t.start(mk('b'));
  t.end('a', 2n, 1, 1, 'completed', '', '');
  const first = t.takeSegment().trim().split('\n').map((l) => JSON.parse(l) as { exchangeId: string; state: string; outcome: string; error: string });
  assert.deepEqual(first.map((l) => [l.exchangeId, l.state]), [['a', 'ended'], ['b', 'open']]);
  t.start(mk('c'));
  t.end('c', 3n, 0, 0, 'completed', '', '');
  t.end('b', 4n, 0, 0, 'completed', '', '');
  t.end('c', 3n, 0, 0, 'upstream_error', 'not durable', ''); // the amendment
  t.end('z', 5n, 0, 0, 'completed', '', ''); // started before a crash
  const second = t.takeSegment().trim().split('\n').map((l) => JSON.parse(l) as { exchangeId: string; state: string; outcome: string; error: string });
  assert.deepEqual(second.map((l) => [l.exchangeId, l.state, l.outcome]), [['c', 'ended', 'upstream_error'], ['b', 'ended', 'completed'], ['z', 'ended', 'completed']]);
  assert.equal(second[0]!.error, 'not durable');
  assert.equal(t.takeSegment(), '');
});
