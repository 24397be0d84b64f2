import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { nowNs } from '../../../core/clock.js';
import type { ExchangeEnd } from '../../../core/exchange.js';
import { HeaderRedactor } from '../../../core/redact.js';
import { SegmentReader, verifyChain } from '../../../storage/reader/reader.js';
import { createRecorder } from '../../../storage/recorder/recorder.js';
import type { DecodedRecord } from '../../../storage/segment/records.js';
import { decompressedRecordBytes } from '../../../storage/microbench.js';
import type { SealedSegment } from '../../../storage/types.js';
import { durable, head, indexFileOf, readIndex, readIndexLines, recordingConfig, sealedSegments, tempDir, withTimeout } from '../helpers.js';

async function readAll(files: string[]): Promise<DecodedRecord[]> {
  const out: DecodedRecord[] = [];
  for (const f of files) {
    for await (const e of new SegmentReader(f).events()) {
      if (e.type === 'damage') assert.fail(`unexpected damage: ${JSON.stringify(e.damage)}`);
      out.push(e.record);
    }
  }
  return out;
}

const done = (n: number, m: number): ExchangeEnd => ({ outcome: 'completed', error: '', completedNs: nowNs(), requestBytes: n, responseBytes: m });

test('every record type round-trips through recorder, writer and reader', { timeout: 30_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const sealed: SealedSegment[] = [];
    const rec = await createRecorder({ recording: recordingConfig(), instanceId: 'rt-1', dataDir: dir, sealedListener: { onSealed: (s) => sealed.push(s) } });
    const h = head({ decision: { action: 'review', rule: 'deletes', reviewId: 'rv-1', reason: 'needs a human' } });
    const r = rec.begin(h)!;
    const reqBody = Buffer.from('{"name":"x"}');
    r.requestBody(reqBody.subarray(0, 5));
    r.requestBody(reqBody.subarray(5));
    const respHead = { status: 201, headers: [['content-type', 'application/json'], ['x-guploader-uploadid', 'abc']] as Array<[string, string]>, upstreamConnectedNs: nowNs(), firstByteNs: nowNs() };
    r.responseHead(respHead);
    r.responseBody(Buffer.from('{"ok":true}'));
    const end: ExchangeEnd = { ...done(reqBody.length, 11), decision: { action: 'allow', rule: 'deletes', reviewId: 'rv-1', reviewedBy: 'alice', reviewedAtMs: 1764000000000, reviewReason: 'fine' } };
    assert.equal(await durable(r, end), null);
    const failed = head({ identity: null, decision: null, operation: '', resource: '' });
    const r2 = rec.begin(failed)!;
    assert.equal(await durable(r2, { outcome: 'upstream_error', error: 'connect ECONNREFUSED', completedNs: nowNs(), requestBytes: 0, responseBytes: 0 }), null);
    const rejected = head();
    rec.reject(rejected, 'recording disk full');
    await rec.close();

    assert.equal(sealed.length, 1);
    const files = sealedSegments(dir);
    assert.deepEqual(files, [sealed[0]!.path]);
    const records = await readAll(files);
    assert.deepEqual(records.map((x) => x.type), ['start', 'body', 'body', 'response', 'body', 'end', 'start', 'end', 'start', 'end']);
    const [start, b1, b2, resp, b3, endRec] = records as [DecodedRecord, ...DecodedRecord[]];
    assert.deepEqual(start, { type: 'start', ...h, identity: { ...h.identity!, groups: [...h.identity!.groups] } });
    assert.deepEqual(b1, { type: 'body', exchangeId: h.exchangeId, direction: 'request', offset: 0, data: reqBody.subarray(0, 5) });
    assert.deepEqual(b2, { type: 'body', exchangeId: h.exchangeId, direction: 'request', offset: 5, data: reqBody.subarray(5) });
    assert.deepEqual(resp, { type: 'response', exchangeId: h.exchangeId, ...respHead });
    assert.deepEqual(b3, { type: 'body', exchangeId: h.exchangeId, direction: 'response', offset: 0, data: Buffer.from('{"ok":true}') });
    assert.deepEqual(endRec, { type: 'end', exchangeId: h.exchangeId, ...end });
    assert.equal(records[6]!.type === 'start' && records[6].identity, null);
    assert.deepEqual(records[7], { type: 'end', exchangeId: failed.exchangeId, outcome: 'upstream_error', error: 'connect ECONNREFUSED', completedNs: (records[7] as { completedNs: bigint }).completedNs, requestBytes: 0, responseBytes: 0, decision: null });
    assert.equal(records[9]!.type === 'end' && records[9].outcome, 'rejected_unrecordable');
    assert.equal(records[9]!.type === 'end' && records[9].error, 'recording disk full');

    // the index beside the segment: one line per exchange
    const lines = await readIndex(sealed[0]!.indexPath);
    assert.equal(lines.length, 3);
    assert.deepEqual(
      lines.map((l) => [l.exchangeId, l.outcome, l.status, l.state]),
      [
        [h.exchangeId, 'completed', 201, 'ended'],
        [failed.exchangeId, 'upstream_error', 0, 'ended'],
        [rejected.exchangeId, 'rejected_unrecordable', 0, 'ended'],
      ],
    );
    assert.equal(lines[0]!.subject, 'agent-1');
    assert.equal(lines[0]!.requestBytes, reqBody.length);
    assert.equal(lines[0]!.decision, 'allow');
    assert.match(String(lines[0]!.time), /^\d{4}-\d\d-\d\dT/);
    assert.equal(readFileSync(sealed[0]!.publicKeyPath, 'utf8').startsWith('-----BEGIN PUBLIC KEY-----'), true);

    const report = await verifyChain(files);
    assert.equal(report.ok, true);
    assert.equal(report.segments[0]!.trailer!.recordCount, 10);
    assert.equal(report.segments[0]!.trailer!.recovered, false);
    assert.equal(report.segments[0]!.trailer!.firstExchangeId, [h.exchangeId, failed.exchangeId, rejected.exchangeId].sort()[0]);
  } finally {
    cleanup();
  }
});

