import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExchangeEnd, ExchangeHead } from '../../../core/exchange.js';
import { FrameBuilder } from '../../../storage/recorder/frame-builder.js';
import { indexRecordBytes } from '../../../storage/segment/index-decoder.js';
import { emptyEntry, entryFromHead, indexLine, IndexTracker, putUint, type IndexEntry } from '../../../storage/segment/index-file.js';
import { decodeRecord, readVarint, varintEnd, type DecodedRecord } from '../../../storage/segment/records.js';
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

  const { fast, full } = indexBothWays(frame);
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

/**
 * The index as the writer built it before it wrote lines as bytes (one IndexEntry object per
 * exchange, JSON.stringify per line): the reference the byte-level tracker must match exactly.
 */
function referenceIndex(records: DecodedRecord[]): string[] {
  const open = new Map<string, IndexEntry>();
  const listed = new Map<string, IndexEntry>();
  for (const r of records) {
    if (r.type === 'start') {
      const e = entryFromHead(r);
      open.set(r.exchangeId, e);
      listed.set(r.exchangeId, e);
    } else if (r.type === 'response') {
      const e = open.get(r.exchangeId);
      if (e) e.status = r.status;
    } else if (r.type === 'end') {
      const e = open.get(r.exchangeId) ?? listed.get(r.exchangeId) ?? { ...emptyEntry(), exchangeId: r.exchangeId };
      open.delete(r.exchangeId);
      Object.assign(e, { completedNs: r.completedNs, requestBytes: r.requestBytes, responseBytes: r.responseBytes, outcome: r.outcome, error: r.error, state: 'ended' });
      if (r.decision?.action) e.decision = r.decision.action;
      listed.set(r.exchangeId, e);
    }
  }
  return [...listed.values()].map(indexLine).sort();
}

function lineSet(index: string): string[] {
  return index.split('\n').filter(Boolean).sort();
}

test('index lines written as bytes equal JSON.stringify of the entry, for awkward values too', () => {
  const heads: ExchangeHead[] = [
    head({ sessionId: 'quote " back \\ slash', resource: 'tab\there\nnewline \u0001 \u001f \u007f', operation: '' }),
    head({ identity: { subject: 'ünïcödé 😀', issuer: 'https://ï', groups: [] }, method: 'PÜT', connection: '' }),
    head({ receivedNs: 0n, clientAddress: '', identity: null, decision: null }),
    head({ receivedNs: 1n }),
    head({ receivedNs: 999_999_999n }),
    head({ receivedNs: 1_000_000_000n }),
    head({ receivedNs: 2n ** 63n - 1n }),
    head({ receivedNs: 4_294_967_296n * 1_000_000_000n + 7n }),
    head({ mode: 'off', decision: { action: 'review "x"' as unknown as 'review', rule: 'r' } }),
  ];
  const fb = new FrameBuilder(Buffer.allocUnsafeSlow(1 << 20), () => assert.fail('frame overflow'));
  heads.forEach((h, i) => {
    fb.addStart(h);
    if (i % 2 === 0) fb.addResponse(h.exchangeId, { status: 200 + i, headers: [], upstreamConnectedNs: 1n, firstByteNs: 2n });
    if (i !== 3) {
      fb.addEnd(h.exchangeId, {
        outcome: i % 3 === 0 ? 'completed' : 'timeout',
        error: i === 1 ? 'bad \u0000 "err" ✗\\' : '',
        completedNs: h.receivedNs + BigInt(i) * 1_000_123n,
        requestBytes: i * 1000,
        responseBytes: i === 5 ? 2 ** 53 - 1 : i,
        ...(i === 2 ? { decision: { action: 'deny', rule: 'late' } } : {}),
      });
    }
  });
  fb.addEnd('ORPHAN "id"', { outcome: 'denied', error: 'e', completedNs: 5n, requestBytes: 0, responseBytes: 0 });
  const frame = fb.detach(Buffer.alloc(0));
  const t = new IndexTracker();
  // the same records with every record in a frame of its own (starts and ends in different frames;
  // the frame's buffer is overwritten after each, as the recorder reuses its slots)
  const oneByOne = new IndexTracker();
  const records: DecodedRecord[] = [];
  eachRecord(frame.buf, frame.length, (p, len) => {
    indexRecordBytes(frame.buf, p, p + len, t);
    records.push(decodeRecord(frame.buf.subarray(p, p + len)));
    const own = Buffer.from(frame.buf.subarray(p, p + len));
    indexRecordBytes(own, 0, len, oneByOne);
    oneByOne.finishFrame();
    own.fill(0xee);
  });
  const got = lineSet(t.takeSegment());
  assert.equal(got.length, heads.length + 1);
  assert.deepEqual(got, referenceIndex(records));
  assert.deepEqual(lineSet(oneByOne.takeSegment()), got);
  for (const l of got) JSON.parse(l);
});

