import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { publicKeyFromPem, SegmentReader } from '../../storage/reader/reader.js';
import { cliCommand, devToken, repoRoot } from '../support/cli.js';
import { rssBytes, sampleRss } from '../support/rss.js';
import { serveGateway } from '../support/gateway.js';
import { rawExchange, request } from '../support/http-client.js';
import { startUpstream, type FakeUpstream } from '../support/upstream.js';

/**
 * `tapegate serve` as a child process against a local upstream: big transfers with the gateway's
 * RSS sampled from /proc, a slow-reading agent, the admin port, oversized heads and SIGTERM drain.
 */
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
let up: FakeUpstream;
let dir: string;

before(async () => {
  up = await startUpstream();
  dir = mkdtempSync(path.join(os.tmpdir(), 'tapegate-e2e-dataplane-'));
});

after(async () => {
  await up.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Gateway {
  child: ChildProcess;
  port: number;
  adminPort: number;
  /** Authorization header value: a development-issuer token that the config's policy allows. */
  auth: string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
  /** SIGTERM: drain, seal the open segment, exit. Resolves with the exit code. */
  drain(): Promise<number | null>;
}

async function startGateway(extra: Record<string, unknown> = {}, dataDir = path.join(dir, 'data')): Promise<Gateway> {
  // test/support/gateway.ts passes --port 0 --admin-port 0: flags override the file's 8080/9090.
  const gw = await serveGateway({
    dir,
    dataDir,
    startTimeoutMs: 20_000,
    config: {
      drainTimeoutMs: 5000,
      listen: { host: '127.0.0.1', port: 8080, adminPort: 9090 },
      connections: [
        { name: 'storage', match: { pathPrefixes: ['/storage/v1/', '/upload/storage/v1/', '/download/storage/v1/'] }, upstream: up.origin },
        { name: 'test', match: { pathPrefixes: ['/t/'] }, upstream: up.origin },
      ],
      // serve runs the real gate: callers carry a dev-issuer token and the policy lets them through.
      policy: { rules: [{ name: 'e2e-agents', groups: ['agents'], action: 'allow' }] },
      ...extra,
    },
  });
  let auth: string;
  try {
    auth = `Bearer ${await devToken(gw.configFile)}`;
  } catch (err) {
    await gw.kill();
    throw err;
  }
  return { child: gw.child, port: gw.port, adminPort: gw.adminPort, auth, exited: gw.exited, stop: gw.kill, drain: () => gw.stop(20_000) };
}

/** Polls `cond` every 20 ms until it holds; throws after `ms`. */
async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The body bytes recorded for one exchange, per direction, and its end record's counts. Reads the
 * sealed segments the gateway left after a SIGTERM drain, in the spool or already in the local store
 * (each read with its signature and hashes checked: no damage).
 */
async function recordedBytes(dataDir: string, exchangeId: string): Promise<{ request: number; response: number; end: { requestBytes: number; responseBytes: number; outcome: string } | null }> {
  const all = readdirSync(dataDir, { recursive: true }) as string[];
  const seen = new Set<string>();
  const files = all.filter((f) => f.endsWith('.tgseg') && !seen.has(path.basename(f)) && seen.add(path.basename(f))).map((f) => path.join(dataDir, f));
  assert.ok(files.length > 0, 'the gateway left sealed segments');
  const keys = new Map<string, KeyObject>();
  for (const f of all) {
    const m = /key-([0-9a-f]+)\.pub\.pem$/.exec(f);
    if (m) keys.set(m[1]!, publicKeyFromPem(readFileSync(path.join(dataDir, f))));
  }
  const out = { request: 0, response: 0, end: null as { requestBytes: number; responseBytes: number; outcome: string } | null };
  for (const f of files) {
    for await (const e of new SegmentReader(f, { keys }).events()) {
      assert.notEqual(e.type, 'damage', `${f}: ${JSON.stringify(e.type === 'damage' ? e.damage : '')}`);
      if (e.type !== 'record') continue;
      const r = e.record;
      if (r.type === 'gap' || r.exchangeId !== exchangeId) continue;
      if (r.type === 'body') {
        const expected = r.direction === 'request' ? out.request : out.response;
        assert.equal(r.offset, expected, 'body records are contiguous');
        if (r.direction === 'request') out.request += r.data.length;
        else out.response += r.data.length;
      } else if (r.type === 'end') out.end = { requestBytes: r.requestBytes, responseBytes: r.responseBytes, outcome: r.outcome };
    }
  }
  return out;
}

// Both run with recording `full` and durability `sync` (the defaults): the data plane must follow the
// recorder's backpressure (congested/onDrain), or the bytes waiting for the writer thread pile up.
test('a 1 GiB download streams through, fully recorded, with RSS under 200 MB', { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(path.join(dir, 'down-'));
  const gw = await startGateway({}, dataDir);
  let exchangeId = '';
  try {
    const pid = gw.child.pid!;
    const rss = sampleRss(pid);
    const t0 = Date.now();
    const received = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: gw.port, path: `/download/storage/v1/b/b/o/big?alt=media&size=${GiB}`, headers: { authorization: gw.auth }, agent: false }, (res) => {
          exchangeId = String(res.headers['x-tapegate-exchange-id']);
          let n = 0;
          res.on('data', (c: Buffer) => (n += c.length));
          res.on('end', () => resolve(res.complete ? n : -1));
          res.on('error', reject);
        })
        .on('error', reject);
    });
    const downMs = Date.now() - t0;
    const max = rss.stop();
    process.stdout.write(`# 1 GiB down ${downMs} ms, gateway max RSS ${(max / MiB).toFixed(0)} MiB\n`);
    assert.equal(received, GiB);
    assert.ok(max < 200 * MiB, `gateway RSS reached ${(max / MiB).toFixed(0)} MiB`);
    assert.equal(await gw.drain(), 0);
  } finally {
    await gw.stop();
  }
  const rec = await recordedBytes(dataDir, exchangeId);
  assert.deepEqual(rec, { request: 0, response: GiB, end: { requestBytes: 0, responseBytes: GiB, outcome: 'completed' } });
});

