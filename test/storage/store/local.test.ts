import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createStore, LocalStore, StoreError } from '../../../storage/store/index.js';
import { hashFile } from '../../../storage/store/hash.js';
import { captureLogger, tempDataDir, testConfig } from '../uploader/helpers.js';

test('local store round trip: create-only put, head, ranged read, list with delimiter', { timeout: 10_000 }, async () => {
  const t = tempDataDir();
  try {
    const store = new LocalStore(path.join(t.dataDir, 'store'), 'tapegate');
    await store.open();
    const src = path.join(t.dataDir, 'src.bin');
    const data = Buffer.from('0123456789abcdef'.repeat(1000));
    writeFileSync(src, data);
    const hashes = await hashFile(src);
    const name = 'tapegate/segments/2026/11/25/17/gw-1/00000001-abc.tgseg';
    const info = await store.putFile(name, src, { contentType: 'application/octet-stream', hashes });
    assert.equal(info.size, data.length);
    assert.equal(info.crc32c, hashes.crc32c);

    // Laid out exactly like the bucket, and read-only.
    const onDisk = path.join(t.dataDir, 'store', ...name.split('/'));
    assert.deepEqual(readFileSync(onDisk), data);
    assert.equal(statSync(onDisk).mode & 0o222, 0, 'stored objects are read-only');

    const head = await store.head(name);
    assert.equal(head?.crc32c, hashes.crc32c);
    assert.equal(head?.md5Hash, hashes.md5Hash);
    assert.equal(await store.head('tapegate/segments/none'), undefined);
    assert.deepEqual(await store.read(name, { start: 16, end: 31 }), data.subarray(16, 32));
    assert.deepEqual(await store.read(name), data);

    // Create-only: the same name again is refused and the object is unchanged.
    writeFileSync(src, Buffer.from('other bytes'));
    await assert.rejects(
      store.putFile(name, src, { contentType: 'application/octet-stream', hashes: await hashFile(src) }),
      (err: unknown) => err instanceof StoreError && err.kind === 'exists',
    );
    assert.deepEqual(readFileSync(onDisk), data);

    const top = await store.list('tapegate/', { delimiter: '/' });
    assert.deepEqual(top.prefixes, ['tapegate/segments/']);
    const deep = await store.list('tapegate/segments/2026/11/25/17/gw-1/');
    assert.deepEqual(deep.objects.map((o) => o.name), [name]);
    // No temporary files left behind.
    assert.deepEqual((await store.list('')).objects.map((o) => o.name), [name]);
  } finally {
    t.cleanup();
  }
});

test('local store refuses a copy whose bytes do not match the hashes it was given', { timeout: 10_000 }, async () => {
  const t = tempDataDir();
  try {
    const store = new LocalStore(path.join(t.dataDir, 'store'), '');
    await store.open();
    const src = path.join(t.dataDir, 'src.bin');
    writeFileSync(src, 'abc');
    const hashes = { ...(await hashFile(src)), crc32c: 'AAAAAA==' };
    await assert.rejects(store.putFile('x/y', src, { contentType: 'text/plain', hashes }), (err: unknown) => err instanceof StoreError && err.kind === 'checksum');
    assert.equal(existsSync(path.join(t.dataDir, 'store', 'x', 'y')), false);
  } finally {
    t.cleanup();
  }
});

test('config: the default store is local at <dataDir>/store; gcs needs a bucket; errors name the field', () => {
  const t = tempDataDir();
  try {
    const cfg = testConfig(t.dataDir, {});
    assert.equal(cfg.store.type, 'local');
    const store = createStore(cfg, { logger: captureLogger().logger });
    assert.equal(store.kind, 'local');
    assert.equal((store as LocalStore).dir, path.resolve(t.dataDir, 'store'));
    assert.equal(store.prefix, 'tapegate');
    assert.throws(() => testConfig(t.dataDir, { type: 'gcs' }), /store\.bucket/);
    assert.throws(() => testConfig(t.dataDir, { type: 'gcs', bucket: 'b-1', credentials: { type: 'impersonate', serviceAccount: 'nope' } }), /store\.credentials\.serviceAccount/);
    assert.throws(() => testConfig(t.dataDir, { type: 'local', upload: { chunkSizeBytes: 1000 } }), /store\.upload\.chunkSizeBytes: expected a multiple of 262144/);
    assert.throws(() => testConfig(t.dataDir, { type: 'ftp' }), /store\.type/);
    const gcs = testConfig(t.dataDir, { type: 'gcs', bucket: 'rec-bucket' });
    assert.equal(gcs.store.type === 'gcs' && gcs.store.credentials.type, 'adc');
    assert.equal(gcs.store.type === 'gcs' && gcs.store.minRetentionDays, 365);
  } finally {
    t.cleanup();
  }
});