test('metadata mode records heads and sizes but no body bytes; off records nothing', { timeout: 30_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const rec = await createRecorder({ recording: recordingConfig({ durability: 'async' }), instanceId: 'rt-2', dataDir: dir });
    const m = head({ mode: 'metadata' });
    const r = rec.begin(m)!;
    r.requestBody(Buffer.from('SECRET-BODY-REQUEST'));
    r.responseHead({ status: 200, headers: [], upstreamConnectedNs: nowNs(), firstByteNs: nowNs() });
    r.responseBody(Buffer.from('SECRET-BODY-RESPONSE'));
    assert.equal(await durable(r, done(19, 20)), null);
    const off = head({ mode: 'off' });
    const r2 = rec.begin(off)!;
    r2.requestBody(Buffer.from('OFF-BODY'));
    assert.equal(await durable(r2, done(8, 0)), null);
    await rec.close();
    const files = sealedSegments(dir);
    const records = await readAll(files);
    assert.deepEqual(records.map((x) => x.type), ['start', 'response', 'end']);
    assert.equal(records[2]!.type === 'end' && records[2].requestBytes, 19);
    assert.equal(records[2]!.type === 'end' && records[2].responseBytes, 20);
    const raw = Buffer.concat(files.map((f) => decompressedRecordBytes(f)));
    assert.equal(raw.includes('SECRET-BODY'), false);
    assert.equal(raw.includes(off.exchangeId), false);
  } finally {
    cleanup();
  }
});

test('secrets redacted by core/redact never reach the segment bytes', { timeout: 30_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const agentToken = 'eyJhbGciOiJSUzI1NiJ9.AGENT-TOKEN-ab12cd34ef56.sig';
    const cookie = 'SID=COOKIE-SECRET-9f8e7d';
    const custom = 'X-CUSTOM-SECRET-4455';
    const redactor = new HeaderRedactor(['x-api-key']);
    const rec = await createRecorder({ recording: recordingConfig(), instanceId: 'rt-3', dataDir: dir });
    const h = head({
      requestHeaders: redactor.redact([
        ['authorization', `Bearer ${agentToken}`],
        ['proxy-authorization', `Basic ${agentToken}`],
        ['cookie', cookie],
        ['x-api-key', custom],
        ['accept', 'application/json'],
      ]),
    });
    const r = rec.begin(h)!;
    r.responseHead({ status: 200, headers: redactor.redact([['set-cookie', cookie]]), upstreamConnectedNs: nowNs(), firstByteNs: nowNs() });
    assert.equal(await durable(r, done(0, 0)), null);
    await rec.close();
    const files = sealedSegments(dir);
    const raw = Buffer.concat([...files.map((f) => decompressedRecordBytes(f)), ...files.map((f) => readFileSync(f))]);
    for (const secret of [agentToken, 'AGENT-TOKEN-ab12cd34ef56', cookie, 'COOKIE-SECRET-9f8e7d', custom]) {
      assert.equal(raw.includes(secret), false, `${secret} found in the segment`);
    }
    // the marker is there, so equal tokens can still be correlated
    assert.equal(raw.includes('[redacted sha256:'), true);
    const index = (await readIndexLines(indexFileOf(files[0]!))).join('\n');
    assert.ok(index.includes('"exchangeId"'), 'the index is read');
    assert.equal(index.includes('AGENT-TOKEN'), false);
  } finally {
    cleanup();
  }
});