test('a 1 GiB upload streams through, fully recorded, with RSS under 200 MB', { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(path.join(dir, 'up-'));
  const gw = await startGateway({}, dataDir);
  let exchangeId = '';
  try {
    const pid = gw.child.pid!;
    const rss = sampleRss(pid);
    // Sent chunked: uWS v20.30 refuses a Content-Length of 10 digits or more (>= 1e9 bytes), so a
    // 1 GiB single-request upload must use Transfer-Encoding: chunked (README: known limits).
    const chunk = Buffer.alloc(MiB, 0x5a);
    const t1 = Date.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: gw.port, method: 'POST', path: '/upload/storage/v1/b/b/o?uploadType=media&name=big', headers: { authorization: gw.auth }, agent: false },
        (res) => {
          exchangeId = String(res.headers['x-tapegate-exchange-id']);
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve(body));
        },
      );
      req.on('error', reject);
      let sent = 0;
      const pump = (): void => {
        while (sent < GiB) {
          sent += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
        req.end();
      };
      pump();
    });
    const upMs = Date.now() - t1;
    const max = rss.stop();
    process.stdout.write(`# 1 GiB up ${upMs} ms, gateway max RSS ${(max / MiB).toFixed(0)} MiB\n`);
    assert.equal(JSON.parse(answer).size, String(GiB));
    assert.ok(max < 200 * MiB, `gateway RSS reached ${(max / MiB).toFixed(0)} MiB`);
    assert.equal(await gw.drain(), 0);
  } finally {
    await gw.stop();
  }
  const rec = await recordedBytes(dataDir, exchangeId);
  assert.equal(rec.request, GiB);
  assert.equal(rec.end?.requestBytes, GiB);
  assert.equal(rec.end?.outcome, 'completed');
  assert.equal(rec.end?.responseBytes, rec.response);
});

