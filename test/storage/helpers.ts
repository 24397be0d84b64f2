import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { recordingSchema, type RecordingConfig } from '../../core/config/recording.js';
import type { ExchangeHead } from '../../core/exchange.js';
import { newExchangeId } from '../../core/ids.js';
import { nowNs } from '../../core/clock.js';
import { FrameBuilder } from '../../storage/recorder/frame-builder.js';
import { indexLines } from '../../storage/reader/index-lines.js';
import { loadSigningKey } from '../../storage/segment/keys.js';
import { encodeEnd, encodeStart } from '../../storage/segment/records.js';
import type { SegmentWriter, SegmentWriterOptions } from '../../storage/segment/writer.js';

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

/** The lines of a segment's index file (`.index.jsonl.zst`), read with storage/reader's indexLines. */
export async function readIndexLines(file: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const l of indexLines(file)) lines.push(l);
  return lines;
}

/** readIndexLines, each line parsed. */
export async function readIndex<T = Record<string, unknown>>(file: string): Promise<T[]> {
  return (await readIndexLines(file)).map((l) => JSON.parse(l) as T);
}

/** A sealed segment's index file in the spool. */
export function indexFileOf(segmentFile: string): string {
  return segmentFile.replace(/\.tgseg$/, '.index.jsonl.zst');
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

/** Options for a SegmentWriter driven directly (no recorder): sync, never rotating by itself. */
export function writerOptions(dataDir: string, instanceId: string): SegmentWriterOptions {
  const key = loadSigningKey(dataDir, undefined);
  return { instanceId, dataDir, zstdLevel: 1, durability: 'sync', segmentMaxBytes: 1 << 30, segmentMaxAgeMs: 3_600_000, segmentMaxExchanges: 100_000, key };
}

/**
 * Writes `frames` frames of `perFrame` exchanges (start, one response body of `bodyBytes`, end)
 * straight into `w`, as the recorder's thread would; returns the exchange ids in order.
 */
export function writeSampleFrames(w: SegmentWriter, frames: number, perFrame: number, bodyBytes: number): string[] {
  const ids: string[] = [];
  for (let f = 0; f < frames; f++) {
    const fb = new FrameBuilder(Buffer.allocUnsafeSlow(256 * 1024), () => {
      throw new Error('frame overflow');
    });
    for (let i = 0; i < perFrame; i++) {
      const h = head();
      ids.push(h.exchangeId);
      fb.addRecord(encodeStart(h));
      fb.addBody(h.exchangeId, Buffer.from(h.exchangeId), 2, 0, Buffer.alloc(bodyBytes, f * 10 + i));
      fb.addRecord(encodeEnd(h.exchangeId, { outcome: 'completed', error: '', completedNs: nowNs(), requestBytes: 0, responseBytes: bodyBytes }));
      fb.noteId(h.exchangeId);
      fb.noteNs(h.receivedNs);
    }
    const frame = fb.detach(Buffer.alloc(0));
    w.writeFrame(frame.buf, frame.length, frame.meta);
  }
  return ids;
}
