import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenCache } from '../../../core/auth/token-cache.js';

const id = (subject: string) => ({ subject, issuer: 'https://i', groups: [] });

describe('verified-token cache', () => {
  it('answers until the token expires, then forgets it', () => {
    const c = new TokenCache(10);
    c.set('t1', id('a'), 1_000);
    assert.equal(c.get('t1', 999)?.subject, 'a');
    assert.equal(c.get('t1', 1_000), undefined);
    assert.equal(c.size, 0);
  });

  it('is bounded: the least recently used token goes first', () => {
    const c = new TokenCache(3);
    c.set('a', id('a'), 10_000);
    c.set('b', id('b'), 10_000);
    c.set('c', id('c'), 10_000);
    assert.ok(c.get('a', 0)); // a is now the most recently used
    c.set('d', id('d'), 10_000);
    assert.equal(c.size, 3);
    assert.equal(c.get('b', 0), undefined);
    assert.ok(c.get('a', 0) && c.get('c', 0) && c.get('d', 0));
  });

  it('size 0 disables caching', () => {
    const c = new TokenCache(0);
    c.set('a', id('a'), 10_000);
    assert.equal(c.get('a', 0), undefined);
  });

  it('answers repeated lookups of the same token (a fresh string each time) until it expires', () => {
    const c = new TokenCache(3);
    const token = 'x'.repeat(700);
    c.set(token, id('a'), 1_000);
    for (let i = 0; i < 3; i++) assert.equal(c.get(`${'x'.repeat(350)}${'x'.repeat(350)}`, 10)?.subject, 'a');
    assert.equal(c.get('y'.repeat(700), 10), undefined);
    assert.equal(c.get(token, 1_000), undefined);
    assert.equal(c.size, 0);
    assert.equal(c.get(token, 10), undefined, 'an expired token stays forgotten');
  });

  it('keeps LRU order when the most recently used token is looked up again', () => {
    const c = new TokenCache(2);
    c.set('a', id('a'), 10_000);
    c.set('b', id('b'), 10_000);
    assert.ok(c.get('a', 0));
    assert.ok(c.get('a', 0)); // still the newest
    c.set('c', id('c'), 10_000); // evicts b, the least recently used
    assert.equal(c.get('b', 0), undefined);
    assert.ok(c.get('a', 0) && c.get('c', 0));
  });

  it('forgets an evicted or cleared token even if it was the last one used', () => {
    const one = new TokenCache(1);
    one.set('a', id('a'), 10_000);
    assert.ok(one.get('a', 0));
    one.set('b', id('b'), 10_000);
    assert.equal(one.get('a', 0), undefined);
    assert.equal(one.get('b', 0)?.subject, 'b');
    one.clear();
    assert.equal(one.get('b', 0), undefined);
    assert.equal(one.size, 0);
  });
});
