import assert from 'node:assert/strict';
import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DevIssuer } from '../../core/auth/dev-issuer.js';
import { parseConfig } from '../../core/config/index.js';
import { indexLines, publicKeyFromPem, SegmentReader, verifyChain, type DecodedRecord } from '../../storage/reader/index.js';
import { repoRoot } from '../support/cli.js';
import { runServe, serveGateway, type ServedGateway } from '../support/gateway.js';
import { GcsEmulator } from '../support/gcs-emulator/index.js';
import { request, type Answer } from '../support/http-client.js';
import { startUpstream, type FakeUpstream } from '../support/upstream.js';

/**
 * `tapegate serve` as a child process with the gcs store pointed at the GCS emulator (a bucket with a
 * locked retention policy), the development issuer for identity and a local upstream: segments reach
 * the bucket under their documented names with index and public key; a gateway killed mid-upload
 * resumes the same resumable session and uploads the segment its crash left unsealed; a store outage
 * fills the spool and turns into 503s that never reach the upstream, then catches up; an unlocked
 * bucket refuses the start; the embedded default config records into a local directory.
 */
const KiB = 1024;
const SUBJECT = 'agent-7@e2e.test';
const PREFIX = 'tg';
const INSTANCE = 'e2e-upload';

let upstream: FakeUpstream;
let emu: GcsEmulator;
let endpoint: string;
let base: string;
const gateways: ServedGateway[] = [];

before(async () => {
  upstream = await startUpstream();
  emu = new GcsEmulator();
  endpoint = await emu.start();
  base = mkdtempSync(path.join(os.tmpdir(), 'tg-e2e-upload-'));
});

after(async () => {
  for (const g of gateways) await g.kill();
  await emu.stop();
  await upstream.close();
  rmSync(base, { recursive: true, force: true });
});

let bucketCounter = 0;
/** A fresh bucket per test, retention locked at 2 days (store.minRetentionDays 1). */
function lockedBucket(): string {
  const name = `e2e-rec-${++bucketCounter}`;
  emu.createBucket(name, { retentionPeriodSeconds: 2 * 86_400, locked: true });
  return name;
}

function gatewayConfig(bucket: string, opts: { recording?: Record<string, unknown>; upload?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    instanceId: INSTANCE,
    drainTimeoutMs: 5_000,
    listen: { host: '127.0.0.1', port: 0, adminHost: '127.0.0.1', adminPort: 0 },
    connections: [
      { name: 'storage', match: { pathPrefixes: ['/storage/v1/', '/upload/storage/v1/', '/download/storage/v1/'] }, upstream: upstream.origin, recording: 'full' },
    ],
    recording: { durability: 'sync', ...opts.recording },
    store: {
      type: 'gcs',
      bucket,
      prefix: PREFIX,
      apiEndpoint: endpoint,
      minRetentionDays: 1,
      upload: { backoffInitialMs: 100, backoffMaxMs: 500, ...opts.upload },
    },
    policy: { rules: [{ name: 'e2e-agent', subjects: [SUBJECT], action: 'allow' }] },
  };
}

function newDirs(name: string): { dir: string; dataDir: string } {
  const dir = path.join(base, `${name}-${Math.random().toString(36).slice(2, 8)}`);
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  return { dir, dataDir };
}

/** A token from the development issuer, signed with the key in the gateway's data dir (as `tapegate dev-token` does). */
async function devToken(config: Record<string, unknown>, dataDir: string): Promise<string> {
  const issuer = await DevIssuer.open(parseConfig(config).auth, dataDir);
  return issuer.mint(SUBJECT, [], 3600);
}

