import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { GcsEmulator } from '../../support/gcs-emulator/index.js';
import { repoRoot } from '../../support/cli.js';
import { assertResumedAt, spoolLeft, tempDataDir, waitFor, writeSealedSegment } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fromSource = import.meta.url.endsWith('.ts');
let emu: GcsEmulator;
let base: string;

before(async () => {
  emu = new GcsEmulator();
  base = await emu.start();
  emu.createBucket('restart', { retentionPeriodSeconds: 400 * 86_400, locked: true });
});
after(() => emu.stop());

function startChild(args: Record<string, unknown>): { child: ChildProcess; started: Promise<void>; exited: Promise<number | null> } {
  const script = path.join(here, 'fixtures', fromSource ? 'upload-child.ts' : 'upload-child.js');
  const child = spawn(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), script, JSON.stringify(args)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const started = new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('UPLOADER_STARTED')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before starting: ${err.slice(0, 2000)}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, started, exited };
}

test('a gateway process killed mid-upload resumes the same resumable session after restart and completes', { timeout: 60_000 }, async () => {
  const t = tempDataDir();
  const size = 3 * 1024 * 1024 + 5;
  const seg = writeSealedSegment(t.spoolDir, 42, { keyPath: t.keyPath, size });
  const { data: _d, index: _i, ...segment } = seg;
  const children: ChildProcess[] = [];
  try {
    // Slow chunks so the kill lands mid-upload.
    emu.addFault({ route: 'resumable.put', fault: { kind: 'delay', ms: 120 }, times: 1_000 });
    const first = startChild({ dataDir: t.dataDir, bucket: 'restart', apiEndpoint: base, segment });
    children.push(first.child);
    await first.started;
    await waitFor(() => emu.openSessions().some((s) => s.committed >= 768 * 1024), 20_000, 'three chunks committed');
    first.child.kill('SIGKILL');
    await first.exited;
    emu.clearFaults();
    // A chunk the dead process had already sent may still land (the emulator was delaying it).
    await emu.idle();
    const session = emu.openSessions().find((s) => s.total === size);
    assert.ok(session && session.committed < size, 'killed with the upload incomplete');
    const committed = session.committed;
    assert.ok(spoolLeft(t.spoolDir).some((n) => n.endsWith('.upload.json')), 'state persisted in the spool');

    const from = emu.requests.length;
    const second = startChild({ dataDir: t.dataDir, bucket: 'restart', apiEndpoint: base });
    children.push(second.child);
    await second.started;
    await waitFor(() => spoolLeft(t.spoolDir).length === 0, 20_000, 'the restarted gateway to finish and clear the spool');
    second.child.kill('SIGTERM');
    await second.exited;

    const after = emu.requests.slice(from);
    assert.equal(after.filter((r) => r.route === 'resumable.initiate').length, 0, 'the restarted process opened no new session');
    assertResumedAt(after, committed);
    assert.equal(emu.requests.filter((r) => r.route === 'resumable.initiate' && r.query.name?.endsWith('.tgseg')).length, 1, 'one session in all');
    const name = emu.objectNames('restart').find((n) => n.endsWith(path.basename(seg.path)))!;
    assert.deepEqual(emu.getObject('restart', name)?.data, seg.data, 'bytes equal');
    assert.ok(emu.objectNames('restart').some((n) => n.endsWith('.jsonl.zst')));
  } finally {
    emu.clearFaults();
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    t.cleanup();
  }
});
