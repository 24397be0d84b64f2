import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, truncateSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { nowNs } from '../../../core/clock.js';
import { FrameBuilder } from '../../../storage/recorder/frame-builder.js';
import { loadSigningKey } from '../../../storage/segment/keys.js';
import { encodeEnd, encodeStart } from '../../../storage/segment/records.js';
import { SegmentWriter, segmentDirs } from '../../../storage/segment/writer.js';
import { hashFile } from '../../../storage/store/hash.js';
import type { SealedSegment } from '../../../storage/types.js';
import { head, tempDir } from '../helpers.js';

function writeFrames(w: SegmentWriter, frames: number): void {
  for (let f = 0; f < frames; f++) {
    const fb = new FrameBuilder(Buffer.allocUnsafeSlow(256 * 1024), () => assert.fail('frame overflow'));
    for (let i = 0; i < 4; i++) {
      const h = head();
      fb.addRecord(encodeStart(h));
      fb.addBody(h.exchangeId, Buffer.from(h.exchangeId), 2, 0, Buffer.alloc(3000, f * 10 + i));
      fb.addRecord(encodeEnd(h.exchangeId, { outcome: 'completed', error: '', completedNs: nowNs(), requestBytes: 0, responseBytes: 3000 }));
      fb.noteId(h.exchangeId);
      fb.noteNs(h.receivedNs);
    }
    const frame = fb.detach(Buffer.alloc(0));
    w.writeFrame(frame.buf, frame.length, frame.meta);
  }
}

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
    const key = loadSigningKey(dir, undefined);
    const opts = { instanceId: 'dig', dataDir: dir, zstdLevel: 1, durability: 'sync' as const, segmentMaxBytes: 1 << 30, segmentMaxAgeMs: 3_600_000, key };
    const sealed: SealedSegment[] = [];
    const w = new SegmentWriter({ ...opts, onSealed: (s) => sealed.push(s) });
    writeFrames(w, 3);
    w.seal();
    assert.equal(sealed.length, 1);
    await assertDigestsOfFile(sealed[0]!);

    // a torn open segment: recovery cuts the tail, seals, and hashes what it kept
    writeFrames(w, 2);
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
