import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import path from 'node:path';
import { benchScript, repoRoot, startChild, waitReadyLine, type Child } from '../../bench/child.js';
import { loadGateConfig } from '../../bench/gate.js';
import { parseBenchArgs } from '../../bench/options.js';
import { FLOOR_TARGETS, isSkipped, startTarget, type RunningTarget } from '../../bench/targets.js';

/**
 * The floor targets (bench/peers/floor-uws-*.ts) are bench instruments, not product code: this only
 * proves each one forwards correctly, so its numbers are those of a working proxy.
 */
const TIMEOUTS = { headersTimeout: 10_000, bodyTimeout: 10_000 };

/** An upstream that echoes request bodies back chunked (node:http sets no Content-Length) and says what it saw. */
function startEchoUpstream(): Promise<http.Server> {
  const srv = http.createServer((req, res) => {
    res.statusCode = 201;
    res.setHeader('content-type', 'application/octet-stream');
    res.setHeader('x-request-target', req.url ?? '');
    res.setHeader('x-request-framing', req.headers['transfer-encoding'] ?? `length ${req.headers['content-length'] ?? 'none'}`);
    // A hop-by-hop header named by Connection: the floor must not pass it on.
    res.setHeader('connection', 'keep-alive, x-upstream-hop');
    res.setHeader('x-upstream-hop', 'secret');
    req.on('data', (c: Buffer) => res.write(c));
    req.on('end', () => res.end());
    req.on('error', () => res.destroy());
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

describe('bench floor targets', { timeout: 60_000 }, () => {
  let upstream: Child;
  let upstreamPort = 0;
  let echo: http.Server;
  let echoPort = 0;

  before(async () => {
    const s = benchScript('upstream');
    upstream = startChild(s.command, s.args);
    upstreamPort = (await waitReadyLine<{ port: number }>(upstream)).port;
    echo = await startEchoUpstream();
    echoPort = (echo.address() as { port: number }).port;
  });

  after(async () => {
    await upstream?.stop();
    echo?.closeAllConnections();
    await new Promise((r) => echo?.close(r));
  });

  it('floors are bench targets (--targets, and the default set) but not gate targets', () => {
    assert.deepEqual(parseBenchArgs(['--targets', 'direct,floor-uws-undici,floor-uws-net']).targets, ['direct', 'floor-uws-undici', 'floor-uws-net']);
    for (const name of FLOOR_TARGETS) assert.ok(parseBenchArgs([]).targets.includes(name), name);
    const gate = loadGateConfig(path.join(repoRoot, 'bench/gate.json'));
    for (const name of FLOOR_TARGETS) {
      assert.ok(!gate.targets.includes(name), `${name} is not gated`);
      assert.ok(!gate.checks.some((c) => c.target === name), `${name} has no gate check`);
    }
  });

  for (const name of FLOOR_TARGETS) {
    it(`${name} forwards GETs byte for byte (Content-Length bodies up to 3 MB, a 404)`, async () => {
      const t = await startTarget(name, upstreamPort);
      assert.ok(!isSkipped(t), isSkipped(t) ? t.reason : '');
      const target = t as RunningTarget;
      try {
        for (const p of ['/storage/v1/b/bench-bucket/o/bench%2Fobject-1kb.json', '/download/storage/v1/b/b/o/x?alt=media&size=3000001', '/missing']) {
          const direct = await request(`http://127.0.0.1:${upstreamPort}${p}`, TIMEOUTS);
          const want = Buffer.from(await direct.body.arrayBuffer());
          const via = await request(`${target.origin}${p}`, TIMEOUTS);
          const got = Buffer.from(await via.body.arrayBuffer());
          assert.equal(via.statusCode, direct.statusCode, p);
          assert.equal(via.headers['content-type'], direct.headers['content-type'], p);
          assert.equal(got.length, want.length, p);
          assert.ok(got.equals(want), `${p}: bytes differ`);
        }
      } finally {
        await target.stop();
      }
    });

    it(`${name} forwards POSTs byte for byte both ways (Content-Length and chunked bodies, chunked answers)`, async () => {
      const t = await startTarget(name, echoPort);
      assert.ok(!isSkipped(t), isSkipped(t) ? t.reason : '');
      const target = t as RunningTarget;
      try {
        const body = randomBytes(2 * 1024 * 1024 + 3);
        const fixed = await request(`${target.origin}/upload/x`, { ...TIMEOUTS, method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
        const fixedBack = Buffer.from(await fixed.body.arrayBuffer());
        assert.equal(fixed.statusCode, 201);
        assert.equal(fixed.headers['x-request-framing'], `length ${body.length}`);
        assert.equal(fixed.headers['x-upstream-hop'], undefined, 'a header named by the upstream Connection is dropped');
        assert.equal(fixedBack.length, body.length);
        assert.ok(fixedBack.equals(body), 'echoed bytes differ (Content-Length upload)');

        // A body of unknown length goes out chunked; three pieces, the last one empty-ended.
        const pieces = [body.subarray(0, 1000), body.subarray(1000, 700_000), body.subarray(700_000)];
        const chunked = await request(`${target.origin}/upload/y?name=a%2Fb`, { ...TIMEOUTS, method: 'POST', body: Readable.from(pieces) });
        const chunkedBack = Buffer.from(await chunked.body.arrayBuffer());
        assert.equal(chunked.statusCode, 201);
        assert.equal(chunked.headers['x-request-framing'], 'chunked');
        assert.equal(chunked.headers['x-request-target'], '/upload/y?name=a%2Fb', 'the raw target, %2F kept');
        assert.ok(chunkedBack.equals(body), 'echoed bytes differ (chunked upload)');

        // Keep-alive reuse: more requests than the first ones, all whole.
        for (let i = 0; i < 20; i++) {
          const small = Buffer.from(`request ${i}`);
          const r = await request(`${target.origin}/upload/z`, { ...TIMEOUTS, method: 'POST', body: small });
          assert.equal(await r.body.text(), `request ${i}`);
        }
      } finally {
        await target.stop();
      }
    });
  }
});
