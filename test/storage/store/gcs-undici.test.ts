// Loaded first, as in every gateway process (core/upstream imports undici): importing undici 7 installs
// its Agent as the global dispatcher that Node's own fetch() then uses.
import 'undici';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Storage } from '@google-cloud/storage';
import { GcsStore } from '../../../storage/store/index.js';
import { hashFile } from '../../../storage/store/hash.js';
import { GcsEmulator, emulatorStorageOptions } from '../../support/gcs-emulator/index.js';
import { captureLogger, tempDataDir, testConfig } from '../uploader/helpers.js';

/**
 * Regression: resumable chunks sent with an explicit Content-Length next to the one fetch derives were
 * refused by undici 7's dispatcher ("invalid content-length header") before reaching the network, so
 * in a real gateway every large segment failed to upload forever while the unit tests (no undici
 * loaded) passed.
 */
let emu: GcsEmulator;
let base: string;

before(async () => {
  emu = new GcsEmulator();
  base = await emu.start();
  emu.createBucket('locked', { retentionPeriodSeconds: 400 * 86_400, locked: true });
});
after(() => emu.stop());

test('resumable chunks and a session status query work with undici 7 as the global dispatcher', { timeout: 15_000 }, async () => {
  const t = tempDataDir();
  try {
    const cfg = testConfig(t.dataDir, { type: 'gcs', bucket: 'locked', prefix: 'rec', minRetentionDays: 365, upload: { resumableThresholdBytes: 256 * 1024, chunkSizeBytes: 256 * 1024 } });
    if (cfg.store.type !== 'gcs') throw new Error('expected gcs');
    const { logger } = captureLogger();
    const store = new GcsStore(cfg.store, { logger, storage: new Storage({ ...emulatorStorageOptions(base), retryOptions: { autoRetry: false } }) });
    await store.open();
    const file = path.join(t.dataDir, 'big.bin');
    writeFileSync(file, randomBytes(600_000));
    const hashes = await hashFile(file);
    let session = '';
    // the first chunk fails after the session exists, so the second attempt resumes with a status query
    emu.addFault({ route: 'resumable.put', fault: { kind: 'status', status: 503 }, times: 1 });
    await assert.rejects(store.putFile('rec/big.bin', file, { contentType: 'application/octet-stream', hashes, onSession: (u) => void (session = u) }));
    assert.ok(session, 'a session was opened');
    const info = await store.putFile('rec/big.bin', file, { contentType: 'application/octet-stream', hashes, resumeSession: session });
    assert.equal(info.size, 600_000);
    assert.equal(info.crc32c, hashes.crc32c);
    const puts = emu.requests.filter((r) => r.route === 'resumable.put');
    assert.ok(puts.some((r) => r.contentRange === 'bytes */*' && r.status === 308), 'the status query reached the emulator');
    assert.deepEqual(
      puts.filter((r) => /^bytes \d/.test(String(r.contentRange))).map((r) => [r.contentRange, r.status]),
      [
        ['bytes 0-262143/600000', 503],
        ['bytes 0-262143/600000', 308],
        ['bytes 262144-524287/600000', 308],
        ['bytes 524288-599999/600000', 200],
      ],
    );
  } finally {
    t.cleanup();
  }
});
