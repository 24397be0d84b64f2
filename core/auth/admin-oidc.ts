import { createHash, randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type { AdminRequest, AdminResponse, AdminRoute } from '../admin/routes.js';
import type { adminOidcSchema } from '../config/auth.js';
import { TapegateError } from '../errors.js';
import { log } from '../log.js';
import type { AdminTokens } from './admin-token.js';
import { identityFromClaims } from './claims.js';
import { unauthenticated } from './errors.js';
import { JwtVerifier } from './verifier.js';

type AdminOidcConfig = z.infer<typeof adminOidcSchema>;

/**
 * People sign in to the admin API with their OIDC provider, two ways:
 * - ID token exchange: POST /admin/auth/oidc/token with `Authorization: Bearer <ID token>` (audience
 *   = clientId), e.g. from `gcloud auth print-identity-token` — for CLIs and scripts;
 * - authorization code + PKCE: GET /admin/auth/oidc/login redirects to the provider, which returns
 *   to GET /admin/auth/oidc/callback — for a browser.
 * Either way the answer is a short-lived admin token (JSON).
 */
const STATE_TTL_MS = 10 * 60_000;
const MAX_PENDING = 1000;

export class AdminOidc {
  readonly verifier: JwtVerifier;
  private readonly pending = new Map<string, { codeVerifier: string; nonce: string; createdMs: number }>();

  constructor(
    private readonly cfg: AdminOidcConfig,
    private readonly tokens: AdminTokens,
  ) {
    this.verifier = new JwtVerifier({
      issuer: cfg.issuer,
      audience: cfg.clientId,
      algorithms: cfg.algorithms,
      clockSkewSeconds: cfg.clockSkewSeconds,
      fetchTimeoutMs: cfg.fetchTimeoutMs,
    });
  }

  private async signIn(idToken: string, nonce?: string): Promise<AdminResponse> {
    const payload = await this.verifier.verify(idToken);
    if (nonce !== undefined && payload.nonce !== nonce) throw unauthenticated('NONCE', 'the ID token nonce does not match the sign-in request: start again');
    const identity = identityFromClaims(payload, this.cfg.issuer, { subjectClaim: this.cfg.subjectClaim, groupsClaim: this.cfg.groupsClaim, requireGroups: false });
    const grant = await this.tokens.issue(identity, 'oidc');
    log.info({ event: 'auth.admin_sign_in', method: 'oidc', subject: identity.subject, groups: identity.groups }, 'admin signed in');
    return json(200, grant);
  }

  private async exchange(req: AdminRequest): Promise<AdminResponse> {
    let idToken: string | undefined;
    const authz = req.headers.find(([n]) => n === 'authorization')?.[1];
    if (authz && /^bearer /i.test(authz)) idToken = authz.slice(7).trim();
    if (!idToken && req.body.length > 0) {
      const type = req.headers.find(([n]) => n === 'content-type')?.[1] ?? '';
      if (type.includes('json')) {
        try {
          const b = JSON.parse(req.body.toString('utf8')) as { id_token?: unknown; idToken?: unknown };
          const t = b.id_token ?? b.idToken;
          if (typeof t === 'string') idToken = t;
        } catch {
          /* reported below as missing */
        }
      } else {
        idToken = new URLSearchParams(req.body.toString('utf8')).get('id_token') ?? undefined;
      }
    }
    if (!idToken) throw unauthenticated('MISSING', 'send the ID token as "Authorization: Bearer <ID token>" or as id_token in the body', { noCredentials: true });
    return this.signIn(idToken);
  }

  private async login(): Promise<AdminResponse> {
    await this.verifier.keys();
    const endpoint = this.verifier.discovery?.authorization_endpoint;
    if (!endpoint || !this.cfg.redirectUri) throw new TapegateError('TG_ADMIN_OIDC_CODE_FLOW', 404, 'the authorization-code sign-in needs auth.admin.oidc.redirectUri and a provider with an authorization_endpoint');
    this.sweep();
    const state = randomBytes(24).toString('base64url');
    const codeVerifier = randomBytes(32).toString('base64url');
    const nonce = randomBytes(16).toString('base64url');
    this.pending.set(state, { codeVerifier, nonce, createdMs: Date.now() });
    const url = new URL(endpoint);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.cfg.clientId);
    url.searchParams.set('redirect_uri', this.cfg.redirectUri);
    url.searchParams.set('scope', this.cfg.scopes.join(' '));
    url.searchParams.set('state', state);
    url.searchParams.set('nonce', nonce);
    url.searchParams.set('code_challenge', createHash('sha256').update(codeVerifier).digest('base64url'));
    url.searchParams.set('code_challenge_method', 'S256');
    return { status: 302, headers: { location: url.toString(), 'cache-control': 'no-store' }, body: '' };
  }

  private async callback(req: AdminRequest): Promise<AdminResponse> {
    const error = req.query.get('error');
    if (error) throw unauthenticated('OIDC', `the identity provider refused the sign-in: ${error.slice(0, 100)}`);
    const state = req.query.get('state') ?? '';
    const code = req.query.get('code') ?? '';
    const pending = this.pending.get(state);
    this.pending.delete(state);
    if (!pending || Date.now() - pending.createdMs > STATE_TTL_MS || !code) {
      throw unauthenticated('STATE', 'unknown or expired sign-in state: start again at /admin/auth/oidc/login');
    }
    const tokenEndpoint = this.verifier.discovery?.token_endpoint;
    if (!tokenEndpoint || !this.cfg.redirectUri) throw new TapegateError('TG_ADMIN_OIDC_CODE_FLOW', 404, 'the provider has no token_endpoint');
    const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: this.cfg.redirectUri, code_verifier: pending.codeVerifier });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (this.cfg.clientSecret) {
      const basic = `${encodeURIComponent(this.cfg.clientId)}:${encodeURIComponent(this.cfg.clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
    } else {
      form.set('client_id', this.cfg.clientId);
    }
    const res = await fetch(tokenEndpoint, { method: 'POST', headers, body: form, signal: AbortSignal.timeout(this.cfg.fetchTimeoutMs) });
    const body = (await res.json().catch(() => ({}))) as { id_token?: string; error?: string };
    if (!res.ok || typeof body.id_token !== 'string') {
      throw unauthenticated('OIDC', `the identity provider's token endpoint refused the code (${res.status} ${body.error ?? ''}): start again`);
    }
    return this.signIn(body.id_token, pending.nonce);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [state, p] of this.pending) {
      if (now - p.createdMs > STATE_TTL_MS || this.pending.size >= MAX_PENDING) this.pending.delete(state);
      else break; // insertion order: the rest are newer
    }
  }

  routes(): AdminRoute[] {
    return [
      { method: 'POST', path: '/admin/auth/oidc/token', handle: (req) => this.exchange(req) },
      { method: 'GET', path: '/admin/auth/oidc/login', handle: () => this.login() },
      { method: 'GET', path: '/admin/auth/oidc/callback', handle: (req) => this.callback(req) },
    ];
  }
}

export function json(status: number, value: unknown): AdminResponse {
  return { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify(value) };
}
