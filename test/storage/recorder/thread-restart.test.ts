import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { nowNs } from '../../../core/clock.js';
import { TapegateError } from '../../../core/errors.js';
import { SegmentReader, verifyChain } from '../../../storage/reader/reader.js';
import { createRecorder } from '../../../storage/recorder/recorder.js';
import type { DecodedRecord } from '../../../storage/segment/records.js';
import { durable, head, recordingConfig, sealedSegments, tempDir, withTimeout } from '../helpers.js';

const done = (bytes: number) => ({ outcome: 'completed' as const, error: '', completedNs: nowNs(), requestBytes: 0, responseBytes: bytes });

test('a writer thread that dies is restarted: 503s meanwhile, the unsealed segment recovered, the cut exchange amended', { timeout: 60_000 }, async () => {
  const { dir, cleanup } = tempDir('tg-restart-');
  try {
    const rec = await createRecorder({ recording: recordingConfig({ durability: 'sync', retryIntervalMs: 100 }), instanceId: 'restart', dataDir: dir });
    const body = Buffer.alloc(4096, 'b');

    const a = head();
    const ra = rec.begin(a)!;
    ra.responseBody(body);
    assert.equal(await withTimeout(durable(ra, done(body.length)), 10_000, 'durable A'), null);

    // the thread dies (as with an uncaught error or a native crash) just before B's commit reaches it
    const b = head();
    const rb = rec.begin(b)!;
    rb.responseBody(body);
    const thread = (rec as unknown as { worker: Worker }).worker;
    void thread.terminate();
    const errB = await withTimeout(durable(rb, done(body.length)), 10_000, 'durable B');
    assert.ok(errB instanceof TapegateError, `B must not be confirmed: ${String(errB)}`);
    assert.equal(errB.code, 'TG_RECORDING_FAILED');
    assert.equal(errB.httpStatus, 503);
    assert.equal(rec.healthy, false, 'unhealthy while the thread is down');
    assert.equal(rec.begin(head()), null, 'no new exchange while the thread is down');

    const t0 = Date.now();
    while (!rec.healthy && Date.now() - t0 < 15_000) await new Promise((res) => setTimeout(res, 20));
    assert.equal(rec.healthy, true, 'the thread is restarted without restarting the process');
    assert.notEqual((rec as unknown as { worker: Worker }).worker, thread);
    assert.equal(rec.counters.threadRestarts, 1);

    const c = head();
    const rc = rec.begin(c)!;
    rc.responseBody(body);
    assert.equal(await withTimeout(durable(rc, done(body.length)), 10_000, 'durable C'), null);
    await rec.close();

    const files = sealedSegments(dir);
    const chain = await verifyChain(files);
    assert.deepEqual(chain.damage, []);
    const recs: DecodedRecord[] = [];
    let recovered = 0;
    for (const f of files) {
      const reader = new SegmentReader(f);
      for await (const e of reader.events()) if (e.type === 'record') recs.push(e.record);
      if (reader.report.trailer?.recovered) recovered++;
    }
    assert.equal(recovered, 1, 'the segment the dead thread left open is sealed as recovered');
    const lastEnd = new Map<string, Extract<DecodedRecord, { type: 'end' }>>();
    for (const r of recs) if (r.type === 'end') lastEnd.set(r.exchangeId, r);
    assert.equal(lastEnd.get(a.exchangeId)?.outcome, 'completed');
    assert.equal(lastEnd.get(c.exchangeId)?.outcome, 'completed');
    // B's agent got an error: its last end record must not say completed
    assert.equal(lastEnd.get(b.exchangeId)?.outcome, 'upstream_error');
    assert.match(lastEnd.get(b.exchangeId)?.error ?? '', /^recording failed: the recorder thread failed/);
    // B's frame is either on disk (the thread wrote it before terminate() took effect; only its
    // fsync was lost) or accounted for by a gap record: never silently missing. Which one depends
    // on how fast the thread dies, so both are accepted.
    const gaps = recs.filter((r) => r.type === 'gap');
    const bOnDisk = recs.some((r) => r.type === 'body' && r.exchangeId === b.exchangeId);
    assert.ok(gaps.length <= 1, 'at most one gap');
    if (!bOnDisk) {
      assert.equal(gaps.length, 1, "B's frame is neither on disk nor accounted for by a gap");
      assert.ok(gaps[0]!.type === 'gap' && gaps[0]!.droppedRecords >= 1, 'gap counts the unacknowledged records');
    }
  } finally {
    cleanup();
  }
});
