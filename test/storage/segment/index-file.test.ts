import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { IndexTracker, INDEX_PART_SUFFIX, emptyEntry } from '../../../storage/segment/index-file.js';
import { SegmentWriter, segmentDirs } from '../../../storage/segment/writer.js';
import { hashFile } from '../../../storage/store/hash.js';
import type { SealedSegment } from '../../../storage/types.js';
import { tempDir, writeSampleFrames, writerOptions } from '../helpers.js';

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
    const spilled = readFileSync(part, 'utf8');
    assert.ok(spilled.length >= 1 << 20 && spilled.endsWith('\n'), 'whole chunks of whole lines');
    t.start({ ...emptyEntry(), exchangeId: 'still-open', receivedNs: 5n });
    const target = path.join(dir, 'seg.index.jsonl');
    const digests = t.writeFile(target);
    assert.equal(existsSync(part), false, 'the part file became the index');
    assert.deepEqual(digests, await hashFile(target));
    const lines = readFileSync(target, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { exchangeId: string; state: string });
    assert.deepEqual(lines.map((l) => l.exchangeId), [...ids, 'still-open']);
    assert.equal(lines.at(-1)!.state, 'open');
    // the next segment (not spilled) is written in one go
    addExchanges(t, 3, 5000);
    const next = path.join(dir, 'next.index.jsonl');
    assert.deepEqual(t.writeFile(next), await hashFile(next));
    // three ended; the one still open was listed where it started, not again
    assert.equal(readFileSync(next, 'utf8').trim().split('\n').length, 3);
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
    const target = path.join(dir, 'seg.index.jsonl');
    const digests = t.writeFile(target);
    assert.deepEqual(digests, await hashFile(target));
    assert.deepEqual(readFileSync(target, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { exchangeId: string }).exchangeId), ids);
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
    const lines = readFileSync(sealed[0]!.indexPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { exchangeId: string; sessionId: string });
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
    assert.equal(readFileSync(recovered[0]!.indexPath, 'utf8').trim().split('\n').length, 20 * 150);
  } finally {
    cleanup();
  }
});

test('an index that cannot be written at the seal leaves nothing behind for the next segment', () => {
  const { dir, cleanup } = tempDir('tg-index-seal-fail-');
  try {
    const t = new IndexTracker();
    t.spillInto(path.join(dir, 'gone', `3${INDEX_PART_SUFFIX}`));
    addExchanges(t, 10);
    assert.throws(() => t.writeFile(path.join(dir, 'gone', 'seg.index.jsonl')), { code: 'ENOENT' });
    assert.equal(t.segmentEntries, 0);
    addExchanges(t, 2, 100);
    const next = path.join(dir, 'next.index.jsonl');
    t.writeFile(next);
    assert.deepEqual(readFileSync(next, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { exchangeId: string }).exchangeId), ['ex-100', 'ex-101']);
  } finally {
    cleanup();
  }
});