async function start(config: Record<string, unknown>, dirs: { dir: string; dataDir: string }, extraArgs: string[] = []): Promise<ServedGateway> {
  const gw = await serveGateway({ config, dir: dirs.dir, dataDir: dirs.dataDir, extraArgs, startTimeoutMs: 20_000 });
  gateways.push(gw);
  return gw;
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function exchangeId(a: Answer): string {
  const id = a.headers['x-tapegate-exchange-id'];
  assert.equal(typeof id, 'string', 'every answer names its exchange');
  return id as string;
}

function upload(port: number, token: string, body: Buffer, name: string): Promise<Answer> {
  return request(port, {
    method: 'POST',
    path: `/upload/storage/v1/b/data/o?uploadType=media&name=${name}`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    body,
    timeoutMs: 10_000,
  });
}

function getMeta(port: number, token: string, name: string): Promise<Answer> {
  return request(port, { path: `/storage/v1/b/data/o/${name}`, headers: { authorization: `Bearer ${token}` }, timeoutMs: 10_000 });
}

const SEGMENT_RE = new RegExp(`^${PREFIX}/segments/(\\d{4})/(\\d{2})/(\\d{2})/(\\d{2})/${INSTANCE}/(\\d+)-([0-9a-f]{16})\\.tgseg$`);

function segmentNames(bucket: string): string[] {
  return emu.objectNames(bucket).filter((n) => n.includes('/segments/'));
}

function spoolSegments(dataDir: string): string[] {
  const spool = path.join(dataDir, 'spool');
  return existsSync(spool) ? readdirSync(spool).filter((n) => n.endsWith('.tgseg')) : [];
}

interface IndexLine {
  exchangeId: string;
  subject: string;
  status: number;
  outcome: string;
  state: string;
  connection: string;
  method: string;
}

/** Every line of every index object in the bucket. */
async function bucketIndex(bucket: string): Promise<IndexLine[]> {
  const lines: IndexLine[] = [];
  for (const n of emu.objectNames(bucket).filter((x) => x.includes('/index/'))) {
    for await (const l of indexLines([emu.getObject(bucket, n)!.data])) lines.push(JSON.parse(l) as IndexLine);
  }
  return lines;
}

/** The public keys the bucket holds (<prefix>/keys/<instance>/<keyId>.pub): what an auditor trusts. */
function bucketKeys(bucket: string): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const n of emu.objectNames(bucket)) {
    const m = new RegExp(`^${PREFIX}/keys/${INSTANCE}/([0-9a-f]{16})\\.pub$`).exec(n);
    if (m) keys.set(m[1]!, publicKeyFromPem(emu.getObject(bucket, n)!.data));
  }
  return keys;
}

/** Downloads the bucket's segments into `dir`, verifies them as one chain with the bucket's keys, returns their records. */
async function bucketRecords(bucket: string, dir: string): Promise<{ records: DecodedRecord[]; recovered: boolean[] }> {
  mkdirSync(dir, { recursive: true });
  const files = segmentNames(bucket)
    .map((n) => ({ n, seq: Number(SEGMENT_RE.exec(n)![5]) }))
    .sort((a, b) => a.seq - b.seq)
    .map(({ n }) => {
      const f = path.join(dir, path.basename(n));
      writeFileSync(f, emu.getObject(bucket, n)!.data);
      return f;
    });
  const keys = bucketKeys(bucket);
  assert.ok(keys.size >= 1, 'the public key is in the bucket');
  const chain = await verifyChain(files, { keys });
  assert.deepEqual(chain.damage, [], 'the uploaded segments verify as one chain with the key from the bucket');
  const records: DecodedRecord[] = [];
  for (const f of files) for await (const e of new SegmentReader(f, { keys }).events()) if (e.type === 'record') records.push(e.record);
  return { records, recovered: chain.segments.map((s) => s.trailer?.recovered === true) };
}

/**
 * The one "ended" index line of an exchange. An exchange that was running when its segment rotated
 * (segmentMaxAgeMs fires at any moment) also has an "open" line, with no outcome yet, in the segment
 * where it started: that line must be the only other one.
 */
function endedLine(index: IndexLine[], id: string): IndexLine {
  const lines = index.filter((l) => l.exchangeId === id);
  const ended = lines.filter((l) => l.state === 'ended');
  assert.equal(ended.length, 1, `exchange ${id} has one "ended" index line: ${JSON.stringify(lines)}`);
  for (const l of lines) if (l !== ended[0]) assert.equal(l.state, 'open', `exchange ${id}: its other index line is "open" (started in an earlier segment)`);
  assert.ok(lines.length <= 2, `exchange ${id} is indexed at most once as open: ${JSON.stringify(lines)}`);
  return ended[0]!;
}

