import path from 'node:path';
import { SignJWT } from 'jose';
import type { Config } from '../config/index.js';
import type { Identity } from '../exchange.js';
import { loadOrCreateSigningKey, type SigningKey } from './keys.js';
import { JwtVerifier } from './verifier.js';

/**
 * Short-lived admin tokens: after a person signs in (OIDC or SAML) the gateway signs their subject,
 * groups and identity provider with its own Ed25519 key. Instances behind one load balancer share
 * the key file (auth.admin.signingKeyFile) so a token from one is accepted by all.
 */
export const ADMIN_TOKEN_ISSUER = 'urn:tapegate:admin';
export const ADMIN_TOKEN_AUDIENCE = 'urn:tapegate:admin';

export interface AdminTokenGrant {
  token: string;
  expiresAt: string;
  subject: string;
  groups: readonly string[];
  issuer: string;
}

export class AdminTokens {
  readonly verifier: JwtVerifier;
  private constructor(
    private readonly key: SigningKey,
    private readonly ttlSeconds: number,
  ) {
    this.verifier = new JwtVerifier({
      issuer: ADMIN_TOKEN_ISSUER,
      audience: ADMIN_TOKEN_AUDIENCE,
      algorithms: ['EdDSA'],
      clockSkewSeconds: 30,
      jwks: { keys: [key.publicJwk] },
    });
  }

  static async open(auth: Config['auth'], dataDir: string): Promise<AdminTokens> {
    const file = auth.admin.signingKeyFile ?? path.join(dataDir, 'auth', 'admin-token-key.pem');
    return new AdminTokens(await loadOrCreateSigningKey(file), auth.admin.tokenTtlSeconds);
  }

  async issue(identity: Identity, method: 'oidc' | 'saml'): Promise<AdminTokenGrant> {
    const exp = Math.floor(Date.now() / 1000) + this.ttlSeconds;
    const token = await new SignJWT({ groups: [...identity.groups], idp: identity.issuer, amr: [method] })
      .setProtectedHeader({ alg: 'EdDSA', kid: this.key.kid, typ: 'tapegate-admin+jwt' })
      .setIssuer(ADMIN_TOKEN_ISSUER)
      .setAudience(ADMIN_TOKEN_AUDIENCE)
      .setSubject(identity.subject)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(this.key.privateKey);
    return { token, expiresAt: new Date(exp * 1000).toISOString(), subject: identity.subject, groups: identity.groups, issuer: identity.issuer };
  }

  /** The person's identity as their identity provider named it (issuer = the IdP). */
  async verify(token: string): Promise<Identity> {
    const p = await this.verifier.verify(token);
    const groups = Array.isArray(p.groups) ? p.groups.filter((g): g is string => typeof g === 'string') : [];
    return { subject: String(p.sub), issuer: typeof p.idp === 'string' ? p.idp : ADMIN_TOKEN_ISSUER, groups: Object.freeze(groups) };
  }
}