test('a slow-reading agent does not grow the gateway memory: the upstream is paused', { timeout: 60_000 }, async () => {
  const gw = await startGateway();
  try {
    const pid = gw.child.pid!;
    const base = rssBytes(pid);
    const rss = sampleRss(pid);
    const size = 512 * MiB;
    let read = 0;
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(gw.port, '127.0.0.1', () => s.write(`GET /download/storage/v1/b/b/o/x?alt=media&size=${size} HTTP/1.1\r\nHost: x\r\nAuthorization: ${gw.auth}\r\n\r\n`));
      s.on('error', reject);
      s.pause();
      // Read 64 KiB every 10 ms (~6 MB/s) for 2 s, far slower than the upstream can send; unpaused, the
      // upstream would push all 512 MiB into the gateway within that time.
      const timer = setInterval(() => {
        let c: Buffer | null;
        let n = 0;
        while (n < 64 * 1024 && (c = s.read()) !== null) n += c.length;
        read += n;
      }, 10);
      setTimeout(() => {
        clearInterval(timer);
        s.destroy();
        resolve();
      }, 2000);
    });
    const max = rss.stop();
    process.stdout.write(`# slow reader read ${(read / MiB).toFixed(1)} MiB; gateway RSS ${(base / MiB).toFixed(0)} → max ${(max / MiB).toFixed(0)} MiB\n`);
    assert.ok(read < 100 * MiB, 'the reader really was slow');
    assert.ok(max - base < 64 * MiB, `gateway RSS grew by ${((max - base) / MiB).toFixed(0)} MiB`);
  } finally {
    await gw.stop();
  }
});

test('admin port: /healthz, /readyz and /metrics with request counts by connection and status', { timeout: 30_000 }, async () => {
  const gw = await startGateway();
  try {
    assert.equal((await request(gw.port, { path: '/storage/v1/b/x', headers: { authorization: gw.auth } })).status, 200);
    assert.equal((await request(gw.port, { path: '/nowhere' })).status, 404);
    const health = await request(gw.adminPort, { path: '/healthz' });
    assert.equal(health.status, 200);
    const ready = await request(gw.adminPort, { path: '/readyz' });
    assert.equal(ready.status, 200);
    const metrics = (await request(gw.adminPort, { path: '/metrics' })).body.toString();
    assert.match(metrics, /tapegate_requests_total\{connection="storage",status="200"\} 1/);
    assert.match(metrics, /tapegate_requests_total\{connection="-",status="404"\} 1/);
    assert.match(metrics, /tapegate_request_duration_seconds_bucket\{le="[^"]+",connection="storage",status="200"\}/);
    assert.match(metrics, /tapegate_in_flight_requests\{connection="storage"\} 0/);
    assert.match(metrics, /tapegate_response_body_bytes_total\{connection="storage"\} \d+/);
  } finally {
    await gw.stop();
  }
});

test('oversized request heads get an error and the gateway keeps serving; the limit is configurable', { timeout: 30_000 }, async () => {
  const gw = await startGateway({ listen: { host: '127.0.0.1', port: 8080, adminPort: 9090, maxHeaderBytes: 2048 } });
  try {
    const small = await request(gw.port, { path: '/storage/v1/b/x', headers: { 'x-big': 'a'.repeat(1024), authorization: gw.auth } });
    assert.equal(small.status, 200);
    const before = up.seen.length;
    // Over the configured limit, under uWS's own 4 KiB: a clear 431 however the head is segmented.
    const over = await rawExchange(gw.port, `GET /storage/v1/b/x HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(3 * 1024)}\r\n\r\n`);
    assert.match(over, /^HTTP\/1\.1 431 /);
    assert.match(over, /TG_HEADERS_TOO_LARGE/);
    assert.match(over, /x-tapegate-exchange-id: \w+/i);
    // Far past it uWS may drop the connection itself (no answer); never a 200, and the gateway keeps serving.
    const huge = await rawExchange(gw.port, `GET /storage/v1/b/x HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100 * 1024)}\r\n\r\n`);
    assert.doesNotMatch(huge, /^HTTP\/1\.1 200/);
    assert.equal(up.seen.length, before, 'refused heads never reach the upstream');
    assert.equal((await request(gw.port, { path: '/storage/v1/b/x', headers: { authorization: gw.auth } })).status, 200);
  } finally {
    await gw.stop();
  }
});

test('SIGTERM drains: not ready, no new connections, in-flight exchanges finish, exit 0', { timeout: 30_000 }, async () => {
  const gw = await startGateway();
  try {
    const marker = `drain-${Date.now()}`;
    const inflight = request(gw.port, { path: `/t/${marker}?tg=slowhead&ms=2500`, headers: { authorization: gw.auth } });
    // SIGTERM once the exchange is really in flight (the upstream holds it), however slow the machine
    await waitFor(() => up.seen.some((r) => r.url.includes(marker)), 10_000, 'the slow exchange at the upstream');
    gw.child.kill('SIGTERM');
    // the signal is handled asynchronously: wait until the gateway stops reporting ready
    let ready = await request(gw.adminPort, { path: '/readyz' });
    for (const deadline = Date.now() + 5_000; ready.status === 200 && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 20));
      ready = await request(gw.adminPort, { path: '/readyz' });
    }
    assert.equal(ready.status, 503);
    assert.match(ready.body.toString(), /draining/);
    await assert.rejects(request(gw.port, { path: '/storage/v1/b/x', headers: { authorization: gw.auth }, timeoutMs: 2000 }));
    const a = await inflight;
    assert.equal(a.status, 200);
    assert.equal(a.complete, true);
    assert.equal(await gw.exited, 0);
  } finally {
    await gw.stop();
  }
});

