import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newExchangeId } from '../../core/ids.js';

const CROCKFORD = /^[0-9A-HJKMNP-TV-Z]{26}$/;

test('exchange ids are ULID-shaped and strictly increasing, within a millisecond and across them', () => {
  const start = Date.now() + 10_000; // ahead of any id made so far in this process
  let prev = '';
  for (let ms = start; ms < start + 5; ms++) {
    for (let i = 0; i < 2_000; i++) {
      const id = newExchangeId(ms);
      assert.match(id, CROCKFORD);
      assert.ok(id > prev, `${id} after ${prev}`);
      prev = id;
    }
  }
  // A clock that steps back keeps the order (the random part counts on from the last id).
  const back = newExchangeId(start);
  assert.ok(back > prev);
  assert.equal(back.slice(0, 10), prev.slice(0, 10));
});

test('the time prefix encodes the millisecond (48 bits, base 32)', () => {
  const ms = Date.now() + 20_000;
  const id = newExchangeId(ms);
  let t = 0;
  for (const ch of id.slice(0, 10)) t = t * 32 + '0123456789ABCDEFGHJKMNPQRSTVWXYZ'.indexOf(ch);
  assert.equal(t, ms);
});
