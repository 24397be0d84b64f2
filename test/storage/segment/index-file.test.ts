import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { decompress } from 'zstd-napi';
import { zstd as zstdBinding } from '../../../storage/segment/zstd.js';
import { IndexTracker, INDEX_PART_SUFFIX, emptyEntry } from '../../../storage/segment/index-file.js';
import { SegmentWriter, segmentDirs } from '../../../storage/segment/writer.js';
import { hashFile } from '../../../storage/store/hash.js';
import type { SealedSegment } from '../../../storage/types.js';
import { readIndex, readIndexLines, tempDir, writeSampleFrames, writerOptions } from '../helpers.js';

/** Enough exchanges for several 1 MiB chunks of lines (≈ 700 bytes each). */
function addExchanges(t: IndexTracker, n: number, from = 0): string[] {
  const ids: string[] = [];
  for (let i = from; i < from + n; i++) {
    const id = `ex-${i}`;
    ids.push(id);
    t.start({ ...emptyEntry(), exchangeId: id, sessionId: 's', resource: 'r'.repeat(400), receivedNs: 1_764_000_000_000_000_000n + BigInt(i) });
    t.end(id, 1_764_000_000_000_000_100n + BigInt(i), i, i, 'completed', '', '');
  }
  return ids;
}

test('a spilled index is written to its part file as chunks fill, completed and renamed at the seal, digests as on disk', async () => {
  const { dir, cleanup } = tempDir('tg-index-spill-');
  try {
    const part = path.join(dir, `1${INDEX_PART_SUFFIX}`);
    const t = new IndexTracker();
    t.spillInto(part);
    const ids = addExchanges(t, 4000);
    assert.ok(existsSync(part), 'full chunks reach the part file before the seal');
    // whole chunks of whole lines, as zstd frames
    const spilled = await readIndex<{ exchangeId: string }>(part);
    assert.ok(spilled.length >= 1400, `a 1 MiB chunk of lines at least (${spilled.length})`);
    assert.deepEqual(spilled.map((l) => l.exchangeId), ids.slice(0, spilled.length));
    assert.ok(statSync(part).size < 64 * 1024, `compressed (${statSync(part).size} bytes)`);
    t.start({ ...emptyEntry(), exchangeId: 'still-open', receivedNs: 5n });
    const target = path.join(dir, 'seg.index.jsonl.zst');
    const digests = t.writeFile(target);
    assert.equal(existsSync(part), false, 'the part file became the index');
    assert.deepEqual(digests, await hashFile(target));
    const lines = await readIndex<{ exchangeId: string; state: string }>(target);
    assert.deepEqual(lines.map((l) => l.exchangeId), [...ids, 'still-open']);
    assert.equal(lines.at(-1)!.state, 'open');
    // the next segment (not spilled) is written in one go
    addExchanges(t, 3, 5000);
    const next = path.join(dir, 'next.index.jsonl.zst');
    assert.deepEqual(t.writeFile(next), await hashFile(next));
    // three ended; the one still open was listed where it started, not again
    assert.equal((await readIndexLines(next)).length, 3);
  } finally {
    cleanup();
  }
});

test('a spill file that cannot be written keeps the lines in memory; the seal writes them all', async () => {
  const { dir, cleanup } = tempDir('tg-index-spill-fail-');
  try {
    const sub = path.join(dir, 'not-yet');
    const part = path.join(sub, `2${INDEX_PART_SUFFIX}`);
    const t = new IndexTracker();
    t.spillInto(part); // its directory does not exist: every spill write fails
    const ids = addExchanges(t, 4000);
    assert.equal(existsSync(part), false);
    mkdirSync(sub); // the disk "works again" before the seal
    const target = path.join(dir, 'seg.index.jsonl.zst');
    const digests = t.writeFile(target);
    assert.deepEqual(digests, await hashFile(target));
    assert.deepEqual((await readIndex<{ exchangeId: string }>(target)).map((l) => l.exchangeId), ids);
  } finally {
    cleanup();
  }
});

