import type { AdminRequest, AdminResponse, AdminRoute } from '../admin/routes.js';
import type { Config } from '../config/index.js';
import { TapegateError, googleErrorBody } from '../errors.js';
import type { HeaderList, Identity } from '../exchange.js';
import { log } from '../log.js';
import { AdminOidc, json } from './admin-oidc.js';
import type { AdminSaml } from './admin-saml.js';
import { AdminTokens } from './admin-token.js';
import { identityFromClaims, type ClaimMapping } from './claims.js';
import { DevIssuer, assertLoopbackOnly, devIssuerEnabled } from './dev-issuer.js';
import { bearerToken, unauthenticated } from './errors.js';
import { TokenCache } from './token-cache.js';
import { JwtVerifier } from './verifier.js';
import { decodeJwt } from 'jose';

/**
 * Who is calling. Agents send `Authorization: Bearer <OIDC ID token>`; the token's `iss` picks one of
 * the configured issuers (or the development issuer), which verifies it and maps its claims to an
 * identity. Verified tokens are cached until they expire, so an agent reusing its token costs a map
 * lookup, not a signature check.
 */
export interface Authenticator {
  /** Resolves the caller's identity or rejects with a TapegateError (401 + WWW-Authenticate, or 503). */
  authenticate(headers: HeaderList): Promise<Identity>;
  /** Dev issuer discovery/JWKS and the admin sign-in endpoints, for the admin port. */
  adminRoutes(): AdminRoute[];
  /** Verifies an admin API caller (admin token, or a dev-issuer token when that issuer is on). */
  verifyAdminToken(authorization: string | undefined): Promise<Identity>;
  close(): void;
}

interface IssuerEntry {
  verifier: JwtVerifier;
  mapping: ClaimMapping;
}

class TapegateAuthenticator implements Authenticator {
  private readonly cache: TokenCache;
  private closed = false;

  constructor(
    private readonly issuers: Map<string, IssuerEntry>,
    readonly devIssuer: DevIssuer | null,
    readonly adminTokens: AdminTokens,
    private readonly adminOidc: AdminOidc | null,
    private readonly adminSaml: AdminSaml | null,
    cacheSize: number,
  ) {
    this.cache = new TokenCache(cacheSize);
  }

  authenticateCached(headers: HeaderList): Identity | undefined {
    for (let i = 0; i < headers.length; i++) {
      if (headers[i]![0] === 'authorization') {
        const v = headers[i]![1];
        // Only the plain "Bearer <jwt>" form; anything else takes the full path (and its errors).
        if (v.length < 8 || !v.startsWith('Bearer ')) return undefined;
        return this.cache.get(v.slice(7).trim(), Date.now());
      }
    }
    return undefined;
  }

  async authenticate(headers: HeaderList): Promise<Identity> {
    let authorization: string | undefined;
    for (let i = 0; i < headers.length; i++) {
      if (headers[i]![0] === 'authorization') {
        authorization = headers[i]![1];
        break;
      }
    }
    const token = bearerToken(authorization);
    const now = Date.now();
    const cached = this.cache.get(token, now);
    if (cached) return cached;

    let iss: unknown;
    let exp: unknown;
    try {
      ({ iss, exp } = decodeJwt(token));
    } catch {
      throw unauthenticated('MALFORMED', 'the bearer token payload cannot be decoded: send an OIDC ID token');
    }
    if (typeof iss !== 'string') throw unauthenticated('ISSUER', 'the token has no "iss" claim');
    const entry = this.issuers.get(iss);
    if (!entry) {
      throw unauthenticated('ISSUER', `issuer "${iss.slice(0, 200)}" is not configured (auth.issuers); accepted: ${[...this.issuers.keys()].join(', ') || 'none'}`);
    }
    const payload = await entry.verifier.verify(token);
    const identity = identityFromClaims(payload, iss, entry.mapping);
    if (typeof exp === 'number') this.cache.set(token, identity, exp * 1000);
    return identity;
  }

  async verifyAdminToken(authorization: string | undefined): Promise<Identity> {
    const token = bearerToken(authorization);
    let iss: unknown;
    try {
      ({ iss } = decodeJwt(token));
    } catch {
      throw unauthenticated('MALFORMED', 'the bearer token payload cannot be decoded: sign in at /admin/auth/… for an admin token');
    }
    if (iss === this.adminTokens.verifier.opts.issuer) return this.adminTokens.verify(token);
    if (this.devIssuer && iss === this.devIssuer.issuer) {
      return identityFromClaims(await this.devIssuer.verifier.verify(token), this.devIssuer.issuer, devMapping);
    }
    throw unauthenticated('ADMIN', 'not an admin token: sign in with /admin/auth/oidc/… or /admin/auth/saml/… and send the token it returns');
  }

