import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { nowNs } from '../../../core/clock.js';
import { SegmentReader, verifyChain } from '../../../storage/reader/reader.js';
import { createRecorder } from '../../../storage/recorder/recorder.js';
import { durable, head, indexFileOf, readIndex, recordingConfig, sealedSegments, tempDir, withTimeout } from '../helpers.js';

/** JSON-looking bytes, different in every chunk, generated on the fly (never held whole). */
function jsonPattern(size: number): Buffer {
  let s = '';
  for (let i = 0; s.length < size; i++) {
    s += JSON.stringify({ kind: 'storage#object', name: `logs/2026/11/25/part-${i}.json`, bucket: 'agent-data', size: String((i * 7919) % 1000003), generation: String(1700000000000000 + i * 37), md5Hash: createHash('md5').update(String(i)).digest('base64') }) + '\n';
  }
  return Buffer.from(s.slice(0, size));
}

test('a 1 GiB response body streams through the recorder with flat memory and comes back byte-exact', { timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const rec = await createRecorder({ recording: recordingConfig({ durability: 'sync', segmentMaxBytes: 4 * 1024 * 1024 }), instanceId: 'big', dataDir: dir });
    const TOTAL = 1024 * 1024 * 1024;
    const CHUNK = 64 * 1024;
    const pattern = jsonPattern(4 * 1024 * 1024);
    const chunk = Buffer.allocUnsafe(CHUNK);
    const sent = createHash('sha256');
    const h = head({ method: 'GET' });
    const r = rec.begin(h)!;
    assert.ok(r);
    r.responseHead({ status: 200, headers: [['content-type', 'application/json']], upstreamConnectedNs: nowNs(), firstByteNs: nowNs() });
    let maxExternal = 0;
    let maxRss = 0;
    const baseline = process.memoryUsage().arrayBuffers;
    const baseRss = process.memoryUsage().rss;
    const t0 = process.hrtime.bigint();
    for (let off = 0, i = 0; off < TOTAL; off += CHUNK, i++) {
      const p = (i * 4099) % (pattern.length - CHUNK);
      pattern.copy(chunk, 0, p, p + CHUNK);
      chunk.writeUInt32LE(i, 0); // every chunk differs
      sent.update(chunk);
      r.responseBody(chunk); // the recorder must copy: we overwrite `chunk` next round
      if (rec.congested) await withTimeout(new Promise<void>((res) => rec.onDrain(res)), 30_000, 'drain');
      if ((i & 255) === 0) {
        const m = process.memoryUsage();
        maxExternal = Math.max(maxExternal, m.arrayBuffers - baseline);
        maxRss = Math.max(maxRss, m.rss - baseRss);
      }
    }
    const err = await withTimeout(durable(r, { outcome: 'completed', error: '', completedNs: nowNs(), requestBytes: 0, responseBytes: TOTAL }), 60_000, 'durable');
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    assert.equal(err, null);
    await rec.close();
    console.log(`# recorded 1 GiB in ${seconds.toFixed(2)} s = ${(TOTAL / 1e6 / seconds).toFixed(0)} MB/s; max extra ArrayBuffer memory ${(maxExternal / 2 ** 20).toFixed(1)} MiB, max RSS growth ${(maxRss / 2 ** 20).toFixed(1)} MiB`);
    assert.ok(maxExternal < 64 * 1024 * 1024, `ArrayBuffer memory grew by ${maxExternal} bytes`);
    // the frame slots (10 MiB) and the writer thread's buffers: flat, nowhere near the 1 GiB streamed
    assert.ok(maxRss < 256 * 1024 * 1024, `RSS grew by ${maxRss} bytes`);

    const segments = sealedSegments(dir);
    const chain = await verifyChain(segments);
    assert.deepEqual(chain.damage, []);
    const got = createHash('sha256');
    let expectOffset = 0;
    for (const seg of segments) {
      for await (const e of new SegmentReader(seg).events()) {
        if (e.type === 'record' && e.record.type === 'body') {
          assert.equal(e.record.offset, expectOffset);
          got.update(e.record.data);
          expectOffset += e.record.data.length;
        }
      }
    }
    assert.equal(expectOffset, TOTAL);
    // the index: "open" where the exchange started, "ended" where it ended
    const lineOf = async (seg: string) => (await readIndex<{ exchangeId: string; state: string; responseBytes: number }>(indexFileOf(seg)))[0]!;
    const last = await lineOf(segments[segments.length - 1]!);
    assert.equal(last.state, 'ended');
    assert.equal(last.responseBytes, TOTAL);
    if (segments.length > 1) {
      const first = await lineOf(segments[0]!);
      assert.deepEqual([first.exchangeId, first.state], [h.exchangeId, 'open']);
    }
    console.log(`# ${segments.length} segments`);
    assert.equal(got.digest('hex'), sent.digest('hex'));
  } finally {
    cleanup();
  }
});