function eachRecord(buf: Buffer, length: number, fn: (start: number, len: number) => void): void {
  let p = 0;
  while (p < length) {
    const len = readVarint(buf, p);
    p = varintEnd;
    fn(p, len);
    p += len + 4;
  }
}

test('lines are written as exchanges end, open ones at the seal; after a discarded segment a second end record amends in place', () => {
  const t = new IndexTracker();
  const mk = (id: string): IndexEntry => ({ ...emptyEntry(), exchangeId: id, sessionId: `s-${id}`, receivedNs: 1n });
  type Line = { exchangeId: string; state: string; outcome: string; error: string; sessionId: string };
  const take = (): Line[] => t.takeSegment().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
  t.start(mk('a'));
  t.start(mk('b'));
  t.end('a', 2n, 1, 1, 'completed', '', '');
  assert.equal(t.segmentEntries, 2);
  assert.deepEqual(take().map((l) => [l.exchangeId, l.state]), [['a', 'ended'], ['b', 'open']]);
  t.start(mk('c'));
  t.end('c', 3n, 0, 0, 'completed', '', '');
  t.end('b', 4n, 0, 0, 'completed', '', '');
  t.end('z', 5n, 0, 0, 'completed', '', ''); // started before a crash
  assert.equal(t.segmentEntries, 3);
  const second = take();
  assert.deepEqual(second.map((l) => [l.exchangeId, l.state, l.outcome, l.sessionId]), [['c', 'ended', 'completed', 's-c'], ['b', 'ended', 'completed', 's-b'], ['z', 'ended', 'completed', '']]);
  // a disk failure: the segment is abandoned, the next one keeps its lines until the seal
  t.start(mk('d'));
  t.discardSegment();
  assert.equal(t.segmentEntries, 0);
  t.start(mk('e'));
  t.end('e', 6n, 0, 0, 'completed', '', '');
  t.end('d', 7n, 0, 0, 'completed', '', '');
  t.end('e', 8n, 0, 0, 'upstream_error', 'recording failed: disk', ''); // the amendment
  t.start(mk('f'));
  assert.equal(t.segmentEntries, 3);
  const third = take();
  assert.deepEqual(third.map((l) => [l.exchangeId, l.state, l.outcome, l.sessionId]), [['e', 'ended', 'upstream_error', 's-e'], ['d', 'ended', 'completed', 's-d'], ['f', 'open', '', 's-f']]);
  assert.equal(third[0]!.error, 'recording failed: disk');
  // and the segment after that writes lines as exchanges end again
  t.end('f', 9n, 0, 0, 'completed', '', '');
  assert.deepEqual(take().map((l) => [l.exchangeId, l.state, l.sessionId]), [['f', 'ended', 's-f']]);
  assert.equal(t.takeSegment(), '');
});

test('a tracker for crash recovery keeps every segment buffered: a second end record amends in place', () => {
  const t = new IndexTracker(true);
  t.start({ ...emptyEntry(), exchangeId: 'x', sessionId: 's-x', receivedNs: 1n });
  t.end('x', 2n, 0, 0, 'completed', '', '');
  t.end('x', 3n, 0, 0, 'upstream_error', 'recording failed: thread died', '');
  const lines = t.takeSegment().trim().split('\n').map((l) => JSON.parse(l) as { sessionId: string; outcome: string; completedNs: string });
  assert.deepEqual(lines.map((l) => [l.sessionId, l.outcome, l.completedNs]), [['s-x', 'upstream_error', '3']]);
});

