import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { Storage } from '@google-cloud/storage';
import { Registry } from 'prom-client';
import { TapegateError } from '../../../core/errors.js';
import { createUploader } from '../../../storage/uploader/index.js';
import { GcsEmulator, emulatorStorageOptions } from '../../support/gcs-emulator/index.js';
import { captureLogger, fastUpload, spoolLeft, tempDataDir, testConfig, waitFor, writeSealedSegment } from './helpers.js';

/**
 * The store's start-up check (the bucket's retention lock) when GCS cannot answer: the uploader starts
 * anyway, keeps segments in the spool, uploads nothing until a retry of the check passes, and stops
 * uploading for good if a retry gets a definite refusal. A definite refusal at start still throws.
 * Each test has its own emulator (faults are per emulator).
 */
const DAY = 86_400;

async function withEmulator<T>(fn: (emu: GcsEmulator, base: string) => Promise<T>): Promise<T> {
  const emu = new GcsEmulator();
  const base = await emu.start();
  try {
    return await fn(emu, base);
  } finally {
    await emu.stop();
  }
}

function gcsUploader(dataDir: string, bucket: string, endpoint: string, upload: Record<string, unknown> = {}) {
  const registry = new Registry();
  const { logger, lines } = captureLogger();
  const cfg = testConfig(dataDir, { type: 'gcs', bucket, prefix: 'tg', upload: { ...fastUpload, ...upload } });
  const uploader = createUploader(cfg, { registry, logger, storage: new Storage({ ...emulatorStorageOptions(endpoint), retryOptions: { autoRetry: false } }) });
  return { uploader, registry, lines };
}

async function checkState(registry: Registry): Promise<Record<string, number>> {
  const m = await registry.getSingleMetric('tapegate_upload_store_check')?.get();
  return Object.fromEntries((m?.values ?? []).map((v) => [String(v.labels.state), v.value]));
}

/** Requests that would put an object into the bucket. */
function uploads(emu: GcsEmulator): number {
  return emu.requests.filter((r) => r.route === 'objects.insert' || r.route === 'resumable.initiate').length;
}

test('bucket check answers 503 at start: starts with one warning, pending, nothing uploaded; after recovery the segment lands', { timeout: 20_000 }, async () => {
  await withEmulator(async (emu, base) => {
    const t = tempDataDir();
    emu.createBucket('rec', { retentionPeriodSeconds: 400 * DAY, locked: true });
    emu.addFault({ route: '*', fault: { kind: 'status', status: 503 }, times: 1_000_000 });
    const { uploader, registry, lines } = gcsUploader(t.dataDir, 'rec', base);
    try {
      await uploader.start();
      const seg = writeSealedSegment(t.spoolDir, 1, { keyPath: t.keyPath });
      uploader.onSealed(seg);
      assert.equal(uploader.status().storeCheck, 'pending');
      assert.match(uploader.status().storeCheckError ?? '', /gs:\/\/rec.*unavailable/);
      assert.deepEqual(await checkState(registry), { passed: 0, pending: 1, failed: 0 });
      // several retries of the check go by (backoff 10–80 ms), none of them lets an upload through
      await waitFor(() => emu.requests.filter((r) => r.route === 'buckets.get').length >= 4, 5_000, 'retries of the check');
      assert.equal(uploads(emu), 0, 'no upload before the check has passed');
      assert.equal(emu.requests.filter((r) => r.route !== 'buckets.get').length, 0, 'only the check is asked');
      assert.ok(spoolLeft(t.spoolDir).includes(path.basename(seg.path)), 'the segment waits in the spool');
      const warnings = lines().filter((l) => l.event === 'store_check_deferred');
      assert.equal(warnings.length, 1, 'one warning, not one per retry');
      assert.equal(warnings[0]!.level, 40);
      assert.match(String(warnings[0]!.msg), /starting anyway/);
      const failures = await registry.getSingleMetric('tapegate_upload_failures_total')!.get();
      assert.ok((failures.values.find((v) => v.labels.cause === 'unavailable')?.value ?? 0) >= 4, 'failed checks are counted');

      emu.clearFaults(); // GCS is back
      assert.equal(await uploader.flush(10_000), true, 'the backlog uploads once the check passes');
      assert.equal(uploader.status().storeCheck, 'passed');
      assert.equal(uploader.status().storeCheckError, undefined);
      assert.deepEqual(await checkState(registry), { passed: 1, pending: 0, failed: 0 });
      const name = emu.objectNames('rec').find((n) => n.endsWith(path.basename(seg.path)));
      assert.ok(name, 'the segment reached the bucket');
      assert.deepEqual(emu.getObject('rec', name)?.data, seg.data);
      assert.deepEqual(spoolLeft(t.spoolDir), []);
      assert.ok(lines().some((l) => l.event === 'store_check_passed'));
    } finally {
      emu.clearFaults();
      await uploader.stop();
      t.cleanup();
    }
  });
});

