import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { parseConfig } from '../../../core/config/index.js';
import { TapegateError } from '../../../core/errors.js';
import type { Admission, Gate, RequestFacts } from '../../../core/gate.js';
import { PassThroughGate } from '../../support/pass-through-gate.js';
import { createDataPlane, type DataPlane } from '../../../core/server/app.js';
import { json, rawExchange, request } from '../../support/http-client.js';
import { MemorySink } from '../../support/memory-sink.js';
import { JSON_1K, patternByte, startUpstream, type FakeUpstream } from '../../support/upstream.js';

/**
 * The data plane in-process against a real local upstream over loopback, with the in-memory sink.
 * Each test gets its own gateway (port 0) so sink assertions stay simple.
 */
let up: FakeUpstream;
let deadPort: number;
const planes: DataPlane[] = [];

before(async () => {
  up = await startUpstream();
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  deadPort = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
});

after(async () => {
  await Promise.all(planes.map((p) => p.close()));
  await up.close();
});

interface Harness {
  port: number;
  sink: MemorySink;
  plane: DataPlane;
}

async function start(opts: { gate?: Gate; sink?: MemorySink; connection?: Record<string, unknown>; recording?: string } = {}): Promise<Harness> {
  const sink = opts.sink ?? new MemorySink();
  const config = parseConfig({
    listen: { port: 0 },
    connections: [
      {
        name: 'storage',
        match: { pathPrefixes: ['/storage/v1/', '/upload/storage/v1/', '/download/storage/v1/', '/batch/storage/v1'] },
        upstream: up.origin,
        recording: opts.recording ?? 'full',
        ...opts.connection,
      },
      { name: 'bigquery', match: { pathPrefixes: ['/bigquery/v2/', '/upload/bigquery/v2/'] }, upstream: up.origin },
      { name: 'compute', match: { pathPrefixes: ['/compute/v1/'] }, upstream: up.origin },
      { name: 'dead', match: { pathPrefixes: ['/dead/'] }, upstream: `http://127.0.0.1:${deadPort}` },
      { name: 'test', match: { pathPrefixes: ['/t/'] }, upstream: up.origin, timeouts: { connectMs: 1000, headersMs: 400, bodyIdleMs: 400 } },
    ],
  });
  const plane = createDataPlane({ config, sink, gate: opts.gate ?? new PassThroughGate() });
  planes.push(plane);
  const port = await plane.listen('127.0.0.1', 0);
  return { port, sink, plane };
}

const lastSeen = () => up.seen[up.seen.length - 1]!;

