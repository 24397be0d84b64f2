import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExchangeEnd, ExchangeHead, ResponseHead } from '../../../core/exchange.js';
import { sizeEnd, sizeResponse, sizeStart, writeEnd, writeResponse, writeStart } from '../../../storage/segment/head-encoder.js';
import { crc32c } from '@node-rs/crc32';
import { FrameBuilder } from '../../../storage/recorder/frame-builder.js';
import { decodeRecord, encodeEnd, encodeResponse, encodeStart, varintSize } from '../../../storage/segment/records.js';
import { head } from '../helpers.js';

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
