import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HeaderRedactor, redactValue } from '../../core/redact.js';

test('HeaderRedactor: secret names found in lower-case strings and in raw bytes of any case (config names too)', () => {
  const r = new HeaderRedactor(['X_Api_Key', 'x-goog-api-key2']);
  for (const name of ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x_api_key', 'x-goog-api-key2']) {
    assert.ok(r.isSecret(name), name);
    assert.ok(r.isSecretRaw(Buffer.from(name.toUpperCase(), 'latin1')), `${name} upper-case bytes`);
    assert.ok(r.isSecretRaw(Buffer.from(name, 'latin1')), `${name} bytes`);
  }
  // '_' | 0x20 is not '_', digits and '-' stay: only A-Z (and Latin-1 À-Þ) are folded
  for (const name of ['authorizationx', 'cookie2', 'x-api-key', 'x_api_kez', 'host', '', 'set_cookie', 'x-goog-api-keyR']) {
    assert.ok(!r.isSecret(name.toLowerCase()), name);
    assert.ok(!r.isSecretRaw(Buffer.from(name, 'latin1')), `${name} bytes`);
  }
});

test('HeaderRedactor.redactRaw: the same array when nothing is secret, else secret values as markers', () => {
  const r = new HeaderRedactor();
  const plain = [Buffer.from('Content-Type'), Buffer.from('text/plain'), Buffer.from('X-A'), Buffer.from('1')];
  assert.equal(r.redactRaw(plain), plain);
  const secret = 'session=abc; Path=/';
  const raw = [Buffer.from('Content-Type'), Buffer.from('text/plain'), Buffer.from('Set-Cookie'), Buffer.from(secret), Buffer.from('SET-COOKIE'), Buffer.from('other=1')];
  const out = r.redactRaw(raw);
  assert.notEqual(out, raw);
  assert.equal(raw[3]!.toString(), secret, 'the input is not modified');
  assert.equal(out[0], raw[0]);
  assert.equal(out[1], raw[1]);
  assert.equal(out[3], redactValue(secret));
  assert.equal(out[5], redactValue('other=1'));
  assert.ok(!JSON.stringify(out.map((v) => (typeof v === 'string' ? v : Buffer.from(v).toString('latin1')))).includes('abc'));
});

test('HeaderRedactor: markers stay right when tokens alternate (last-value shortcut and remembered markers)', () => {
  const r = new HeaderRedactor();
  const a = 'Bearer ' + 'a'.repeat(600);
  const b = 'Bearer ' + 'b'.repeat(600);
  for (let i = 0; i < 6; i++) {
    const token = i % 3 === 2 ? b : a;
    // fresh string objects each time, as uWS hands them over
    const fresh = Buffer.from(token).toString('latin1');
    const [[, v]] = r.redact([['authorization', fresh]]) as [[string, string]];
    assert.equal(v, redactValue(token));
    assert.ok(!v.includes('aaaa') && !v.includes('bbbb'));
  }
  const list: Array<[string, string]> = [['host', 'h'], ['authorization', a]];
  const out = r.redact(list);
  assert.equal(out[0], list[0], 'non-secret pairs are shared');
  assert.deepEqual(list[1], ['authorization', a], 'the input is not modified');
});
