import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { SegmentWriter, segmentDirs } from '../../../storage/segment/writer.js';
import { tempDir, writeSampleFrames, writerOptions } from '../helpers.js';

function partSize(dir: string): number {
  const open = segmentDirs(dir).open;
  return statSync(path.join(open, readdirSync(open)[0]!)).size;
}

test('unsyncedBytes counts frames and preallocated zeros written since the last fdatasync started', { timeout: 30_000 }, async () => {
  const { dir, cleanup } = tempDir('tg-unsynced-');
  try {
    const w = new SegmentWriter(writerOptions(dir, 'us'));
    assert.equal(w.unsyncedBytes, 0, 'no open segment');
    writeSampleFrames(w, 2, 3, 2000);
    const written = w.unsyncedBytes;
    assert.ok(written > 0 && written <= partSize(dir), `frames and header: ${written}`);
    w.sync();
    assert.equal(w.unsyncedBytes, 0);
    w.preallocate();
    assert.equal(w.unsyncedBytes, 1024 * 1024, 'a fresh chunk of zeros must be flushed once');
    await new Promise<void>((resolve, reject) => w.syncAsync((err) => (err ? reject(err) : resolve())));
    assert.equal(w.unsyncedBytes, 0);
    w.preallocate();
    assert.equal(w.unsyncedBytes, 0, 'enough zeros ahead: nothing added');
    w.seal();
    assert.equal(w.unsyncedBytes, 0);
  } finally {
    cleanup();
  }
});

test('only sync segments are preallocated', { timeout: 30_000 }, () => {
  const { dir, cleanup } = tempDir('tg-noprealloc-');
  try {
    const w = new SegmentWriter({ ...writerOptions(dir, 'np'), durability: 'async' });
    writeSampleFrames(w, 1, 3, 2000);
    const before = partSize(dir);
    w.preallocate();
    assert.equal(partSize(dir), before, 'async: the file ends where the data ends');
    w.abandon();
  } finally {
    cleanup();
  }
});