function endedIds(records: DecodedRecord[], outcome = 'completed'): Set<string> {
  return new Set(records.filter((r) => r.type === 'end' && r.outcome === outcome).map((r) => (r as { exchangeId: string }).exchangeId));
}

test('traffic through the gateway: segments rotate and land in the bucket with index and key; the spool empties', { timeout: 30_000 }, async () => {
  const bucket = lockedBucket();
  const dirs = newDirs('flow');
  const config = gatewayConfig(bucket, { recording: { segmentMaxBytes: 48 * KiB, segmentMaxAgeMs: 300 } });
  const token = await devToken(config, dirs.dataDir);
  const t0 = Date.now();
  const gw = await start(config, dirs);
  const seen: string[] = [];
  for (let i = 0; i < 6; i++) {
    // incompressible bodies, so the 48 KiB size limit rotates segments
    const a = await upload(gw.port, token, randomBytes(40 * KiB), `o${i}`);
    assert.equal(a.status, 200, a.body.toString());
    seen.push(exchangeId(a));
    const b = await getMeta(gw.port, token, `o${i}`);
    assert.equal(b.status, 200);
    seen.push(exchangeId(b));
  }
  // the age limit seals the last one; the uploader empties the spool while the gateway runs
  await waitFor(async () => {
    const indexed = new Set((await bucketIndex(bucket)).filter((l) => l.state === 'ended').map((l) => l.exchangeId));
    return seen.every((id) => indexed.has(id)) && spoolSegments(dirs.dataDir).length === 0;
  }, 15_000, 'every exchange indexed in the bucket and an empty spool');

  const names = segmentNames(bucket);
  assert.ok(names.length >= 3, `size rotation: expected several segments, got ${names.join(', ')}`);
  const hours = new Set([t0, Date.now()].map((t) => new Date(t).toISOString().slice(0, 13).replace(/[-T]/g, '/')));
  for (const n of names) {
    const m = SEGMENT_RE.exec(n);
    assert.ok(m, `object name ${n} follows <prefix>/segments/yyyy/mm/dd/hh/<instance>/<seq>-<sha>.tgseg`);
    assert.ok(hours.has(`${m[1]}/${m[2]}/${m[3]}/${m[4]}`), `${n} is filed under the UTC hour it was created`);
    const data = emu.getObject(bucket, n)!.data;
    assert.equal(createHash('sha256').update(data).digest('hex').slice(0, 16), m[6], 'the name carries the SHA-256 prefix of the bytes');
    const idx = n.replace('/segments/', '/index/').replace(/\.tgseg$/, '.jsonl.zst');
    assert.ok(emu.getObject(bucket, idx), `index object ${idx} beside ${n}`);
    assert.equal(emu.getObject(bucket, idx)!.metadata.contentType, 'application/zstd');
  }
  const index = await bucketIndex(bucket);
  for (const id of seen) {
    const line = index.find((l) => l.exchangeId === id && l.state === 'ended');
    assert.ok(line, `exchange ${id} is in the index`);
    assert.equal(line.subject, SUBJECT);
    assert.equal(line.connection, 'storage');
    assert.equal(line.status, 200);
    assert.equal(line.outcome, 'completed');
  }
  const { records } = await bucketRecords(bucket, path.join(dirs.dir, 'download'));
  const completed = endedIds(records);
  for (const id of seen) assert.ok(completed.has(id), `exchange ${id} is recorded in the uploaded segments`);
  // create-only uploads, each verified after the upload
  const inserts = emu.requests.filter((r) => (r.route === 'objects.insert' || r.route === 'resumable.initiate') && String(r.query.name ?? '').startsWith(`${PREFIX}/`));
  assert.ok(inserts.length > 0 && inserts.every((r) => r.query.ifGenerationMatch === '0'), 'every upload is create-only (ifGenerationMatch=0)');

  assert.equal(await gw.stop(), 0);
});