test('the default config (local store, no upstream credential, no SAML) never loads the Google client libraries or the SAML stack', { timeout: 30_000 }, async () => {
  // A preload in the gateway's main thread lists, at exit, every CommonJS module it loaded (the
  // Google and SAML libraries are CommonJS, so importing them from ESM puts them there too).
  const probe = path.join(dir, 'module-probe.mjs');
  const listed = path.join(dir, `modules-${Date.now()}.txt`);
  writeFileSync(
    probe,
    `import { createRequire } from 'node:module';\nimport { writeFileSync } from 'node:fs';\nimport { isMainThread } from 'node:worker_threads';\n` +
      `const require = createRequire(import.meta.url);\n` +
      `if (isMainThread) process.on('exit', () => writeFileSync(${JSON.stringify(listed)}, Object.keys(require.cache).join('\\n')));\n`,
  );
  const gw = await serveGateway({ configFile: 'deploy/tapegate.json', cwd: repoRoot, dir, dataDir: path.join(dir, 'data-default'), nodeArgs: ['--import', pathToFileURL(probe).href], startTimeoutMs: 20_000 });
  try {
    // one exchange through the data plane (refused by identity, and recorded)
    assert.equal((await request(gw.port, { path: '/storage/v1/b/x/o' })).status, 401);
  } finally {
    assert.equal(await gw.stop(), 0);
  }
  const modules = readFileSync(listed, 'utf8').split('\n');
  assert.ok(modules.some((m) => m.includes(`${path.sep}node_modules${path.sep}prom-client${path.sep}`)), 'the probe sees the CommonJS modules serve uses');
  for (const pkg of ['@google-cloud/storage', 'google-auth-library', 'gaxios', '@node-saml/node-saml', 'xml-crypto']) {
    const hit = modules.find((m) => m.includes(`${path.sep}node_modules${path.sep}${pkg.split('/').join(path.sep)}${path.sep}`));
    assert.equal(hit, undefined, `${pkg} is loaded only when the config uses it`);
  }
});

test('serve reports config errors naming the field and exits non-zero', { timeout: 30_000 }, async () => {
  const file = path.join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({ connections: [{ name: 'x', match: { pathPrefixes: ['/x/'] }, upstream: 'https://x.example.com/path' }] }));
  const { command, args } = cliCommand(['serve', '--config', file, '--port', '0']);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 2);
  assert.match(err, /connections\[0\]\.upstream: expected an origin/);
});

test('SIGTERM drain has a deadline: exchanges still running are cut and the process exits 0', { timeout: 30_000 }, async () => {
  const gw = await startGateway({ drainTimeoutMs: 500 });
  try {
    const marker = `deadline-${Date.now()}`;
    const hanging = request(gw.port, { path: `/t/${marker}?tg=hang`, headers: { authorization: gw.auth }, timeoutMs: 10_000 }).catch((e: Error) => e);
    await waitFor(() => up.seen.some((r) => r.url.includes(marker)), 10_000, 'the hanging exchange at the upstream');
    const t0 = Date.now();
    gw.child.kill('SIGTERM');
    assert.equal(await gw.exited, 0);
    assert.ok(Date.now() - t0 < 5000, 'exited soon after the deadline');
    const a = await hanging;
    assert.ok(a instanceof Error || a.complete === false, 'the cut exchange is not seen as complete');
  } finally {
    await gw.stop();
  }
});