test('a JSON API call streams through with the raw path, forwarding headers and an exchange id', async () => {
  const { port, sink } = await start();
  const a = await request(port, { path: '/storage/v1/b/bkt/o/dir%2Fobj%20name?alt=json', headers: { authorization: 'Bearer agent', 'x-tapegate-session': 'run-42' } });
  assert.equal(a.status, 200);
  assert.equal(json(a).rawPath, '/storage/v1/b/bkt/o/dir%2Fobj%20name?alt=json');
  const id = a.headers['x-tapegate-exchange-id'] as string;
  assert.match(id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  assert.equal(a.headers['x-tapegate-session'], 'run-42');
  const seen = lastSeen();
  assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(seen.headers['x-forwarded-proto'], 'http');
  assert.equal(seen.headers.authorization, 'Bearer agent'); // the pass-through gate forwards it
  assert.equal(seen.headers.host, `127.0.0.1:${up.port}`);
  assert.equal(seen.headers['x-tapegate-session'], undefined);
  const ex = await sink.ended(id);
  assert.deepEqual(ex.calls, ['begin', 'responseHead', 'responseBody', 'end']);
  assert.equal(ex.end!.outcome, 'completed');
  assert.equal(ex.head.connection, 'storage');
  assert.equal(ex.head.sessionId, 'run-42');
  assert.equal(ex.head.target, '/storage/v1/b/bkt/o/dir%2Fobj%20name?alt=json');
  assert.match(ex.head.requestHeaders.find(([n]) => n === 'authorization')![1], /^\[redacted sha256:/);
  assert.equal(Buffer.concat(ex.responseBody).toString(), a.body.toString());
  assert.equal(ex.end!.responseBytes, a.body.length);
});

test('every Cloud Storage, BigQuery and Compute path reaches the upstream', async () => {
  const { port } = await start();
  const cases: Array<[string, string]> = [
    ['POST', '/upload/storage/v1/b/bkt/o?uploadType=media&name=a%2Fb'],
    ['POST', '/upload/storage/v1/b/bkt/o?uploadType=multipart'],
    ['GET', '/download/storage/v1/b/bkt/o/a%2Fb?alt=media&size=10'],
    ['POST', '/batch/storage/v1'],
    ['GET', '/bigquery/v2/projects/p/datasets'],
    ['POST', '/upload/bigquery/v2/projects/p/jobs?uploadType=multipart'],
    ['GET', '/compute/v1/projects/p/zones/z/instances'],
  ];
  for (const [method, path] of cases) {
    const a = await request(port, { method, path, body: method === 'POST' ? 'x'.repeat(100) : undefined });
    assert.equal(a.status, 200, path);
    assert.equal(lastSeen().url, path);
    assert.equal(lastSeen().method, method);
  }
});

test('a resumable upload session URI is rewritten to the gateway, and the upload goes through it', async () => {
  const { port } = await start();
  const start1 = await request(port, { method: 'POST', path: '/upload/storage/v1/b/bkt/o?uploadType=resumable&name=big', headers: { host: `localhost:${port}` }, body: '{}' });
  assert.equal(start1.status, 200);
  const location = start1.headers.location as string;
  assert.equal(location, `http://localhost:${port}/upload/storage/v1/b/bkt/o?uploadType=resumable&upload_id=ABCdef-123_xyz`);
  assert.equal(start1.headers['x-goog-upload-url'], location);
  const u = new URL(location);
  const put = await request(Number(u.port), { method: 'PUT', path: u.pathname + u.search, body: Buffer.alloc(300_000, 7) });
  assert.equal(put.status, 200);
  assert.equal(json(put).size, '300000');
  assert.equal(json(put).uploadId, 'ABCdef-123_xyz');
});

test('unknown routes get a Google-shaped 404 with the exchange id, and are recorded under "-"', async () => {
  const { port, sink } = await start();
  const a = await request(port, { path: '/storage/v9/nope' });
  assert.equal(a.status, 404);
  const body = json(a);
  assert.equal(body.error.code, 404);
  assert.equal(body.error.status, 'NOT_FOUND');
  assert.equal(body.error.errors[0].reason, 'TG_NO_ROUTE');
  assert.equal(body.error.exchangeId, a.headers['x-tapegate-exchange-id']);
  const ex = await sink.ended(body.error.exchangeId);
  assert.equal(ex.head.connection, '-');
  assert.equal(ex.end!.outcome, 'denied');
  assert.equal(ex.responseHead!.status, 404);
});

test('HEAD, 204 and 304 carry no body; HEAD keeps the upstream Content-Length', async () => {
  const { port } = await start();
  const raw = await rawExchange(port, `HEAD /download/storage/v1/b/b/o/x?alt=media&size=12345 HTTP/1.1\r\nHost: x\r\n\r\n`);
  assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(raw, /\r\nContent-Length: 12345\r\n/i);
  assert.ok(raw.endsWith('\r\n\r\n'), 'no body after the head');
  for (const code of [204, 304]) {
    const r = await rawExchange(port, `GET /t/x?tg=status&code=${code} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.match(r, new RegExp(`^HTTP/1\\.1 ${code} `));
    assert.match(r, /\r\netag: "abc"\r\n/i);
    assert.ok(r.endsWith('\r\n\r\n'));
    assert.doesNotMatch(r, /transfer-encoding/i);
  }
});

test('Range requests return 206 with the right bytes', async () => {
  const { port } = await start();
  const a = await request(port, { path: '/download/storage/v1/b/b/o/x?alt=media&size=1000000', headers: { range: 'bytes=70000-70099' } });
  assert.equal(a.status, 206);
  assert.equal(a.headers['content-range'], 'bytes 70000-70099/1000000');
  assert.equal(a.body.length, 100);
  for (let i = 0; i < 100; i++) assert.equal(a.body[i], patternByte(70000 + i));
});

test('chunked responses and chunked request bodies stream through', async () => {
  const { port, sink } = await start();
  const a = await request(port, { path: '/download/storage/v1/b/b/o/x?alt=media&size=500000&tg=chunked' });
  assert.equal(a.status, 200);
  assert.equal(a.headers['transfer-encoding'], 'chunked');
  assert.equal(a.body.length, 500000);
  assert.equal(a.body[499_999], patternByte(499_999));
  const raw = await rawExchange(port, 'POST /t/x?tg=echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n');
  assert.match(raw, /^HTTP\/1\.1 200 OK/);
  const echo = JSON.parse(raw.slice(raw.indexOf('{')));
  assert.equal(echo.bodyBytes, 11);
  assert.equal(echo.sha256, 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9');
  const ex = await sink.ended(/x-tapegate-exchange-id: (\w+)/i.exec(raw)![1]);
  assert.equal(Buffer.concat(ex.requestBody).toString(), 'hello world');
});

test('Expect: 100-continue gets 100 Continue, then the body is forwarded', async () => {
  const { port } = await start();
  const got = await new Promise<string>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write('PUT /t/x?tg=echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n'));
    let out = '';
    let sent = false;
    s.on('data', (d) => {
      out += d;
      if (!sent && out.includes('100 Continue')) {
        sent = true;
        s.write('body');
      }
      if (out.includes('"sha256"')) {
        s.destroy();
        resolve(out);
      }
    });
    s.on('error', reject);
    setTimeout(() => reject(new Error(`no answer: ${out}`)), 3000).unref();
  });
  assert.match(got, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
  assert.equal(JSON.parse(got.slice(got.indexOf('{'))).bodyBytes, 4);
  assert.equal(lastSeen().headers.expect, undefined);
});

test('hop-by-hop and Connection-named headers are dropped both ways', async () => {
  const { port } = await start();
  const raw = await rawExchange(
    port,
    'GET /t/x?tg=hop HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-Private\r\nX-Private: secret\r\nKeep-Alive: timeout=9\r\nTE: trailers\r\nProxy-Authorization: Basic eA==\r\nX-Kept: yes\r\n\r\n',
  );
  const seen = lastSeen();
  assert.equal(seen.headers['x-private'], undefined);
  assert.equal(seen.headers['proxy-authorization'], undefined);
  assert.equal(seen.headers.te, undefined);
  assert.notEqual(seen.headers['keep-alive'], 'timeout=9');
  assert.equal(seen.headers['x-kept'], 'yes');
  assert.match(raw, /^HTTP\/1\.1 200 OK/);
  assert.doesNotMatch(raw, /x-hop-secret/i);
  assert.doesNotMatch(raw, /proxy-authenticate/i);
  assert.doesNotMatch(raw, /keep-alive: timeout/i);
  assert.match(raw, /x-end-to-end: kept/i);
});

test('no SSRF: Host, absolute-form targets and dot segments never reach another origin', async () => {
  const { port, sink } = await start();
  const before = up.seen.length;
  const abs = await rawExchange(port, 'GET http://169.254.169.254/storage/v1/b HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n');
  assert.doesNotMatch(abs, /^HTTP\/1\.1 200/);
  for (const p of ['/storage/v1/../../computeMetadata/v1/', '/storage/v1/%2e%2e/%2E%2E/x', '/storage/v1/b/o%2F..%2F..%2Fx']) {
    const a = await request(port, { path: p });
    assert.equal(a.status, 400, p);
    assert.equal(json(a).error.errors[0].reason, 'TG_BAD_TARGET');
  }
  assert.equal(up.seen.length, before, 'nothing reached the upstream');
  // A Host header only selects among configured connections; the upstream origin comes from config.
  const a = await request(port, { path: '/storage/v1/b/x', headers: { host: 'metadata.google.internal' } });
  assert.equal(a.status, 200);
  assert.equal(lastSeen().headers.host, `127.0.0.1:${up.port}`);
  assert.ok(sink.exchanges.some((e) => e.end?.outcome === 'denied' && e.responseHead?.status === 400));
});

test('an unreachable upstream is a 502, a slow one a 504, both Google-shaped and recorded', async () => {
  const { port, sink } = await start();
  const a = await request(port, { path: '/dead/x' });
  assert.equal(a.status, 502);
  assert.equal(json(a).error.status, 'UNAVAILABLE');
  assert.equal((await sink.ended(json(a).error.exchangeId)).end!.outcome, 'upstream_error');
  const t0 = Date.now();
  const b = await request(port, { path: '/t/x?tg=slowhead&ms=3000' });
  assert.equal(b.status, 504);
  assert.ok(Date.now() - t0 < 2500);
  assert.equal(json(b).error.errors[0].reason, 'TG_UPSTREAM_TIMEOUT');
  assert.equal((await sink.ended(b.headers['x-tapegate-exchange-id'] as string)).end!.outcome, 'timeout');
});

test('an upstream that stalls or resets mid-body ends the agent response visibly broken', async () => {
  const { port, sink } = await start();
  const stall = await request(port, { path: '/t/x?tg=stall' });
  assert.equal(stall.status, 200);
  assert.equal(stall.complete, false);
  assert.ok(stall.body.length < 1 << 20);
  assert.equal((await sink.ended(stall.headers['x-tapegate-exchange-id'] as string)).end!.outcome, 'timeout');
  const reset = await request(port, { path: '/t/x?tg=reset' });
  assert.equal(reset.status, 200);
  assert.equal(reset.complete, false);
  assert.ok(reset.body.length < 1 << 20);
  assert.equal((await sink.ended(reset.headers['x-tapegate-exchange-id'] as string)).end!.outcome, 'upstream_error');
});

test('an agent that disconnects aborts the upstream request', async () => {
  const { port, sink } = await start();
  const n = up.seen.length;
  const s = net.connect(port, '127.0.0.1', () => s.write('GET /t/x?tg=hang HTTP/1.1\r\nHost: x\r\n\r\n'));
  for (let i = 0; i < 100 && up.seen.length === n; i++) await new Promise((r) => setTimeout(r, 10));
  const seen = up.seen[n]!;
  s.destroy();
  for (let i = 0; i < 100 && !seen.aborted; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(seen.aborted, true);
  for (let i = 0; i < 100 && !sink.exchanges.at(-1)?.end; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(sink.exchanges.at(-1)!.end!.outcome, 'client_aborted');
  // Mid-download too: the upstream stops sending.
  const m = up.seen.length;
  const d = net.connect(port, '127.0.0.1', () => d.write('GET /download/storage/v1/b/b/o/x?alt=media&size=1000000000 HTTP/1.1\r\nHost: x\r\n\r\n'));
  let got = 0;
  await new Promise<void>((resolve) =>
    d.on('data', (c) => {
      got += c.length;
      if (got > 1_000_000) {
        d.destroy();
        resolve();
      }
    }),
  );
  const dl = up.seen[m]!;
  for (let i = 0; i < 200 && !dl.aborted; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(dl.aborted, true);
});

test('the last response bytes wait for onDurable; a durability failure breaks the response', async () => {
  const sink = new MemorySink();
  sink.durableDelayMs = 300;
  const { port } = await start({ sink });
  const t0 = Date.now();
  const a = await request(port, { path: '/download/storage/v1/b/b/o/x?alt=media&size=200000' });
  assert.ok(Date.now() - t0 >= 280, 'released only after the records were durable');
  assert.equal(a.complete, true);
  assert.equal(a.body.length, 200000);
  assert.equal(sink.byId(a.headers['x-tapegate-exchange-id'] as string).durable, true);
  sink.durableDelayMs = 0;
  sink.failDurable = true;
  const b = await request(port, { path: '/download/storage/v1/b/b/o/x?alt=media&size=200000' }).catch((e: Error) => e);
  assert.ok(b instanceof Error || b.complete === false, 'the agent must not see a complete response');
  const c = await request(port, { path: '/storage/v1/b/x' }).catch((e: Error) => e);
  assert.ok(c instanceof Error || c.complete === false);
});

test('when the recorder refuses, nothing is proxied: 503 and sink.reject', async () => {
  const sink = new MemorySink();
  sink.refuse = true;
  const { port } = await start({ sink });
  const n = up.seen.length;
  const a = await request(port, { path: '/storage/v1/b/x' });
  assert.equal(a.status, 503);
  assert.equal(json(a).error.errors[0].reason, 'TG_RECORDER_UNAVAILABLE');
  assert.ok(a.headers['x-tapegate-exchange-id']);
  assert.equal(up.seen.length, n);
  assert.equal(sink.rejected.length, 1);
  assert.equal(sink.rejected[0]!.head.exchangeId, a.headers['x-tapegate-exchange-id']);
});

test('recording "off" proxies without calling the sink', async () => {
  const { port, sink } = await start({ recording: 'off' });
  const a = await request(port, { path: '/storage/v1/b/x' });
  assert.equal(a.status, 200);
  assert.equal(sink.exchanges.length, 0);
});

class TestGate implements Gate {
  facts: RequestFacts[] = [];
  constructor(
    private readonly decide: (f: RequestFacts, done: (err: TapegateError | null, a: Admission | null) => void) => void,
    private readonly need = 0,
  ) {}
  bodyNeeded(): number {
    return this.need;
  }
  admit(facts: RequestFacts, done: (err: TapegateError | null, a: Admission | null) => void): void {
    this.facts.push(facts);
    this.decide(facts, done);
  }
}
const alice = { subject: 'alice', issuer: 'https://issuer', groups: ['ops'] };

test('gate denials answer in Google shape with WWW-Authenticate and record the decision', async () => {
  const gate = new TestGate((_f, done) =>
    done(new TapegateError('TG_UNAUTHENTICATED', 401, 'send an ID token', { headers: { 'WWW-Authenticate': 'Bearer realm="tapegate"' } }), {
      identity: null,
      operation: 'storage.objects.get',
      resource: 'b/x',
      decision: { action: 'deny', rule: 'authentication', reason: 'no token' },
      upstreamAuthorization: null,
    }),
  );
  const { port, sink } = await start({ gate });
  const n = up.seen.length;
  const a = await request(port, { path: '/storage/v1/b/x' });
  assert.equal(a.status, 401);
  assert.equal(a.headers['www-authenticate'], 'Bearer realm="tapegate"');
  assert.equal(json(a).error.status, 'UNAUTHENTICATED');
  assert.equal(up.seen.length, n);
  const ex = await sink.ended(a.headers['x-tapegate-exchange-id'] as string);
  assert.equal(ex.end!.outcome, 'denied');
  assert.equal(ex.head.operation, 'storage.objects.get');
  assert.equal(ex.head.decision!.rule, 'authentication');
});

test('the gate sees the leading body bytes, may answer late, and its credential replaces the agent one', async () => {
  const gate = new TestGate(
    (_f, done) =>
      setTimeout(
        () => done(null, { identity: alice, operation: 'storage.objects.insert', resource: 'b/o', decision: { action: 'allow', rule: 'r1' }, upstreamAuthorization: 'Bearer injected' }),
        300,
      ),
    1000,
  );
  const { port, sink } = await start({ gate });
  const body = Buffer.alloc(3_000_000);
  for (let i = 0; i < body.length; i++) body[i] = i & 0xff;
  const a = await request(port, { method: 'POST', path: '/t/x?tg=echo', headers: { authorization: 'Bearer agent-token' }, body });
  assert.equal(a.status, 200);
  assert.equal(gate.facts[0]!.body!.length, 1000);
  assert.deepEqual([...gate.facts[0]!.body!.subarray(0, 4)], [0, 1, 2, 3]);
  assert.equal(json(a).bodyBytes, body.length);
  assert.equal(lastSeen().headers.authorization, 'Bearer injected');
  const ex = await sink.ended(a.headers['x-tapegate-exchange-id'] as string);
  assert.deepEqual(ex.head.identity, alice);
  assert.equal(ex.head.decision!.rule, 'r1');
  assert.equal(Buffer.concat(ex.requestBody).equals(body), true);
  // null strips Authorization entirely.
  const strip = new TestGate((_f, done) => done(null, { identity: null, operation: '', resource: '', decision: { action: 'allow', rule: 'x' }, upstreamAuthorization: null }));
  const h = await start({ gate: strip });
  await request(h.port, { path: '/t/x?tg=echo', headers: { authorization: 'Bearer agent-token' } });
  assert.equal(lastSeen().headers.authorization, undefined);
});

test('a request body over the connection limit is refused with 413', async () => {
  const { port } = await start({ connection: { maxRequestBodyBytes: 1000 } });
  const a = await request(port, { method: 'POST', path: '/upload/storage/v1/b/b/o?uploadType=media', body: Buffer.alloc(5000) });
  assert.equal(a.status, 413);
  const raw = await rawExchange(port, 'POST /upload/storage/v1/b/b/o?uploadType=media HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n' + 'x'.repeat(2000) + '\r\n0\r\n\r\n');
  assert.match(raw, /^HTTP\/1\.1 413 /);
});

test('malformed requests do not stop the gateway from serving others', async () => {
  const { port } = await start();
  const garbage = await rawExchange(port, 'THIS IS NOT HTTP\r\n\r\n');
  assert.doesNotMatch(garbage, /^HTTP\/1\.1 200/);
  const badLength = await rawExchange(port, 'POST /storage/v1/b HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n');
  assert.doesNotMatch(badLength, /^HTTP\/1\.1 200/);
  const ok = await request(port, { path: '/storage/v1/b/x' });
  assert.equal(ok.status, 200);
  assert.ok(JSON_1K.length > 1000);
});

test('ambiguous framing or Host is refused with 400 before anything goes upstream (RFC 9112)', async () => {
  const { port } = await start();
  const seenBefore = up.seen.length;
  const twoLengths = await rawExchange(port, 'POST /storage/v1/b HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab');
  assert.match(twoLengths, /^HTTP\/1\.1 400 /);
  assert.match(twoLengths, /more than one Content-Length header/);
  const twoHosts = await rawExchange(port, 'GET /storage/v1/b/x HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n');
  assert.match(twoHosts, /^HTTP\/1\.1 400 /);
  assert.match(twoHosts, /more than one Host header/);
  assert.equal(up.seen.length, seenBefore, 'neither reached the upstream');
  const ok = await request(port, { method: 'POST', path: '/t/x?tg=echo', body: Buffer.from('ab') });
  assert.equal(ok.status, 200, 'the gateway serves the next request');
});

test('a request held for review keeps its body on disk, then streams it upstream once approved', async () => {
  const { BodySpool } = await import('../../../core/approvals/spool.js');
  const { mkdtempSync, rmSync, existsSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tapegate-held-'));
  const spools: string[] = [];
  let cancelled = '';
  const gate = new TestGate((facts, done) => {
    const file = path.join(dir, `held-${spools.length}`);
    spools.push(file);
    facts.onHold!({ reviewId: 'r-1', body: new BodySpool(file, 64 * 1024 * 1024), cancel: (reason) => (cancelled = reason) });
    const t = setTimeout(
      () => done(null, { identity: alice, operation: 'storage.objects.delete', resource: 'b/o', decision: { action: 'allow', rule: 'review', reviewId: 'r-1', reviewedBy: 'bob' }, upstreamAuthorization: 'Bearer injected' }),
      400,
    );
    if (facts.target.includes('cancel')) clearTimeout(t);
  }, 16);
  try {
    const { port, sink } = await start({ gate });
    const body = Buffer.alloc(2_500_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
    const a = await request(port, { method: 'POST', path: '/t/x?tg=echo', body });
    assert.equal(a.status, 200);
    assert.equal(json(a).bodyBytes, body.length);
    assert.equal(json(a).sha256, (await import('node:crypto')).createHash('sha256').update(body).digest('hex'));
    const ex = await sink.ended(a.headers['x-tapegate-exchange-id'] as string);
    assert.equal(Buffer.concat(ex.requestBody).equals(body), true);
    assert.equal(ex.head.decision!.reviewedBy, 'bob');
    for (let i = 0; i < 100 && existsSync(spools[0]!); i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(existsSync(spools[0]!), false, 'the spool is disposed after use');
    // The agent goes away while held: the review is cancelled.
    const s = net.connect(port, '127.0.0.1', () => s.write('POST /t/cancel?tg=echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n' + 'x'.repeat(100)));
    for (let i = 0; i < 100 && gate.facts.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    s.destroy();
    for (let i = 0; i < 100 && !cancelled; i++) await new Promise((r) => setTimeout(r, 10));
    assert.match(cancelled, /disconnected/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a session-creating admission reports the upload_id of the resumable session to the gate', async () => {
  const sessions: Array<[string, Admission]> = [];
  const admission: Admission = { identity: alice, operation: 'storage.objects.insert', resource: 'b/o', decision: { action: 'allow', rule: 'r' }, upstreamAuthorization: null, createsUploadSession: true };
  const gate = new TestGate((_f, done) => done(null, admission));
  (gate as Gate).onUploadSession = (id, a) => sessions.push([id, a]);
  const { port } = await start({ gate });
  const a = await request(port, { method: 'POST', path: '/upload/storage/v1/b/bkt/o?uploadType=resumable&name=x', body: '{}' });
  assert.equal(a.status, 200);
  assert.deepEqual(sessions, [['ABCdef-123_xyz', admission]]);
});

test('an agent that stops sending its request body is cut after bodyIdleMs and the upstream aborted', async () => {
  const { port, sink } = await start();
  const n = up.seen.length;
  const t0 = Date.now();
  const raw = await rawExchange(port, 'PUT /t/x?tg=echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(1000), 3000);
  assert.match(raw, /^HTTP\/1\.1 408 /);
  assert.match(raw, /TG_AGENT_BODY_TIMEOUT/);
  assert.ok(Date.now() - t0 < 2500);
  const seen = up.seen[n]!;
  for (let i = 0; i < 100 && !seen.aborted; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(seen.aborted, true);
  const id = /x-tapegate-exchange-id: (\w+)/i.exec(raw)![1];
  assert.equal((await sink.ended(id)).end!.outcome, 'timeout');
});

test('body bytes arriving while an asynchronous gate decides (no body asked for) are kept and forwarded', async () => {
  const gate = new TestGate((_f, done) => setTimeout(() => done(null, { identity: alice, operation: '', resource: '', decision: { action: 'allow', rule: 'r' }, upstreamAuthorization: null }), 200));
  const { port, sink } = await start({ gate });
  const body = Buffer.alloc(1_500_000, 3);
  const a = await request(port, { method: 'POST', path: '/t/x?tg=echo', body });
  assert.equal(a.status, 200);
  assert.equal(json(a).bodyBytes, body.length);
  const ex = await sink.ended(a.headers['x-tapegate-exchange-id'] as string);
  assert.equal(Buffer.concat(ex.requestBody).length, body.length);
});

/** Sends requests one after another on ONE keep-alive connection; resolves each response's status and body. */
async function keepAliveExchanges(port: number, requests: Array<{ head: string; body: Buffer }>, timeoutMs = 5000): Promise<Array<{ status: number; body: string }>> {
  const s = net.connect(port, '127.0.0.1');
  const out: Array<{ status: number; body: string }> = [];
  let buf = Buffer.alloc(0);
  let wake: (() => void) | null = null;
  let closed = false;
  s.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    wake?.();
  });
  s.on('close', () => {
    closed = true;
    wake?.();
  });
  s.on('error', () => undefined);
  const deadline = Date.now() + timeoutMs;
  try {
    for (const r of requests) {
      s.write(Buffer.concat([Buffer.from(r.head), r.body]));
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end !== -1) {
          const head = buf.subarray(0, end).toString('latin1');
          const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
          if (buf.length >= end + 4 + length) {
            out.push({ status: Number(head.split(' ')[1]), body: buf.subarray(end + 4, end + 4 + length).toString() });
            buf = buf.subarray(end + 4 + length);
            break;
          }
        }
        if (closed) throw new Error(`the gateway closed the keep-alive connection after ${out.length} responses`);
        if (Date.now() > deadline) throw new Error(`no response ${out.length + 1} within ${timeoutMs} ms (the connection stalled)`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
        wake = null;
      }
    }
    return out;
  } finally {
    s.destroy();
  }
}

test('a body that fills the upstream buffer with its last chunk leaves the keep-alive connection readable (resumable final chunk)', async () => {
  // The gate answers late, so the whole 256 KiB chunk is buffered and fed at once: the body buffer is
  // full exactly when the body ends. The agent socket used to stay paused, and the next request on
  // the connection (a resumable upload's final PUT) was never read, then reset.
  const gate = new TestGate((_f, done) => setTimeout(() => done(null, { identity: alice, operation: '', resource: '', decision: { action: 'allow', rule: 'r' }, upstreamAuthorization: null }), 30));
  const { port, sink } = await start({ gate });
  const put = (n: number, fill: number) => ({
    head: `PUT /t/up?tg=echo&upload_id=u1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${n}\r\nContent-Range: bytes */*\r\n\r\n`,
    body: Buffer.alloc(n, fill),
  });
  const answers = await keepAliveExchanges(port, [put(256 * 1024, 1), put(256 * 1024, 2), put(88 * 1024, 3)]);
  assert.deepEqual(answers.map((a) => a.status), [200, 200, 200]);
  assert.deepEqual(answers.map((a) => JSON.parse(a.body).bodyBytes), [256 * 1024, 256 * 1024, 88 * 1024]);
  const puts = sink.exchanges.filter((e) => e.head.method === 'PUT');
  assert.equal(puts.length, 3);
  for (const e of puts) await sink.ended(e.head.exchangeId);
  assert.deepEqual(puts.map((e) => Buffer.concat(e.requestBody).length), [256 * 1024, 256 * 1024, 88 * 1024]);
  // Same with the synchronous pass-through gate and bodies larger than the buffer.
  const h = await start();
  const again = await keepAliveExchanges(h.port, [put(600 * 1024, 4), put(256 * 1024, 5), put(1000, 6)]);
  assert.deepEqual(again.map((a) => JSON.parse(a.body).bodyBytes), [600 * 1024, 256 * 1024, 1000]);
});

/** Plays the recorder's writer thread: the congested sink drains every `ms` until stopped. */
function drainEvery(sink: MemorySink, ms: number): { stop(): void } {
  const t = setInterval(() => sink.drain(), ms);
  return {
    stop() {
      clearInterval(t);
      sink.drain();
    },
  };
}

test('a congested recorder pauses the upstream read and the agent upload until it drains', { timeout: 60_000 }, async () => {
  const sink = new MemorySink();
  sink.keepBodies = false;
  sink.congestAfterBytes = 1024 * 1024;
  const { port } = await start({ sink });
  const drainer = drainEvery(sink, 40);
  try {
    const size = 24 * 1024 * 1024;
    const down = await request(port, { path: `/download/storage/v1/b/b/o/big?alt=media&size=${size}`, timeoutMs: 30_000 });
    assert.equal(down.status, 200);
    assert.equal(down.complete, true);
    assert.equal(down.body.length, size);
    assert.equal(down.body[size - 1], patternByte(size - 1));
    assert.equal((await sink.ended(down.headers['x-tapegate-exchange-id'] as string)).end!.responseBytes, size);
    // Without the pause the bytes recorded between two drains would be megabytes, not a chunk or so.
    assert.ok(sink.drains >= 5, `the download waited for the recorder (${sink.drains} drains)`);
    assert.ok(sink.maxOvershoot <= 512 * 1024, `recorded ${sink.maxOvershoot} bytes past congestion`);
    assert.equal(sink.maxListeners, 1, 'one drain listener per congested exchange');

    sink.drains = 0;
    sink.maxOvershoot = 0;
    const body = Buffer.alloc(size, 0x5a);
    const up1 = await request(port, { method: 'POST', path: '/upload/storage/v1/b/b/o?uploadType=media&name=big', body, timeoutMs: 30_000 });
    assert.equal(up1.status, 200);
    assert.equal(json(up1).size, String(size));
    assert.equal((await sink.ended(up1.headers['x-tapegate-exchange-id'] as string)).end!.requestBytes, size);
    assert.ok(sink.drains >= 5, `the upload waited for the recorder (${sink.drains} drains)`);
    assert.ok(sink.maxOvershoot <= 1024 * 1024, `recorded ${sink.maxOvershoot} bytes past congestion`);
    assert.equal(sink.maxListeners, 1, 'one drain listener per congested exchange');
  } finally {
    drainer.stop();
  }
});

test('a held request replayed from its spool waits for a congested recorder', { timeout: 30_000 }, async () => {
  const { BodySpool } = await import('../../../core/approvals/spool.js');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tapegate-held-congested-'));
  const gate = new TestGate((facts, done) => {
    facts.onHold!({ reviewId: 'r-2', body: new BodySpool(path.join(dir, 'held'), 64 * 1024 * 1024), cancel: () => undefined });
    setTimeout(() => done(null, { identity: alice, operation: 'storage.objects.insert', resource: 'b/o', decision: { action: 'allow', rule: 'review', reviewId: 'r-2', reviewedBy: 'bob' }, upstreamAuthorization: 'Bearer injected' }), 50);
  }, 16);
  const sink = new MemorySink();
  sink.congestAfterBytes = 256 * 1024;
  const drainer = drainEvery(sink, 30);
  try {
    const { port } = await start({ gate, sink });
    const body = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 13) & 0xff;
    const a = await request(port, { method: 'POST', path: '/t/x?tg=echo', body, timeoutMs: 20_000 });
    assert.equal(a.status, 200);
    assert.equal(json(a).sha256, (await import('node:crypto')).createHash('sha256').update(body).digest('hex'));
    const ex = await sink.ended(a.headers['x-tapegate-exchange-id'] as string);
    assert.equal(Buffer.concat(ex.requestBody).equals(body), true);
    assert.ok(sink.drains >= 5, `the replay waited for the recorder (${sink.drains} drains)`);
    assert.ok(sink.maxOvershoot <= 256 * 1024, `recorded ${sink.maxOvershoot} bytes past congestion`);
    assert.equal(sink.maxListeners, 1);
  } finally {
    drainer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
