import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SegmentReader, verifyChain, verifySegment } from '../../../storage/reader/reader.js';
import { createRecorder } from '../../../storage/recorder/recorder.js';
import { FRAME_ENVELOPE_BYTES, headerLength, readFrameEnvelope } from '../../../storage/segment/format.js';
import { SegmentWriter, segmentDirs } from '../../../storage/segment/writer.js';
import type { SealedSegment } from '../../../storage/types.js';
import { readIndex, recordingConfig, sealedSegments, tempDir, withTimeout, writeSampleFrames, writerOptions } from '../helpers.js';

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
    // sync segments keep zero-filled space ahead of the writer: recovery cuts it as unwritten, not damage
    assert.ok(last.trailer!.unwrittenBytes > 0, 'the killed segment had a preallocated zero tail');
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
      const index = await readIndex<{ exchangeId: string; outcome: string }>(sealed.indexPath);
      assert.deepEqual(index.map((l) => l.exchangeId), ids.slice(0, 10));
      assert.ok(index.every((l) => l.outcome === 'completed'));
      // the next segment chains to the recovered one
      assert.equal(w2.lastSealed.sha256, sealed.sha256);
    }
  } finally {
    cleanup();
  }
});

/** Offsets of the frames of a part file (up to the first that does not parse) and where they end. */
function frameLayout(buf: Buffer): { starts: number[]; end: number } {
  let p = headerLength(buf) as number;
  const starts: number[] = [];
  for (;;) {
    const env = readFrameEnvelope(buf, p);
    if (typeof env === 'string') break;
    starts.push(p);
    p += FRAME_ENVELOPE_BYTES + env.compressedLength;
  }
  return { starts, end: p };
}

test('a sync segment keeps a zero-filled tail that seal cuts and recovery counts as unwritten, not damage', { timeout: 30_000 }, async () => {
  const { dir, cleanup } = tempDir('tg-zerotail-');
  try {
    const opts = writerOptions(dir, 'zt');
    const partPath = (): string => path.join(segmentDirs(dir).open, readdirSync(segmentDirs(dir).open)[0]!);

    // sealed normally: the zeros are cut, the file ends with its trailer
    const w0 = new SegmentWriter(opts);
    writeSampleFrames(w0, 2, 5, 5000);
    w0.preallocate();
    const { end: dataEnd0 } = frameLayout(readFileSync(partPath()));
    assert.ok(statSync(partPath()).size >= dataEnd0 + 512 * 1024, 'zero-filled space ahead of the write position');
    const s0 = w0.seal()!;
    const r0 = await verifySegment(s0.path);
    assert.deepEqual(r0.damage, []);
    assert.equal(r0.trailer!.unwrittenBytes, 0);
    assert.equal(r0.frames, 2);
    assert.ok(statSync(s0.path).size < dataEnd0 + 1024, 'sealed file has no zero tail');

    // a crash: the third frame was being written into the preallocated space, its tail never landed
    const w = new SegmentWriter(opts);
    const ids = writeSampleFrames(w, 3, 5, 5000);
    w.preallocate();
    w.sync();
    w.abandon();
    const part = partPath();
    const size = statSync(part).size;
    const { starts, end } = frameLayout(readFileSync(part));
    assert.equal(starts.length, 3);
    assert.ok(readFileSync(part).subarray(end).every((b) => b === 0), 'the tail is zeros');
    const torn = starts[2]! + 100;
    const fd = openSync(part, 'r+');
    writeSync(fd, Buffer.from([0xff]), 0, 1, torn - 1);
    writeSync(fd, Buffer.alloc(end - torn), 0, end - torn, torn);
    closeSync(fd);

    const [sealed] = new SegmentWriter(opts).recoverLeftovers();
    assert.ok(sealed);
    const r = await verifySegment(sealed.path);
    assert.deepEqual(r.damage, []);
    assert.equal(r.trailer!.recovered, true);
    assert.equal(r.trailer!.discardedBytes, 100, 'the torn bytes are discarded');
    assert.equal(r.trailer!.unwrittenBytes, size - torn, 'the zeros after them are unwritten space');
    assert.equal(r.frames, 2);
    assert.equal(r.trailer!.recordCount, 30);
    const index = await readIndex<{ exchangeId: string }>(sealed.indexPath);
    assert.deepEqual(index.map((l) => l.exchangeId), ids.slice(0, 10));
  } finally {
    cleanup();
  }
});

test('a part file with a header and only zeros after it (crash before the first frame) is removed, not kept as damaged', { timeout: 30_000 }, () => {
  const { dir, cleanup } = tempDir('tg-zeroonly-');
  try {
    const opts = writerOptions(dir, 'zo');
    const w = new SegmentWriter(opts);
    writeSampleFrames(w, 1, 1, 10);
    w.preallocate();
    w.abandon();
    const open = segmentDirs(dir).open;
    const part = path.join(open, readdirSync(open)[0]!);
    const { starts } = frameLayout(readFileSync(part));
    truncateSync(part, starts[0]!); // the frame never landed: header, then zeros
    truncateSync(part, starts[0]! + 1024 * 1024);
    assert.deepEqual(new SegmentWriter(opts).recoverLeftovers(), []);
    assert.deepEqual(readdirSync(open), [], 'no .damaged file for an empty preallocated segment');
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