test('SIGKILL mid-upload, restart: the resumable upload continues its session, the crash-torn segment is sealed and uploaded, nothing received is missing', { timeout: 40_000 }, async () => {
  const bucket = lockedBucket();
  const dirs = newDirs('kill');
  const config = gatewayConfig(bucket, {
    recording: { segmentMaxBytes: 1024 * KiB, segmentMaxAgeMs: 60_000 },
    upload: { resumableThresholdBytes: 256 * KiB, chunkSizeBytes: 256 * KiB },
  });
  const token = await devToken(config, dirs.dataDir);
  const isData = (r: { headers: Record<string, unknown> }): boolean => /^bytes \d/.test(String(r.headers['content-range']));
  // slow chunks, so the kill lands with the big segment's upload half done
  emu.addFault({ route: 'resumable.put', fault: { kind: 'delay', ms: 250 }, times: 1_000, when: isData });
  const received: string[] = [];
  const startMark = emu.requests.length;
  let gw = await start(config, dirs);
  try {
    for (let i = 0; i < 4; i++) {
      const a = await upload(gw.port, token, randomBytes(256 * KiB), `big${i}`);
      assert.equal(a.status, 200);
      if (a.complete) received.push(exchangeId(a));
    }
    // the fourth upload crossed segmentMaxBytes: segment 1 is sealed and its resumable upload starts
    await waitFor(() => emu.requests.slice(startMark).some((r) => r.route === 'resumable.initiate' && r.path.includes(`/b/${bucket}/`) && String(r.query.name).includes('/segments/')), 10_000, 'the resumable upload of segment 1');
    // these go into segment 2, which the crash leaves unsealed
    for (let i = 0; i < 2; i++) {
      const a = await upload(gw.port, token, randomBytes(64 * KiB), `small${i}`);
      assert.equal(a.status, 200);
      if (a.complete) received.push(exchangeId(a));
      const b = await getMeta(gw.port, token, `small${i}`);
      assert.equal(b.status, 200);
      if (b.complete) received.push(exchangeId(b));
    }
    await waitFor(() => emu.openSessions().some((s) => s.bucket === bucket && s.name.includes('/segments/') && s.committed >= 256 * KiB), 10_000, 'a committed chunk');
    await gw.kill();
  } finally {
    emu.clearFaults();
  }
  await emu.idle(); // a chunk the dead process had in flight may still land
  const open = emu.openSessions().filter((s) => s.bucket === bucket && s.name.includes('/segments/'));
  assert.equal(open.length, 1, 'killed mid-upload');
  const { name: segName, committed, total } = open[0]!;
  assert.ok(committed > 0 && committed < total!, `killed with ${committed} of ${total} bytes committed`);
  assert.equal(segmentNames(bucket).length, 0, 'no segment in the bucket before the restart');
  const state = readdirSync(path.join(dirs.dataDir, 'spool')).filter((n) => n.endsWith('.upload.json'));
  assert.equal(state.length, 1, 'the session is persisted in the spool');
  assert.ok(readFileSync(path.join(dirs.dataDir, 'spool', state[0]!), 'utf8').includes(segName), 'the state names the object being uploaded');
  assert.ok(existsSync(path.join(dirs.dataDir, 'open')) && readdirSync(path.join(dirs.dataDir, 'open')).some((n) => n.endsWith('.part')), 'segment 2 was left unsealed');

  // and the first chunk after the restart is cut by a connection reset: retried on the same session
  emu.addFault({ route: 'resumable.put', fault: { kind: 'reset', afterBytes: 100 * KiB }, times: 1, when: isData });
  const mark = emu.requests.length;
  gw = await start(config, dirs);
  await waitFor(() => spoolSegments(dirs.dataDir).length === 0 && segmentNames(bucket).length === 2, 15_000, 'both segments uploaded');
  const later = emu.requests.slice(mark);
  assert.equal(later.filter((r) => (r.route === 'resumable.initiate' || r.route === 'objects.insert') && r.query.name === segName).length, 0, 'no new upload of segment 1 was started');
  const puts = later.filter((r) => r.route === 'resumable.put');
  const statusQuery = puts.find((r) => r.contentRange === 'bytes */*');
  assert.ok(statusQuery, 'the restarted uploader asked the session what it holds');
  assert.equal(statusQuery.range, `bytes=0-${committed - 1}`, 'the session it asked is the one the killed process used');
  const firstData = puts.find((r) => /^bytes \d/.test(String(r.contentRange)));
  assert.ok(firstData && String(firstData.contentRange).startsWith(`bytes ${committed}-`), `the upload continued at byte ${committed}, not 0: ${firstData?.contentRange}`);
  assert.equal(firstData.status, 'reset');
  assert.equal(later.filter((r) => r.contentRange === 'bytes */*').length, 2, 'after the reset the uploader asked the same session again');
  assert.equal(emu.getObject(bucket, segName)!.data.length, total);

  const { records, recovered } = await bucketRecords(bucket, path.join(dirs.dir, 'download'));
  assert.deepEqual(recovered, [false, true], 'segment 2 was sealed by crash recovery');
  const completed = endedIds(records);
  assert.ok(received.length === 8);
  for (const id of received) assert.ok(completed.has(id), `exchange ${id}, fully received by the client, is in the uploaded segments`);
  assert.equal(await gw.stop(), 0);
});

