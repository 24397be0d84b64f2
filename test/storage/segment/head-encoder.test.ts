import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExchangeEnd, ExchangeHead, ResponseHead } from '../../../core/exchange.js';
import { sizeEnd, sizeResponse, sizeStart, writeEnd, writeResponse, writeStart } from '../../../storage/segment/head-encoder.js';
import { crc32c } from '@node-rs/crc32';
import { FrameBuilder } from '../../../storage/recorder/frame-builder.js';
import { decodeRecord, encodeEnd, encodeResponse, encodeStart, varintSize } from '../../../storage/segment/records.js';
import { head } from '../helpers.js';
import { responseHeaderList } from '../../../core/headers.js';

const out = Buffer.alloc(1 << 20);

function same(label: string, size: number, end: number, ref: Uint8Array): void {
  assert.equal(size, ref.length, `${label}: size`);
  assert.equal(end, ref.length, `${label}: written`);
  assert.ok(out.subarray(0, end).equals(ref), `${label}: bytes differ from protobufjs`);
}

const heads: Array<[string, ExchangeHead]> = [
  ['typical', head()],
  ['anonymous, undecided, unclassified', head({ identity: null, decision: null, operation: '', resource: '', sessionId: '', connection: '-' })],
  ['unicode and empties', head({ target: '/b/ünï/o/😀?q=é', requestHeaders: [['x-a', ''], ['x-ü', 'wert ✓'], ['', '']], identity: { subject: 'sübject', issuer: '', groups: ['', 'g', 'gröup'] } })],
  ['no headers, no groups, metadata mode', head({ requestHeaders: [], identity: { subject: 's', issuer: 'i', groups: [] }, mode: 'metadata' })],
  ['full decision', head({ decision: { action: 'review', rule: 'r', reviewId: 'rv', reviewedBy: 'alice', reviewedAtMs: 1764000000123, reviewReason: 'ok', reason: 'why' } })],
  ['zero and huge times', head({ receivedNs: 0n })],
  ['negative time', head({ receivedNs: -5n })],
  ['long values', head({ target: '/x'.repeat(5000), requestHeaders: [['cookie', 'c'.repeat(70_000)]] })],
];

test('ExchangeStart: the in-place encoder writes exactly what protobufjs writes', () => {
  for (const [label, h] of heads) {
    const size = sizeStart(h);
    same(label, size, writeStart(out, 0, h), encodeStart(h));
    const back = decodeRecord(out.subarray(0, size));
    assert.equal(back.type === 'start' && back.receivedNs, h.receivedNs);
  }
});

test('FrameBuilder (optimistic ASCII sizing, CRCs left to the writer): records and CRCs as protobufjs and the reader expect', () => {
  const responses: ResponseHead[] = [
    { status: 200, headers: [['content-type', 'application/json'], ['x-long', 'v'.repeat(200)]], upstreamConnectedNs: 5n, firstByteNs: 6n },
    { status: 599, headers: [['ü', '✓'], ['x-b', 'é'.repeat(100)]], upstreamConnectedNs: 2n ** 62n, firstByteNs: 127n },
  ];
  const ends: ExchangeEnd[] = [
    { outcome: 'completed', error: '', completedNs: 7n, requestBytes: 0, responseBytes: 1 },
    { outcome: 'upstream_error', error: 'réset ✗', completedNs: 8n, requestBytes: 1, responseBytes: 2 },
  ];
  for (const crcOnWriter of [false, true]) {
    const fb = new FrameBuilder(Buffer.alloc(1 << 20), () => assert.fail('frame overflow'), crcOnWriter);
    const expected: Uint8Array[] = [];
    for (const [, h] of heads) {
      fb.addStart(h);
      expected.push(encodeStart(h));
    }
    for (const r of responses) {
      fb.addResponse('EX1', r);
      expected.push(encodeResponse('EX1', r));
    }
    for (const e of ends) {
      fb.addEnd('EX2', e);
      expected.push(encodeEnd('EX2', e));
    }
    const { buf, length } = fb.detach(Buffer.alloc(0));
    let p = 0;
    for (const [i, ref] of expected.entries()) {
      p += varintSize(ref.length);
      assert.ok(buf.subarray(p, p + ref.length).equals(ref), `record ${i} (crcOnWriter ${crcOnWriter}): bytes differ from protobufjs`);
      const crcOk = buf.readUInt32LE(p + ref.length) === crc32c(Buffer.from(ref));
      // with crcOnWriter, records under WRITER_CRC_MAX get theirs in SegmentWriter.writeFrame (the recovery
      // and roundtrip tests read such frames back through the CRC-checking scanner)
      if (!crcOnWriter || ref.length >= 16 * 1024) assert.ok(crcOk, `record ${i}: CRC32C`);
      p += ref.length + 4;
    }
    assert.equal(p, length);
  }
});

