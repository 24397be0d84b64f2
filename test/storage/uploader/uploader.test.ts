import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Storage } from '@google-cloud/storage';
import { crc32c } from '@node-rs/crc32';
import { Registry } from 'prom-client';
import { createStore } from '../../../storage/store/index.js';
import { publicKeyId } from '../../../storage/store/names.js';
import { createUploader, type Uploader } from '../../../storage/uploader/index.js';
import { GcsEmulator, emulatorStorageOptions } from '../../support/gcs-emulator/index.js';
import { captureLogger, fastUpload, assertResumedAt, spoolLeft, tempDataDir, testConfig, waitFor, writeSealedSegment } from './helpers.js';

const DAY = 86_400;
let emu: GcsEmulator;
let base: string;
let bucketNo = 0;

before(async () => {
  emu = new GcsEmulator();
  base = await emu.start();
});
after(() => emu.stop());

function newBucket(): string {
  const name = `rec-${++bucketNo}`;
  emu.createBucket(name, { retentionPeriodSeconds: 400 * DAY, locked: true });
  return name;
}

function gcsUploader(dataDir: string, bucket: string, opts: { spoolMaxBytes?: number; upload?: Record<string, unknown>; keyPath?: string } = {}) {
  const registry = new Registry();
  const { logger, lines } = captureLogger();
  const cfg = testConfig(dataDir, { type: 'gcs', bucket, prefix: 'tg', upload: { ...fastUpload, resumableThresholdBytes: 512 * 1024, chunkSizeBytes: 256 * 1024, ...opts.upload } }, opts.spoolMaxBytes);
  const uploader = createUploader(cfg, {
    registry,
    logger,
    publicKeyPath: opts.keyPath,
    storage: new Storage({ ...emulatorStorageOptions(base), retryOptions: { autoRetry: false } }),
  });
  return { uploader, registry, lines };
}

async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

async function drained(u: Uploader, ms = 15_000): Promise<void> {
  assert.equal(await u.flush(ms), true, `backlog drained (status ${JSON.stringify(u.status())})`);
}

test('local store: sealed segments, their indexes and the public key land under the bucket layout; the spool empties', { timeout: 15_000 }, async () => {
  const t = tempDataDir();
  const registry = new Registry();
  const { logger } = captureLogger();
  const uploader = createUploader(testConfig(t.dataDir, { upload: fastUpload }), { registry, logger });
  try {
    await uploader.start();
    const segs = [1, 2, 3].map((seq) => writeSealedSegment(t.spoolDir, seq, { keyPath: t.keyPath, createdAtMs: Date.UTC(2026, 0, 2, 3 + seq, 4) }));
    for (const s of segs) uploader.onSealed(s);
    await drained(uploader);
    const store = path.join(t.dataDir, 'store', 'tapegate');
    for (const s of segs) {
      const base = path.basename(s.path, '.tgseg');
      const hh = String(3 + s.seq).padStart(2, '0');
      assert.deepEqual(readFileSync(path.join(store, 'segments', '2026', '01', '02', hh, 'gw-1', `${base}.tgseg`)), s.data);
      assert.deepEqual(readFileSync(path.join(store, 'index', '2026', '01', '02', hh, 'gw-1', `${base}.jsonl.zst`)), s.index);
    }
    const keyId = publicKeyId(readFileSync(t.keyPath));
    assert.deepEqual(readFileSync(path.join(store, 'keys', 'gw-1', `${keyId}.pub`)), readFileSync(t.keyPath));
    assert.deepEqual(spoolLeft(t.spoolDir), [], 'local copies deleted after verification');
    assert.equal(await metric(registry, 'tapegate_uploaded_segments_total'), 3);
    assert.equal(await metric(registry, 'tapegate_upload_backlog_segments'), 0);
    assert.equal(await metric(registry, 'tapegate_upload_oldest_unuploaded_age_seconds'), 0);
    const hist = await registry.getSingleMetric('tapegate_upload_duration_seconds')!.get();
    assert.equal(hist.values.find((v) => (v as { metricName?: string }).metricName === 'tapegate_upload_duration_seconds_count')?.value, 3);
  } finally {
    await uploader.stop();
    t.cleanup();
  }
});

