import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parseConfig, type Config } from '../../core/config/index.js';
import { PassThroughGate } from '../support/pass-through-gate.js';
import { createDataPlane, type DataPlane } from '../../core/server/app.js';
import { SegmentReader, verifyChain } from '../../storage/reader/reader.js';
import { createRecorder, type Recorder } from '../../storage/recorder/recorder.js';
import { decompressedRecordBytes } from '../../storage/microbench.js';
import type { DecodedRecord } from '../../storage/segment/records.js';
import { cliCommand } from '../support/cli.js';
import { serveGateway, type ServedGateway } from '../support/gateway.js';
import { request } from '../support/http-client.js';
import { startUpstream, type FakeUpstream } from '../support/upstream.js';
import { recordingConfig, sealedSegments, tempDir, withTimeout } from '../storage/helpers.js';

/**
 * The data plane with the real recorder: what the agent sent and got is what the segments hold,
 * secrets excepted; a full disk turns into 503s that never reach the upstream; a gateway killed
 * with SIGKILL under load loses no exchange whose response the client fully received.
 */
let upstream: FakeUpstream;

before(async () => {
  upstream = await startUpstream();
});
after(async () => {
  await upstream.close();
});

function config(dataDir: string, retryIntervalMs = 100): Config {
  return parseConfig({
    instanceId: 'e2e-rec',
    dataDir,
    listen: { host: '127.0.0.1', port: 0, adminHost: '127.0.0.1', adminPort: 0 },
    connections: [{ name: 'storage', match: { pathPrefixes: ['/'] }, upstream: upstream.origin, recording: 'full' }],
    recording: { durability: 'sync', frameBytes: 64 * 1024, retryIntervalMs },
  });
}

async function gateway(dataDir: string, retryIntervalMs = 100): Promise<{ plane: DataPlane; sink: Recorder; port: number }> {
  const cfg = config(dataDir, retryIntervalMs);
  const sink = await createRecorder({ recording: cfg.recording, instanceId: cfg.instanceId, dataDir });
  const plane = createDataPlane({ config: cfg, sink, gate: new PassThroughGate() });
  const port = await plane.listen('127.0.0.1', 0);
  return { plane, sink, port };
}

async function records(dataDir: string): Promise<DecodedRecord[]> {
  const out: DecodedRecord[] = [];
  const files = sealedSegments(dataDir);
  const chain = await verifyChain(files);
  assert.deepEqual(chain.damage, []);
  for (const f of files) for await (const e of new SegmentReader(f).events()) if (e.type === 'record') out.push(e.record);
  return out;
}

function bodyOf(recs: DecodedRecord[], id: string, direction: 'request' | 'response'): Buffer {
  return Buffer.concat(recs.filter((r): r is Extract<DecodedRecord, { type: 'body' }> => r.type === 'body' && r.exchangeId === id && r.direction === direction).map((r) => Buffer.from(r.data)));
}

test('exchanges through the data plane are recorded with their bodies, and the agent token never is', { timeout: 60_000 }, async () => {
  const { dir, cleanup } = tempDir('tg-e2e-rec-');
  try {
    const gw = await gateway(dir);
    const token = 'ya29.AGENT-SECRET-TOKEN-7788';
    const upload = Buffer.alloc(300 * 1024, 'u');
    const a = await request(gw.port, { path: '/download/storage/v1/b/b/o/big?alt=media&size=2097152', headers: { authorization: `Bearer ${token}` } });
    const b = await request(gw.port, { method: 'POST', path: '/upload/storage/v1/b/b/o?uploadType=media&name=x', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, body: upload });
    assert.equal(a.status, 200);
    assert.equal(a.body.length, 2 * 1024 * 1024);
    assert.equal(b.status, 200);
    await gw.plane.close();
    await gw.sink.close();

    const recs = await records(dir);
    const idA = String(a.headers['x-tapegate-exchange-id']);
    const idB = String(b.headers['x-tapegate-exchange-id']);
    const sha = (x: Buffer): string => createHash('sha256').update(x).digest('hex');
    assert.equal(sha(bodyOf(recs, idA, 'response')), sha(a.body));
    assert.equal(sha(bodyOf(recs, idB, 'request')), sha(upload));
    assert.equal(sha(bodyOf(recs, idB, 'response')), sha(b.body));
    const ends = recs.filter((r) => r.type === 'end');
    assert.deepEqual(ends.map((r) => r.type === 'end' && [r.exchangeId, r.outcome]), [[idA, 'completed'], [idB, 'completed']]);
    const raw = Buffer.concat(sealedSegments(dir).map((f) => decompressedRecordBytes(f)));
    assert.equal(raw.includes('AGENT-SECRET-TOKEN'), false);
    assert.equal(raw.includes('[redacted sha256:'), true);
  } finally {
    cleanup();
  }
});