test('store outage with a small spool: 503s that never reach the upstream, not ready; uploads catch up and serving resumes', { timeout: 40_000 }, async () => {
  const bucket = lockedBucket();
  const dirs = newDirs('outage');
  const config = gatewayConfig(bucket, { recording: { segmentMaxBytes: 32 * KiB, segmentMaxAgeMs: 200, spoolMaxBytes: 96 * KiB } });
  const token = await devToken(config, dirs.dataDir);
  const gw = await start(config, dirs);
  const served: string[] = [];
  const refused: string[] = [];
  try {
    const first = await getMeta(gw.port, token, 'before');
    assert.equal(first.status, 200);
    served.push(exchangeId(first));
    // the store goes down: everything but the start-up bucket check answers 503
    emu.addFault({ route: '*', fault: { kind: 'status', status: 503 }, times: 1_000_000 });
    let firstRefusal = -1;
    for (let i = 0; i < 40 && refused.length < 3; i++) {
      const before = upstream.seen.length;
      const a = await upload(gw.port, token, randomBytes(24 * KiB), `during${i}`);
      if (a.status === 200) {
        assert.equal(firstRefusal, -1, 'once refusing, the gateway keeps refusing while the store is down');
        served.push(exchangeId(a));
        continue;
      }
      if (firstRefusal < 0) firstRefusal = i;
      assert.equal(a.status, 503, a.body.toString());
      assert.equal(upstream.seen.length, before, 'a refused exchange is not proxied');
      const body = JSON.parse(a.body.toString()) as { error: { code: number; status: string; message: string; errors: Array<{ reason: string }> } };
      assert.equal(body.error.code, 503);
      assert.equal(body.error.status, 'UNAVAILABLE');
      assert.match(body.error.errors[0]!.reason, /^TG_/);
      refused.push(exchangeId(a));
    }
    assert.ok(firstRefusal > 0, `the spool filled and the gateway started refusing (served ${served.length}, refused ${refused.length})`);
    assert.equal(refused.length, 3);
    const ready = await request(gw.adminPort, { path: '/readyz' });
    assert.equal(ready.status, 503);
    assert.match(ready.body.toString(), /spool/);
    const metrics = (await request(gw.adminPort, { path: '/metrics' })).body.toString();
    assert.match(metrics, /tapegate_upload_failures_total\{[^}]*cause="unavailable"[^}]*\} [1-9]/);
  } finally {
    emu.clearFaults();
  }
  // the store is back: the backlog uploads and the gateway serves again
  await waitFor(async () => (await request(gw.adminPort, { path: '/readyz' })).status === 200, 15_000, 'ready again');
  const after = await getMeta(gw.port, token, 'after');
  assert.equal(after.status, 200);
  served.push(exchangeId(after));
  await waitFor(async () => {
    const indexed = new Set((await bucketIndex(bucket)).filter((l) => l.state === 'ended').map((l) => l.exchangeId));
    return served.every((id) => indexed.has(id)) && spoolSegments(dirs.dataDir).length === 0;
  }, 15_000, 'the backlog uploaded');
  const index = await bucketIndex(bucket);
  for (const id of refused) assert.equal(endedLine(index, id).outcome, 'rejected_unrecordable', `refused exchange ${id} is recorded as refused`);
  for (const id of served) assert.equal(endedLine(index, id).outcome, 'completed', `served exchange ${id} is recorded as completed`);
  assert.equal(await gw.stop(), 0);
});

