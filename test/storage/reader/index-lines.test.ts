import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { indexLines } from '../../../storage/reader/index-lines.js';
import { IndexTracker, emptyEntry } from '../../../storage/segment/index-file.js';
import { readIndexLines, tempDir } from '../helpers.js';

/** An index file of `n` exchanges (several zstd frames when large) and its lines as JSON.stringify writes them. */
function writeIndex(file: string, n: number, resource = 'r'): string[] {
  const t = new IndexTracker();
  const reference = new IndexTracker();
  for (const x of [t, reference]) {
    for (let i = 0; i < n; i++) {
      x.start({ ...emptyEntry(), exchangeId: `ex-${i}`, sessionId: 's-é', resource, receivedNs: 1_764_000_000_000_000_000n + BigInt(i) });
      x.end(`ex-${i}`, 1_764_000_000_000_000_100n + BigInt(i), i, 2 * i, 'completed', i % 7 === 0 ? 'upstream said "no"\n' : '', '');
    }
  }
  t.writeFile(file);
  return reference.takeSegment().split('\n').slice(0, -1);
}

async function collect(source: string | AsyncIterable<Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of indexLines(source)) out.push(l);
  return out;
}

test('indexLines streams the lines of a multi-frame index, from a file or from bytes in any pieces', async () => {
  const { dir, cleanup } = tempDir('tg-index-lines-');
  try {
    const file = path.join(dir, 'a.index.jsonl.zst');
    const want = writeIndex(file, 4000, 'x'.repeat(300)); // ≈ 2.8 MB of lines: three frames
    assert.deepEqual(await collect(file), want);
    const parsed = JSON.parse(want[7]!) as { error: string; sessionId: string; responseBytes: number };
    assert.deepEqual([parsed.error, parsed.sessionId, parsed.responseBytes], ['upstream said "no"\n', 's-é', 14]);
    // the same bytes in odd pieces (frame and line boundaries fall inside them), 1-byte pieces at the start
    const bytes = readFileSync(file);
    async function* pieces(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 9; i++) yield bytes.subarray(i, i + 1);
      for (let at = 9; at < bytes.length; at += 997) yield bytes.subarray(at, Math.min(at + 997, bytes.length));
    }
    assert.deepEqual(await collect(pieces()), want);
  } finally {
    cleanup();
  }
});

test('indexLines reports a truncated or damaged index (TG_INDEX_INVALID) after the lines it could read', async () => {
  const { dir, cleanup } = tempDir('tg-index-lines-bad-');
  try {
    const file = path.join(dir, 'a.index.jsonl.zst');
    const want = writeIndex(file, 3000, 'y'.repeat(300));
    const bytes = readFileSync(file);
    const cut = path.join(dir, 'cut.index.jsonl.zst');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    const got: string[] = [];
    await assert.rejects(async () => {
      for await (const l of indexLines(cut)) got.push(l);
    }, { code: 'TG_INDEX_INVALID', message: /truncated/ });
    assert.ok(got.length >= 1400 && got.length < want.length, `the whole frames before the cut (${got.length})`);
    assert.deepEqual(got, want.slice(0, got.length));
    // a flipped byte in the middle of the first frame: zstd's content checksum (or its decoder) catches it
    const damaged = Buffer.from(bytes);
    damaged[Math.floor(damaged.length / 4)]! ^= 0x55;
    const bad = path.join(dir, 'bad.index.jsonl.zst');
    writeFileSync(bad, damaged);
    await assert.rejects(() => collect(bad), { code: 'TG_INDEX_INVALID' });
  } finally {
    cleanup();
  }
});

test('indexLines reads a plain JSON Lines index (earlier versions) as it is', async () => {
  const { dir, cleanup } = tempDir('tg-index-lines-plain-');
  try {
    const file = path.join(dir, 'old.index.jsonl');
    writeFileSync(file, '{"exchangeId":"a"}\n{"exchangeId":"b"}\n');
    assert.deepEqual(await readIndexLines(file), ['{"exchangeId":"a"}', '{"exchangeId":"b"}']);
    writeFileSync(file, '{}');
    assert.deepEqual(await readIndexLines(file), ['{}']);
  } finally {
    cleanup();
  }
});