test('disk full: the gateway answers 503 and forwards nothing unrecorded; it recovers when space is back', { timeout: 60_000 }, async (t) => {
  const { dir: base, cleanup } = tempDir('tg-e2e-full-');
  const dataDir = path.join(base, 'data');
  mkdirSync(dataDir);
  // a 3 MiB tmpfs as root; otherwise the next segment file is pointed at /dev/full (ENOSPC)
  let tmpfs = true;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', dataDir], { stdio: 'ignore', timeout: 5000 });
  } catch {
    tmpfs = false;
    t.diagnostic('mount not permitted: using /dev/full');
  }
  let gw: Awaited<ReturnType<typeof gateway>> | null = null;
  try {
    gw = await gateway(dataDir, tmpfs ? 100 : 2000);
    if (tmpfs) {
      const s = statfsSync(dataDir);
      writeFileSync(path.join(dataDir, 'filler'), Buffer.alloc(Math.max(0, s.bavail * s.bsize - 128 * 1024)));
    } else {
      symlinkSync('/dev/full', path.join(dataDir, 'open', '000000000001.tgseg.part'));
    }
    let firstFailure = -1;
    const statuses: number[] = [];
    for (let i = 0; i < 60 && statuses.filter((x) => x === 503).length < 5; i++) {
      const before = upstream.seen.length;
      const noise = randomBytes(64 * 1024); // incompressible, so the small disk fills
      // the exchange whose write fails is cut (the data plane ends it with an error): status -1
      const r = await request(gw.port, { method: 'POST', path: `/upload/storage/v1/b/b/o?uploadType=media&name=n${i}`, headers: { 'content-type': 'application/octet-stream' }, body: noise }).catch(() => ({ status: -1, body: Buffer.alloc(0), complete: false }));
      statuses.push(r.complete ? r.status : -1);
      if (statuses[i] === 503) {
        assert.equal(upstream.seen.length, before, 'a refused exchange is not forwarded');
        assert.match(r.body.toString(), /record/);
      }
      if (statuses[i] !== 200 && firstFailure < 0) firstFailure = i;
    }
    assert.ok(firstFailure >= 0, `no failure after filling the disk: ${statuses.join(',')}`);
    assert.deepEqual(statuses.slice(firstFailure + 1), statuses.slice(firstFailure + 1).map(() => 503), statuses.join(','));
    assert.equal(gw.sink.healthy, false);
    rmSync(path.join(dataDir, 'filler'), { force: true });
    const t0 = Date.now();
    while (!gw.sink.healthy && Date.now() - t0 < 10_000) await new Promise((res) => setTimeout(res, 50));
    const ok = await request(gw.port, { path: '/storage/v1/b/b/o/after' });
    assert.equal(ok.status, 200);
    await gw.plane.close();
    await gw.sink.close();
    gw = null;
    const outcomes = (await records(dataDir)).filter((r) => r.type === 'end').map((r) => (r.type === 'end' ? r.outcome : ''));
    assert.ok(outcomes.includes('rejected_unrecordable'), outcomes.join(','));
    assert.equal(outcomes[outcomes.length - 1], 'completed');
  } finally {
    if (gw) {
      await gw.plane.close().catch(() => undefined);
      await gw.sink.close().catch(() => undefined);
    }
    if (tmpfs) {
      try {
        execFileSync('umount', [dataDir], { stdio: 'ignore', timeout: 5000 });
      } catch {
        execFileSync('umount', ['-l', dataDir], { stdio: 'ignore', timeout: 5000 });
      }
    }
    cleanup();
  }
});

