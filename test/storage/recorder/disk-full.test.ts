import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { nowNs } from '../../../core/clock.js';
import { TapegateError } from '../../../core/errors.js';
import { SegmentReader, verifyChain } from '../../../storage/reader/reader.js';
import { createRecorder } from '../../../storage/recorder/recorder.js';
import { segmentDirs } from '../../../storage/segment/writer.js';
import { durable, head, indexFileOf, readIndexLines, recordingConfig, sealedSegments, tempDir, withTimeout } from '../helpers.js';

/** A 2 MiB tmpfs when we may mount one (root); otherwise the open segment is pointed at /dev/full. */
function smallDisk(dir: string): { kind: 'tmpfs' | 'dev-full'; fill: () => void; free: () => void; release: () => void } {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'ignore', timeout: 5000 });
    const filler = path.join(dir, 'filler');
    return {
      kind: 'tmpfs',
      fill: () => {
        const s = statfsSync(dir);
        writeFileSync(filler, Buffer.alloc(Math.max(0, s.bavail * s.bsize - 96 * 1024)));
      },
      free: () => rmSync(filler, { force: true }),
      release: () => execFileSync('umount', [dir], { stdio: 'ignore', timeout: 5000 }),
    };
  } catch {
    const link = path.join(segmentDirs(dir).open, '000000000001.tgseg.part');
    return {
      kind: 'dev-full',
      fill: () => {
        mkdirSync(segmentDirs(dir).open, { recursive: true });
        symlinkSync('/dev/full', link);
      },
      free: () => rmSync(link, { force: true }),
      release: () => undefined,
    };
  }
}

test('disk full: the failing exchange gets an error, begin() returns null, rejections are recorded, and it recovers', { timeout: 60_000 }, async () => {
  const { dir: base, cleanup } = tempDir('tg-full-');
  const dataDir = path.join(base, 'data');
  mkdirSync(dataDir);
  const disk = smallDisk(dataDir);
  try {
    const rec = await createRecorder({
      recording: recordingConfig({ durability: 'sync', frameBytes: 64 * 1024, retryIntervalMs: 100 }),
      instanceId: 'full',
      dataDir,
    });
    disk.fill();
    const body = Buffer.alloc(32 * 1024);
    let failedErr: Error | null = null;
    const ids: string[] = [];
    for (let i = 0; i < 200 && !failedErr; i++) {
      for (let j = 0; j < body.length; j += 4) body.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, j);
      const h = head();
      const r = rec.begin(h);
      assert.ok(r, `begin() refused before any write failed (i=${i})`);
      ids.push(h.exchangeId);
      r.responseBody(body);
      failedErr = await withTimeout(durable(r, { outcome: 'completed', error: '', completedNs: nowNs(), requestBytes: 0, responseBytes: body.length }), 10_000, 'durable');
    }
    assert.ok(failedErr instanceof TapegateError, `a write failed on the ${disk.kind} disk`);
    assert.equal(failedErr.code, 'TG_RECORDING_FAILED');
    assert.equal(failedErr.httpStatus, 503);
    assert.equal(rec.healthy, false);
    const refused = head();
    assert.equal(rec.begin(refused), null);
    rec.reject(refused, 'recording unavailable: disk full');

    disk.free();
    const t0 = Date.now();
    while (!rec.healthy && Date.now() - t0 < 10_000) await new Promise((res) => setTimeout(res, 50));
    assert.equal(rec.healthy, true, 'the recorder recovers once writes succeed again');
    const after = head();
    const r = rec.begin(after);
    assert.ok(r);
    assert.equal(await durable(r, { outcome: 'completed', error: '', completedNs: nowNs(), requestBytes: 0, responseBytes: 0 }), null);
    await rec.close();

    const files = sealedSegments(dataDir);
    const chain = await verifyChain(files);
    assert.deepEqual(chain.damage, []);
    // the last end record of an exchange is the one that counts (an amendment follows the original)
    const outcomes = new Map<string, string>();
    const errors = new Map<string, string>();
    const endCount = new Map<string, number>();
    for (const f of files) {
      for await (const e of new SegmentReader(f).events()) {
        if (e.type !== 'record' || e.record.type !== 'end') continue;
        outcomes.set(e.record.exchangeId, e.record.outcome);
        errors.set(e.record.exchangeId, e.record.error);
        endCount.set(e.record.exchangeId, (endCount.get(e.record.exchangeId) ?? 0) + 1);
      }
    }
    assert.equal(outcomes.get(refused.exchangeId), 'rejected_unrecordable');
    assert.equal(outcomes.get(after.exchangeId), 'completed');
    // the exchanges before the failure were confirmed and say so
    for (const id of ids.slice(0, -1)) assert.equal(outcomes.get(id), 'completed', `exchange ${id} missing`);
    // the exchange whose write failed was kept in the memory reserve and written after recovery,
    // followed by an amending end record: its agent got an error, so it must not read "completed"
    const failedId = ids[ids.length - 1]!;
    assert.equal(endCount.get(failedId), 2, 'original end record and its amendment');
    assert.equal(outcomes.get(failedId), 'upstream_error');
    assert.match(errors.get(failedId) ?? '', /^recording failed: /);
    // and the index line of that exchange says so, keeping what its start record said
    const lines = (await Promise.all(files.map((f) => readIndexLines(indexFileOf(f))))).flat().map((l) => JSON.parse(l) as { exchangeId: string; outcome: string; sessionId: string; error: string });
    const line = lines.filter((l) => l.exchangeId === failedId).pop();
    assert.equal(line?.outcome, 'upstream_error');
    assert.equal(line?.sessionId, 's-test');
    assert.match(line?.error ?? '', /^recording failed: /);
  } finally {
    try {
      disk.release();
    } finally {
      cleanup();
    }
  }
});

test('a spool over its limit refuses new exchanges until the uploader catches up', { timeout: 30_000 }, async () => {
  const { dir, cleanup } = tempDir('tg-spool-');
  try {
    let over = false;
    const rec = await createRecorder({ recording: recordingConfig(), instanceId: 'spool', dataDir: dir, spoolGauge: { overLimit: () => over } });
    assert.equal(rec.healthy, true);
    over = true;
    assert.equal(rec.healthy, false);
    const refused = head();
    assert.equal(rec.begin(refused), null);
    rec.reject(refused, 'spool over its limit');
    over = false;
    const r = rec.begin(head());
    assert.ok(r);
    assert.equal(await durable(r, { outcome: 'completed', error: '', completedNs: nowNs(), requestBytes: 0, responseBytes: 0 }), null);
    await rec.close();
    const outcomes: string[] = [];
    for (const f of sealedSegments(dir)) for await (const e of new SegmentReader(f).events()) if (e.type === 'record' && e.record.type === 'end') outcomes.push(e.record.outcome);
    assert.deepEqual(outcomes, ['rejected_unrecordable', 'completed']);
  } finally {
    cleanup();
  }
});