test('segments rotate by size and by age and chain to each other', { timeout: 30_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const rec = await createRecorder({
      recording: recordingConfig({ segmentMaxBytes: 64 * 1024, segmentMaxAgeMs: 300, frameBytes: 64 * 1024 }),
      instanceId: 'rt-4',
      dataDir: dir,
    });
    const noise = Buffer.alloc(48 * 1024);
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < noise.length; j += 4) noise.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, j);
      const r = rec.begin(head())!;
      r.responseBody(noise);
      assert.equal(await durable(r, done(0, noise.length)), null);
    }
    const bySize = sealedSegments(dir).length;
    assert.ok(bySize >= 3, `expected size rotation, got ${bySize} sealed segments`);
    const r = rec.begin(head())!;
    assert.equal(await durable(r, done(0, 0)), null);
    await new Promise((res) => setTimeout(res, 900));
    assert.equal(sealedSegments(dir).length, bySize + 1, 'age rotation sealed the small segment');
    await rec.close();
    const files = sealedSegments(dir);
    const report = await verifyChain(files);
    assert.deepEqual(report.damage, []);
    assert.deepEqual(report.segments.map((s) => s.header!.seq), files.map((_, i) => i + 1));
  } finally {
    cleanup();
  }
});

test('a restarted recorder continues the chain of the previous run', { timeout: 30_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    for (let run = 0; run < 2; run++) {
      const rec = await createRecorder({ recording: recordingConfig(), instanceId: 'rt-5', dataDir: dir });
      const r = rec.begin(head())!;
      assert.equal(await durable(r, done(0, 0)), null);
      await rec.close();
    }
    const report = await verifyChain(sealedSegments(dir));
    assert.equal(report.segments.length, 2);
    assert.deepEqual(report.damage, []);
    assert.equal(report.segments[1]!.header!.prevSha256, report.segments[0]!.sha256);
    assert.equal(report.segments[1]!.header!.keyId, report.segments[0]!.header!.keyId, 'the generated key is reused');
  } finally {
    cleanup();
  }
});

test('sync durability: group commit confirms many exchanges per fsync, only after the write', { timeout: 30_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const rec = await createRecorder({ recording: recordingConfig({ durability: 'sync' }), instanceId: 'rt-6', dataDir: dir });
    const N = 200;
    const waits: Array<Promise<Error | null>> = [];
    let confirmedSync = 0;
    for (let i = 0; i < N; i++) {
      const r = rec.begin(head())!;
      r.responseBody(Buffer.from(`body ${i}`));
      waits.push(
        new Promise((resolve) =>
          r.end(done(0, 6), (err) => {
            confirmedSync++;
            resolve(err);
          }),
        ),
      );
    }
    assert.equal(confirmedSync, 0, 'nothing is confirmed before the writer thread answered');
    assert.deepEqual(new Set(await Promise.all(waits)), new Set([null]));
    assert.ok(rec.counters.syncs >= 1 && rec.counters.syncs <= 5, `${rec.counters.syncs} fsyncs for ${N} exchanges`);
    await rec.close();
  } finally {
    cleanup();
  }
});

test('sync commit window: an ending exchange waits for running ones to share its fsync; a lone one does not', { timeout: 30_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    // A window far longer than any fsync here, so "waited for the window" and "did not" cannot be confused.
    const rec = await createRecorder({ recording: recordingConfig({ durability: 'sync', syncCommitWindowMs: 1000 }), instanceId: 'rt-6w', dataDir: dir });
    const lone = rec.begin(head())!;
    const t0 = performance.now();
    assert.equal(await durable(lone, done(0, 1)), null);
    assert.ok(performance.now() - t0 < 900, 'with no other exchange running, the commit went at once (not after the 1 s window)');

    const syncsBefore = rec.counters.syncs;
    const a = rec.begin(head())!;
    const b = rec.begin(head())!;
    let aConfirmed = false;
    const aDurable = new Promise<Error | null>((resolve) =>
      a.end(done(0, 1), (err) => {
        aConfirmed = true;
        resolve(err);
      }),
    );
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(aConfirmed, false, 'a waits inside the window while b is still running');
    assert.equal(await durable(b, done(0, 1)), null);
    assert.equal(await aDurable, null);
    assert.equal(rec.counters.syncs - syncsBefore, 1, 'a and b shared one fsync');
    await rec.close();

    const dir0 = tempDir();
    const rec0 = await createRecorder({ recording: recordingConfig({ durability: 'sync', syncCommitWindowMs: 0 }), instanceId: 'rt-6z', dataDir: dir0.dir });
    const c = rec0.begin(head())!;
    const running = rec0.begin(head())!;
    assert.equal(await withTimeout(durable(c, done(0, 1)), 10_000, 'window 0: c is confirmed while another exchange still runs'), null);
    assert.equal(await durable(running, done(0, 1)), null);
    await rec0.close();
    dir0.cleanup();
  } finally {
    cleanup();
  }
});