test('GCS answering 503 at start: the gateway starts with one warning, records into the spool, uploads nothing until GCS is back, then the segments land', { timeout: 40_000 }, async () => {
  const bucket = lockedBucket();
  const dirs = newDirs('down-at-start');
  const config = gatewayConfig(bucket, { recording: { segmentMaxAgeMs: 200 } });
  const token = await devToken(config, dirs.dataDir);
  // every request about this bucket, the start-up retention check included
  emu.addFault({ route: '*', fault: { kind: 'status', status: 503 }, times: 1_000_000, when: (r) => r.path.includes(`/b/${bucket}`) });
  const served: string[] = [];
  let gw: ServedGateway;
  try {
    gw = await start(config, dirs);
    const warnings = gw.stdout().split('\n').filter((l) => l.includes('"event":"store_check_deferred"'));
    assert.equal(warnings.length, 1, 'one warning');
    assert.match(warnings[0]!, /starting anyway/);
    for (const name of ['a', 'b', 'c']) {
      const before = upstream.seen.length;
      const a = await getMeta(gw.port, token, `down-${name}`);
      assert.equal(a.status, 200, 'exchanges are served (and recorded) while GCS is down');
      assert.equal(upstream.seen.length, before + 1);
      served.push(exchangeId(a));
    }
    await waitFor(() => spoolSegments(dirs.dataDir).length >= 1, 10_000, 'a sealed segment in the spool');
    const metrics = (await request(gw.adminPort, { path: '/metrics' })).body.toString();
    assert.match(metrics, /tapegate_upload_store_check\{state="pending"\} 1/);
    assert.match(metrics, /tapegate_upload_store_check\{state="passed"\} 0/);
    assert.equal((await request(gw.adminPort, { path: '/readyz' })).status, 200, 'ready: recording works');
    assert.equal(emu.objectNames(bucket).length, 0, 'nothing uploaded before the check passed');
    assert.equal(emu.requests.filter((r) => r.path.includes(`/b/${bucket}`) && r.route !== 'buckets.get').length, 0, 'only the check was tried');
  } finally {
    emu.clearFaults();
  }
  // GCS is back: the check passes and the spool uploads (the served exchanges' segment included)
  let round = 0;
  await waitFor(async () => {
    if (spoolSegments(dirs.dataDir).length > 0 || segmentNames(bucket).length === 0 || ++round % 10 !== 0) return false;
    const completed = endedIds((await bucketRecords(bucket, path.join(dirs.dir, `download-${round}`))).records);
    return served.every((id) => completed.has(id));
  }, 20_000, 'the exchanges recorded during the outage in the bucket');
  const metrics = (await request(gw.adminPort, { path: '/metrics' })).body.toString();
  assert.match(metrics, /tapegate_upload_store_check\{state="passed"\} 1/);
  assert.match(gw.stdout(), /"event":"store_check_passed"/);
  assert.equal(await gw.stop(), 0);
});

