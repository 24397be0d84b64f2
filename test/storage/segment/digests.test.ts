import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, truncateSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { SegmentWriter, segmentDirs } from '../../../storage/segment/writer.js';
import { hashFile } from '../../../storage/store/hash.js';
import type { SealedSegment } from '../../../storage/types.js';
import { tempDir, writeSampleFrames, writerOptions } from '../helpers.js';

async function assertDigestsOfFile(s: SealedSegment): Promise<void> {
  assert.ok(s.storeDigests, 'the writer hands over the store digests');
  const onDisk = await hashFile(s.path);
  assert.deepEqual(s.storeDigests, onDisk, 'size, CRC32C and MD5 are those of the sealed file');
  assert.equal(s.storeDigests.size, s.sizeBytes);
  assert.equal(s.sha256, createHash('sha256').update(readFileSync(s.path)).digest('hex'));
  assert.deepEqual(s.indexStoreDigests, await hashFile(s.indexPath), 'and those of its index file');
}

test('sealed segments carry size, CRC32C and MD5 of the file and its index as written (sealed and recovered)', { timeout: 20_000 }, async () => {
  const { dir, cleanup } = tempDir('tg-digests-');
  try {
    const opts = writerOptions(dir, 'dig');
    const sealed: SealedSegment[] = [];
    const w = new SegmentWriter({ ...opts, onSealed: (s) => sealed.push(s) });
    writeSampleFrames(w, 3, 4, 3000);
    w.seal();
    assert.equal(sealed.length, 1);
    await assertDigestsOfFile(sealed[0]!);

    // a torn open segment: recovery cuts the tail, seals, and hashes what it kept
    writeSampleFrames(w, 2, 4, 3000);
    w.sync();
    w.abandon();
    const [part] = readdirSync(segmentDirs(dir).open).map((n) => path.join(segmentDirs(dir).open, n));
    truncateSync(part!, statSync(part!).size - 50);
    const w2 = new SegmentWriter(opts);
    const [recovered] = w2.recoverLeftovers();
    assert.ok(recovered);
    await assertDigestsOfFile(recovered);
    assert.notDeepEqual(recovered.storeDigests, sealed[0]!.storeDigests);
  } finally {
    cleanup();
  }
});