test('gcs: everything arrives, in order and byte-equal, under injected 503s, 429s and connection resets', { timeout: 30_000 }, async () => {
  const t = tempDataDir();
  const bucket = newBucket();
  emu.addFault({ route: 'objects.insert', fault: { kind: 'status', status: 503 }, times: 3 });
  emu.addFault({ route: 'objects.insert', fault: { kind: 'status', status: 429 }, times: 2 });
  emu.addFault({ route: 'objects.insert', fault: { kind: 'reset', afterBytes: 100 }, times: 2 });
  emu.addFault({ route: 'objects.get', fault: { kind: 'status', status: 503 }, times: 1 });
  emu.addFault({ route: 'resumable.initiate', fault: { kind: 'status', status: 503 }, times: 1 });
  emu.addFault({ route: 'resumable.put', fault: { kind: 'reset', afterBytes: 1000 }, times: 1, when: (r) => /^bytes \d/.test(String(r.headers['content-range'])) });
  emu.addFault({ route: 'resumable.put', fault: { kind: 'delay', ms: 50 }, times: 3 });
  const { uploader, registry, lines } = gcsUploader(t.dataDir, bucket);
  try {
    await uploader.start();
    const segs = [1, 2, 3, 4, 5].map((seq) => writeSealedSegment(t.spoolDir, seq, { keyPath: t.keyPath, size: seq === 3 ? 1024 * 1024 + 3 : 3000 + seq }));
    for (const s of segs) uploader.onSealed(s);
    await drained(uploader, 25_000);
    const names = emu.objectNames(bucket);
    for (const s of segs) {
      const base = path.basename(s.path, '.tgseg');
      const seg = names.find((n) => n.endsWith(`/gw-1/${base}.tgseg`))!;
      assert.match(seg, /^tg\/segments\/2026\/01\/01\/17\/gw-1\//);
      assert.deepEqual(emu.getObject(bucket, seg)?.data, s.data);
      const idx = names.find((n) => n.endsWith(`/gw-1/${base}.jsonl.zst`))!;
      assert.match(idx, /^tg\/index\/2026\/01\/01\/17\/gw-1\//);
      assert.deepEqual(emu.getObject(bucket, idx)?.data, s.index);
      assert.equal(emu.getObject(bucket, idx)?.metadata.contentType, 'application/zstd', 'stored as it is: a zstd object');
    }
    assert.equal(names.filter((n) => n.startsWith('tg/keys/gw-1/')).length, 1);
    // In order: each segment was created after the previous one.
    const order = emu.requests
      .filter((r) => (r.route === 'objects.insert' || r.route === 'resumable.initiate') && r.status === 200 && String(r.query.name).includes('/segments/'))
      .map((r) => String(r.query.name).split('/').pop());
    assert.deepEqual(order, segs.map((s) => path.basename(s.path)));
    assert.ok((await metric(registry, 'tapegate_upload_failures_total', { cause: 'unavailable' })) >= 3);
    assert.ok((await metric(registry, 'tapegate_upload_failures_total', { cause: 'rate_limited' })) >= 2);
    assert.ok((await metric(registry, 'tapegate_upload_failures_total', { cause: 'network' })) >= 2);
    assert.deepEqual(spoolLeft(t.spoolDir), []);
    // Session URIs are upload credentials: failures are logged without them.
    const failures = lines().filter((l) => l.event === 'upload_failed');
    assert.ok(failures.length >= 7);
    assert.ok(!failures.some((l) => /upload_id=(?!\[redacted\])/.test(String(l.err))));
  } finally {
    emu.clearFaults();
    await uploader.stop();
    t.cleanup();
  }
});

test('gcs: an interrupted resumable upload resumes from the persisted offset, not from zero', { timeout: 30_000 }, async () => {
  const t = tempDataDir();
  const bucket = newBucket();
  const size = 2 * 1024 * 1024 + 11;
  // The third chunk's connection breaks 100 KB in: the server keeps the first two chunks.
  let dataPuts = 0;
  emu.addFault({
    route: 'resumable.put',
    fault: { kind: 'reset', afterBytes: 100_000 },
    when: (r) => /^bytes \d/.test(String(r.headers['content-range'])) && ++dataPuts === 3,
  });
  const { uploader } = gcsUploader(t.dataDir, bucket);
  try {
    await uploader.start();
    const seg = writeSealedSegment(t.spoolDir, 7, { keyPath: t.keyPath, size });
    const from = emu.requests.length;
    uploader.onSealed(seg);
    await drained(uploader);
    const reqs = emu.requests.slice(from).filter((r) => r.query.name?.includes('/segments/') || r.route === 'resumable.put');
    assert.equal(reqs.filter((r) => r.route === 'resumable.initiate').length, 1, 'one session for the whole upload');
    const puts = reqs.filter((r) => r.route === 'resumable.put').map((r) => `${r.contentRange} → ${r.status}`);
    const resetAt = puts.findIndex((p) => p.endsWith('reset'));
    assert.equal(puts[resetAt], `bytes 524288-786431/${size} → reset`);
    // After the reset: ask the session where it is, then continue at 512 KiB.
    assert.equal(puts[resetAt + 1], 'bytes */* → 308');
    assert.equal(puts[resetAt + 2], `bytes 524288-786431/${size} → 308`);
    assert.ok(!puts.slice(resetAt + 1).some((p) => p.startsWith('bytes 0-')), 'never restarts from byte 0');
    const name = emu.objectNames(bucket).find((n) => n.endsWith('.tgseg'))!;
    assert.deepEqual(emu.getObject(bucket, name)?.data, seg.data);
  } finally {
    emu.clearFaults();
    await uploader.stop();
    t.cleanup();
  }
});

test('gcs: a new uploader object (restart in-process) resumes the session the stopped one persisted', { timeout: 30_000 }, async () => {
  const t = tempDataDir();
  const bucket = newBucket();
  const size = 2 * 1024 * 1024;
  emu.addFault({ route: 'resumable.put', fault: { kind: 'delay', ms: 150 }, times: 100 });
  const first = gcsUploader(t.dataDir, bucket);
  const seg = writeSealedSegment(t.spoolDir, 9, { keyPath: t.keyPath, size });
  try {
    await first.uploader.start();
    first.uploader.onSealed(seg);
    await waitFor(() => emu.openSessions().some((s) => s.committed >= 512 * 1024), 10_000, 'two chunks committed');
    await first.uploader.stop();
  } finally {
    emu.clearFaults();
  }
  // A chunk sent before the stop may still land (the emulator was delaying it).
  await emu.idle();
  const committed = emu.openSessions().find((s) => s.total === size)!.committed;
  assert.ok(committed >= 512 * 1024 && committed < size, `partially uploaded (${committed})`);
  const state = JSON.parse(readFileSync(seg.path.replace(/\.tgseg$/, '.upload.json'), 'utf8')) as { sessions: Record<string, string> };
  assert.equal(Object.keys(state.sessions).length, 1, 'the session URI is persisted in the spool');

  const from = emu.requests.length;
  const second = gcsUploader(t.dataDir, bucket);
  try {
    await second.uploader.start();
    await drained(second.uploader);
    const reqs = emu.requests.slice(from);
    assert.equal(reqs.filter((r) => r.route === 'resumable.initiate' && r.query.name?.includes('/segments/')).length, 0, 'no new session');
    assertResumedAt(reqs, committed);
    const name = emu.objectNames(bucket).find((n) => n.endsWith('.tgseg'))!;
    assert.deepEqual(emu.getObject(bucket, name)?.data, seg.data);
    assert.deepEqual(spoolLeft(t.spoolDir), []);
  } finally {
    await second.uploader.stop();
    t.cleanup();
  }
});

test('gcs: an object already holding the same bytes counts as done; different bytes raise the alarm and the rest keep flowing', { timeout: 20_000 }, async () => {
  const t = tempDataDir();
  const bucket = newBucket();
  const { uploader, registry, lines } = gcsUploader(t.dataDir, bucket);
  try {
    await uploader.start();
    const same = writeSealedSegment(t.spoolDir, 1, { keyPath: t.keyPath });
    const clash = writeSealedSegment(t.spoolDir, 2, { keyPath: t.keyPath });
    const next = writeSealedSegment(t.spoolDir, 3, { keyPath: t.keyPath });
    const nameOf = (s: typeof same) => `tg/segments/2026/01/01/17/gw-1/${path.basename(s.path)}`;
    emu.putObject(bucket, nameOf(same), same.data); // e.g. uploaded before a crash, state lost
    emu.putObject(bucket, nameOf(clash), Buffer.from('someone else wrote this'));
    for (const s of [same, clash, next]) uploader.onSealed(s);
    await drained(uploader);
    assert.deepEqual(emu.getObject(bucket, nameOf(same))?.data, same.data);
    assert.deepEqual(emu.getObject(bucket, nameOf(next))?.data, next.data);
    // The conflicting object is untouched, and our copy is kept locally.
    assert.deepEqual(emu.getObject(bucket, nameOf(clash))?.data, Buffer.from('someone else wrote this'));
    const kept = path.join(t.spoolDir, 'conflicts', path.basename(clash.path));
    assert.deepEqual(readFileSync(kept), clash.data);
    assert.ok(existsSync(kept.replace(/\.tgseg$/, '.index.jsonl.zst')));
    assert.equal(await metric(registry, 'tapegate_upload_conflicts_total', { kind: 'different_bytes' }), 1);
    assert.equal(uploader.status().conflicts, 1);
    const alarm = lines().find((l) => l.event === 'upload_conflict');
    assert.ok(alarm && alarm.level === 50 && /ALARM/.test(String(alarm.msg)));
    // Exactly one create attempt for the clashing name: not retried forever.
    assert.equal(emu.requests.filter((r) => r.route === 'objects.insert' && r.query.name === nameOf(clash)).length, 1);
    assert.deepEqual(spoolLeft(t.spoolDir), ['conflicts']);
  } finally {
    await uploader.stop();
    t.cleanup();
  }
});

test('gcs: spool over its limit → overLimit() true while the store is down, false again once uploads catch up', { timeout: 30_000 }, async () => {
  const t = tempDataDir();
  const bucket = newBucket();
  emu.addFault({ route: '*', fault: { kind: 'status', status: 503 }, times: 1_000_000, when: (r) => r.route !== 'buckets.get' });
  const segSize = 10_000;
  const { uploader, registry } = gcsUploader(t.dataDir, bucket, { spoolMaxBytes: 3 * segSize });
  try {
    await uploader.start();
    assert.equal(uploader.overLimit(), false);
    for (const seq of [1, 2]) uploader.onSealed(writeSealedSegment(t.spoolDir, seq, { keyPath: t.keyPath, size: segSize }));
    assert.equal(uploader.overLimit(), false, 'below the limit');
    uploader.onSealed(writeSealedSegment(t.spoolDir, 3, { keyPath: t.keyPath, size: segSize }));
    assert.equal(uploader.overLimit(), true, 'at the limit: the recorder must refuse new exchanges');
    assert.equal(await metric(registry, 'tapegate_upload_spool_over_limit'), 1);
    await waitFor(() => uploader.status().lastFailure === 'unavailable', 5_000, 'failing uploads');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(uploader.overLimit(), true, 'still over while the store is down');
    assert.equal(uploader.status().backlogSegments, 3, 'nothing dropped');
    assert.ok((await metric(registry, 'tapegate_upload_oldest_unuploaded_age_seconds')) > 0);
    emu.clearFaults(); // the store comes back
    await drained(uploader);
    assert.equal(uploader.overLimit(), false);
    assert.equal(await metric(registry, 'tapegate_upload_spool_over_limit'), 0);
    assert.equal(emu.objectNames(bucket).filter((n) => n.endsWith('.tgseg')).length, 3);
  } finally {
    emu.clearFaults();
    await uploader.stop();
    t.cleanup();
  }
});

test('restart: segments left in the spool without upload state are uploaded in sequence order', { timeout: 20_000 }, async () => {
  const t = tempDataDir();
  const bucket = newBucket();
  // Written by a writer that died before announcing them; seq order differs from name order.
  const segs = [12, 3, 7].map((seq) => writeSealedSegment(t.spoolDir, seq, { keyPath: t.keyPath }));
  // seq 7 was sealed by a version before the compressed index: a plain `.index.jsonl`
  const plainIndex = Buffer.from('{"exchangeId":"old"}\n');
  unlinkSync(segs[2]!.indexPath);
  writeFileSync(segs[2]!.indexPath.replace(/\.zst$/, ''), plainIndex);
  // No publicKeyPath given: the key the writer published in the spool is found.
  const { uploader, lines } = gcsUploader(t.dataDir, bucket);
  const from = emu.requests.length;
  try {
    await uploader.start();
    await drained(uploader);
    const order = emu.requests
      .slice(from)
      .filter((r) => r.route === 'objects.insert' && String(r.query.name).includes('/segments/'))
      .map((r) => Number(String(r.query.name).split('/').pop()!.split('-')[0]));
    assert.deepEqual(order, [3, 7, 12]);
    for (const s of segs) {
      const name = emu.objectNames(bucket).find((n) => n.endsWith(path.basename(s.path)))!;
      assert.deepEqual(emu.getObject(bucket, name)?.data, s.data);
      // the index object's name and type say what its bytes are
      const plain = s.seq === 7;
      const idx = name.replace('/segments/', '/index/').replace(/\.tgseg$/, plain ? '.jsonl' : '.jsonl.zst');
      assert.deepEqual(emu.getObject(bucket, idx)?.data, plain ? plainIndex : s.index);
      assert.equal(emu.getObject(bucket, idx)?.metadata.contentType, plain ? 'application/x-ndjson' : 'application/zstd');
    }
    assert.deepEqual(emu.objectNames(bucket).filter((n) => n.startsWith('tg/keys/')), [`tg/keys/gw-1/${path.basename(t.keyPath).slice(4, 20)}.pub`], 'the key from the spool is uploaded too');
    assert.ok(lines().some((l) => l.event === 'spool_recovered' && l.segments === 3));
  } finally {
    await uploader.stop();
    t.cleanup();
  }
});

test('start() refuses an unlocked bucket, and allowUnlockedBucket (--allow-unlocked-bucket) starts with a warning', { timeout: 10_000 }, async () => {
  const t = tempDataDir();
  emu.createBucket('dev-unlocked', { retentionPeriodSeconds: 400 * DAY, locked: false });
  try {
    const refused = gcsUploader(t.dataDir, 'dev-unlocked');
    await assert.rejects(refused.uploader.start(), /TG_STORE_BUCKET_NOT_LOCKED|not locked/);
    const { logger, lines } = captureLogger();
    const cfg = testConfig(t.dataDir, { type: 'gcs', bucket: 'dev-unlocked', upload: fastUpload });
    const allowed = createUploader(cfg, { registry: new Registry(), logger, allowUnlockedBucket: true, storage: new Storage({ ...emulatorStorageOptions(base), retryOptions: { autoRetry: false } }) });
    await allowed.start();
    await allowed.stop();
    assert.ok(lines().some((l) => l.event === 'store_bucket_unlocked' && l.level === 40));
  } finally {
    t.cleanup();
  }
});

test('gcs: killed after the last chunk but before verification: the finished session is recognised, no conflict', { timeout: 20_000 }, async () => {
  const t = tempDataDir();
  const bucket = newBucket();
  const seg = writeSealedSegment(t.spoolDir, 5, { keyPath: t.keyPath, size: 1024 * 1024 + 100 });
  const { data: _d, index: _i, ...segment } = seg;
  // What the dead process left: the whole segment in GCS through its session, the state not yet `done`.
  const storage = new Storage({ ...emulatorStorageOptions(base), retryOptions: { autoRetry: false } });
  const name = `tg/segments/2026/01/01/17/gw-1/${path.basename(seg.path)}`;
  const [uri] = await storage.bucket(bucket).file(name).createResumableUpload({ metadata: { contentLength: seg.data.length }, preconditionOpts: { ifGenerationMatch: 0 } });
  await new Promise<void>((resolve, reject) => {
    const ws = storage.bucket(bucket).file(name).createWriteStream({ uri, resumable: true, validation: false, chunkSize: 256 * 1024, metadata: { contentLength: seg.data.length } });
    ws.on('error', reject).on('finish', resolve).end(seg.data);
  });
  writeFileSync(seg.path.replace(/\.tgseg$/, '.upload.json'), JSON.stringify({ version: 1, segment, sessions: { [name]: uri }, done: [] }));
  const { uploader, registry } = gcsUploader(t.dataDir, bucket);
  try {
    await uploader.start();
    await drained(uploader);
    assert.equal(uploader.status().conflicts, 0);
    assert.equal(await metric(registry, 'tapegate_upload_conflicts_total', { kind: 'different_bytes' }), 0);
    assert.deepEqual(emu.getObject(bucket, name)?.data, seg.data);
    assert.ok(emu.objectNames(bucket).some((n) => n.endsWith('.jsonl.zst')), 'the index followed');
    assert.deepEqual(spoolLeft(t.spoolDir), []);
  } finally {
    await uploader.stop();
    t.cleanup();
  }
});

test('gcs: a response that never comes is abandoned after stallTimeoutMs and retried', { timeout: 20_000 }, async () => {
  const t = tempDataDir();
  const bucket = newBucket();
  emu.addFault({ route: 'objects.insert', fault: { kind: 'delay', ms: 1_500 }, times: 1, when: (r) => String(r.query.get('name')).includes('/segments/') });
  const { uploader, registry } = gcsUploader(t.dataDir, bucket, { upload: { stallTimeoutMs: 300 } });
  try {
    await uploader.start();
    const seg = writeSealedSegment(t.spoolDir, 1, { keyPath: t.keyPath });
    uploader.onSealed(seg);
    await drained(uploader);
    assert.equal(await metric(registry, 'tapegate_upload_failures_total', { cause: 'timeout' }), 1);
    const name = emu.objectNames(bucket).find((n) => n.endsWith('.tgseg'))!;
    assert.deepEqual(emu.getObject(bucket, name)?.data, seg.data);
    assert.equal(uploader.status().conflicts, 0);
  } finally {
    await emu.idle();
    emu.clearFaults();
    await uploader.stop();
    t.cleanup();
  }
});

test('stop({ flushTimeoutMs }) drains the backlog first; when the store is down it gives up in time and the next start finishes', { timeout: 20_000 }, async () => {
  const t = tempDataDir();
  const bucket = newBucket();
  const first = gcsUploader(t.dataDir, bucket);
  await first.uploader.start();
  const segs = [1, 2, 3].map((seq) => writeSealedSegment(t.spoolDir, seq, { keyPath: t.keyPath }));
  for (const s of segs) first.uploader.onSealed(s);
  await first.uploader.stop({ flushTimeoutMs: 10_000 });
  assert.deepEqual(spoolLeft(t.spoolDir), [], 'flushed on shutdown');
  assert.equal(emu.objectNames(bucket).filter((n) => n.endsWith('.tgseg')).length, 3);

  emu.addFault({ route: '*', fault: { kind: 'status', status: 503 }, times: 1_000_000, when: (r) => r.route !== 'buckets.get' });
  const second = gcsUploader(t.dataDir, bucket);
  try {
    await second.uploader.start();
    const late = writeSealedSegment(t.spoolDir, 4, { keyPath: t.keyPath });
    second.uploader.onSealed(late);
    const t0 = Date.now();
    await second.uploader.stop({ flushTimeoutMs: 300 });
    assert.ok(Date.now() - t0 < 3_000, 'stop is bounded');
    assert.ok(spoolLeft(t.spoolDir).includes(path.basename(late.path)), 'kept in the spool, not dropped');
  } finally {
    emu.clearFaults();
  }
  const third = gcsUploader(t.dataDir, bucket);
  try {
    await third.uploader.start();
    await drained(third.uploader);
    assert.equal(emu.objectNames(bucket).filter((n) => n.endsWith('.tgseg')).length, 4);
  } finally {
    await third.uploader.stop();
    t.cleanup();
  }
});

test('gcs with only objectCreator (objects.get forbidden): verified from create responses; a taken name is kept locally as unverifiable', { timeout: 20_000 }, async () => {
  const t = tempDataDir();
  const bucket = newBucket();
  emu.addFault({ route: 'objects.get', fault: { kind: 'status', status: 403 }, times: 1_000_000 });
  const { uploader, registry, lines } = gcsUploader(t.dataDir, bucket);
  try {
    await uploader.start();
    const taken = writeSealedSegment(t.spoolDir, 1, { keyPath: t.keyPath });
    const fresh = writeSealedSegment(t.spoolDir, 2, { keyPath: t.keyPath });
    emu.putObject(bucket, `tg/keys/gw-1/${path.basename(t.keyPath).slice(4, 20)}.pub`, readFileSync(t.keyPath)); // from an earlier run
    emu.putObject(bucket, `tg/segments/2026/01/01/17/gw-1/${path.basename(taken.path)}`, taken.data);
    uploader.onSealed(taken);
    uploader.onSealed(fresh);
    await drained(uploader);
    const name = emu.objectNames(bucket).find((n) => n.endsWith(path.basename(fresh.path)))!;
    assert.deepEqual(emu.getObject(bucket, name)?.data, fresh.data);
    assert.ok(lines().some((l) => l.event === 'store_head_forbidden'));
    assert.ok(lines().some((l) => l.event === 'key_already_present'), 'an existing key is not an alarm');
    assert.equal(await metric(registry, 'tapegate_upload_conflicts_total', { kind: 'unverifiable' }), 1);
    assert.deepEqual(readFileSync(path.join(t.spoolDir, 'conflicts', path.basename(taken.path))), taken.data);
  } finally {
    emu.clearFaults();
    await uploader.stop();
    t.cleanup();
  }
});

test('readers: createStore({ readOnly }) through store.apiEndpoint lists and reads without the retention check', { timeout: 10_000 }, async () => {
  const t = tempDataDir();
  emu.createBucket('review-unlocked');
  emu.putObject('review-unlocked', 'tg/index/2026/01/01/17/gw-1/000000000001-abc.jsonl', Buffer.from('{"exchangeId":"x"}\n'));
  try {
    const cfg = testConfig(t.dataDir, { type: 'gcs', bucket: 'review-unlocked', prefix: 'tg', apiEndpoint: base });
    const { logger } = captureLogger();
    const writer = createStore(cfg, { logger });
    await assert.rejects(writer.open(), /TG_STORE_BUCKET_NOT_LOCKED|no retention policy/);
    const reader = createStore(cfg, { logger, readOnly: true });
    await reader.open();
    const listed = await reader.list('tg/index/', { delimiter: '/' });
    assert.deepEqual(listed.prefixes, ['tg/index/2026/']);
    assert.equal((await reader.read('tg/index/2026/01/01/17/gw-1/000000000001-abc.jsonl')).toString(), '{"exchangeId":"x"}\n');
  } finally {
    t.cleanup();
  }
});

test('gcs: writer digests are what the store checks: a spool file changed after sealing is refused once, then hashed as it is', { timeout: 20_000 }, async () => {
  const t = tempDataDir();
  const bucket = newBucket();
  const { uploader, registry } = gcsUploader(t.dataDir, bucket);
  try {
    await uploader.start();
    const good = writeSealedSegment(t.spoolDir, 1, { keyPath: t.keyPath, size: 5000 });
    const changed = writeSealedSegment(t.spoolDir, 2, { keyPath: t.keyPath, size: 6000 });
    const digestsOf = (data: Buffer) => ({
      size: data.length,
      crc32c: (() => {
        const b = Buffer.alloc(4);
        b.writeUInt32BE(crc32c(data) >>> 0);
        return b.toString('base64');
      })(),
      md5Hash: createHash('md5').update(data).digest('base64'),
    });
    const flipped = Buffer.from(changed.data);
    flipped[100]! ^= 0xff;
    writeFileSync(changed.path, flipped); // same size, other bytes than the writer hashed
    uploader.onSealed({ ...good, storeDigests: digestsOf(good.data) });
    uploader.onSealed({ ...changed, storeDigests: digestsOf(changed.data) });
    await drained(uploader);
    const names = emu.objectNames(bucket);
    const stored = (s: { path: string }) => emu.getObject(bucket, names.find((n) => n.endsWith(`/${path.basename(s.path)}`))!)?.data;
    assert.deepEqual(stored(good), good.data);
    assert.deepEqual(stored(changed), flipped);
    assert.equal(await metric(registry, 'tapegate_upload_failures_total', { cause: 'checksum' }), 1, 'the store refused the bytes that differ from the written ones');
  } finally {
    await uploader.stop();
    t.cleanup();
  }
});