test('the writer spills the index of its open segment; an abandoned segment\'s part and a dead writer\'s are deleted', async () => {
  const { dir, cleanup } = tempDir('tg-index-writer-');
  try {
    const { open } = segmentDirs(dir);
    const sealed: SealedSegment[] = [];
    const opts = writerOptions(dir, 'spill');
    const w = new SegmentWriter({ ...opts, onSealed: (s) => sealed.push(s) });
    // ≈ 2 MiB of index lines: the part file exists while the segment is open
    const ids = writeSampleFrames(w, 20, 150, 16);
    const parts = () => readdirSync(open).filter((n) => n.endsWith(INDEX_PART_SUFFIX));
    assert.equal(parts().length, 1);
    w.seal();
    assert.deepEqual(parts(), []);
    assert.deepEqual(sealed[0]!.indexStoreDigests, await hashFile(sealed[0]!.indexPath));
    assert.ok(sealed[0]!.indexPath.endsWith('.index.jsonl.zst'));
    const lines = await readIndex<{ exchangeId: string; sessionId: string }>(sealed[0]!.indexPath);
    assert.deepEqual(lines.map((l) => l.exchangeId), ids);
    assert.equal(lines[0]!.sessionId, 's-test');

    writeSampleFrames(w, 20, 150, 16);
    assert.equal(parts().length, 1);
    w.abandon(); // an I/O error: recovery rebuilds the index from the segment
    assert.deepEqual(parts(), []);
    // a writer that died leaves its part file: the next one's recovery removes it
    writeFileSync(path.join(open, `000000000099${INDEX_PART_SUFFIX}`), '{"partial":');
    const w2 = new SegmentWriter(opts);
    const recovered = w2.recoverLeftovers();
    assert.equal(recovered.length, 1);
    assert.deepEqual(parts(), []);
    assert.equal((await readIndexLines(recovered[0]!.indexPath)).length, 20 * 150);
  } finally {
    cleanup();
  }
});

test('an index that cannot be written at the seal leaves nothing behind for the next segment', async () => {
  const { dir, cleanup } = tempDir('tg-index-seal-fail-');
  try {
    const t = new IndexTracker();
    t.spillInto(path.join(dir, 'gone', `3${INDEX_PART_SUFFIX}`));
    addExchanges(t, 10);
    assert.throws(() => t.writeFile(path.join(dir, 'gone', 'seg.index.jsonl.zst')), { code: 'ENOENT' });
    assert.equal(t.segmentEntries, 0);
    addExchanges(t, 2, 100);
    const next = path.join(dir, 'next.index.jsonl.zst');
    t.writeFile(next);
    assert.deepEqual((await readIndex<{ exchangeId: string }>(next)).map((l) => l.exchangeId), ['ex-100', 'ex-101']);
  } finally {
    cleanup();
  }
});

/** The zstd frames of a file: each one's decompressed bytes and whether it carries a content checksum. */
function zstdFrames(file: string): Array<{ text: string; checksum: boolean }> {
  const frames: Array<{ text: string; checksum: boolean }> = [];
  let rest = readFileSync(file);
  while (rest.length > 0) {
    const n = zstdBinding.findFrameCompressedSize(rest);
    const frame = rest.subarray(0, n);
    assert.equal(frame.readUInt32LE(0), zstdBinding.MAGICNUMBER);
    frames.push({ text: decompress(frame).toString('utf8'), checksum: (frame[4]! & 0x04) !== 0 });
    rest = rest.subarray(n);
  }
  return frames;
}

test('the index file is zstd frames, one per 1 MiB chunk of lines, that decompress to exactly the JSON lines', async () => {
  const { dir, cleanup } = tempDir('tg-index-zstd-');
  try {
    for (const spilled of [true, false]) {
      const t = new IndexTracker();
      const reference = new IndexTracker();
      if (spilled) t.spillInto(path.join(dir, `4${INDEX_PART_SUFFIX}`));
      addExchanges(t, 4000);
      addExchanges(reference, 4000);
      for (const x of [t, reference]) x.start({ ...emptyEntry(), exchangeId: 'open "é" \u2028', receivedNs: 7n });
      const file = path.join(dir, `seg-${spilled}.index.jsonl.zst`);
      t.writeFile(file);
      const text = reference.takeSegment();
      const frames = zstdFrames(file);
      assert.ok(frames.length >= 2, `several frames (${frames.length})`);
      assert.ok(frames.every((f) => f.checksum), 'each frame carries zstd\'s content checksum');
      assert.ok(frames.slice(0, -1).every((f) => f.text.endsWith('\n') && Buffer.byteLength(f.text) > (1 << 20) - 4096), 'whole 1 MiB chunks of whole lines');
      assert.equal(frames.map((f) => f.text).join(''), text, 'the frames hold exactly the JSON lines');
      assert.equal(decompress(readFileSync(file)).toString('utf8'), text, 'and decompress as one stream');
      assert.deepEqual(await readIndexLines(file), text.split('\n').slice(0, -1), 'indexLines gives each line');
      assert.ok(statSync(file).size * 20 < Buffer.byteLength(text), `compressed ${Buffer.byteLength(text)} → ${statSync(file).size}`);
    }
    // an index without lines is still a valid zstd stream (one empty frame)
    const empty = path.join(dir, 'empty.index.jsonl.zst');
    const digests = new IndexTracker().writeFile(empty);
    assert.ok(digests.size > 0);
    assert.deepEqual(zstdFrames(empty), [{ text: '', checksum: true }]);
    assert.deepEqual(await readIndexLines(empty), []);
  } finally {
    cleanup();
  }
});
