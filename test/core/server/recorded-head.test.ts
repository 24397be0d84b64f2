import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { parseConfig } from '../../../core/config/index.js';
import { redactValue } from '../../../core/redact.js';
import { createDataPlane } from '../../../core/server/app.js';
import { SegmentReader } from '../../../storage/reader/reader.js';
import { createRecorder } from '../../../storage/recorder/recorder.js';
import { decompressedRecordBytes } from '../../../storage/microbench.js';
import type { DecodedRecord } from '../../../storage/segment/records.js';
import { request } from '../../support/http-client.js';
import { PassThroughGate } from '../../support/pass-through-gate.js';
import { sealedSegments, tempDir } from '../../storage/helpers.js';

/**
 * The recorded response head is encoded straight from undici's raw header bytes
 * (ResponseHead.rawHeaders): it must hold what the strings held before — lower-cased names, Latin-1
 * values, arrival order — with secret headers (Set-Cookie, config's redactHeaders) as markers only.
 */
test('recorded response head from raw bytes: lower-cased names, Latin-1 values, secrets as markers only', { timeout: 30_000 }, async () => {
  const secret = 'SID=upstream-secret-4711; Path=/';
  const apiKey = 'k-upstream-secret-0815';
  // a raw upstream, so the header bytes on the wire are exactly these (0xC0 0xC9: Latin-1 'ÀÉ')
  const head =
    'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n' +
    `Set-Cookie: ${secret}\r\nX-Mixed-CASE: Value \u00c0\u00c9\r\nx-API-key: ${apiKey}\r\nSET-COOKIE: second=1\r\nContent-Length: 2\r\n\r\nok`;
  const upstream = net.createServer((socket) => {
    let seen = '';
    socket.on('data', (b) => {
      seen += b.toString('latin1');
      while (seen.includes('\r\n\r\n')) {
        seen = seen.slice(seen.indexOf('\r\n\r\n') + 4);
        socket.write(Buffer.from(head, 'latin1'));
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const { dir, cleanup } = tempDir('tg-recorded-head-');
  try {
    const cfg = parseConfig({
      instanceId: 'rec-head',
      dataDir: dir,
      listen: { host: '127.0.0.1', port: 0, adminHost: '127.0.0.1', adminPort: 0 },
      connections: [{ name: 'c', match: { pathPrefixes: ['/'] }, upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, recording: 'full' }],
      recording: { durability: 'async', redactHeaders: ['X-Api-Key'] },
    });
    const sink = await createRecorder({ recording: cfg.recording, instanceId: cfg.instanceId, dataDir: dir });
    const plane = createDataPlane({ config: cfg, sink, gate: new PassThroughGate() });
    const port = await plane.listen('127.0.0.1', 0);
    const res = await request(port, { path: '/x' });
    assert.equal(res.status, 200);
    await plane.close();
    await sink.close();

    const recs: DecodedRecord[] = [];
    for (const f of sealedSegments(dir)) for await (const e of new SegmentReader(f).events()) if (e.type === 'record') recs.push(e.record);
    const resp = recs.find((r) => r.type === 'response');
    assert.ok(resp && resp.type === 'response');
    const mine = new Set(['content-type', 'set-cookie', 'x-mixed-case', 'x-api-key', 'content-length']);
    assert.deepEqual(
      resp.headers.filter(([n]) => mine.has(n)),
      [
        ['content-type', 'text/plain'],
        ['set-cookie', redactValue(secret)],
        ['x-mixed-case', 'Value ÀÉ'],
        ['x-api-key', redactValue(apiKey)],
        ['set-cookie', redactValue('second=1')],
        ['content-length', '2'],
      ],
    );
    for (const [name] of resp.headers) assert.equal(name, name.toLowerCase());
    const raw = Buffer.concat(sealedSegments(dir).map((f) => decompressedRecordBytes(f)));
    assert.equal(raw.includes('upstream-secret'), false, 'a secret response header reached the recording');
  } finally {
    await new Promise<void>((r) => upstream.close(() => r()));
    cleanup();
  }
});