test('store down at start (connections reset), then a 429 and a slow answer past the check timeout: pending until it answers, then uploads', { timeout: 20_000 }, async () => {
  await withEmulator(async (emu, base) => {
    const t = tempDataDir();
    emu.createBucket('rec', { retentionPeriodSeconds: 400 * DAY, locked: true });
    // A TCP front for the emulator that resets every connection while `down`: GCS unreachable.
    let down = true;
    const target = Number(new URL(base).port);
    const sockets = new Set<net.Socket>();
    const front = net.createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      if (down) return s.resetAndDestroy();
      const up = net.connect(target, '127.0.0.1');
      sockets.add(up);
      up.on('close', () => sockets.delete(up));
      s.pipe(up).pipe(s);
      s.on('error', () => up.destroy());
      up.on('error', () => s.destroy());
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(front.address() as net.AddressInfo).port}`;
    const { uploader, registry, lines } = gcsUploader(t.dataDir, 'rec', endpoint, { stallTimeoutMs: 1_000 });
    try {
      await uploader.start();
      assert.equal(uploader.status().storeCheck, 'pending');
      assert.equal(lines().find((l) => l.event === 'store_check_deferred')?.cause, 'network');
      const seg = writeSealedSegment(t.spoolDir, 1, { keyPath: t.keyPath });
      uploader.onSealed(seg);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(uploader.status().storeCheck, 'pending');
      // back, but first rate-limited, then slower than the check's timeout (min(15 s, stallTimeoutMs) = 1 s)
      emu.addFault({ route: 'buckets.get', fault: { kind: 'status', status: 429 }, times: 1 });
      emu.addFault({ route: 'buckets.get', fault: { kind: 'delay', ms: 1_500 }, times: 1 });
      down = false;
      assert.equal(await uploader.flush(10_000), true, 'uploaded after the store answered');
      assert.equal(uploader.status().storeCheck, 'passed');
      assert.ok(emu.objectNames('rec').some((n) => n.endsWith(path.basename(seg.path))));
      assert.ok(emu.requests.filter((r) => r.route === 'buckets.get').length >= 3, 'the 429 and the slow answer were retried');
      const failures = await registry.getSingleMetric('tapegate_upload_failures_total')!.get();
      for (const cause of ['network', 'rate_limited', 'timeout']) assert.ok((failures.values.find((v) => v.labels.cause === cause)?.value ?? 0) >= 1, `a ${cause} failure of the check`);
    } finally {
      emu.clearFaults();
      await uploader.stop();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      t.cleanup();
    }
  });
});

test('a retry of the check that finds the bucket unlocked stops uploads for good, says what to fix, and keeps the spool', { timeout: 20_000 }, async () => {
  await withEmulator(async (emu, base) => {
    const t = tempDataDir();
    emu.createBucket('soft', { retentionPeriodSeconds: 400 * DAY, locked: false });
    emu.addFault({ route: 'buckets.get', fault: { kind: 'status', status: 503 }, times: 2 });
    const { uploader, registry, lines } = gcsUploader(t.dataDir, 'soft', base);
    try {
      await uploader.start();
      assert.equal(uploader.status().storeCheck, 'pending');
      const seg = writeSealedSegment(t.spoolDir, 1, { keyPath: t.keyPath });
      uploader.onSealed(seg);
      await waitFor(() => uploader.status().storeCheck === 'failed', 5_000, 'the definite answer');
      assert.match(uploader.status().storeCheckError ?? '', /not locked/);
      assert.deepEqual(await checkState(registry), { passed: 0, pending: 0, failed: 1 });
      const error = lines().find((l) => l.event === 'store_check_failed');
      assert.ok(error, 'an error is logged');
      assert.equal(error.level, 50);
      assert.equal(error.code, 'TG_STORE_BUCKET_NOT_LOCKED');
      assert.match(String(error.msg), /is_locked\s+= true/, 'it names the fix');
      assert.match(String(error.msg), /Uploads are stopped/);
      const checks = emu.requests.filter((r) => r.route === 'buckets.get').length;
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(emu.requests.filter((r) => r.route === 'buckets.get').length, checks, 'no more retries after a definite answer');
      assert.equal(uploads(emu), 0, 'nothing was uploaded into the unlocked bucket');
      assert.equal(await uploader.flush(5_000), false, 'flush gives up at once: nothing will upload before a restart');
      assert.equal(uploader.status().backlogSegments, 1);
      assert.ok(spoolLeft(t.spoolDir).includes(path.basename(seg.path)), 'the segment stays in the spool');
    } finally {
      await uploader.stop();
      t.cleanup();
    }
  });
});

test('definite answers at start still refuse it: missing bucket, permission denied, unlocked bucket', { timeout: 20_000 }, async () => {
  await withEmulator(async (emu, base) => {
    const t = tempDataDir();
    emu.createBucket('locked', { retentionPeriodSeconds: 400 * DAY, locked: true });
    emu.createBucket('soft', { retentionPeriodSeconds: 400 * DAY, locked: false });
    try {
      const cases: Array<[string, () => void, string]> = [
        ['nope', () => undefined, 'TG_STORE_BUCKET_MISSING'],
        ['locked', () => emu.addFault({ route: 'buckets.get', fault: { kind: 'status', status: 403 }, times: 1 }), 'TG_STORE_BUCKET_FORBIDDEN'],
        ['soft', () => undefined, 'TG_STORE_BUCKET_NOT_LOCKED'],
      ];
      for (const [bucket, arrange, code] of cases) {
        arrange();
        const { uploader } = gcsUploader(t.dataDir, bucket, base);
        await assert.rejects(uploader.start(), (err: unknown) => err instanceof TapegateError && err.code === code, `${bucket}: ${code}`);
        await uploader.stop();
      }
    } finally {
      t.cleanup();
    }
  });
});
