import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Storage } from '@google-cloud/storage';
import { GcsEmulator, emulatorStorageOptions, gcsCrc32c, gcsMd5 } from '../../support/gcs-emulator/index.js';

// The emulator's own behaviours, seen through the real @google-cloud/storage client.
let emu: GcsEmulator;
let storage: Storage;

before(async () => {
  emu = new GcsEmulator({ requireAuth: true });
  storage = new Storage({ ...emulatorStorageOptions(await emu.start()), retryOptions: { autoRetry: false } });
  emu.createBucket('plain');
});
after(() => emu.stop());

test('emulator: hashes in GCS form, metadata, ranged download, and the client\'s own headers', { timeout: 10_000 }, async () => {
  const data = Buffer.from('hello, emulator');
  await storage.bucket('plain').file('dir/a.txt').save(data, { resumable: false, contentType: 'text/plain', metadata: { metadata: { k: 'v' } } });
  const [md] = await storage.bucket('plain').file('dir/a.txt').getMetadata();
  assert.equal(md.crc32c, gcsCrc32c(data));
  assert.equal(md.md5Hash, gcsMd5(data));
  assert.equal(md.size, String(data.length));
  assert.equal(md.contentType, 'text/plain');
  assert.deepEqual(md.metadata, { k: 'v' });
  // gcsCrc32c is the big-endian CRC32C in base64: for "hello, emulator" a fixed 4-byte value.
  assert.equal(Buffer.from(String(md.crc32c), 'base64').length, 4);
  const [part] = await storage.bucket('plain').file('dir/a.txt').download({ start: 7, end: 14 });
  assert.equal(part.toString(), 'emulator');
  const insert = emu.requests.find((r) => r.route === 'objects.insert')!;
  assert.equal(insert.query.uploadType, 'multipart');
  assert.match(String(insert.apiClient), /gccl\/7\./, 'x-goog-api-client from the real client');
  assert.ok(insert.authorized);
});

test('emulator: preconditions are checked when a resumable session completes (412 conditionNotMet)', { timeout: 10_000 }, async () => {
  const file = storage.bucket('plain').file('race');
  const [uri1] = await file.createResumableUpload({ preconditionOpts: { ifGenerationMatch: 0 } });
  const [uri2] = await file.createResumableUpload({ preconditionOpts: { ifGenerationMatch: 0 } });
  const put = (uri: string, body: string) =>
    new Promise<void>((resolve, reject) => {
      file.createWriteStream({ uri, resumable: true, validation: false }).on('error', reject).on('finish', resolve).end(Buffer.from(body));
    });
  await put(uri1, 'first');
  await assert.rejects(put(uri2, 'second'), (err: unknown) => /412|pre-conditions/.test(String((err as Error).message) + JSON.stringify(err)));
  assert.equal(emu.getObject('plain', 'race')?.data.toString(), 'first');
});

test('emulator: list pages with pageToken; delimiter folds into prefixes; retention needs Object Retention Lock', { timeout: 10_000 }, async () => {
  for (let i = 0; i < 5; i++) emu.putObject('plain', `list/x/${i}`, Buffer.from(String(i)));
  emu.putObject('plain', 'list/y/deep/z', Buffer.from('z'));
  const names: string[] = [];
  let pageToken: string | undefined;
  for (let page = 0; page < 10; page++) {
    const [files, next] = await storage.bucket('plain').getFiles({ prefix: 'list/x/', maxResults: 2, autoPaginate: false, ...(pageToken ? { pageToken } : {}) });
    names.push(...files.map((f) => f.name));
    pageToken = (next as { pageToken?: string } | null)?.pageToken;
    if (!pageToken) break;
  }
  assert.deepEqual(names, ['list/x/0', 'list/x/1', 'list/x/2', 'list/x/3', 'list/x/4']);
  assert.equal(emu.requests.filter((r) => r.route === 'objects.list' && r.query.pageToken).length, 2);
  const [, , resp] = await storage.bucket('plain').getFiles({ prefix: 'list/', delimiter: '/', autoPaginate: false });
  assert.deepEqual((resp as { prefixes: string[] }).prefixes, ['list/x/', 'list/y/']);
  await assert.rejects(
    storage
      .bucket('plain')
      .file('r')
      .save('x', { resumable: false, metadata: { retention: { mode: 'Locked', retainUntilTime: new Date(Date.now() + 60_000).toISOString() } } }),
    (err: unknown) => (err as { code: number }).code === 400,
  );
});

test('emulator: fault injection per route — 503, 429 and slow responses', { timeout: 10_000 }, async () => {
  emu.addFault({ route: 'buckets.get', fault: { kind: 'status', status: 503 } });
  emu.addFault({ route: 'buckets.get', fault: { kind: 'status', status: 429 } });
  emu.addFault({ route: 'buckets.get', fault: { kind: 'delay', ms: 200 } });
  await assert.rejects(storage.bucket('plain').getMetadata(), (err: unknown) => (err as { code: number }).code === 503);
  await assert.rejects(storage.bucket('plain').getMetadata(), (err: unknown) => (err as { code: number }).code === 429);
  const t0 = Date.now();
  await storage.bucket('plain').getMetadata();
  assert.ok(Date.now() - t0 >= 190, 'the third call was slowed');
  await storage.bucket('plain').getMetadata(); // faults are used up
});

test('emulator: the client\'s own chunked resumable upload survives a 503 mid-upload (status query, 308 + Range, resend of that chunk only)', { timeout: 15_000 }, async () => {
  const data = Buffer.alloc(1024 * 1024 + 9);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
  const file = storage.bucket('plain').file('chunked');
  const [uri] = await file.createResumableUpload({ metadata: { contentLength: data.length }, preconditionOpts: { ifGenerationMatch: 0 } });
  emu.addFault({ route: 'resumable.put', fault: { kind: 'status', status: 503 }, when: (r) => String(r.headers['content-range']).startsWith('bytes 262144-') });
  const client = new Storage({ ...emulatorStorageOptions(emu.baseUrl), retryOptions: { autoRetry: true, maxRetries: 3, retryDelayMultiplier: 1.1, maxRetryDelay: 1 } });
  await new Promise<void>((resolve, reject) => {
    client
      .bucket('plain')
      .file('chunked')
      .createWriteStream({ uri, resumable: true, chunkSize: 256 * 1024, metadata: { contentLength: data.length }, preconditionOpts: { ifGenerationMatch: 0 } })
      .on('error', reject)
      .on('finish', resolve)
      .end(data);
  });
  assert.deepEqual(emu.getObject('plain', 'chunked')?.data, data);
  const puts = emu.requests.filter((r) => r.route === 'resumable.put' && r.query.name === 'chunked').map((r) => `${r.contentRange} ${r.status}`);
  assert.ok(puts.includes(`bytes 262144-524287/${data.length} 503`));
  assert.equal(puts.filter((p) => p.startsWith('bytes 0-')).length, 1, 'never restarted from 0');
  assert.equal(puts[puts.length - 1], `bytes 1048576-1048584/${data.length} 200`);
});
