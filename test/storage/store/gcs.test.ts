import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Storage } from '@google-cloud/storage';
import type { GcsStoreConfig } from '../../../core/config/store.js';
import { TapegateError } from '../../../core/errors.js';
import { GcsStore, StoreError } from '../../../storage/store/index.js';
import { hashFile } from '../../../storage/store/hash.js';
import { GcsEmulator, emulatorStorageOptions, gcsCrc32c } from '../../support/gcs-emulator/index.js';
import { captureLogger, tempDataDir, testConfig } from '../uploader/helpers.js';

const DAY = 86_400;
let emu: GcsEmulator;
let base: string;

before(async () => {
  emu = new GcsEmulator({ requireAuth: true });
  base = await emu.start();
  emu.createBucket('locked', { retentionPeriodSeconds: 400 * DAY, locked: true });
  emu.createBucket('object-lock', { retentionPeriodSeconds: 400 * DAY, locked: true, objectRetention: true });
  emu.createBucket('unlocked', { retentionPeriodSeconds: 400 * DAY, locked: false });
  emu.createBucket('short', { retentionPeriodSeconds: 30 * DAY, locked: true });
  emu.createBucket('no-policy');
});
after(() => emu.stop());

function gcsConfig(bucket: string, extra: Record<string, unknown> = {}): GcsStoreConfig {
  const t = tempDataDir();
  t.cleanup();
  const cfg = testConfig(t.dataDir, { type: 'gcs', bucket, prefix: 'rec', minRetentionDays: 365, upload: { resumableThresholdBytes: 512 * 1024, chunkSizeBytes: 256 * 1024 }, ...extra });
  if (cfg.store.type !== 'gcs') throw new Error('expected gcs');
  return cfg.store;
}

function storeFor(bucket: string, extra: Record<string, unknown> = {}, allowUnlockedBucket = false) {
  const { logger, lines } = captureLogger();
  const store = new GcsStore(gcsConfig(bucket, extra), { logger, allowUnlockedBucket, storage: new Storage({ ...emulatorStorageOptions(base), retryOptions: { autoRetry: false } }) });
  return { store, lines };
}

test('gcs store opens on a locked bucket whose period is long enough', { timeout: 10_000 }, async () => {
  const { store, lines } = storeFor('locked');
  await store.open();
  assert.ok(lines().some((l) => l.event === 'store_opened' && l.retentionPeriodSeconds === 400 * DAY));
  // The check went through the real client with the store's credentials.
  assert.ok(emu.requests.some((r) => r.route === 'buckets.get' && r.authorized));
});

test('startup is refused on an unlocked bucket, a short period or no policy, naming the Terraform fix', { timeout: 10_000 }, async () => {
  const cases: Array<[string, RegExp]> = [
    ['unlocked', /retention policy is not locked/],
    ['short', /retention period is 2592000s .* shorter than store\.minRetentionDays = 365/],
    ['no-policy', /has no retention policy/],
  ];
  for (const [bucket, why] of cases) {
    const { store } = storeFor(bucket);
    await assert.rejects(store.open(), (err: unknown) => {
      assert.ok(err instanceof TapegateError);
      assert.equal(err.code, 'TG_STORE_BUCKET_NOT_LOCKED');
      assert.match(err.message, why);
      assert.match(err.message, /resource "google_storage_bucket"/);
      assert.match(err.message, /is_locked\s+= true/);
      assert.match(err.message, /retention_period = 31536000/);
      assert.match(err.message, /--allow-unlocked-bucket/);
      return true;
    });
  }
  const { store } = storeFor('does-not-exist');
  await assert.rejects(store.open(), (err: unknown) => err instanceof TapegateError && err.code === 'TG_STORE_BUCKET_MISSING' && /google_storage_bucket/.test(err.message));
});

test('allowUnlockedBucket starts on an unlocked bucket and logs a warning', { timeout: 10_000 }, async () => {
  for (const viaConfig of [false, true]) {
    const { store, lines } = viaConfig ? storeFor('unlocked', { allowUnlockedBucket: true }) : storeFor('unlocked', {}, true);
    await store.open();
    const warn = lines().find((l) => l.event === 'store_bucket_unlocked');
    assert.ok(warn, 'a warning is logged');
    assert.equal(warn.level, 40);
    assert.match(String(warn.msg), /DEVELOPMENT ONLY/);
  }
});

