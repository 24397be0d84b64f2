import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { benchScript, startChild, waitReadyLine } from '../../bench/child.js';
import { KIND_END, KIND_REQUEST_BODY, KIND_REQUEST_HEAD, KIND_RESPONSE_BODY, KIND_RESPONSE_HEAD, OUTCOME_COMPLETE } from '../../bench/peers/floor-recorder.js';

/**
 * The recording floors (floor-rec-async/-sync) must really record every byte, or their cost would
 * understate recording's: run the child, send a POST through it, stop it, decompress its file and
 * find the exchange whole. (bench floor targets in floors.test.ts check they forward correctly.)
 */
const zstd = createRequire(import.meta.url)('zstd-napi/binding') as typeof import('zstd-napi/binding.js');
const TIMEOUTS = { headersTimeout: 10_000, bodyTimeout: 10_000 };
const RESPONSE_BODY = `{"floor-rec-answer":"${randomBytes(12).toString('hex')}"}`;

interface Exchange {
  method: string;
  target: string;
  requestHeaders: string[];
  requestBody: Buffer[];
  status: number;
  responseHeaders: string[];
  responseBody: Buffer[];
  outcome: number;
}

/** All frames of the file, decompressed and concatenated: the record stream. */
function decompressFile(file: string): Buffer {
  const raw = readFileSync(file);
  const parts: Buffer[] = [];
  for (let off = 0; off < raw.length; ) {
    const frame = raw.subarray(off);
    const size = zstd.findFrameCompressedSize(frame);
    const content = zstd.getFrameContentSize(frame.subarray(0, size));
    assert.ok(content !== null, 'each frame says its content size');
    const out = Buffer.alloc(content);
    assert.equal(zstd.decompress(out, frame.subarray(0, size)), content);
    parts.push(out);
    off += size;
  }
  return Buffer.concat(parts);
}

function strings(b: Buffer, off: number, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = b.readUInt32LE(off);
    out.push(b.toString('utf8', off + 4, off + 4 + len));
    off += 4 + len;
  }
  return out;
}

/** Parses the record stream (floor-recorder.ts's format) into exchanges by id; every record must be whole. */
function parseRecords(stream: Buffer): Map<number, Exchange> {
  const byId = new Map<number, Exchange>();
  let off = 0;
  while (off < stream.length) {
    assert.ok(off + 9 <= stream.length, 'a record header is cut');
    const len = stream.readUInt32LE(off);
    const id = stream.readUInt32LE(off + 4);
    const kind = stream[off + 8]!;
    const p = stream.subarray(off + 9, off + 4 + len);
    assert.equal(p.length, len - 5, 'a record is cut');
    let ex = byId.get(id);
    if (!ex) byId.set(id, (ex = { method: '', target: '', requestHeaders: [], requestBody: [], status: 0, responseHeaders: [], responseBody: [], outcome: -1 }));
    if (kind === KIND_REQUEST_HEAD) {
      // `METHOD target\r\nname: value\r\n…`
      const lines = p.toString('utf8').split('\r\n');
      assert.equal(lines.pop(), '', 'the request head ends with CRLF');
      const [method, target] = lines.shift()!.split(' ');
      const headers = lines.flatMap((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]);
      Object.assign(ex, { method, target, requestHeaders: headers });
    } else if (kind === KIND_REQUEST_BODY) ex.requestBody.push(Buffer.from(p));
    else if (kind === KIND_RESPONSE_HEAD) Object.assign(ex, { status: p.readUInt16LE(0), responseHeaders: strings(p, 4, p.readUInt16LE(2)) });
    else if (kind === KIND_RESPONSE_BODY) ex.responseBody.push(Buffer.from(p));
    else if (kind === KIND_END) ex.outcome = p[0]!;
    else assert.fail(`unknown record kind ${kind}`);
    off += 4 + len;
  }
  return byId;
}

/** Answers every request 201 with a distinctive body, after reading the request body whole. */
function startUpstream(): Promise<http.Server> {
  const srv = http.createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(RESPONSE_BODY), 'x-upstream-mark': 'u-42' });
      res.end(RESPONSE_BODY);
    });
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

for (const mode of ['async', 'sync'] as const) {
  describe(`floor-rec-${mode}`, { timeout: 60_000 }, () => {
    it(`records the whole exchange (method, target, request header, both bodies, status, response headers) into its zstd file (${mode})`, async () => {
      const upstream = await startUpstream();
      const dir = mkdtempSync(path.join(tmpdir(), 'tapegate-test-floor-rec-'));
      const s = benchScript('peers/floor-rec-undici', [String((upstream.address() as { port: number }).port), mode, dir]);
      const child = startChild(s.command, s.args);
      try {
        const { port, file } = await waitReadyLine<{ port: number; file: string }>(child);
        assert.equal(path.dirname(file), dir);
        // A distinctive body of several chunks (300 KB) and a distinctive header value.
        const body = Buffer.concat([Buffer.from('floor-rec-request-body-'), randomBytes(300_000)]);
        const mark = `mark-${randomBytes(8).toString('hex')}`;
        const res = await request(`http://127.0.0.1:${port}/upload/storage/v1/b/x/o?name=a%2Fb`, { ...TIMEOUTS, method: 'POST', body, headers: { 'x-agent-mark': mark } });
        assert.equal(res.statusCode, 201);
        assert.equal(await res.body.text(), RESPONSE_BODY);
        if (mode === 'sync') {
          // The answer came back only after the exchange was written (and fdatasynced): it is in the
          // file already, before the child is stopped.
          const early = [...parseRecords(decompressFile(file)).values()];
          assert.equal(early.length, 1);
          assert.equal(early[0]!.outcome, OUTCOME_COMPLETE, 'sync: the end record is written before the response ends');
          assert.equal(Buffer.concat(early[0]!.responseBody).toString(), RESPONSE_BODY);
        }
        await child.stop();
        assert.equal(child.proc.exitCode, 0, child.output());

        const raw = readFileSync(file);
        assert.ok(raw.length > 0 && raw.length < body.length / 2 + 4096 + body.length, 'compressed');
        const exchanges = [...parseRecords(decompressFile(file)).values()];
        assert.equal(exchanges.length, 1);
        const ex = exchanges[0]!;
        assert.equal(ex.method, 'POST');
        assert.equal(ex.target, '/upload/storage/v1/b/x/o?name=a%2Fb');
        const reqHeaders = new Map<string, string>();
        for (let i = 0; i < ex.requestHeaders.length; i += 2) reqHeaders.set(ex.requestHeaders[i]!, ex.requestHeaders[i + 1]!);
        assert.equal(reqHeaders.get('x-agent-mark'), mark);
        assert.equal(reqHeaders.get('content-length'), String(body.length));
        assert.ok(Buffer.concat(ex.requestBody).equals(body), 'the request body is recorded byte for byte');
        assert.equal(ex.status, 201);
        const resHeaders = new Map<string, string>();
        for (let i = 0; i < ex.responseHeaders.length; i += 2) resHeaders.set(ex.responseHeaders[i]!.toLowerCase(), ex.responseHeaders[i + 1]!);
        assert.equal(resHeaders.get('x-upstream-mark'), 'u-42');
        assert.equal(resHeaders.get('content-length'), String(RESPONSE_BODY.length), 'raw response headers, hop-by-hop and framing too');
        assert.equal(Buffer.concat(ex.responseBody).toString(), RESPONSE_BODY);
        assert.equal(ex.outcome, OUTCOME_COMPLETE);
      } finally {
        await child.stop();
        upstream.closeAllConnections();
        await new Promise((r) => upstream.close(r));
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