test('ResponseStart: the in-place encoder writes exactly what protobufjs writes', () => {
  const cases: ResponseHead[] = [
    { status: 200, headers: [['content-type', 'application/json'], ['x-goog-hash', 'crc32c=abc']], upstreamConnectedNs: 1764000000000000001n, firstByteNs: 1764000000000000999n },
    { status: 0, headers: [], upstreamConnectedNs: 0n, firstByteNs: 0n },
    { status: 599, headers: [['ü', '✓']], upstreamConnectedNs: 2n ** 62n, firstByteNs: 127n },
  ];
  for (const r of cases) {
    const size = sizeResponse('EX1', r);
    same(`status ${r.status}`, size, writeResponse(out, 0, 'EX1', r), encodeResponse('EX1', r));
  }
});

test('ExchangeEnd: the in-place encoder writes exactly what protobufjs writes', () => {
  const cases: ExchangeEnd[] = [
    { outcome: 'completed', error: '', completedNs: 1764000000000000001n, requestBytes: 0, responseBytes: 1024 },
    { outcome: 'rejected_unrecordable', error: 'disk full — ENOSPC', completedNs: 1n, requestBytes: 2 ** 40 + 3, responseBytes: Number.MAX_SAFE_INTEGER },
    { outcome: 'denied', error: 'policy', completedNs: 0n, requestBytes: 5, responseBytes: 0, decision: { action: 'deny', rule: 'r', reviewedBy: 'bob', reviewedAtMs: 1, reason: 'no' } },
  ];
  for (const e of cases) {
    const size = sizeEnd('EX2', e);
    same(e.outcome, size, writeEnd(out, 0, 'EX2', e), encodeEnd('EX2', e));
  }
});

test('ResponseStart from raw header bytes (ResponseHead.rawHeaders): the same bytes as from the lower-cased Latin-1 strings', () => {
  const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
  const raws: Array<Array<Uint8Array | string>> = [
    [latin1('Content-Type'), latin1('application/json; charset=UTF-8'), latin1('Date'), latin1('Wed, 25 Nov 2026 21:40:00 GMT'), latin1('uWebSockets'), latin1('20')],
    [latin1('X-EMPTY'), latin1(''), latin1('Set-Cookie'), '[redacted sha256:0123456789abcdef]', latin1('x-Long'), latin1('v'.repeat(300)), latin1('X-Long-Caps'), latin1('AbC'.repeat(100))],
    // bytes ≥ 0x80 are Latin-1 characters (two UTF-8 bytes), upper-case Latin-1 letters lower-case like String#toLowerCase
    [latin1('X-ÀÉ×Þß'), latin1('café ÿ'), latin1('X-Big-Latin1'), latin1('é'.repeat(300)), latin1('X-Name-Str'), 'plain'],
    [new Uint8Array(latin1('X-Plain-Uint8Array')), new Uint8Array(latin1('Väl')), 'X-String-Name', 'v'],
    [],
  ];
  for (const [i, raw] of raws.entries()) {
    const headers = responseHeaderList(raw);
    const r: ResponseHead = { status: 201, headers, rawHeaders: raw, upstreamConnectedNs: 5n, firstByteNs: 6n };
    const ref = encodeResponse('EX1', { status: 201, headers, upstreamConnectedNs: 5n, firstByteNs: 6n });
    const fb = new FrameBuilder(Buffer.alloc(1 << 16), () => assert.fail('frame overflow'), true);
    fb.addResponse('EX1', r);
    const { buf } = fb.detach(Buffer.alloc(0));
    const p = varintSize(ref.length);
    assert.ok(buf.subarray(p, p + ref.length).equals(ref), `raw ${i}: bytes differ`);
  }
});