test('puts are create-only with CRC32C: simple and resumable, read back and listed', { timeout: 15_000 }, async () => {
  const t = tempDataDir();
  try {
    const { store } = storeFor('locked');
    await store.open();
    const small = path.join(t.dataDir, 'small');
    const large = path.join(t.dataDir, 'large');
    const smallData = Buffer.from('small segment bytes');
    const largeData = Buffer.alloc(1024 * 1024 + 17, 9);
    writeFileSync(small, smallData);
    writeFileSync(large, largeData);
    const sessions: string[] = [];
    const a = await store.putFile('rec/a/small', small, { contentType: 'application/octet-stream', hashes: await hashFile(small) });
    const b = await store.putFile('rec/a/large', large, { contentType: 'application/octet-stream', hashes: await hashFile(large), onSession: (u) => void sessions.push(u) });
    assert.equal(a.crc32c, gcsCrc32c(smallData));
    assert.equal(b.size, largeData.length);
    assert.equal(sessions.length, 1, 'the large file used a resumable session');
    assert.deepEqual(emu.getObject('locked', 'rec/a/large')?.data, largeData);
    // The requests say create-only.
    const inserts = emu.requests.filter((r) => (r.route === 'objects.insert' || r.route === 'resumable.initiate') && r.query.name?.startsWith('rec/a/'));
    assert.equal(inserts.length, 2);
    for (const r of inserts) assert.equal(r.query.ifGenerationMatch, '0');
    assert.ok(emu.requests.some((r) => r.route === 'resumable.put' && r.contentRange === `bytes 262144-524287/${largeData.length}`));

    await assert.rejects(
      store.putFile('rec/a/small', small, { contentType: 'application/octet-stream', hashes: await hashFile(small) }),
      (err: unknown) => err instanceof StoreError && err.kind === 'exists',
    );
    // A CRC32C that does not match the bytes: GCS refuses and no object appears.
    await assert.rejects(
      store.putFile('rec/a/bad', small, { contentType: 'application/octet-stream', hashes: { ...(await hashFile(small)), crc32c: 'AAAAAA==', md5Hash: undefined as never } }),
      (err: unknown) => err instanceof StoreError && err.kind === 'checksum',
    );
    assert.equal(emu.getObject('locked', 'rec/a/bad'), undefined);

    assert.deepEqual(await store.read('rec/a/large', { start: 5, end: 9 }), largeData.subarray(5, 10));
    assert.equal((await store.head('rec/a/large'))?.crc32c, gcsCrc32c(largeData));
    assert.equal(await store.head('rec/a/missing'), undefined);
    const page1 = await store.list('rec/', { delimiter: '/' });
    assert.deepEqual(page1.prefixes, ['rec/a/']);
    const p = await store.list('rec/a/', { maxResults: 1 });
    assert.deepEqual(p.objects.map((o) => o.name), ['rec/a/large']);
    assert.ok(p.nextPageToken);
    const p2 = await store.list('rec/a/', { maxResults: 1, pageToken: p.nextPageToken });
    assert.deepEqual(p2.objects.map((o) => o.name), ['rec/a/small']);
  } finally {
    t.cleanup();
  }
});

test('objects carry a Locked retention where the bucket has Object Retention Lock', { timeout: 10_000 }, async () => {
  const t = tempDataDir();
  try {
    const { store } = storeFor('object-lock', { objectRetentionDays: 400 });
    await store.open();
    const f = path.join(t.dataDir, 'f');
    writeFileSync(f, 'x');
    await store.putFile('rec/o', f, { contentType: 'text/plain', hashes: await hashFile(f) });
    const md = emu.getObject('object-lock', 'rec/o')!.metadata as { retention?: { mode: string; retainUntilTime: string } };
    assert.equal(md.retention?.mode, 'Locked');
    const days = (Date.parse(md.retention!.retainUntilTime) - Date.now()) / 86_400_000;
    assert.ok(days > 399 && days <= 400, `retained ~400 days, got ${days}`);

    // On a bucket without Object Retention Lock no per-object retention is sent.
    const plain = storeFor('locked');
    await plain.store.open();
    await plain.store.putFile('rec/plain', f, { contentType: 'text/plain', hashes: await hashFile(f) });
    assert.equal((emu.getObject('locked', 'rec/plain')!.metadata as { retention?: unknown }).retention, undefined);
  } finally {
    t.cleanup();
  }
});

test('deleting a retained object is refused with 403 in Google\'s shape (through the real client)', { timeout: 10_000 }, async () => {
  emu.putObject('locked', 'rec/retained', Buffer.from('keep me'));
  const storage = new Storage({ ...emulatorStorageOptions(base), retryOptions: { autoRetry: false } });
  await assert.rejects(storage.bucket('locked').file('rec/retained').delete(), (err: unknown) => {
    const e = err as { code: number; errors: Array<{ reason: string }>; message: string };
    assert.equal(e.code, 403);
    assert.equal(e.errors[0]?.reason, 'retentionPolicyNotMet');
    assert.match(e.message, /retention policy/);
    return true;
  });
  assert.ok(emu.getObject('locked', 'rec/retained'));
  // Without retention the same call succeeds, so the 403 above is the retention at work.
  emu.putObject('no-policy', 'rec/free', Buffer.from('x'));
  await storage.bucket('no-policy').file('rec/free').delete();
  assert.equal(emu.getObject('no-policy', 'rec/free'), undefined);
  // Object retention alone also protects.
  emu.createBucket('or-only', { objectRetention: true });
  await storage
    .bucket('or-only')
    .file('rec/or')
    .save(Buffer.from('y'), { resumable: false, metadata: { retention: { mode: 'Locked', retainUntilTime: new Date(Date.now() + 3600_000).toISOString() } } });
  await assert.rejects(storage.bucket('or-only').file('rec/or').delete(), (err: unknown) => (err as { code: number }).code === 403);
});
