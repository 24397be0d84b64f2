import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { indexLines } from '../../storage/reader/index-lines.js';
import { devToken } from '../support/cli.js';
import { rssBytes, sampleRss } from '../support/rss.js';
import { serveGateway, type ServedGateway } from '../support/gateway.js';
import { startUpstream, type FakeUpstream } from '../support/upstream.js';

/**
 * Many small exchanges through `tapegate serve` (recording full, durability sync): the recorder
 * thread keeps an index entry per exchange of the open segment and writes the index when it seals,
 * so with small exchanges its memory follows the exchanges per segment, not the bytes. A 64 MiB
 * segment of the bench's `mixed` workload holds 300k+ exchanges: 100+ MiB of entries on the writer
 * thread, and its seal built the whole index as one string (gateway RSS 950 MiB).
 * recording.segmentMaxExchanges bounds the entries and the index is written in pieces. Here a small
 * cap must seal many segments, each index near the cap, with the gateway's RSS under a ceiling.
 */
const MiB = 1024 * 1024;
const CAP = 1000;
const CONNECTIONS = 50;
/** Stop sending after this many exchanges or this long, whichever comes first. */
const MAX_EXCHANGES = 10_000;
const MAX_MS = 10_000;
const BODY_4K = Buffer.alloc(4096, 'x');

let up: FakeUpstream;
let dir: string;

before(async () => {
  up = await startUpstream();
  dir = mkdtempSync(path.join(os.tmpdir(), 'tapegate-e2e-memory-'));
});

after(async () => {
  await up.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The bench's `mixed` in small: object metadata, a 16 KiB media download, a 4 KiB media insert. */
const MIX: Array<{ method: string; path: string; body?: Buffer }> = [
  { method: 'GET', path: '/storage/v1/b/bkt/o/logs%2Fpart-00001.json' },
  { method: 'GET', path: '/download/storage/v1/b/bkt/o/logs%2Fpart-00002.jsonl?alt=media&size=16384' },
  { method: 'POST', path: '/upload/storage/v1/b/bkt/o?uploadType=media&name=logs%2Fnew.jsonl', body: BODY_4K },
];

function send(agent: http.Agent, port: number, auth: string, i: number): Promise<number> {
  const r = MIX[i % MIX.length]!;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: auth };
    if (r.body) {
      headers['content-type'] = 'application/octet-stream';
      headers['content-length'] = String(r.body.length);
    }
    const req = http.request({ host: '127.0.0.1', port, method: r.method, path: r.path, headers, agent }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => {
        clearTimeout(timer);
        resolve(res.statusCode ?? 0);
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error('request timed out')), 10_000);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(r.body);
  });
}

/**
 * The sealed segments' index files (`<base>.index.jsonl.zst` in the spool, `<prefix>/index/…/<base>.jsonl.zst`
 * in the local store; one per segment) by segment base name: how many
 * lines each has, and how many say the exchange ended there (an exchange still running at a seal is
 * listed `open` there and `ended` in the next segment).
 */
async function indexCounts(dataDir: string): Promise<Map<string, { lines: number; ended: number }>> {
  const counts = new Map<string, { lines: number; ended: number }>();
  for (const f of readdirSync(dataDir, { recursive: true }) as string[]) {
    const file = path.basename(f);
    const inStore = f.split(path.sep).includes('index') && file.endsWith('.jsonl.zst');
    if (!file.endsWith('.index.jsonl.zst') && !inStore) continue;
    const name = file.replace(/(\.index)?\.jsonl\.zst$/, '');
    if (counts.has(name)) continue;
    const c = { lines: 0, ended: 0 };
    for await (const l of indexLines(path.join(dataDir, f))) {
      c.lines++;
      if ((JSON.parse(l) as { state: string }).state === 'ended') c.ended++;
    }
    counts.set(name, c);
  }
  return counts;
}

test(`small exchanges at ${CONNECTIONS} connections: a segment seals at segmentMaxExchanges, RSS stays bounded`, { timeout: 90_000 }, async () => {
  const dataDir = mkdtempSync(path.join(dir, 'data-'));
  const gw: ServedGateway = await serveGateway({
    dir,
    dataDir,
    startTimeoutMs: 20_000,
    config: {
      drainTimeoutMs: 5000,
      listen: { host: '127.0.0.1', port: 8080, adminPort: 9090 },
      connections: [{ name: 'storage', match: { pathPrefixes: ['/storage/v1/', '/upload/storage/v1/', '/download/storage/v1/'] }, upstream: up.origin }],
      recording: { segmentMaxExchanges: CAP },
      policy: { rules: [{ name: 'e2e-agents', groups: ['agents'], action: 'allow' }] },
    },
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  let sent = 0;
  let failed = 0;
  let maxRss = 0;
  try {
    const auth = `Bearer ${await devToken(gw.configFile)}`;
    const pid = gw.child.pid!;
    const baseRss = rssBytes(pid);
    const rss = sampleRss(pid);
    const t0 = Date.now();
    const loop = async (): Promise<void> => {
      while (sent < MAX_EXCHANGES && Date.now() - t0 < MAX_MS) {
        const i = sent++;
        const status = await send(agent, gw.port, auth, i).catch(() => 0);
        if (status !== 200) failed++;
        // the fake upstream remembers every request; this test needs none of them
        if (up.seen.length > 1000) up.seen.length = 0;
      }
    };
    try {
      await Promise.all(Array.from({ length: CONNECTIONS }, loop));
    } finally {
      maxRss = rss.stop();
    }
    const ms = Date.now() - t0;
    process.stdout.write(`# ${sent} exchanges in ${ms} ms; gateway RSS ${(baseRss / MiB).toFixed(0)} → max ${(maxRss / MiB).toFixed(0)} MiB\n`);
    assert.equal(failed, 0, `${failed} of ${sent} exchanges failed`);
    assert.ok(sent >= 4 * CAP, `only ${sent} exchanges in ${MAX_MS} ms: too few to fill several segments`);
    assert.equal(await gw.stop(20_000), 0);
  } finally {
    agent.destroy();
    await gw.kill();
  }

  // every exchange ended in exactly one sealed segment, and no index is far above the cap: a segment
  // is sealed at the first rotation check after its index reached it
  const counts = await indexCounts(dataDir);
  const lines = [...counts.values()].map((c) => c.lines);
  const ended = [...counts.values()].reduce((a, c) => a + c.ended, 0);
  process.stdout.write(`# ${counts.size} sealed segments, index lines per segment: max ${Math.max(...lines)}, min ${Math.min(...lines)}\n`);
  assert.equal(ended, sent, 'one ended index line per exchange sent');
  assert.ok(counts.size >= Math.floor(sent / (2 * CAP)), `${counts.size} segments for ${sent} exchanges at segmentMaxExchanges ${CAP}`);
  for (const [name, c] of counts) assert.ok(c.lines <= 2 * CAP, `${name} lists ${c.lines} exchanges (segmentMaxExchanges ${CAP})`);
  // idle ≈ 125 MiB; at 50 connections the two V8 heaps (event loop ≈ 135 MiB at its peak, writer
  // thread ≈ 70) settle near 250-300 MiB. Unbounded index memory grows past this with exchanges.
  assert.ok(maxRss < 400 * MiB, `gateway RSS reached ${(maxRss / MiB).toFixed(0)} MiB`);
});
