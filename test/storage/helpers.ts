import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { recordingSchema, type RecordingConfig } from '../../core/config/recording.js';
import type { ExchangeHead } from '../../core/exchange.js';
import { newExchangeId } from '../../core/ids.js';
import { nowNs } from '../../core/clock.js';

/** Shared fixtures for the storage tests. */
export function tempDir(prefix = 'tg-storage-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function recordingConfig(overrides: Partial<RecordingConfig> = {}): RecordingConfig {
  return recordingSchema.parse(overrides);
}

export function head(overrides: Partial<ExchangeHead> = {}): ExchangeHead {
  return {
    exchangeId: newExchangeId(),
    sessionId: 's-test',
    connection: 'gcs',
    mode: 'full',
    clientAddress: '127.0.0.1',
    identity: { subject: 'agent-1', issuer: 'https://issuer.test', groups: ['g1', 'g2'] },
    operation: 'storage.objects.get',
    resource: 'projects/_/buckets/b/objects/o',
    decision: { action: 'allow', rule: 'r1' },
    method: 'GET',
    target: '/storage/v1/b/b/o/o?alt=media',
    requestHeaders: [
      ['host', 'storage.googleapis.com'],
      ['user-agent', 'test'],
    ],
    receivedNs: nowNs(),
    ...overrides,
  };
}

export function sealedSegments(dataDir: string): string[] {
  const spool = path.join(dataDir, 'spool');
  return readdirSync(spool)
    .filter((n) => n.endsWith('.tgseg'))
    .sort()
    .map((n) => path.join(spool, n));
}

/** Resolves or rejects within `ms`, so no test can hang. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

export function durable(rec: { end: (e: import('../../core/exchange.js').ExchangeEnd, cb: (err: Error | null) => void) => void }, end: import('../../core/exchange.js').ExchangeEnd): Promise<Error | null> {
  return new Promise((resolve) => rec.end(end, resolve));
}
