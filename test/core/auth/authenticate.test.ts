import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT, exportSPKI, importJWK } from 'jose';
import { createAuthenticator, type Authenticator } from '../../../core/auth/index.js';
import { authSchema } from '../../../core/config/auth.js';
import { TapegateError } from '../../../core/errors.js';
import type { HeaderList } from '../../../core/exchange.js';
import { startOidcProvider, type OidcFixture } from './oidc-fixture.js';

const bearer = (t: string): HeaderList => [
  ['host', 'gw'],
  ['authorization', `Bearer ${t}`],
];

async function refusal(p: Promise<unknown>): Promise<TapegateError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof TapegateError, `expected a TapegateError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the token to be refused');
}

function assertUnauthenticated(err: TapegateError, code: string, token?: string): void {
  assert.equal(err.code, code, err.message);
  assert.equal(err.httpStatus, 401);
  assert.match(err.headers?.['www-authenticate'] ?? '', /^Bearer realm="tapegate"/);
  if (token) {
    assert.ok(!err.message.includes(token), 'the message must not contain the token');
    assert.ok(!err.message.includes(token.split('.')[2]!), 'the message must not contain the signature');
  }
}

describe('authenticate: OIDC ID tokens from a real provider', { timeout: 60_000 }, () => {
  let idp: OidcFixture;
  let other: OidcFixture;
  let dataDir: string;
  let auth: Authenticator;

  before(async () => {
    idp = await startOidcProvider({});
    other = await startOidcProvider({});
    dataDir = mkdtempSync(path.join(tmpdir(), 'tg-auth-'));
    const cfg = authSchema.parse({
      issuers: [
        { issuer: idp.issuer, audience: 'tapegate', clockSkewSeconds: 5, jwksCooldownMs: 60_000 },
        { issuer: other.issuer, audience: ['tapegate', 'tg2'], subjectClaim: 'email', groupsClaim: ['kubernetes.io', 'namespace'], requireGroups: true },
      ],
    });
    auth = await createAuthenticator(cfg, { dataDir, listenHosts: ['0.0.0.0', '0.0.0.0'] });
  });

  after(async () => {
    auth?.close();
    await idp?.close();
    await other?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('accepts a valid token and maps sub and groups', async () => {
    const t = await idp.idToken({ sub: 'alice', groups: ['ops', 'dev'] });
    const id = await auth.authenticate(bearer(t));
    assert.deepEqual({ ...id, groups: [...id.groups] }, { subject: 'alice', issuer: idp.issuer, groups: ['ops', 'dev'] });
  });

  it('accepts several issuers at once, each with its own claim mapping', async () => {
    const t = await other.idToken({ sub: 'system:serviceaccount:ci:runner', email: 'runner@ci.example' }, { extra: { 'kubernetes.io': { namespace: 'ci' } } });
    const id = await auth.authenticate(bearer(t));
    assert.equal(id.subject, 'runner@ci.example');
    assert.equal(id.issuer, other.issuer);
    assert.deepEqual([...id.groups], ['ci']);
  });

  it('missing groups: an empty list by default, refused where the issuer requires groups', async () => {
    const t = await idp.idToken({ sub: 'bob' });
    assert.deepEqual([...(await auth.authenticate(bearer(t))).groups], []);
    const t2 = await other.idToken({ sub: 'x', email: 'x@example' });
    assertUnauthenticated(await refusal(auth.authenticate(bearer(t2))), 'TG_UNAUTHENTICATED_GROUPS', t2);
  });

  it('refuses an expired token, naming why but not the token', async () => {
    const t = await idp.idToken({ sub: 'alice' }, { expiresAt: Math.floor(Date.now() / 1000) - 30 });
    const err = await refusal(auth.authenticate(bearer(t)));
    assertUnauthenticated(err, 'TG_UNAUTHENTICATED_EXPIRED', t);
    assert.match(err.headers!['www-authenticate']!, /error="invalid_token", error_description="the token expired/);
  });

  it('accepts a token expired within the clock skew', async () => {
    const t = await idp.idToken({ sub: 'alice' }, { expiresAt: Math.floor(Date.now() / 1000) - 2 });
    assert.equal((await auth.authenticate(bearer(t))).subject, 'alice');
  });

  it('refuses a token for another audience', async () => {
    const t = await idp.idToken({ sub: 'alice' }, { client: 'someone-else' });
    const err = await refusal(auth.authenticate(bearer(t)));
    assertUnauthenticated(err, 'TG_UNAUTHENTICATED_CLAIM', t);
    assert.match(err.message, /audience/);
  });

  it('refuses a token from an issuer that is not configured', async () => {
    const stranger = await startOidcProvider({});
    try {
      const t = await stranger.idToken({ sub: 'alice' });
      const err = await refusal(auth.authenticate(bearer(t)));
      assertUnauthenticated(err, 'TG_UNAUTHENTICATED_ISSUER', t);
      assert.match(err.message, /is not configured/);
    } finally {
      await stranger.close();
    }
  });

  it('refuses a token claiming a configured issuer but signed by another provider (wrong issuer key)', async () => {
    const forged = await other.idToken({ sub: 'mallory' });
    // Same key id as the real issuer's key, so the signature check itself must catch it.
    const key = await importJWK(other.keys[0]!.privateJwk, 'RS256');
    const t = await new SignJWT({ sub: 'mallory', groups: ['admins'] })
      .setProtectedHeader({ alg: 'RS256', kid: idp.keys[0]!.privateJwk.kid })
      .setIssuer(idp.issuer)
      .setAudience('tapegate')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key);
    assert.ok(forged);
    assertUnauthenticated(await refusal(auth.authenticate(bearer(t))), 'TG_UNAUTHENTICATED_SIGNATURE', t);
  });

  it('keeps attacker-chosen claims out of the header syntax of WWW-Authenticate', async () => {
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const t = `${enc({ alg: 'RS256', kid: 'k' })}.${enc({ iss: 'https://x"\r\nset-cookie: a=b\u0000', aud: 'tapegate', sub: 'm', exp: 4e9 })}.c2ln`;
    const err = await refusal(auth.authenticate(bearer(t)));
    assert.equal(err.code, 'TG_UNAUTHENTICATED_ISSUER');
    const challenge = err.headers!['www-authenticate']!;
    assert.match(challenge, /^[\x20-\x7e]+$/);
    assert.equal(challenge.split('"').length, 7, challenge);
  });

  it('refuses alg "none"', async () => {
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const t = `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ iss: idp.issuer, aud: 'tapegate', sub: 'mallory', iat: now, exp: now + 300 })}.`;
    const err = await refusal(auth.authenticate(bearer(t)));
    assert.equal(err.code, 'TG_UNAUTHENTICATED_ALGORITHM');
    assert.equal(err.httpStatus, 401);
    // And with a non-empty third part, so it still looks like a JWT.
    const t2 = `${enc({ alg: 'none' })}.${enc({ iss: idp.issuer, aud: 'tapegate', sub: 'mallory', exp: now + 300 })}.x`;
    assert.equal((await refusal(auth.authenticate(bearer(t2)))).code, 'TG_UNAUTHENTICATED_ALGORITHM');
  });

  it('refuses HS256 signed with the issuer\'s public key as the HMAC secret', async () => {
    const pub = await importJWK(idp.keys[0]!.publicJwk, 'RS256');
    const pem = await exportSPKI(pub as CryptoKey);
    for (const secret of [new TextEncoder().encode(pem), new TextEncoder().encode(JSON.stringify(idp.keys[0]!.publicJwk))]) {
      const t = await new SignJWT({ sub: 'mallory', groups: ['admins'] })
        .setProtectedHeader({ alg: 'HS256', kid: idp.keys[0]!.publicJwk.kid })
        .setIssuer(idp.issuer)
        .setAudience('tapegate')
        .setExpirationTime('5m')
        .sign(secret);
      const err = await refusal(auth.authenticate(bearer(t)));
      assertUnauthenticated(err, 'TG_UNAUTHENTICATED_ALGORITHM', t);
    }
  });

  it('unknown kid: refused, and a burst of them causes no JWKS fetch storm (cooldown)', async () => {
    await auth.authenticate(bearer(await idp.idToken({ sub: 'warm' })));
    const before = idp.jwksHits;
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forge = () =>
      new SignJWT({ sub: 'mallory' })
        .setProtectedHeader({ alg: 'RS256', kid: randomUUID() })
        .setIssuer(idp.issuer)
        .setAudience('tapegate')
        .setExpirationTime('5m')
        .sign(privateKey);
    const tokens = await Promise.all(Array.from({ length: 30 }, forge));
    const errs = await Promise.all(tokens.map((t) => refusal(auth.authenticate(bearer(t)))));
    for (const e of errs) assert.equal(e.code, 'TG_UNAUTHENTICATED_UNKNOWN_KEY');
    for (let i = 0; i < 10; i++) assert.equal((await refusal(auth.authenticate(bearer(await forge())))).code, 'TG_UNAUTHENTICATED_UNKNOWN_KEY');
    assert.ok(idp.jwksHits - before <= 1, `40 unknown kids caused ${idp.jwksHits - before} JWKS fetches`);
  });

  it('refuses requests without a bearer token, with a challenge', async () => {
    const none = await refusal(auth.authenticate([['host', 'gw']]));
    assert.equal(none.code, 'TG_UNAUTHENTICATED_MISSING');
    assert.equal(none.headers?.['www-authenticate'], 'Bearer realm="tapegate"');
    assert.equal((await refusal(auth.authenticate([['authorization', 'Basic YTpi']]))).code, 'TG_UNAUTHENTICATED_SCHEME');
    assert.equal((await refusal(auth.authenticate([['authorization', 'Bearer ya29.not-a-jwt']]))).code, 'TG_UNAUTHENTICATED_MALFORMED');
  });
});

describe('authenticate: key rotation and the verified-token cache', { timeout: 60_000 }, () => {
  it('accepts tokens signed with a rotated-in key once the cooldown has passed, and serves cached tokens without re-verifying', async () => {
    const idp = await startOidcProvider({});
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tg-auth-'));
    const cfg = authSchema.parse({ issuers: [{ issuer: idp.issuer, audience: 'tapegate', jwksCooldownMs: 300, jwksCacheMaxAgeMs: 300 }] });
    const auth = await createAuthenticator(cfg, { dataDir, listenHosts: ['0.0.0.0'] });
    try {
      const oldToken = await idp.idToken({ sub: 'alice', groups: ['ops'] });
      assert.equal((await auth.authenticate(bearer(oldToken))).subject, 'alice');
      const oldKey = idp.keys[0]!;
      const hitsBefore = idp.jwksHits;

      await idp.rotate({ dropOld: true });
      const newToken = await idp.idToken({ sub: 'bob' });
      await new Promise((r) => setTimeout(r, 400));
      assert.equal((await auth.authenticate(bearer(newToken))).subject, 'bob');
      assert.ok(idp.jwksHits > hitsBefore, 'the unknown kid made the verifier refetch the JWKS');

      // The old key is no longer published: a token signed with it that was never seen is refused…
      const unseen = await new SignJWT({ sub: 'carol' })
        .setProtectedHeader({ alg: 'RS256', kid: oldKey.privateJwk.kid })
        .setIssuer(idp.issuer)
        .setAudience('tapegate')
        .setExpirationTime('5m')
        .sign(await importJWK(oldKey.privateJwk, 'RS256'));
      assert.equal((await refusal(auth.authenticate(bearer(unseen)))).code, 'TG_UNAUTHENTICATED_UNKNOWN_KEY');
      // …while the token verified earlier is answered from the cache (no signature check) until its exp.
      assert.equal((await auth.authenticate(bearer(oldToken))).subject, 'alice');
    } finally {
      auth.close();
      await idp.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('answers 503 (not 401) when the issuer cannot be reached', async () => {
    const idp = await startOidcProvider({});
    const issuer = idp.issuer;
    const t = await idp.idToken({ sub: 'alice' });
    await idp.close();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tg-auth-'));
    const auth = await createAuthenticator(authSchema.parse({ issuers: [{ issuer, audience: 'tapegate', fetchTimeoutMs: 1000 }] }), { dataDir, listenHosts: ['0.0.0.0'] });
    try {
      const err = await refusal(auth.authenticate(bearer(t)));
      assert.equal(err.code, 'TG_IDP_UNAVAILABLE');
      assert.equal(err.httpStatus, 503);
    } finally {
      auth.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