  adminRoutes(): AdminRoute[] {
    const routes: AdminRoute[] = [
      {
        method: 'GET',
        path: '/admin/auth/whoami',
        handle: async (req) => {
          const id = await this.verifyAdminToken(req.headers.find(([n]) => n === 'authorization')?.[1]);
          return json(200, id);
        },
      },
    ];
    if (this.devIssuer) routes.push(...this.devIssuer.routes());
    if (this.adminOidc) routes.push(...this.adminOidc.routes());
    if (this.adminSaml) routes.push(...this.adminSaml.routes());
    return routes.map(withErrors);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cache.clear();
    live.delete(this);
  }
}

const devMapping: ClaimMapping = { subjectClaim: 'sub', groupsClaim: 'groups', requireGroups: false };

/** Handlers answer refusals themselves (Google-shaped JSON + WWW-Authenticate) rather than throw. */
function withErrors(route: AdminRoute): AdminRoute {
  return {
    method: route.method,
    path: route.path,
    handle: async (req: AdminRequest): Promise<AdminResponse> => {
      try {
        return await route.handle(req);
      } catch (err) {
        const e = err instanceof TapegateError ? err : new TapegateError('TG_INTERNAL', 500, 'sign-in failed; see the gateway log');
        if (!(err instanceof TapegateError)) log.error({ event: 'auth.admin_route_failed', path: route.path, err: (err as Error).message }, 'admin auth route failed');
        return { status: e.httpStatus, headers: { 'content-type': 'application/json', ...(e.headers ?? {}) }, body: googleErrorBody(e, '') };
      }
    },
  };
}

/** Every open authenticator, so the module-level verifyAdminToken works for the admin routes. */
const live = new Set<TapegateAuthenticator>();

export async function createAuthenticator(config: Config['auth'], opts: { dataDir: string; listenHosts: string[] }): Promise<Authenticator> {
  const issuers = new Map<string, IssuerEntry>();
  for (const c of config.issuers) {
    issuers.set(c.issuer, {
      verifier: new JwtVerifier({
        issuer: c.issuer,
        audience: c.audience,
        algorithms: c.algorithms,
        clockSkewSeconds: c.clockSkewSeconds,
        ...(c.jwksUri ? { jwksUri: c.jwksUri } : {}),
        jwksCooldownMs: c.jwksCooldownMs,
        jwksCacheMaxAgeMs: c.jwksCacheMaxAgeMs,
        fetchTimeoutMs: c.fetchTimeoutMs,
      }),
      mapping: { subjectClaim: c.subjectClaim, groupsClaim: c.groupsClaim, requireGroups: c.requireGroups },
    });
  }

  let devIssuer: DevIssuer | null = null;
  if (devIssuerEnabled(config)) {
    assertLoopbackOnly(opts.listenHosts);
    devIssuer = await DevIssuer.open(config, opts.dataDir);
    issuers.set(devIssuer.issuer, { verifier: devIssuer.verifier, mapping: devMapping });
    log.warn(
      { event: 'auth.dev_issuer_enabled', issuer: devIssuer.issuer, audience: devIssuer.audience, keyFile: devIssuer.keyFile },
      'DEVELOPMENT ISSUER ENABLED: tokens from `tapegate dev-token` are accepted; listeners are loopback-only; configure auth.issuers for production',
    );
  }

  const adminTokens = await AdminTokens.open(config, opts.dataDir);
  const adminOidc = config.admin.oidc ? new AdminOidc(config.admin.oidc, adminTokens) : null;
  // node-saml and its XML stack load only when SAML sign-in is configured
  const adminSaml = config.admin.saml ? new (await import('./admin-saml.js')).AdminSaml(config.admin.saml, adminTokens) : null;

  // Warm discovery and keys in the background: a slow IdP must not delay start, and a failure here is
  // retried on the first request anyway.
  for (const [iss, entry] of issuers) {
    entry.verifier.keys().catch(() => log.warn({ event: 'auth.issuer_unreachable_at_start', issuer: iss }, 'issuer discovery failed at start; will retry on demand'));
  }
  log.info({ event: 'auth.ready', issuers: [...issuers.keys()], adminOidc: !!adminOidc, adminSaml: !!adminSaml }, 'authenticator ready');

  const auth = new TapegateAuthenticator(issuers, devIssuer, adminTokens, adminOidc, adminSaml, config.tokenCacheSize);
  live.add(auth);
  return auth;
}

/**
 * Verifies the Authorization header of an admin API request: an admin token from sign-in (or a
 * development-issuer token when that issuer is enabled). Uses the running authenticator(s).
 */
export async function verifyAdminToken(authorizationHeader: string | undefined): Promise<Identity> {
  if (live.size === 0) throw unauthenticated('ADMIN', 'admin sign-in is not available: the gateway has no authenticator running');
  let first: unknown;
  for (const auth of live) {
    try {
      return await auth.verifyAdminToken(authorizationHeader);
    } catch (err) {
      first ??= err;
    }
  }
  throw first;
}

export { DEV_ISSUER } from './dev-issuer.js';
export { ADMIN_TOKEN_ISSUER } from './admin-token.js';
export { isLoopbackHost } from './loopback.js';
