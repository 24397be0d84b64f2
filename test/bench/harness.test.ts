import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { benchScript, repoRoot, startChild, waitReadyLine, type Child } from '../../bench/child.js';
import { addRatios, runE2E, type Row } from '../../bench/e2e.js';
import { evaluate, loadGateConfig } from '../../bench/gate.js';
import { runLoad, runUndiciLoad } from '../../bench/load.js';
import http from 'node:http';
import net from 'node:net';
import { parseBenchArgs, parseSize } from '../../bench/options.js';
import { ProcessMeter } from '../../bench/procstat.js';
import { headline, renderMarkdown, renderText, machine } from '../../bench/report.js';
import { runTransfer } from '../../bench/transfer.js';
import { runCases } from '../../bench/micro.js';

describe('bench harness', { timeout: 60_000 }, () => {
  let upstream: Child;
  let origin = '';

  before(async () => {
    const s = benchScript('upstream');
    upstream = startChild(s.command, s.args);
    const { port } = await waitReadyLine<{ port: number }>(upstream);
    origin = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    await upstream?.stop();
  });

  it('fake upstream answers like Cloud Storage: 1 KiB metadata, lists, media, inserts', async () => {
    const meta = await request(`${origin}/storage/v1/b/bench-bucket/o/bench%2Fobject-1kb.json`);
    const metaBody = Buffer.from(await meta.body.arrayBuffer());
    assert.equal(meta.statusCode, 200);
    assert.equal(metaBody.length, 1024);
    assert.equal(JSON.parse(metaBody.toString()).kind, 'storage#object');

    const list = await request(`${origin}/storage/v1/b/bench-bucket/o?prefix=logs`);
    const listJson = (await list.body.json()) as { kind: string; items: unknown[] };
    assert.equal(listJson.kind, 'storage#objects');
    assert.equal(listJson.items.length, 10);

    const media = await request(`${origin}/download/storage/v1/b/bench-bucket/o/x?alt=media&size=100000`);
    assert.equal(Buffer.from(await media.body.arrayBuffer()).length, 100_000);

    const ins = await request(`${origin}/upload/storage/v1/b/bench-bucket/o?uploadType=media&name=a%2Fb`, { method: 'POST', body: Buffer.alloc(5000, 1) });
    const insJson = (await ins.body.json()) as { name: string; size: string };
    assert.deepEqual([insJson.name, insJson.size], ['a/b', '5000']);
  });

  it('load generator: a few hundred requests, nanosecond latencies, no errors', async () => {
    const r = await runUndiciLoad({
      origin,
      connections: 4,
      durationMs: 10_000,
      warmupMs: 50,
      maxRequests: 300,
      requests: [{ method: 'GET', path: '/storage/v1/b/bench-bucket/o/o.json' }, { method: 'POST', path: '/upload/storage/v1/b/bench-bucket/o?name=x', body: Buffer.alloc(4096) }],
    });
    assert.equal(r.requests, 300);
    assert.equal(r.errors, 0);
    assert.equal(r.non2xx, 0);
    assert.ok(r.rps > 0);
    assert.ok(r.elapsedSec < 10, 'stopped at maxRequests, not at the duration');
    assert.ok(r.latencyMs.p50 > 0 && r.latencyMs.p50 < 1000);
    assert.ok(r.latencyMs.p99 >= r.latencyMs.p50);
    assert.ok(r.bytesPerSec > 0);
  });

  it('net load generator: Content-Length and chunked responses, POST bodies, status codes', async () => {
    const direct = await runLoad('net', {
      origin,
      connections: 3,
      durationMs: 10_000,
      warmupMs: 0,
      maxRequests: 300,
      requests: [
        { method: 'GET', path: '/storage/v1/b/bench-bucket/o/o.json' },
        { method: 'POST', path: '/upload/storage/v1/b/bench-bucket/o?name=x', body: Buffer.alloc(70_000) },
        { method: 'GET', path: '/download/storage/v1/b/b/o/x?alt=media&size=300000' },
      ],
    });
    assert.equal(direct.requests, 300);
    assert.equal(direct.errors, 0);
    assert.equal(direct.non2xx, 0);
    // About 100 of each (connections cycle the list independently, so the split of the 300 can be off
    // by a few): 1 KiB metadata, ~1 KiB insert answer, 300 000-byte media.
    assert.ok(direct.bytesPerSec * direct.elapsedSec > 95 * 300_000, `bytes ${direct.bytesPerSec * direct.elapsedSec}`);

    // A chunked, partly-404 server the fake upstream never produces.
    const srv = http.createServer((req, res) => {
      res.statusCode = req.url === '/missing' ? 404 : 200;
      res.write('a'.repeat(1000));
      setImmediate(() => res.end('b'.repeat(10)));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const port = (srv.address() as { port: number }).port;
      const r = await runLoad('net', {
        origin: `http://127.0.0.1:${port}`,
        connections: 2,
        durationMs: 10_000,
        warmupMs: 0,
        maxRequests: 200,
        requests: [{ method: 'GET', path: '/ok' }, { method: 'GET', path: '/missing' }],
      });
      assert.equal(r.requests, 200);
      assert.equal(r.errors, 0);
      assert.equal(r.non2xx, 100);
      assert.ok(Math.abs(r.bytesPerSec * r.elapsedSec - 200 * 1010) < 2 * 1010 * 2, `body bytes ${r.bytesPerSec * r.elapsedSec}`);
    } finally {
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
    }
  });

  it('net load generator: a body delimited by the server closing the connection', async () => {
    const srv = net.createServer((sock) => {
      sock.once('data', () => sock.end('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nhello, world'));
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const port = (srv.address() as { port: number }).port;
      const r = await runLoad('net', { origin: `http://127.0.0.1:${port}`, connections: 2, durationMs: 10_000, warmupMs: 0, maxRequests: 50, requests: [{ method: 'GET', path: '/' }] });
      assert.equal(r.requests, 50);
      assert.equal(r.errors, 0);
      assert.equal(r.non2xx, 0);
      assert.equal(Math.round(r.bytesPerSec * r.elapsedSec), 50 * 12);
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });

  it('streamed transfers move every byte both ways', async () => {
    const down = await runTransfer(origin, 'download', 4 * 1024 * 1024);
    assert.equal(down.error, undefined);
    assert.equal(down.status, 200);
    assert.ok(down.bytesPerSec > 0);
    const up = await runTransfer(origin, 'upload', 3 * 1024 * 1024 + 7);
    assert.equal(up.error, undefined);
    assert.equal(up.status, 200);
  });

  it('process meter reads CPU and RSS of a child from /proc', async () => {
    const m = new ProcessMeter(upstream.pid);
    m.start();
    await runUndiciLoad({ origin, connections: 2, durationMs: 5000, warmupMs: 0, maxRequests: 200, requests: [{ method: 'GET', path: '/storage/v1/b/b/o' }] });
    const s = m.stop();
    assert.ok(s.cpuSeconds >= 0);
    assert.ok(s.peakRssMiB > 10, `peak RSS ${s.peakRssMiB} MiB`);
  });

  it("process meter tells the main thread's CPU from the other threads'", async () => {
    // A worker thread spins for 0.6 s while the main thread sleeps: the process used ~0.6 s of CPU,
    // its main thread (the event loop) almost none.
    const script = `const { Worker } = require('node:worker_threads');
      new Worker('const e = Date.now() + 600; while (Date.now() < e) {}', { eval: true }).on('exit', () => setTimeout(() => {}, 5000));
      console.log('READY {}');`;
    const child = startChild(process.execPath, ['-e', script]);
    try {
      await waitReadyLine(child);
      const m = new ProcessMeter(child.pid);
      m.start();
      await new Promise((r) => setTimeout(r, 900));
      const s = m.stop();
      assert.ok(s.cpuSeconds >= 0.3, `process CPU ${s.cpuSeconds} s`);
      assert.ok(s.mainThreadCpuSeconds < 0.15, `main thread CPU ${s.mainThreadCpuSeconds} s`);
    } finally {
      await child.stop();
    }
  });

  it('end-to-end runner on a tiny scenario (direct only) produces rows, a table and Markdown', async () => {
    const lines: string[] = [];
    const e2e = await runE2E({ scenarios: ['1kb-1'], targets: ['direct'], durationMs: 300, warmupMs: 50, repeat: 2, loadgen: 'net', bigBytes: 0, log: (l) => lines.push(l) });
    assert.equal(e2e.rows.length, 1);
    const row = e2e.rows[0]!;
    assert.equal(row.target, 'direct');
    assert.equal(row.samples, 2);
    assert.equal(row.errors + row.non2xx, 0);
    assert.ok((row.rps ?? 0) > 0);
    assert.equal(row.vsDirect.throughput, 1);
    const report = { startedAt: new Date().toISOString(), finishedAt: '', machine: machine(), options: { durationSec: 0.3, warmupSec: 0.05, repeat: 2 }, e2e };
    assert.match(renderText(report), /1kb-1\s+direct/);
    assert.match(renderMarkdown(report, 'test'), /\| 1kb-1 \| direct \|/);
    assert.ok(lines.some((l) => l.includes('upstream')));
  });

  it('ratios and gate checks: median of per-round ratios, failures detected', () => {
    const base = (target: Row['target'], rps: number, p99: number): Row => ({
      scenario: '1kb-50',
      title: '',
      kind: 'load',
      target,
      samples: 1,
      rps,
      bytesPerSec: 0,
      latencyMs: { p50: p99 / 2, p90: p99, p99, p999: p99, mean: p99 / 2, max: p99 },
      ttfbMs: null,
      errors: 0,
      non2xx: 0,
      proxyCpuPer10k: null,
      proxyLoopCpuPer10k: null,
      proxyCpuPerGiB: null,
      proxyPeakRssMiB: null,
      loadgenCpuPer10k: null,
      vsDirect: { throughput: null, addedP50Ms: null, addedP99Ms: null },
      rounds: { throughput: [], addedP50Ms: [], addedP99Ms: [] },
    });
    // Rows placed on either side of the thresholds in bench/gate.json, so the test follows the floors
    // as they are raised: full+sync at half its floor and twice its p99 ceiling, off comfortably within.
    const cfg = loadGateConfig(path.join(repoRoot, 'bench/gate.json'));
    const limit = (target: string, metric: string, key: 'min' | 'max'): number => {
      const c = cfg.checks.find((x) => x.target === target && x.metric === metric);
      assert.ok(c && typeof c[key] === 'number', `bench/gate.json has a ${key} for ${target} ${metric}`);
      return c[key] as number;
    };
    const syncRatio = limit('tapegate-full-sync', 'throughputRatio', 'min') / 2;
    const syncAddedP99 = limit('tapegate-full-sync', 'addedP99Ms', 'max') * 2;
    const offRatio = Math.min(1, limit('tapegate-off', 'throughputRatio', 'min') * 1.5);
    const offAddedP99 = limit('tapegate-off', 'addedP99Ms', 'max') / 2;
    const rows = [base('direct', 100_000, 1), base('tapegate-full-sync', 100_000 * syncRatio, 1 + syncAddedP99), base('tapegate-off', 100_000 * offRatio, 1 + offAddedP99)];
    // CPU per exchange (the rows carry s per 10k exchanges): full+sync over its ceiling, off under it.
    rows[1]!.proxyCpuPer10k = (limit('tapegate-full-sync', 'cpuUsPerExchange', 'max') * 1.5) / 100;
    rows[2]!.proxyCpuPer10k = (limit('tapegate-off', 'cpuUsPerExchange', 'max') * 0.5) / 100;
    addRatios(rows);
    assert.ok(Math.abs(rows[1]!.vsDirect.throughput! - syncRatio) < 1e-9);
    assert.ok(Math.abs(rows[1]!.vsDirect.addedP99Ms! - syncAddedP99) < 1e-9);
    const results = evaluate(cfg, rows);
    const byKey = new Map(results.map((r) => [`${r.target} ${r.metric}`, r.pass]));
    assert.equal(byKey.get('tapegate-full-sync throughputRatio'), false);
    assert.equal(byKey.get('tapegate-full-sync addedP99Ms'), false);
    assert.equal(byKey.get('tapegate-off throughputRatio'), true);
    assert.equal(byKey.get('tapegate-off addedP99Ms'), true);
    assert.equal(byKey.get('tapegate-full-sync cpuUsPerExchange'), false);
    assert.equal(byKey.get('tapegate-off cpuUsPerExchange'), true);
    // A full+sync gateway that wrote no recordings fails; one that did passes.
    assert.equal(byKey.get('tapegate-full-sync recordedMiB'), false);
    const recorded = evaluate(cfg, rows, { 'tapegate-full-sync': 3.5 });
    assert.equal(recorded.find((r) => r.metric === 'recordedMiB')?.pass, true);
    // A target that did not run fails its checks instead of passing silently.
    assert.ok(evaluate(cfg, [rows[0]!]).every((r) => !r.pass));
  });

  it('headline: recording cost by throughput and by event-loop CPU per exchange', () => {
    const row = (target: Row['target'], rps: number, loopCpuPer10k: number | null): Row => ({
      scenario: '1kb-50', title: '', kind: 'load', target, samples: 1, rps, bytesPerSec: 0,
      latencyMs: { p50: 1, p90: 1, p99: 1, p999: 1, mean: 1, max: 1 }, ttfbMs: null, errors: 0, non2xx: 0,
      proxyCpuPer10k: null, proxyLoopCpuPer10k: loopCpuPer10k, proxyCpuPerGiB: null, proxyPeakRssMiB: null, loadgenCpuPer10k: null,
      vsDirect: { throughput: null, addedP50Ms: null, addedP99Ms: null }, rounds: { throughput: [], addedP50Ms: [], addedP99Ms: [] },
    });
    const rows = [row('direct', 100_000, null), row('tapegate-off', 40_000, 0.25), row('tapegate-full-async', 30_000, 0.3125)];
    addRatios(rows);
    const lines = headline({ e2e: { rows, skipped: [], notes: [], recordedMiB: { 'tapegate-full-async': 2 } } } as unknown as Parameters<typeof headline>[0]);
    assert.ok(lines.includes('1kb-50: recording (full-async) costs 25% of throughput vs recording off; target: under 15%'), lines.join('\n'));
    assert.ok(lines.includes('1kb-50: recording (full-async) adds 6.3 µs of event-loop CPU per exchange (off 25.0 µs → 31.3 µs): 20% fewer exchanges per saturated event loop'), lines.join('\n'));
  });

  it('flags: --quick, --only, sizes', () => {
    const o = parseBenchArgs(['--quick', '--only', '1kb-50,zstd', '--targets', 'direct,nginx']);
    assert.deepEqual(o.scenarios, ['1kb-50']);
    assert.deepEqual(o.micro, ['zstd']);
    assert.deepEqual(o.targets, ['direct', 'nginx']);
    assert.equal(o.durationMs, 2000);
    assert.equal(parseSize('1GiB'), 1024 ** 3);
    assert.throws(() => parseBenchArgs(['--only', 'nope']), /unknown scenario/);
  });

  it('micro runner reports ops/s and MB/s', async () => {
    const rows = await runCases('t', [{ name: 'copy 1 KiB', baseline: true, bytesPerOp: 1024, fn: () => Buffer.alloc(1024) }], true);
    assert.equal(rows.length, 1);
    assert.ok(rows[0]!.opsPerSec > 0);
    assert.ok((rows[0]!.mbPerSec ?? 0) > 0);
  });
});