test('kill -9 of `tapegate serve` under load: every exchange whose response was fully received is recorded', { timeout: 90_000 }, async () => {
  const { dir, cleanup } = tempDir('tg-e2e-kill-');
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir);
  let gw: ServedGateway | null = null;
  try {
    // the real gateway: the embedded development issuer (auth.issuers empty), a policy that admits
    // the test agent, sync durability
    gw = await serveGateway({
      dir,
      dataDir,
      config: {
        instanceId: 'e2e-gw',
        listen: { host: '127.0.0.1', port: 0, adminHost: '127.0.0.1', adminPort: 0 },
        connections: [{ name: 'storage', match: { pathPrefixes: ['/download/storage/v1/'] }, upstream: upstream.origin, recording: 'full' }],
        recording: { durability: 'sync' },
        policy: { rules: [{ name: 'e2e-agent-reads', subjects: ['e2e-agent'], groups: ['ops'], action: 'allow' }] },
      },
    });
    const { command, args } = cliCommand(['dev-token', '--sub', 'e2e-agent', '--groups', 'ops', '--data-dir', dataDir]);
    const token = execFileSync(command, args, { encoding: 'utf8', timeout: 30_000 }).trim().split('\n').pop()!;
    const headers = { authorization: `Bearer ${token}` };
    const probe = await request(gw.port, { path: '/download/storage/v1/b/b/o/probe?alt=media&size=16', headers });
    assert.equal(probe.status, 200, `the test agent is admitted: ${probe.body.toString()}`);

    const port = gw.port;
    const served = gw;
    const received: string[] = [];
    let killed = false;
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; i < 500 && !killed; i++) {
        try {
          const r = await request(port, { path: `/download/storage/v1/b/b/o/w${w}-${i}?alt=media&size=32768`, headers, timeoutMs: 5000 });
          if (r.status === 200 && r.complete && r.body.length === 32768) received.push(String(r.headers['x-tapegate-exchange-id']));
        } catch {
          // the gateway died under us
        }
        if (received.length >= 200 && !killed) {
          killed = true;
          served.child.kill('SIGKILL');
        }
      }
    };
    await withTimeout(Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(worker)), 60_000, 'load');
    if (!killed) served.child.kill('SIGKILL');
    await withTimeout(served.exited, 10_000, 'gateway exit');
    assert.equal(served.child.signalCode, 'SIGKILL');
    gw = null;

    // what the next start does first: recover the unsealed segment
    const rec = await createRecorder({ recording: recordingConfig(), instanceId: 'e2e-gw', dataDir });
    await rec.close();
    const recs = await records(dataDir);
    const completed = new Set(recs.filter((r) => r.type === 'end' && r.outcome === 'completed').map((r) => (r.type === 'end' ? r.exchangeId : '')));
    const missing = received.filter((id) => !completed.has(id));
    assert.ok(received.length >= 200);
    assert.deepEqual(missing, [], `${missing.length} of ${received.length} fully received exchanges are not in the recording`);
    const raw = Buffer.concat(sealedSegments(dataDir).map((f) => decompressedRecordBytes(f)));
    assert.equal(raw.includes(token.split('.')[2]!), false, 'the agent token never reaches the recording');
  } finally {
    if (gw) await gw.kill();
    cleanup();
  }
});