test('async durability: onDurable at once, frames reach the file within flushIntervalMs', { timeout: 30_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const rec = await createRecorder({ recording: recordingConfig({ durability: 'async', flushIntervalMs: 20 }), instanceId: 'rt-7', dataDir: dir });
    const r = rec.begin(head())!;
    r.responseBody(Buffer.from('async body'));
    assert.equal(await durable(r, done(0, 10)), null);
    assert.equal(rec.counters.syncs, 0);
    const { readdirSync, statSync } = await import('node:fs');
    const openDir = `${dir}/open`;
    const t0 = Date.now();
    let size = 0;
    while (Date.now() - t0 < 5000) {
      const parts = readdirSync(openDir);
      size = parts.length ? statSync(`${openDir}/${parts[0]}`).size : 0;
      if (size > 100) break;
      await new Promise((res) => setTimeout(res, 10));
    }
    assert.ok(size > 100, 'the frame was written to the open segment');
    await rec.close();
  } finally {
    cleanup();
  }
});

test('a configured signing key is used (nothing generated); a wrong one fails start naming the field', { timeout: 30_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { generateKeyPairSync } = await import('node:crypto');
    const { existsSync, writeFileSync } = await import('node:fs');
    const ed = generateKeyPairSync('ed25519');
    const keyFile = `${dir}/ed.pem`;
    writeFileSync(keyFile, ed.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const rec = await createRecorder({ recording: recordingConfig({ signingKeyFile: keyFile }), instanceId: 'rt-8', dataDir: `${dir}/data` });
    const r = rec.begin(head())!;
    assert.equal(await durable(r, done(0, 0)), null);
    await rec.close();
    assert.equal(existsSync(`${dir}/data/signing-key.pem`), false);
    const report = await verifyChain(sealedSegments(`${dir}/data`), { keys: new Map([[rec.keyId, ed.publicKey]]) });
    assert.deepEqual(report.damage, []);

    const rsaFile = `${dir}/rsa.pem`;
    writeFileSync(rsaFile, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }));
    await assert.rejects(
      createRecorder({ recording: recordingConfig({ signingKeyFile: rsaFile }), instanceId: 'rt-8', dataDir: `${dir}/data2` }),
      (err: Error) => /recording\.signingKeyFile/.test(err.message) && /Ed25519/.test(err.message),
    );
  } finally {
    cleanup();
  }
});

test('a record larger than a frame (huge headers) gets a frame of its own; many frames reuse the shared slots', { timeout: 30_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const rec = await createRecorder({ recording: recordingConfig({ frameBytes: 64 * 1024 }), instanceId: 'rt-9', dataDir: dir });
    const big = 'v'.repeat(300 * 1024);
    const h = head({ requestHeaders: [['x-big', big]] });
    const r = rec.begin(h)!;
    const body = Buffer.alloc(200 * 1024, 7);
    for (let i = 0; i < 50; i++) r.requestBody(body); // 10 MiB: far more frames than slots
    assert.equal(await durable(r, done(50 * body.length, 0)), null);
    const r2 = rec.begin(head())!;
    assert.equal(await durable(r2, done(0, 0)), null);
    await rec.close();
    const records = await readAll(sealedSegments(dir));
    const start = records[0]!;
    assert.ok(start.type === 'start' && start.requestHeaders[0]![1] === big);
    const bodies = records.filter((x) => x.type === 'body');
    assert.equal(bodies.reduce((n, b) => n + (b.type === 'body' ? b.data.length : 0), 0), 50 * body.length);
    assert.equal(records.filter((x) => x.type === 'end').length, 2);
  } finally {
    cleanup();
  }
});
