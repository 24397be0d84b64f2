import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { nowNs } from '../../../core/clock.js';
import { SegmentReader, verifyChain, verifySegment, type ReadOptions } from '../../../storage/reader/reader.js';
import type { Damage } from '../../../storage/reader/scanner.js';
import { createRecorder } from '../../../storage/recorder/recorder.js';
import { FOOTER_BYTES, FRAME_ENVELOPE_BYTES, SIGNATURE_BYTES, headerLength, readFrameEnvelope } from '../../../storage/segment/format.js';
import { durable, head, recordingConfig, sealedSegments, tempDir } from '../helpers.js';

let work: { dir: string; cleanup: () => void };
let originals: string[] = [];

/** File offsets of every frame of a segment. */
function frameOffsets(file: string): number[] {
  const buf = readFileSync(file);
  const offs: number[] = [];
  let p = headerLength(buf) as number;
  for (;;) {
    const env = readFrameEnvelope(buf, p);
    if (typeof env === 'string') return offs;
    offs.push(p);
    p += FRAME_ENVELOPE_BYTES + env.compressedLength;
  }
}

function copyOf(file: string, name: string): string {
  const dest = path.join(work.dir, 'copies', name);
  copyFileSync(file, dest);
  return dest;
}

function flipBit(file: string, offset: number, bit = 0): void {
  const buf = readFileSync(file);
  buf[offset]! ^= 1 << bit;
  writeFileSync(file, buf);
}

async function bodyRecords(file: string, options?: ReadOptions): Promise<number> {
  let n = 0;
  for await (const e of new SegmentReader(file, options).events()) if (e.type === 'record' && e.record.type === 'body') n++;
  return n;
}

const pick = (d: Damage[]) => d.map((x) => ({ reason: x.reason, offset: x.offset, segment: path.basename(x.segment) }));

before(async () => {
  work = tempDir('tg-damage-');
  const dataDir = path.join(work.dir, 'data');
  // small frames and segments: several frames per segment, several segments
  const rec = await createRecorder({ recording: recordingConfig({ frameBytes: 64 * 1024, segmentMaxBytes: 200 * 1024 }), instanceId: 'dmg', dataDir });
  const body = Buffer.alloc(40 * 1024);
  for (let i = 0; i < 14; i++) {
    for (let j = 0; j < body.length; j += 4) body.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, j);
    const r = rec.begin(head())!;
    r.responseHead({ status: 200, headers: [], upstreamConnectedNs: nowNs(), firstByteNs: nowNs() });
    r.responseBody(body);
    r.responseBody(body);
    assert.equal(await durable(r, { outcome: 'completed', error: '', completedNs: nowNs(), requestBytes: 0, responseBytes: 2 * body.length }), null);
  }
  await rec.close();
  originals = sealedSegments(dataDir);
  assert.ok(originals.length >= 3, `need 3+ segments, got ${originals.length}`);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(path.join(work.dir, 'copies'));
  // the public key travels with the segments
  for (const n of (await import('node:fs')).readdirSync(path.join(dataDir, 'spool'))) {
    if (n.endsWith('.pub.pem')) copyFileSync(path.join(dataDir, 'spool', n), path.join(work.dir, 'copies', n));
  }
});

after(() => work.cleanup());

test('intact segments verify, one by one and as a chain', async () => {
  const r = await verifyChain(originals);
  assert.deepEqual(r.damage, []);
  assert.ok(frameOffsets(originals[0]!).length >= 3);
});

test('a bit flip inside a compressed frame is reported at that frame, and reading resumes at the next frame', async () => {
  const f = copyOf(originals[0]!, 'flip-payload.tgseg');
  const frames = frameOffsets(f);
  const before = await bodyRecords(f);
  flipBit(f, frames[1]! + FRAME_ENVELOPE_BYTES + 100, 3);
  const r = await verifySegment(f);
  assert.deepEqual(pick(r.damage), [
    { reason: 'frame_crc_mismatch', offset: frames[1]!, segment: 'flip-payload.tgseg' },
    { reason: 'digest_mismatch', offset: r.damage[1]!.offset, segment: 'flip-payload.tgseg' },
  ]);
  assert.equal(r.frames, frames.length, 'every frame was visited');
  const afterFlip = await bodyRecords(f);
  assert.ok(afterFlip > 0 && afterFlip < before, `records of the other frames survive (${afterFlip}/${before})`);
});

