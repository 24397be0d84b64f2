import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../core/config/index.js';

const base = { connections: [{ name: 'storage', match: { pathPrefixes: ['/storage/v1/'] }, upstream: 'https://storage.googleapis.com' }] };
const withAuth = (auth: unknown) => ({ ...base, auth });

describe('auth config', () => {
  it('defaults: no issuers, development issuer on, asymmetric algorithms, 60 s skew', () => {
    const cfg = parseConfig(withAuth({ issuers: [{ issuer: 'https://token.actions.githubusercontent.com', audience: 'tapegate', subjectClaim: 'repository' }] }));
    const iss = cfg.auth.issuers[0]!;
    assert.deepEqual(iss.algorithms, ['RS256', 'ES256', 'PS256', 'EdDSA']);
    assert.equal(iss.clockSkewSeconds, 60);
    assert.equal(iss.subjectClaim, 'repository');
    assert.equal(iss.groupsClaim, 'groups');
    assert.equal(parseConfig(base).auth.development.enabled, undefined);
    assert.equal(parseConfig(base).auth.admin.tokenTtlSeconds, 900);
  });

  it('refuses "none" and HMAC algorithms at load, naming the field', () => {
    for (const [alg, why] of [['none', /never accepted/], ['HS256', /HMAC/], ['hs512', /HMAC/], ['RS1', /unknown algorithm/]] as const) {
      assert.throws(
        () => parseConfig(withAuth({ issuers: [{ issuer: 'https://accounts.google.com', audience: 'a', algorithms: ['RS256', alg] }] })),
        (err: Error) => /auth\.issuers\[0\]\.algorithms\[1\]/.test(err.message) && why.test(err.message),
      );
    }
    assert.throws(() => parseConfig(withAuth({ admin: { oidc: { issuer: 'https://idp.example', clientId: 'c', algorithms: ['HS256'] } } })), /auth\.admin\.oidc\.algorithms\[0\]/);
  });

  it('requires https issuers (plain http only on loopback) and no duplicates', () => {
    assert.throws(() => parseConfig(withAuth({ issuers: [{ issuer: 'http://idp.example', audience: 'a' }] })), /auth\.issuers\[0\]\.issuer: expected an https/);
    parseConfig(withAuth({ issuers: [{ issuer: 'http://127.0.0.1:5556', audience: 'a' }] }));
    assert.throws(
      () => parseConfig(withAuth({ issuers: [{ issuer: 'https://a.example', audience: 'a' }, { issuer: 'https://a.example', audience: 'b' }] })),
      /auth\.issuers\[1\]\.issuer: duplicate issuer/,
    );
  });

  it('accepts nested claim paths (Kubernetes) and rejects unknown keys', () => {
    const cfg = parseConfig(withAuth({ issuers: [{ issuer: 'https://kubernetes.default.svc', audience: 'tapegate', groupsClaim: ['kubernetes.io', 'namespace'] }] }));
    assert.deepEqual(cfg.auth.issuers[0]!.groupsClaim, ['kubernetes.io', 'namespace']);
    assert.throws(() => parseConfig(withAuth({ issuers: [{ issuer: 'https://a.example', audience: 'a', aud: 'x' }] })), /auth\.issuers\[0\]/);
  });

  it('connection credentials: each kind, with defaults and clear errors', () => {
    const conn = (credentials: unknown) => ({ connections: [{ ...base.connections[0], credentials }] });
    const adc = parseConfig(conn({ type: 'adc' })).connections[0]!.credentials!;
    assert.deepEqual(adc, { type: 'adc', scopes: ['https://www.googleapis.com/auth/cloud-platform'], refreshAheadSeconds: 300 });
    const imp = parseConfig(conn({ type: 'impersonate', targetPrincipal: 'agent@p.iam.gserviceaccount.com' })).connections[0]!.credentials!;
    assert.equal(imp.type, 'impersonate');
    if (imp.type === 'impersonate') {
      assert.deepEqual(imp.source, { type: 'adc' });
      assert.equal(imp.lifetimeSeconds, 3600);
    }
    parseConfig(conn({ type: 'impersonate', source: { type: 'keyFile', keyFile: '/k.json' }, targetPrincipal: 'a@b', scopes: ['s'] }));
    parseConfig(conn({ type: 'externalAccount', configFile: '/wif.json' }));
    assert.throws(() => parseConfig(conn({ type: 'impersonate', targetPrincipal: 'nobody' })), /connections\[0\]\.credentials\.targetPrincipal/);
    assert.throws(() => parseConfig(conn({ type: 'keyFile' })), /connections\[0\]\.credentials\.keyFile/);
    assert.throws(() => parseConfig(conn({ type: 'apiKey' })), /connections\[0\]\.credentials\.type/);
  });
});