test('an unlocked bucket (or too short a period) refuses the start, naming the fix; --allow-unlocked-bucket starts with a warning', { timeout: 40_000 }, async () => {
  const unlocked = 'e2e-unlocked';
  emu.createBucket(unlocked, { retentionPeriodSeconds: 2 * 86_400, locked: false });
  const short = 'e2e-short';
  emu.createBucket(short, { retentionPeriodSeconds: 3_600, locked: true });
  const dirs = newDirs('unlocked');
  const [a, b] = await Promise.all([
    runServe({ config: gatewayConfig(unlocked), dir: dirs.dir, dataDir: path.join(dirs.dir, 'a'), timeoutMs: 20_000 }),
    runServe({ config: gatewayConfig(short), dir: dirs.dir, dataDir: path.join(dirs.dir, 'b'), timeoutMs: 20_000 }),
  ]);
  assert.notEqual(a.code, 0, a.stderr);
  assert.notEqual(a.code, null, 'exited by itself');
  assert.match(a.stderr, /gs:\/\/e2e-unlocked/);
  assert.match(a.stderr, /not locked/);
  assert.match(a.stderr, /terraform\/bucket\.tf/);
  assert.match(a.stderr, /is_locked\s+= true/);
  assert.match(a.stderr, /--allow-unlocked-bucket/);
  assert.doesNotMatch(a.stdout, /"event":"listening"/);
  assert.notEqual(b.code, 0, b.stderr);
  assert.notEqual(b.code, null, 'exited by itself');
  assert.match(b.stderr, /shorter than store\.minRetentionDays = 1/);
  assert.match(b.stderr, /terraform\/bucket\.tf/);
  // nothing was recorded or uploaded by the refused starts
  assert.equal(emu.objectNames(unlocked).length + emu.objectNames(short).length, 0);

  const c = await runServe({ config: gatewayConfig(unlocked), dir: dirs.dir, dataDir: path.join(dirs.dir, 'c'), extraArgs: ['--allow-unlocked-bucket'], until: /"event":"listening"/, timeoutMs: 20_000 });
  assert.equal(c.code, 0, c.stderr);
  const warning = c.stdout.split('\n').find((l) => l.includes('"event":"store_bucket_unlocked"'));
  assert.ok(warning, 'a warning is logged');
  assert.equal((JSON.parse(warning) as { level: number }).level, 40);
  assert.match(warning, /DEVELOPMENT ONLY/);
  assert.match(c.stdout, /"event":"listening"/);
});

test('the embedded default (deploy/tapegate.json, no cloud account): the sealed segment lands in <data-dir>/store laid out like the bucket', { timeout: 30_000 }, async () => {
  const dirs = newDirs('default');
  const gw = await serveGateway({ configFile: 'deploy/tapegate.json', cwd: repoRoot, dir: dirs.dir, dataDir: dirs.dataDir, startTimeoutMs: 20_000 });
  gateways.push(gw);
  // no token: refused by identity (401), and recorded all the same; no request leaves the machine
  const a = await request(gw.port, { path: '/storage/v1/b/some-bucket/o', timeoutMs: 10_000 });
  assert.equal(a.status, 401);
  const id = exchangeId(a);
  assert.equal(await gw.stop(), 0);

  const store = path.join(dirs.dataDir, 'store');
  const files: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name), `${rel}${e.name}/`);
      else files.push(`${rel}${e.name}`);
    }
  };
  walk(store, '');
  const seg = files.filter((f) => /^tapegate\/segments\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/[A-Za-z0-9-]+\/\d+-[0-9a-f]{16}\.tgseg$/.test(f));
  assert.equal(seg.length, 1, `one sealed segment under tapegate/segments/yyyy/mm/dd/hh/<instance>/: ${files.join(', ')}`);
  const idx = seg[0]!.replace(/^tapegate\/segments\//, 'tapegate/index/').replace(/\.tgseg$/, '.jsonl.zst');
  assert.ok(files.includes(idx), `index ${idx} beside the segment`);
  const lines: IndexLine[] = [];
  for await (const l of indexLines(path.join(store, idx))) lines.push(JSON.parse(l) as IndexLine);
  assert.ok(lines.some((l) => l.exchangeId === id && l.status === 401 && l.outcome === 'denied'), 'the refused exchange is indexed');
  const instance = seg[0]!.split('/')[6]!;
  const key = files.find((f) => new RegExp(`^tapegate/keys/${instance}/[0-9a-f]{16}\\.pub$`).test(f));
  assert.ok(key, 'the public key is in the store');
  const keyId = path.basename(key, '.pub');
  const keys = new Map([[keyId, publicKeyFromPem(readFileSync(path.join(store, key)))]]);
  const chain = await verifyChain([path.join(store, seg[0]!)], { keys });
  assert.deepEqual(chain.damage, []);
  assert.equal(spoolSegments(dirs.dataDir).length, 0, 'the spool is empty after the shutdown');
});