test('ExchangeStart: remembered session/identity fields and header lists give the same bytes on hits, misses and after non-ASCII', () => {
  const base = head();
  const groups = ['g1', 'g2'];
  const seq: Array<[string, ExchangeHead]> = [
    ['first', head({ identity: { subject: 'agent-1', issuer: 'https://issuer.test', groups } })],
    ['same prefix and headers, new id and time (hit)', head({ identity: { subject: 'agent-1', issuer: 'https://issuer.test', groups: [...groups] } })],
    ['equal values in fresh strings (hit)', head({ sessionId: Buffer.from('s-test').toString('latin1'), requestHeaders: base.requestHeaders.map(([n, v]) => [Buffer.from(n).toString('latin1'), `${v}`]) })],
    ['one header value differs', head({ requestHeaders: [['host', 'storage.googleapis.com'], ['user-agent', 'test2']] })],
    ['one header more', head({ requestHeaders: [['host', 'storage.googleapis.com'], ['user-agent', 'test2'], ['x', '']] })],
    ['groups differ', head({ identity: { subject: 'agent-1', issuer: 'https://issuer.test', groups: ['g1', 'g3'] } })],
    ['one group fewer', head({ identity: { subject: 'agent-1', issuer: 'https://issuer.test', groups: ['g1'] } })],
    ['no identity', head({ identity: null })],
    ['no identity again', head({ identity: null })],
    // each remembered field differing alone, right after the remembered head
    ...(['sessionId', 'connection', 'mode', 'clientAddress', 'operation', 'subject', 'issuer'] as const).flatMap((field): Array<[string, ExchangeHead]> => {
      const h = head();
      if (field === 'subject' || field === 'issuer') h.identity = { ...h.identity!, [field]: 'other' };
      else if (field === 'mode') h.mode = 'metadata';
      else h[field] = 'other';
      return [
        [`before ${field}`, head()],
        [`${field} differs`, h],
      ];
    }),
    ['non-ASCII in the remembered fields', head({ sessionId: 'sé', requestHeaders: [['x-ü', 'wert ✓']] })],
    ['non-ASCII again (hit)', head({ sessionId: 'sé', requestHeaders: [['x-ü', 'wert ✓']] })],
    ['non-ASCII only after them (rewrite)', head({ target: '/ü' })],
    ['huge header list (not remembered)', head({ requestHeaders: [['cookie', 'c'.repeat(70_000)]] })],
    ['huge again', head({ requestHeaders: [['cookie', 'c'.repeat(70_000)]] })],
    ['empty list', head({ requestHeaders: [] })],
    ['back to the first', head({ identity: { subject: 'agent-1', issuer: 'https://issuer.test', groups } })],
    // sessions interleaving (remembered per session), and one session's values changing under it
    ['session A', head({ sessionId: 'sA', requestHeaders: [['authorization', 'marker-a']] })],
    ['session B', head({ sessionId: 'sB', clientAddress: '10.0.0.2', requestHeaders: [['authorization', 'marker-b']] })],
    ['session A again (hit)', head({ sessionId: 'sA', requestHeaders: [['authorization', 'marker-a']] })],
    ['session B again (hit)', head({ sessionId: 'sB', clientAddress: '10.0.0.2', requestHeaders: [['authorization', 'marker-b']] })],
    ["session A with B's headers and address", head({ sessionId: 'sA', clientAddress: '10.0.0.2', requestHeaders: [['authorization', 'marker-b']] })],
    // more sessions than are remembered, then the first ones again
    ...Array.from({ length: 300 }, (_, i): [string, ExchangeHead] => [`session ${i}`, head({ sessionId: `s${i}`, operation: `op${i % 3}` })]),
    ['session A after the burst', head({ sessionId: 'sA', requestHeaders: [['authorization', 'marker-a']] })],
    ['session 69 again', head({ sessionId: 's69', operation: 'op0' })],
  ];
  for (const exact of [true, false]) {
    const fb = new FrameBuilder(Buffer.alloc(1 << 20), () => assert.fail('frame overflow'), true);
    for (const [label, h] of seq) {
      const ref = encodeStart(h);
      if (exact) {
        const size = sizeStart(h);
        same(label, size, writeStart(out, 0, h), ref);
        continue;
      }
      const at = fb.pos;
      fb.addStart(h);
      const p = at + varintSize(ref.length);
      assert.ok(fb.buf.subarray(p, p + ref.length).equals(ref), `${label} (optimistic): bytes differ from protobufjs`);
      assert.equal(fb.pos, p + ref.length + 4, `${label}: record length`);
    }
  }
});

