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
});
