import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { crc32c } from '@node-rs/crc32';
import { FrameBuilder } from '../../../storage/recorder/frame-builder.js';
import { bodyRecordSize, decodeRecord, encodeBodyChunkPb, writeBodyRecord } from '../../../storage/segment/records.js';
import { repoRoot } from '../../support/cli.js';
import { tempDir } from '../helpers.js';

test('the hand-rolled BodyChunk encoder writes exactly the bytes protobufjs writes', () => {
  const id = '01JD0000000000000000000000';
  const idBytes = Buffer.from(id);
  const out = Buffer.alloc(200_000);
  for (const offset of [0, 1, 127, 128, 16_383, 16_384, 2 ** 31, 2 ** 32 + 7, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER]) {
    for (const len of [1, 127, 128, 300, 16_384, 70_000]) {
      for (const direction of [1, 2]) {
        const data = Buffer.alloc(len, (offset + len) & 0xff);
        const end = writeBodyRecord(out, 0, idBytes, direction, offset, data, 0, len);
        const ref = encodeBodyChunkPb(id, direction, offset, data);
        assert.equal(end, ref.length, `length for offset ${offset} len ${len}`);
        assert.ok(out.subarray(0, end).equals(ref), `bytes for offset ${offset} len ${len}`);
        assert.equal(bodyRecordSize(idBytes.length, offset, len), ref.length);
        const back = decodeRecord(out.subarray(0, end));
        assert.equal(back.type === 'body' && back.offset, offset);
      }
    }
  }
});

test('FrameBuilder splits a chunk larger than a frame into contiguous records with CRCs', () => {
  const frames: Array<{ buf: Buffer; length: number; records: number }> = [];
  const fb: FrameBuilder = new FrameBuilder(Buffer.allocUnsafeSlow(64 * 1024), () => {
    const f = fb.detach(Buffer.allocUnsafeSlow(64 * 1024));
    frames.push({ buf: f.buf, length: f.length, records: f.meta.records });
  });
  const data = Buffer.alloc(300_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
  fb.addBody('X1', Buffer.from('X1'), 2, 1000, data);
  const last = fb.detach(Buffer.alloc(0));
  frames.push({ buf: last.buf, length: last.length, records: last.meta.records });
  assert.ok(frames.length >= 5);
  let expect = 1000;
  const back: Buffer[] = [];
  for (const f of frames) {
    let p = 0;
    let n = 0;
    while (p < f.length) {
      let len = 0;
      let shift = 0;
      let b: number;
      do {
        b = f.buf[p++]!;
        len += (b & 0x7f) * 2 ** shift;
        shift += 7;
      } while (b & 0x80);
      const rec = f.buf.subarray(p, p + len);
      assert.equal(crc32c(rec), f.buf.readUInt32LE(p + len));
      const r = decodeRecord(rec);
      assert.ok(r.type === 'body');
      assert.equal(r.offset, expect);
      expect += r.data.length;
      back.push(Buffer.from(r.data));
      p += len + 4;
      n++;
    }
    assert.equal(n, f.records);
    assert.ok(f.length <= 64 * 1024);
  }
  assert.ok(Buffer.concat(back).equals(data));
});

test('storage/gen is what pbjs generates from storage/recording.proto (run `npm run proto` after editing it)', { timeout: 60_000 }, () => {
  const { dir, cleanup } = tempDir();
  try {
    const pbjs = path.join(repoRoot, 'node_modules/.bin/pbjs');
    const out = path.join(dir, 'recording.js');
    execFileSync(pbjs, ['-t', 'static-module', '-w', 'es6', '--no-create', '--no-verify', '--no-convert', '--no-delimited', '--no-typeurl', '-o', out, path.join(repoRoot, 'storage/recording.proto')], { timeout: 50_000 });
    assert.equal(readFileSync(out, 'utf8'), readFileSync(path.join(repoRoot, 'storage/gen/recording.js'), 'utf8'));
  } finally {
    cleanup();
  }
});
