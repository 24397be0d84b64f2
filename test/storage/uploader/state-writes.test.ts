import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Storage } from '@google-cloud/storage';
import { Registry } from 'prom-client';
import { createUploader } from '../../../storage/uploader/index.js';
import { statePath, type UploadState } from '../../../storage/uploader/spool.js';
import { StateWrites } from '../../../storage/uploader/state-writes.js';
import { GcsEmulator, emulatorStorageOptions } from '../../support/gcs-emulator/index.js';
import { captureLogger, fastUpload, spoolLeft, tempDataDir, testConfig, writeSealedSegment } from './helpers.js';

/**
 * The upload state file (<base>.upload.json) is written off the event loop, crash-safe (temp + fsync
 * + rename) and in order per segment; what restarts rely on: the file never goes back to an older
 * state, ends at the newest one, and a resumable session's URI is on disk before its first chunk.
 */

function readDoc(state: UploadState): UploadState {
  return JSON.parse(readFileSync(statePath(state.segment), 'utf8')) as UploadState;
}

test('onSealed does no disk I/O on the event loop: the state file appears after it returns; stop() waits for it', { timeout: 10_000 }, async () => {
  const t = tempDataDir();
  const uploader = createUploader(testConfig(t.dataDir, { upload: fastUpload }), { registry: new Registry(), logger: captureLogger().logger });
  try {
    const seg = writeSealedSegment(t.spoolDir, 1, { keyPath: t.keyPath });
    const { data: _d, index: _i, ...segment } = seg;
    uploader.onSealed(segment);
    assert.equal(existsSync(statePath(segment)), false, 'not written synchronously');
    await uploader.stop(); // never started: nothing uploads, but the pending write completes
    const doc = JSON.parse(readFileSync(statePath(segment), 'utf8')) as UploadState;
    assert.deepEqual(doc, { version: 1, segment, sessions: {}, done: [] });
    assert.deepEqual(spoolLeft(t.spoolDir).filter((n) => n.endsWith('.tmp')), [], 'no temp file left');
  } finally {
    t.cleanup();
  }
});

test('writes of one segment never overtake each other: each request is durable when it resolves, the file only moves forward', { timeout: 10_000 }, async () => {
  const t = tempDataDir();
  try {
    const seg = writeSealedSegment(t.spoolDir, 7, { keyPath: t.keyPath });
    const { data: _d, index: _i, ...segment } = seg;
    const state: UploadState = { version: 1, segment, sessions: {}, done: [] };
    const writes = new StateWrites();
    const seen: number[] = [];
    const requests: Array<Promise<void>> = [];
    for (let i = 0; i < 60; i++) {
      state.done.push(`object-${i}`);
      const wanted = state.done.length;
      requests.push(
        writes.write(state).then(() => {
          const onDisk = readDoc(state).done.length;
          assert.ok(onDisk >= wanted, `request ${i}: the file holds its change (${onDisk} >= ${wanted})`);
          seen.push(onDisk);
        }),
      );
      // sometimes let writes start in between, sometimes pile requests up
      if (i % 7 === 0) await new Promise((r) => setImmediate(r));
      if (i % 13 === 0) await writes.settled(state);
    }
    await Promise.all(requests);
    assert.deepEqual(
      seen,
      [...seen].sort((a, b) => a - b),
      'never back to an older state',
    );
    assert.equal(readDoc(state).done.length, 60, 'ends at the newest state');
    assert.deepEqual(spoolLeft(t.spoolDir).filter((n) => n.endsWith('.tmp')), [], 'no temp file left');

    // A failed write (the spool is gone) rejects its request and does not block the next one.
    rmSync(t.spoolDir, { recursive: true, force: true });
    await assert.rejects(writes.write(state));
    mkdirSync(t.spoolDir, { recursive: true });
    state.done.push('after');
    await writes.write(state);
    assert.equal(readDoc(state).done.at(-1), 'after');
    await writes.idle();
  } finally {
    t.cleanup();
  }
});

test('gcs: a new resumable session is on disk before its first chunk is sent', { timeout: 20_000 }, async () => {
  const emu = new GcsEmulator();
  const base = await emu.start();
  const t = tempDataDir();
  emu.createBucket('rec', { retentionPeriodSeconds: 400 * 86_400, locked: true });
  const seg = writeSealedSegment(t.spoolDir, 3, { keyPath: t.keyPath, size: 1024 * 1024 + 11 });
  const { data: _d, index: _i, ...segment } = seg;
  let sessionOnDisk: string | undefined;
  let firstChunkSeen = false;
  emu.addFault({
    route: 'resumable.put',
    fault: { kind: 'delay', ms: 0 },
    times: 1_000,
    // Runs as the emulator receives each chunk: look at what the uploader has persisted by then.
    when: (r) => {
      if (firstChunkSeen || !/^bytes 0-/.test(String(r.headers['content-range']))) return false;
      firstChunkSeen = true;
      try {
        sessionOnDisk = Object.values((JSON.parse(readFileSync(statePath(segment), 'utf8')) as UploadState).sessions)[0];
      } catch {
        sessionOnDisk = undefined;
      }
      return false;
    },
  });
  const cfg = testConfig(t.dataDir, { type: 'gcs', bucket: 'rec', prefix: 'tg', upload: { ...fastUpload, resumableThresholdBytes: 512 * 1024, chunkSizeBytes: 256 * 1024 } });
  const uploader = createUploader(cfg, { registry: new Registry(), logger: captureLogger().logger, storage: new Storage({ ...emulatorStorageOptions(base), retryOptions: { autoRetry: false } }) });
  try {
    await uploader.start();
    uploader.onSealed(segment);
    assert.equal(await uploader.flush(15_000), true);
    assert.ok(firstChunkSeen, 'a resumable upload happened');
    assert.match(sessionOnDisk ?? '', /upload_id=/, 'the session URI was durable before the first chunk');
    assert.ok(emu.objectNames('rec').some((n) => n.endsWith(path.basename(seg.path))));
    assert.deepEqual(spoolLeft(t.spoolDir), [], 'state and temp files removed with the segment');
  } finally {
    await uploader.stop();
    await emu.stop();
    t.cleanup();
  }
});
