import path from 'node:path';
import { SignJWT } from 'jose';
import type { Config } from '../config/index.js';
import type { AdminRoute } from '../admin/routes.js';
import { TapegateError } from '../errors.js';
import { loadOrCreateSigningKey, type SigningKey } from './keys.js';
import { isLoopbackHost } from './loopback.js';
import { JwtVerifier } from './verifier.js';

/**
 * The built-in development issuer: lets `npm start` work with no identity provider. Its Ed25519 key
 * lives in the data dir; `tapegate dev-token` signs with the same key. Its discovery document and
 * JWKS are served on the admin port. The `iss` is deliberately not a reachable host (.invalid), so
 * a development token can never be mistaken for one from a real provider.
 */
export const DEV_ISSUER = 'https://dev-issuer.tapegate.invalid';

type AuthConfig = Config['auth'];

export function devIssuerEnabled(auth: AuthConfig): boolean {
  return auth.development.enabled ?? auth.issuers.length === 0;
}

export function devKeyFile(auth: AuthConfig, dataDir: string): string {
  return auth.development.keyFile ?? path.join(dataDir, 'auth', 'dev-issuer-key.pem');
}

/** Throws unless every listener is loopback-only: the dev issuer must never face a network. */
export function assertLoopbackOnly(listenHosts: readonly string[]): void {
  const exposed = listenHosts.filter((h) => !isLoopbackHost(h));
  if (exposed.length > 0) {
    throw new TapegateError(
      'TG_CONFIG_DEV_ISSUER_EXPOSED',
      500,
      `the development issuer is enabled but listener host(s) ${exposed.map((h) => `"${h}"`).join(', ')} are not loopback: ` +
        'configure auth.issuers (and leave auth.development.enabled unset or false), or bind listen.host and listen.adminHost to 127.0.0.1',
    );
  }
}

export class DevIssuer {
  readonly issuer = DEV_ISSUER;
  readonly verifier: JwtVerifier;

  private constructor(
    private readonly key: SigningKey,
    readonly audience: string,
    private readonly maxTtlSeconds: number,
  ) {
    this.verifier = new JwtVerifier({
      issuer: DEV_ISSUER,
      audience,
      algorithms: ['EdDSA', 'Ed25519'],
      clockSkewSeconds: 60,
      jwks: { keys: [key.publicJwk] },
    });
  }

  static async open(auth: AuthConfig, dataDir: string): Promise<DevIssuer> {
    const key = await loadOrCreateSigningKey(devKeyFile(auth, dataDir));
    return new DevIssuer(key, auth.development.audience, auth.development.maxTtlSeconds);
  }

  get keyFile(): string {
    return this.key.file;
  }

  async mint(subject: string, groups: readonly string[], ttlSeconds: number): Promise<string> {
    if (ttlSeconds <= 0 || ttlSeconds > this.maxTtlSeconds) {
      throw new TapegateError('TG_DEV_TOKEN_TTL', 400, `ttl must be between 1 s and ${this.maxTtlSeconds} s (auth.development.maxTtlSeconds)`);
    }
    return new SignJWT({ groups: [...groups] })
      .setProtectedHeader({ alg: 'EdDSA', kid: this.key.kid, typ: 'JWT' })
      .setIssuer(DEV_ISSUER)
      .setAudience(this.audience)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(this.key.privateKey);
  }

  /** Discovery + JWKS on the admin port. jwks_uri is built from the Host the caller used. */
  routes(): AdminRoute[] {
    const jwks = JSON.stringify({ keys: [this.key.publicJwk] });
    return [
      {
        method: 'GET',
        path: '/.well-known/openid-configuration',
        handle: async (req) => {
          const host = req.headers.find(([n]) => n === 'host')?.[1] ?? '127.0.0.1';
          return {
            status: 200,
            headers: { 'content-type': 'application/json', 'cache-control': 'max-age=300' },
            body: JSON.stringify({
              issuer: DEV_ISSUER,
              jwks_uri: `http://${host}/.well-known/jwks.json`,
              id_token_signing_alg_values_supported: ['EdDSA'],
              subject_types_supported: ['public'],
              response_types_supported: ['id_token'],
              claims_supported: ['sub', 'groups', 'aud', 'iss', 'exp', 'iat'],
            }),
          };
        },
      },
      {
        method: 'GET',
        path: '/.well-known/jwks.json',
        handle: async () => ({ status: 200, headers: { 'content-type': 'application/jwk-set+json', 'cache-control': 'max-age=300' }, body: jwks }),
      },
    ];
  }
}
