import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { compress } from 'zstd-napi';
import assert from 'node:assert/strict';
import { pino, type Logger } from 'pino';
import type { RequestLogEntry } from '../../support/gcs-emulator/index.js';
import { parseConfig, type Config } from '../../../core/config/index.js';
import type { SealedSegment } from '../../../storage/types.js';

/** A temp data dir with a spool and an Ed25519 public key, removed by cleanup(). */
export function tempDataDir(): { dataDir: string; spoolDir: string; keyPath: string; cleanup: () => void } {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tg-upload-'));
  const spoolDir = path.join(dataDir, 'spool');
  mkdirSync(spoolDir, { recursive: true });
  const { publicKey } = generateKeyPairSync('ed25519');
  // Where and how the segment writer publishes it (storage/segment/keys.ts).
  const keyId = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' }).subarray(-32)).digest('hex').slice(0, 16);
  const keyPath = path.join(spoolDir, `key-${keyId}.pub.pem`);
  writeFileSync(keyPath, publicKey.export({ type: 'spki', format: 'pem' }));
  return { dataDir, spoolDir, keyPath, cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
}

/**
 * Writes what the segment writer leaves in the spool on seal: `<12-digit seq>-<sha256 prefix>.tgseg`
 * with arbitrary bytes and its `<same>.index.jsonl.zst` index (zstd-compressed JSON lines; we never parse segments).
 */
export function writeSealedSegment(
  spoolDir: string,
  seq: number,
  opts: { size?: number; data?: Buffer; createdAtMs?: number; instanceId?: string; keyPath: string },
): SealedSegment & { data: Buffer; index: Buffer } {
  const data = opts.data ?? randomBytes(opts.size ?? 4096);
  const sha256 = createHash('sha256').update(data).digest('hex');
  const base = `${String(seq).padStart(12, '0')}-${sha256.slice(0, 16)}`;
  const segPath = path.join(spoolDir, `${base}.tgseg`);
  const indexPath = path.join(spoolDir, `${base}.index.jsonl.zst`);
  writeFileSync(segPath, data);
  const createdAtMs = opts.createdAtMs ?? Date.UTC(2026, 0, 1, 17, 30, 0);
  const index = compress(Buffer.from(
    [0, 1]
      .map((i) =>
        JSON.stringify({
          exchangeId: `01J${seq}${i}`,
          sessionId: 's1',
          time: new Date(createdAtMs + i).toISOString(),
          identity: 'agent@example.com',
          connection: 'gcs',
          operation: 'storage.objects.get',
          resource: 'b/o',
          status: 200,
          sizes: { request: 0, response: 10 },
          outcome: 'ok',
        }),
      )
      .join('\n') + '\n',
  ));
  writeFileSync(indexPath, index);
  return {
    instanceId: opts.instanceId ?? 'gw-1',
    seq,
    sha256,
    createdAtMs,
    sizeBytes: data.length,
    path: segPath,
    indexPath,
    publicKeyPath: opts.keyPath,
    data,
    index,
  };
}

export function testConfig(dataDir: string, store: Record<string, unknown>, spoolMaxBytes = 1024 ** 3): Config {
  return parseConfig({
    instanceId: 'gw-1',
    dataDir,
    connections: [{ name: 'gcs', match: { pathPrefixes: ['/storage'] }, upstream: 'https://storage.googleapis.com' }],
    recording: { spoolMaxBytes },
    store,
  });
}

/** Fast retries for tests. */
export const fastUpload = { backoffInitialMs: 10, backoffMaxMs: 80, stallTimeoutMs: 5_000 };

/** A pino logger whose lines the test can read. */
export function captureLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = pino({ level: 'debug' }, stream);
  return { logger, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** What is left in the spool besides the writer's published public key (which stays). */
export function spoolLeft(spoolDir: string): string[] {
  return readdirSync(spoolDir).filter((n) => !/^key-[0-9a-f]+\.pub\.pem$/.test(n));
}

/**
 * The resumed upload first asked its session how much it holds (Content-Range: bytes * / *), then sent
 * data from exactly that offset — at least `atLeast` bytes in — and never from byte 0. (A chunk the
 * stopped uploader had already put on the wire may show up in between; it is ignored.)
 */
export function assertResumedAt(requests: RequestLogEntry[], atLeast: number): void {
  const puts = requests.filter((r) => r.route === 'resumable.put');
  const q = puts.findIndex((r) => r.contentRange === 'bytes */*' && r.status === 308);
  assert.ok(q >= 0, `a status query on the persisted session (saw ${puts.map((p) => p.contentRange).join(', ')})`);
  const m = /bytes=0-(\d+)/.exec(puts[q]!.range ?? '');
  const persisted = m ? Number(m[1]) + 1 : 0;
  assert.ok(persisted >= atLeast && persisted > 0, `the session held ${persisted} bytes (>= ${atLeast})`);
  const next = puts.slice(q + 1).find((r) => /^bytes \d/.test(r.contentRange ?? ''));
  assert.equal(next?.contentRange?.split('-')[0], `bytes ${persisted}`, `continued at ${persisted}`);
  assert.ok(!puts.slice(q + 1).some((r) => r.contentRange?.startsWith('bytes 0-')), 'never restarted from byte 0');
}
