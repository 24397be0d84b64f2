import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import type { AdminRequest } from '../../../core/admin/routes.js';
import { createAuthenticator, verifyAdminToken, type Authenticator } from '../../../core/auth/index.js';
import { authSchema } from '../../../core/config/auth.js';
import { startOidcProvider, type OidcFixture } from './oidc-fixture.js';

const CALLBACK = 'http://127.0.0.1:1/admin/auth/oidc/callback';

function req(method: string, url: string, headers: Array<[string, string]> = [], body = ''): AdminRequest {
  const u = new URL(url, 'http://admin');
  return { method, path: u.pathname, query: u.searchParams, headers, body: Buffer.from(body) };
}

/** Follows the provider's redirects with a cookie jar, logging in through its (real) dev interactions. */
async function signInAtProvider(authorizeUrl: string, login: string): Promise<string> {
  const jar = new Map<string, string>();
  let url = authorizeUrl;
  let method: 'GET' | 'POST' = 'GET';
  let body: string | undefined;
  for (let hop = 0; hop < 12; hop++) {
    const res: Awaited<ReturnType<typeof request>> = await request(url, {
      method,
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(body ? { body } : {}),
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    const setCookie = res.headers['set-cookie'];
    for (const c of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      jar.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
    const text = await res.body.text();
    const location = res.headers.location as string | undefined;
    if (location) {
      const next = new URL(location, url).toString();
      if (next.startsWith(CALLBACK)) return next;
      url = next;
      method = 'GET';
      body = undefined;
      continue;
    }
    // An interaction page: answer the login prompt, then the consent prompt.
    assert.equal(res.statusCode, 200, text.slice(0, 300));
    method = 'POST';
    body = text.includes('name="login"') ? new URLSearchParams({ prompt: 'login', login, password: 'x' }).toString() : new URLSearchParams({ prompt: 'consent' }).toString();
  }
  assert.fail('the provider never redirected back');
}

describe('admin sign-in with OIDC', { timeout: 60_000 }, () => {
  let idp: OidcFixture;
  let dataDir: string;
  let auth: Authenticator;

  before(async () => {
    idp = await startOidcProvider({
      clients: [
        { client_id: 'tapegate-admin', client_secret: 'admin-secret', redirect_uris: [CALLBACK], grant_types: ['authorization_code'], response_types: ['code'] },
        { client_id: 'tapegate', client_secret: 's', redirect_uris: [CALLBACK], grant_types: ['authorization_code'], response_types: ['code'] },
      ],
      accounts: { alice: { email: 'alice@example.com', groups: ['approvers'] } },
    });
    dataDir = mkdtempSync(path.join(tmpdir(), 'tg-admin-'));
    auth = await createAuthenticator(
      authSchema.parse({
        issuers: [{ issuer: idp.issuer, audience: 'tapegate' }],
        admin: { oidc: { issuer: idp.issuer, clientId: 'tapegate-admin', clientSecret: 'admin-secret', redirectUri: CALLBACK, scopes: ['openid', 'email', 'groups'] } },
      }),
      { dataDir, listenHosts: ['0.0.0.0'] },
    );
  });
  after(async () => {
    auth?.close();
    await idp?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const route = (p: string) => {
    const r = auth.adminRoutes().find((x) => x.path === p);
    assert.ok(r, p);
    return r;
  };

  it('exchanges an ID token for a short-lived admin token that verifyAdminToken accepts', async () => {
    const idToken = await idp.idToken({ sub: 'alice', email: 'alice@example.com', groups: ['approvers'] }, { client: 'tapegate-admin' });
    const res = await route('/admin/auth/oidc/token').handle(req('POST', '/admin/auth/oidc/token', [['authorization', `Bearer ${idToken}`]]));
    assert.equal(res.status, 200, String(res.body));
    const grant = JSON.parse(String(res.body)) as { token: string; expiresAt: string; subject: string };
    assert.equal(grant.subject, 'alice@example.com');
    const ttl = Date.parse(grant.expiresAt) - Date.now();
    assert.ok(ttl > 800_000 && ttl <= 900_000, `ttl ${ttl}`);
    const id = await verifyAdminToken(`Bearer ${grant.token}`);
    assert.deepEqual({ ...id, groups: [...id.groups] }, { subject: 'alice@example.com', issuer: idp.issuer, groups: ['approvers'] });
    // whoami answers with the same identity.
    const who = await route('/admin/auth/whoami').handle(req('GET', '/admin/auth/whoami', [['authorization', `Bearer ${grant.token}`]]));
    assert.equal(JSON.parse(String(who.body)).subject, 'alice@example.com');
  });

  it('refuses an ID token for another audience, and agent tokens and tampered tokens at the admin API', async () => {
    const agentToken = await idp.idToken({ sub: 'alice', email: 'alice@example.com' }, { client: 'tapegate' });
    const res = await route('/admin/auth/oidc/token').handle(req('POST', '/admin/auth/oidc/token', [['content-type', 'application/json']], JSON.stringify({ id_token: agentToken })));
    assert.equal(res.status, 401);
    assert.match(JSON.parse(String(res.body)).error.message, /audience/);
    assert.ok(res.headers?.['www-authenticate']);
    // The agent's own ID token is not an admin token.
    await assert.rejects(verifyAdminToken(`Bearer ${agentToken}`), /not an admin token/);
    // A tampered admin token (groups widened) fails its signature.
    const good = await idp.idToken({ sub: 'bob', email: 'bob@example.com', groups: ['readers'] }, { client: 'tapegate-admin' });
    const grant = JSON.parse(String((await route('/admin/auth/oidc/token').handle(req('POST', '/admin/auth/oidc/token', [['authorization', `Bearer ${good}`]]))).body)) as { token: string };
    const [h, p, s] = grant.token.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    payload.groups = ['approvers'];
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    await assert.rejects(verifyAdminToken(`Bearer ${forged}`), (e: Error & { code?: string }) => e.code === 'TG_UNAUTHENTICATED_SIGNATURE');
    await assert.rejects(verifyAdminToken(undefined), (e: Error & { code?: string }) => e.code === 'TG_UNAUTHENTICATED_MISSING');
  });

  it('signs in through the authorization-code flow (PKCE) with the real provider', async () => {
    const login = await route('/admin/auth/oidc/login').handle(req('GET', '/admin/auth/oidc/login'));
    assert.equal(login.status, 302);
    const authorizeUrl = login.headers!.location!;
    assert.ok(authorizeUrl.startsWith(`${idp.issuer}/auth?`), authorizeUrl);
    assert.equal(new URL(authorizeUrl).searchParams.get('code_challenge_method'), 'S256');
    const back = await signInAtProvider(authorizeUrl, 'alice');
    const res = await route('/admin/auth/oidc/callback').handle(req('GET', back));
    assert.equal(res.status, 200, String(res.body));
    const grant = JSON.parse(String(res.body)) as { token: string };
    const id = await verifyAdminToken(`Bearer ${grant.token}`);
    assert.equal(id.subject, 'alice@example.com');
    assert.deepEqual([...id.groups], ['approvers']);
    // The state is single use.
    const again = await route('/admin/auth/oidc/callback').handle(req('GET', back));
    assert.equal(again.status, 401);
  });
});
