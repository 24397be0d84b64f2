import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SessionTracker, identityKey } from '../../core/session.js';

describe('sessions', () => {
  it('groups one identity on one connection until an idle gap, apart from other identities and connections', () => {
    const s = new SessionTracker(1_000);
    const a1 = s.resolve(undefined, 'alice@iss', 'storage', 0);
    assert.match(a1, /^s-[0-9A-HJKMNP-TV-Z]{26}$/);
    assert.equal(s.resolve(undefined, 'alice@iss', 'storage', 900), a1);
    assert.equal(s.resolve(undefined, 'alice@iss', 'storage', 1_800), a1, 'the gap counts from the last exchange');
    const b = s.resolve(undefined, 'bob@iss', 'storage', 1_800);
    const c = s.resolve(undefined, 'alice@iss', 'bigquery', 1_800);
    assert.notEqual(b, a1);
    assert.notEqual(c, a1);
    assert.notEqual(s.resolve(undefined, 'alice@iss', 'storage', 2_801), a1, 'a new session after the idle gap');
  });

  it('uses a well-formed session id the agent sends, and ignores a malformed one', () => {
    const s = new SessionTracker(1_000);
    assert.equal(s.resolve('run-42.a:b', 'alice@iss', 'storage', 0), 'run-42.a:b');
    const own = s.resolve('bad id!', 'alice@iss', 'storage', 0);
    assert.match(own, /^s-/);
    assert.match(s.resolve('x'.repeat(129), 'alice@iss', 'storage', 0), /^s-/);
  });

  it('sweeps idle sessions as new ones arrive (bounded)', () => {
    const s = new SessionTracker(100);
    for (let i = 0; i < 50; i++) s.resolve(undefined, `agent-${i}@iss`, 'storage', 0);
    assert.equal(s.size, 50);
    s.resolve(undefined, 'late@iss', 'storage', 1_000);
    assert.equal(s.size, 1);
  });

  it('builds the identity key once per identity object', () => {
    const identity = { subject: 'alice', issuer: 'https://iss', groups: [] };
    const k = identityKey(identity);
    assert.equal(k, 'alice@https://iss');
    assert.equal(identityKey(identity), k);
    assert.equal(identityKey({ subject: 'bob', issuer: 'https://iss', groups: [] }), 'bob@https://iss');
  });
});