test('one-pass response and end records (FrameBuilder): lengths near one/two-byte varint boundaries and frame cuts give protobufjs bytes', () => {
  const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
  const raws: Array<Array<Uint8Array | string>> = [];
  // entries and whole records around 127/128 bytes, ASCII and Latin-1 (2 UTF-8 bytes), byte and string values
  for (const n of [1, 40, 42, 43, 55, 56, 60, 62, 63, 64, 65, 100, 126, 127, 128, 200]) {
    raws.push([latin1('X-A'), latin1('v'.repeat(n))]);
    raws.push([latin1('X-É'), latin1('é'.repeat(n))]);
    raws.push([latin1('X-Ñame'.repeat(1 + (n >> 4))), latin1('w'.repeat(n))]);
    raws.push([latin1('Set-Cookie'), `[redacted ${'s'.repeat(n)}]`, 'X-Str-Ü', 'ü'.repeat(n)]);
  }
  const ends: ExchangeEnd[] = [];
  for (const n of [0, 1, 42, 43, 80, 81, 120, 200]) {
    ends.push({ outcome: 'completed', error: 'e'.repeat(n), completedNs: 1764000000000000001n, requestBytes: n, responseBytes: 2 ** 40 });
    ends.push({ outcome: 'timeout', error: 'é✓'.repeat(n), completedNs: -1n, requestBytes: 0, responseBytes: 0 });
  }
  // a small frame buffer: records also land right before a cut and in the next frame
  let frames: Array<{ buf: Buffer; length: number }> = [];
  const fb: FrameBuilder = new FrameBuilder(Buffer.alloc(4096), () => frames.push(fb.detach(Buffer.alloc(4096))), true);
  const expected: Uint8Array[] = [];
  for (const [i, raw] of raws.entries()) {
    const id = i % 2 === 0 ? '01KAZ0000000000000000000AB' : 'EX';
    const headers = responseHeaderList(raw);
    fb.addResponse(id, { status: 200 + i, headers, rawHeaders: raw, upstreamConnectedNs: BigInt(i), firstByteNs: 6n });
    expected.push(encodeResponse(id, { status: 200 + i, headers, upstreamConnectedNs: BigInt(i), firstByteNs: 6n }));
  }
  for (const e of ends) {
    fb.addEnd('01KAZ0000000000000000000AB', e);
    expected.push(encodeEnd('01KAZ0000000000000000000AB', e));
  }
  frames.push(fb.detach(Buffer.alloc(0)));
  assert.ok(frames.length > 3, 'the records were spread over several frames');
  let r = 0;
  for (const f of frames) {
    let p = 0;
    while (p < f.length) {
      const ref = expected[r]!;
      p += varintSize(ref.length);
      assert.ok(f.buf.subarray(p, p + ref.length).equals(ref), `record ${r}: bytes differ from protobufjs`);
      p += ref.length + 4;
      r++;
    }
    assert.equal(p, f.length);
  }
  assert.equal(r, expected.length);
  frames = [];
});