test('a bit flip in a frame envelope is reported at that offset and the reader resynchronises', async () => {
  const f = copyOf(originals[0]!, 'flip-envelope.tgseg');
  const frames = frameOffsets(f);
  flipBit(f, frames[2]! + 5);
  const r = await verifySegment(f);
  assert.equal(r.damage[0]!.reason, 'frame_envelope_invalid');
  assert.equal(r.damage[0]!.offset, frames[2]);
  assert.equal(r.frames, frames.length - 1, 'all frames but the damaged one are read');
  assert.ok(r.damage.some((d) => d.reason === 'digest_mismatch'));
});

test('a bit flip in the header is reported at offset 0 and the frames are still read', async () => {
  const f = copyOf(originals[1]!, 'flip-header.tgseg');
  flipBit(f, 20);
  const r = await verifySegment(f);
  assert.equal(r.damage[0]!.reason, 'header_invalid');
  assert.equal(r.damage[0]!.offset, 0);
  assert.equal(r.frames, frameOffsets(originals[1]!).length);
});

test('truncation mid-frame: trailer missing and the torn frame reported where it starts', async () => {
  const f = copyOf(originals[0]!, 'truncated.tgseg');
  const frames = frameOffsets(f);
  const cut = frames[2]! + 300;
  truncateSync(f, cut);
  const r = await verifySegment(f);
  assert.deepEqual(pick(r.damage), [
    { reason: 'trailer_missing', offset: cut, segment: 'truncated.tgseg' },
    { reason: 'frame_truncated', offset: frames[2]!, segment: 'truncated.tgseg' },
  ]);
  assert.equal(r.frames, 2);
});

test('a removed segment breaks the chain at the segment after the hole', async () => {
  const r = await verifyChain([originals[0]!, originals[2]!]);
  const seg = path.basename(originals[2]!);
  assert.deepEqual(pick(r.damage), [
    { reason: 'chain_seq_gap', offset: 14, segment: seg },
    { reason: 'chain_broken', offset: 14, segment: seg },
  ]);
  assert.equal(r.ok, false);
});

test('reordered segments are detected', async () => {
  const r = await verifyChain([originals[1]!, originals[0]!, originals[2]!]);
  assert.deepEqual(
    pick(r.damage).map((d) => [d.reason, d.segment]),
    [
      ['chain_order', path.basename(originals[0]!)],
      ['chain_broken', path.basename(originals[0]!)],
      ['chain_seq_gap', path.basename(originals[2]!)],
      ['chain_broken', path.basename(originals[2]!)],
    ],
  );
});

test('a wrong signature is detected: flipped signature bytes, an edited trailer, another key', async () => {
  const size = statSync(originals[0]!).size;
  const sigOffset = size - FOOTER_BYTES - SIGNATURE_BYTES;
  const f = copyOf(originals[0]!, 'bad-sig.tgseg');
  flipBit(f, sigOffset + 10);
  assert.deepEqual(pick((await verifySegment(f)).damage), [{ reason: 'signature_invalid', offset: sigOffset, segment: 'bad-sig.tgseg' }]);

  // editing the trailer (e.g. the record count) is caught by the signature, which covers it
  const g = copyOf(originals[0]!, 'edited-trailer.tgseg');
  const buf = readFileSync(g);
  const bodyStart = size - FOOTER_BYTES - SIGNATURE_BYTES - buf.readUInt32LE(size - FOOTER_BYTES);
  flipBit(g, bodyStart + 1);
  const reasons = (await verifySegment(g)).damage.map((d) => d.reason);
  assert.ok(reasons.includes('signature_invalid'), reasons.join());

  // a key the auditor trusts that did not sign it
  const other = generateKeyPairSync('ed25519').publicKey;
  const keyId = (await verifySegment(originals[0]!)).header!.keyId;
  const r = await verifySegment(originals[0]!, { keys: new Map([[keyId, other]]) });
  assert.deepEqual(pick(r.damage), [{ reason: 'signature_invalid', offset: sigOffset, segment: path.basename(originals[0]!) }]);
  const unknown = await verifySegment(originals[0]!, { keys: new Map() });
  assert.deepEqual(unknown.damage.map((d) => d.reason), ['unknown_signing_key']);
});
