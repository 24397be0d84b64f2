import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SegmentReader, verifyChain, verifySegment } from '../../../storage/reader/reader.js';
import { createRecorder } from '../../../storage/recorder/recorder.js';
import { FRAME_ENVELOPE_BYTES, headerLength, readFrameEnvelope } from '../../../storage/segment/format.js';
import { SegmentWriter, segmentDirs } from '../../../storage/segment/writer.js';
import type { SealedSegment } from '../../../storage/types.js';
import { recordingConfig, sealedSegments, tempDir, withTimeout, writeSampleFrames, writerOptions } from '../helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fromSource = import.meta.url.endsWith('.ts');

test('SIGKILL of a recording process under load: every exchange confirmed durable survives recovery', { timeout: 60_000 }, async () => {
  const { dir, cleanup } = tempDir('tg-crash-');
  try {
    const args = fromSource
      ? ['--import', import.meta.resolve('tsx'), path.join(here, 'crash-child.ts'), dir]
      : [path.join(here, 'crash-child.js'), dir];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const durableIds: string[] = [];
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        let buf = '';
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          const lines = buf.split('\n');
          buf = lines.pop()!;
          for (const l of lines) if (l && l !== 'ready') durableIds.push(l);
          if (durableIds.length >= 300) {
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.on('exit', () => reject(new Error(`child exited early: ${stderr}`)));
      }),
      40_000,
      'child recording 300 exchanges',
    );
    assert.equal(await withTimeout(exited, 10_000, 'child exit'), 'SIGKILL');
    const parts = readdirSync(segmentDirs(dir).open).filter((n) => n.endsWith('.part'));
    assert.equal(parts.length, 1, 'the killed process left its open segment unsealed');

    const sealed: SealedSegment[] = [];
    const rec = await createRecorder({ recording: recordingConfig(), instanceId: 'crash', dataDir: dir, sealedListener: { onSealed: (s) => sealed.push(s) } });
    await rec.close();
    assert.deepEqual(readdirSync(segmentDirs(dir).open), [], 'recovery sealed the open segment');

    const files = sealedSegments(dir);
    const chain = await verifyChain(files);
    assert.deepEqual(chain.damage, []);
    const last = chain.segments[chain.segments.length - 1]!;
    assert.equal(last.trailer!.recovered, true);
    const ended = new Set<string>();
    for (const f of files) {
      for await (const e of new SegmentReader(f).events()) if (e.type === 'record' && e.record.type === 'end') ended.add(e.record.exchangeId);
    }
    const missing = durableIds.filter((id) => !ended.has(id));
    assert.deepEqual(missing, [], `${missing.length} of ${durableIds.length} confirmed exchanges lost`);
  } finally {
    cleanup();
  }
});

test('an unsealed segment torn mid-frame keeps its valid prefix and is sealed as recovered', { timeout: 30_000 }, async () => {
  const { dir, cleanup } = tempDir('tg-torn-');
  try {
    const opts = writerOptions(dir, 'torn');
    const w = new SegmentWriter(opts);
    const ids = writeSampleFrames(w, 3, 5, 5000);
    w.sync();
    w.abandon(); // as if the process died here
    const [part] = readdirSync(segmentDirs(dir).open).map((n) => path.join(segmentDirs(dir).open, n));
    const buf = readFileSync(part!);
    let p = headerLength(buf) as number;
    const frameStarts: number[] = [];
    for (;;) {
      const env = readFrameEnvelope(buf, p);
      if (typeof env === 'string') break;
      frameStarts.push(p);
      p += FRAME_ENVELOPE_BYTES + env.compressedLength;
    }
    assert.equal(frameStarts.length, 3);
    const cut = frameStarts[2]! + 100; // the third frame is torn
    truncateSync(part!, cut);

    const w2 = new SegmentWriter(opts);
    const [sealed] = w2.recoverLeftovers();
    assert.ok(sealed);
    {
      const r = await verifySegment(sealed.path);
      assert.deepEqual(r.damage, []);
      assert.equal(r.trailer!.recovered, true);
      assert.equal(r.trailer!.discardedBytes, cut - frameStarts[2]!);
      assert.equal(r.trailer!.recordCount, 30);
      assert.equal(r.frames, 2);
      assert.equal(r.sizeBytes, statSync(sealed.path).size);
      const index = readFileSync(sealed.indexPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { exchangeId: string; outcome: string });
      assert.deepEqual(index.map((l) => l.exchangeId), ids.slice(0, 10));
      assert.ok(index.every((l) => l.outcome === 'completed'));
      // the next segment chains to the recovered one
      assert.equal(w2.lastSealed.sha256, sealed.sha256);
    }
  } finally {
    cleanup();
  }
});

test('a second process cannot record into a data dir in use; it can once the owner is gone', { timeout: 60_000 }, async () => {
  const { dir, cleanup } = tempDir('tg-lock-');
  const args = fromSource ? ['--import', import.meta.resolve('tsx'), path.join(here, 'crash-child.ts'), dir] : [path.join(here, 'crash-child.js'), dir];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('ready')) resolve();
        });
        child.on('exit', () => reject(new Error('child exited early')));
      }),
      30_000,
      'child start',
    );
    await assert.rejects(createRecorder({ recording: recordingConfig(), instanceId: 'crash', dataDir: dir }), (err: Error & { code?: string }) => err.message.includes('in use by another tapegate process'));
    child.kill('SIGKILL');
    await withTimeout(exited, 10_000, 'child exit');
    const rec = await createRecorder({ recording: recordingConfig(), instanceId: 'crash', dataDir: dir });
    await rec.close();
    assert.deepEqual((await verifyChain(sealedSegments(dir))).damage, []);
  } finally {
    child.kill('SIGKILL');
    cleanup();
  }
});