test('a segment of many exchanges is written in several chunks, each a run of whole lines', () => {
  const t = new IndexTracker();
  const n = 5000;
  for (let i = 0; i < n; i++) {
    const id = `ex-${i}`;
    t.start({ ...emptyEntry(), exchangeId: id, resource: 'r'.repeat(300), receivedNs: 1_764_000_000_000_000_000n + BigInt(i) });
    t.end(id, 1_764_000_000_000_000_000n + BigInt(i) + 5n, i, i, 'completed', '', '');
  }
  const chunks: string[] = [];
  t.takeSegmentChunks((c) => chunks.push(Buffer.from(c).toString('utf8')));
  assert.ok(chunks.length > 1, `${chunks.length} chunks`);
  for (const c of chunks) assert.ok(c.endsWith('\n'));
  const lines = chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as { exchangeId: string; requestBytes: number; time: string });
  assert.equal(lines.length, n);
  assert.deepEqual([lines[0]!.exchangeId, lines[n - 1]!.exchangeId, lines[n - 1]!.requestBytes], ['ex-0', `ex-${n - 1}`, n - 1]);
  assert.equal(lines[0]!.time, new Date(1_764_000_000_000).toISOString());
});

test('numbers in index lines are written as JSON.stringify writes them', () => {
  const out = Buffer.alloc(64);
  const values = [0, 1, 9, 10, 99, 100, 101, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1, 2 ** 53, 1e21, 0.5, -3];
  for (let k = 1; k <= 1e15; k *= 10) values.push(k - 1, k, k + 1);
  for (let i = 0; i < 5000; i++) values.push(Math.floor(Math.random() * 2 ** (1 + (i % 52))));
  for (const n of values) assert.equal(out.toString('latin1', 0, putUint(out, 0, n)), JSON.stringify(n), String(n));
});

test('exchanges whose ids share a hash bucket are told apart by their id bytes (response and end records)', () => {
  // ex-306436 / ex-1003510 and ex-306437 / ex-1003511 collide in the tracker's 30-bit FNV-1a; 'ïd-ü' is not ASCII
  const ids = ['ex-306436', 'ex-1003510', 'ex-306437', 'ex-1003511', 'ïd-ü'];
  const fb = new FrameBuilder(Buffer.allocUnsafeSlow(1 << 20), () => assert.fail('frame overflow'));
  // all started before any response or end: the later id of each colliding pair is found first in its bucket
  ids.forEach((id, i) => fb.addStart(head({ exchangeId: id, resource: `r-${i}` })));
  ids.forEach((id, i) => fb.addResponse(id, { status: 200 + i, headers: [], upstreamConnectedNs: 1n, firstByteNs: 2n }));
  // the earlier id of each pair ends first; ex-1003511 stays open
  for (const [id, n] of [['ex-306436', 0], ['ïd-ü', 4], ['ex-1003510', 1], ['ex-306437', 2]] as const) {
    fb.addEnd(id, { outcome: 'completed', error: '', completedNs: 5n, requestBytes: n, responseBytes: 10 * n });
  }
  fb.addEnd('ex-306438', { outcome: 'timeout', error: '', completedNs: 6n, requestBytes: 0, responseBytes: 0 }); // never started here
  const frame = fb.detach(Buffer.alloc(0));
  const { fast, full } = indexBothWays(frame);
  fast.finishFrame();
  const text = fast.takeSegment();
  assert.equal(text, full.takeSegment());
  const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { exchangeId: string; status: number; resource: string; requestBytes: number; state: string });
  assert.deepEqual(
    lines.map((l) => [l.exchangeId, l.status, l.resource, l.requestBytes, l.state]),
    [
      ['ex-306436', 200, 'r-0', 0, 'ended'],
      ['ïd-ü', 204, 'r-4', 4, 'ended'],
      ['ex-1003510', 201, 'r-1', 1, 'ended'],
      ['ex-306437', 202, 'r-2', 2, 'ended'],
      ['ex-306438', 0, '', 0, 'ended'],
      ['ex-1003511', 203, 'r-3', 0, 'open'],
    ],
  );
});

/** Indexes a frame's records twice: from their bytes (the live path) and from decoded records (recovery's). */
function indexBothWays(frame: { buf: Buffer; length: number }): { fast: IndexTracker; full: IndexTracker } {
  const fast = new IndexTracker();
  const full = new IndexTracker();
  let p = 0;
  while (p < frame.length) {
    const len = readVarint(frame.buf, p);
    p = varintEnd;
    indexRecordBytes(frame.buf, p, p + len, fast);
    full.addRecord(decodeRecord(frame.buf.subarray(p, p + len)));
    p += len + 4;
  }
  return { fast, full };
}
