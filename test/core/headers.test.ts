import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DROP,
  PASS,
  REWRITE,
  connectionTokens,
  isHeaderNamed,
  namedByConnectionRaw,
  responseHeaderKind,
  responseHeaderList,
  rewriteToGateway,
  upstreamRequestHeaders,
  uploadIdOf,
} from '../../core/headers.js';

test('hop-by-hop, Connection-named, Host and the agent Authorization never go upstream', () => {
  const out = upstreamRequestHeaders(
    [
      ['host', 'gateway:8080'],
      ['connection', 'keep-alive, X-Secret-Hop'],
      ['x-secret-hop', 'no'],
      ['keep-alive', 'timeout=5'],
      ['te', 'trailers'],
      ['transfer-encoding', 'chunked'],
      ['upgrade', 'h2c'],
      ['proxy-authorization', 'Basic x'],
      ['authorization', 'Bearer agent-token'],
      ['x-tapegate-session', 's1'],
      ['x-forwarded-for', '10.0.0.9'],
      ['content-type', 'application/json'],
      ['x-goog-api-client', 'gl-node'],
    ],
    { clientAddress: '127.0.0.1', proto: 'http', authorization: 'Bearer injected' },
  );
  const pairs: Record<string, string> = {};
  for (let i = 0; i < out.length; i += 2) pairs[out[i]!] = out[i + 1]!;
  assert.deepEqual(pairs, {
    'content-type': 'application/json',
    'x-goog-api-client': 'gl-node',
    'x-forwarded-for': '10.0.0.9, 127.0.0.1',
    'x-forwarded-proto': 'http',
    authorization: 'Bearer injected',
  });
  const none = upstreamRequestHeaders([['authorization', 'Bearer agent']], { clientAddress: '::1', proto: 'https', authorization: null });
  assert.deepEqual(none, ['x-forwarded-for', '::1', 'x-forwarded-proto', 'https']);
  assert.deepEqual(connectionTokens('close, X-A ,keep-alive,x-b'), ['x-a', 'x-b']);
});

test('resumable session URIs pointing at the upstream are rewritten to the gateway', () => {
  const up = 'https://storage.googleapis.com';
  const gw = 'http://127.0.0.1:8080';
  assert.equal(rewriteToGateway('https://storage.googleapis.com/upload/storage/v1/b/b/o?uploadType=resumable&upload_id=X', up, gw), 'http://127.0.0.1:8080/upload/storage/v1/b/b/o?uploadType=resumable&upload_id=X');
  assert.equal(rewriteToGateway('HTTPS://STORAGE.googleapis.com/x', up, gw), 'http://127.0.0.1:8080/x');
  assert.equal(rewriteToGateway('https://storage.googleapis.com.evil.com/x', up, gw), 'https://storage.googleapis.com.evil.com/x');
  assert.equal(rewriteToGateway('https://other.example.com/x', up, gw), 'https://other.example.com/x');
  assert.equal(uploadIdOf('https://g/upload?uploadType=resumable&upload_id=ABC-1_x'), 'ABC-1_x');
  assert.equal(uploadIdOf('https://g/upload'), undefined);
});

test('undici raw response headers become a lower-case list in order', () => {
  assert.deepEqual(responseHeaderList([Buffer.from('Content-Type'), Buffer.from('a/b'), Buffer.from('X-A'), Buffer.from('1'), Buffer.from('x-a'), Buffer.from('2')]), [
    ['content-type', 'a/b'],
    ['x-a', '1'],
    ['x-a', '2'],
  ]);
});

test('upstream response headers are dropped, rewritten or passed by their raw name, in any case', () => {
  const kind = (name: string) => responseHeaderKind(Buffer.from(name));
  for (const n of ['Connection', 'keep-alive', 'Proxy-Connection', 'proxy-authenticate', 'Proxy-Authorization', 'TE', 'Trailer', 'Transfer-Encoding', 'Upgrade', 'Content-Length', 'DATE']) {
    assert.equal(kind(n), DROP, n);
  }
  for (const n of ['Location', 'X-Goog-Upload-URL', 'content-location']) assert.equal(kind(n), REWRITE, n);
  for (const n of ['Content-Type', 'ETag', 'Vary', 'X-GUploader-UploadID', 'x-tapegate-session', 'dat', 'dates', 'location2', 'Content-Lengtx']) {
    assert.equal(kind(n), PASS, n);
  }
  assert.ok(isHeaderNamed(Buffer.from('Content-LENGTH'), 'content-length'));
  assert.ok(!isHeaderNamed(Buffer.from('content-lengths'), 'content-length'));
  const raw = [Buffer.from('Connection'), Buffer.from('close, X-Hop'), Buffer.from('CONNECTION'), Buffer.from('x-other'), Buffer.from('X-Hop'), Buffer.from('1')];
  assert.deepEqual([...(namedByConnectionRaw(raw) ?? [])], ['x-hop', 'x-other']);
  assert.equal(namedByConnectionRaw([Buffer.from('Connection'), Buffer.from('keep-alive')]), null);
});
