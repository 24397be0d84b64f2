import assert from 'node:assert/strict';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { test } from 'node:test';
import { createStore, LocalStore, StoreError } from '../../../storage/store/index.js';
import { hashBuffer, hashFile } from '../../../storage/store/hash.js';
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

test('local store: a spool file changed after the writer hashed it is refused, whichever digest catches it', { timeout: 10_000 }, async () => {
  const t = tempDataDir();
  try {
    const store = new LocalStore(path.join(t.dataDir, 'store'), '');
    await store.open();
    const src = path.join(t.dataDir, 'src.bin');
    const data = randomBytes(3 * 1024 * 1024 + 17);
    writeFileSync(src, data);
    const hashes = hashBuffer(data);
    // Same size, one byte flipped after the writer's digests were taken.
    const tampered = Buffer.from(data);
    tampered[1_234_567] ^= 0x01;
    writeFileSync(src, tampered);
    await assert.rejects(store.putFile('a/tampered', src, { contentType: 'application/octet-stream', hashes }), (err: unknown) => err instanceof StoreError && err.kind === 'checksum');
    // MD5 alone disagreeing (size and CRC32C as given) is a mismatch too.
    writeFileSync(src, data);
    await assert.rejects(
      store.putFile('a/md5', src, { contentType: 'application/octet-stream', hashes: { ...hashes, md5Hash: hashBuffer(Buffer.from('x')).md5Hash } }),
      (err: unknown) => err instanceof StoreError && err.kind === 'checksum',
    );
    assert.equal(existsSync(path.join(t.dataDir, 'store', 'a', 'tampered')), false);
    assert.equal(existsSync(path.join(t.dataDir, 'store', 'a', 'md5')), false);
    assert.deepEqual(readdirSync(path.join(t.dataDir, 'store', 'a')), [], 'no temporary copies left behind');
    // The untouched file goes in, with the writer's digests.
    const info = await store.putFile('a/good', src, { contentType: 'application/octet-stream', hashes });
    assert.deepEqual({ size: info.size, crc32c: info.crc32c, md5Hash: info.md5Hash }, hashes);
  } finally {
    t.cleanup();
  }
});

test('local store: concurrent puts of one name create it once and never overwrite it', { timeout: 10_000 }, async () => {
  const t = tempDataDir();
  try {
    const store = new LocalStore(path.join(t.dataDir, 'store'), '');
    await store.open();
    const sources = [0, 1, 2, 3].map((i) => {
      const p = path.join(t.dataDir, `src-${i}.bin`);
      const data = randomBytes(256 * 1024 + i);
      writeFileSync(p, data);
      return { p, data, hashes: hashBuffer(data) };
    });
    const results = await Promise.allSettled(sources.map((s) => store.putFile('race/obj', s.p, { contentType: 'application/octet-stream', hashes: s.hashes })));
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    assert.equal(won.length, 1, 'exactly one put creates the object');
    for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof StoreError && r.reason.kind === 'exists', String(r.reason));
    const winner = sources[won[0]!]!;
    assert.deepEqual(readFileSync(path.join(t.dataDir, 'store', 'race', 'obj')), winner.data);
    assert.deepEqual(await store.head('race/obj'), { name: 'race/obj', ...winner.hashes });
    assert.deepEqual(readdirSync(path.join(t.dataDir, 'store', 'race')), ['obj'], 'no temporary copies left behind');
  } finally {
    t.cleanup();
  }
});

test('local store: head reports the bytes on disk, even when the stored file was changed after its put', { timeout: 10_000 }, async () => {
  const t = tempDataDir();
  try {
    const store = new LocalStore(path.join(t.dataDir, 'store'), '');
    await store.open();
    const src = path.join(t.dataDir, 'src.bin');
    const data = randomBytes(1024 * 1024);
    writeFileSync(src, data);
    const hashes = hashBuffer(data);
    await store.putFile('h/obj', src, { contentType: 'application/octet-stream', hashes });
    assert.deepEqual(await store.head('h/obj'), { name: 'h/obj', ...hashes });
    // Someone rewrites the stored object in place with other bytes of the same size.
    const onDisk = path.join(t.dataDir, 'store', 'h', 'obj');
    const other = randomBytes(data.length);
    chmodSync(onDisk, 0o644);
    writeFileSync(onDisk, other);
    chmodSync(onDisk, 0o444);
    assert.deepEqual(await store.head('h/obj'), { name: 'h/obj', ...hashBuffer(other) });
    // A second store instance (a restart) has no memory of the put and hashes the file.
    const again = new LocalStore(path.join(t.dataDir, 'store'), '');
    assert.deepEqual(await again.head('h/obj'), { name: 'h/obj', ...hashBuffer(other) });
  } finally {
    t.cleanup();
  }
});

test('hashFile: digests of a file from the hash thread, errors as the file system gave them, abortable', { timeout: 10_000 }, async () => {
  const t = tempDataDir();
  try {
    const p = path.join(t.dataDir, 'f.bin');
    const data = randomBytes(5 * 1024 * 1024 + 3);
    writeFileSync(p, data);
    const [a, b] = await Promise.all([hashFile(p), hashFile(p)]);
    assert.deepEqual(a, hashBuffer(data));
    assert.deepEqual(b, a);
    // An abort while the thread hashes rejects at once; the thread stays usable.
    const ac = new AbortController();
    const aborted = hashFile(p, ac.signal);
    ac.abort(new StoreError('timeout', 'stop'));
    await assert.rejects(aborted, (err: unknown) => err instanceof StoreError && err.kind === 'timeout');
    await assert.rejects(hashFile(p, ac.signal), (err: unknown) => err instanceof StoreError && err.kind === 'timeout');
    assert.deepEqual(await hashFile(p), a);
    // Small files (hashed in place) and empty ones.
    writeFileSync(p, 'abc');
    assert.deepEqual(await hashFile(p), hashBuffer(Buffer.from('abc')));
    writeFileSync(p, '');
    assert.deepEqual(await hashFile(p), hashBuffer(Buffer.alloc(0)));
    await assert.rejects(hashFile(path.join(t.dataDir, 'missing')), (err: NodeJS.ErrnoException) => err.code === 'ENOENT' && err.syscall === 'open');
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
