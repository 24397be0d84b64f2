import { z } from 'zod';

/**
 * Who may call (`auth.issuers`), the built-in development issuer, and how people sign in to the
 * admin API (`auth.admin`). Owned by the identity issue (core/auth).
 */

/** Asymmetric JWS algorithms only: a public key must never double as an HMAC secret. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA', 'Ed25519',
] as const;
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

const algorithm = z.string().superRefine((alg, ctx) => {
  if (alg.toLowerCase() === 'none') {
    ctx.addIssue({ code: 'custom', message: '"none" is never accepted: unsigned tokens prove nothing' });
  } else if (/^HS/i.test(alg)) {
    ctx.addIssue({
      code: 'custom',
      message: `"${alg}" is refused: HMAC algorithms would let anyone holding the issuer's public key forge tokens; use ${ASYMMETRIC_ALGORITHMS.join(', ')}`,
    });
  } else if (!(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) {
    ctx.addIssue({ code: 'custom', message: `unknown algorithm "${alg}"; expected one of ${ASYMMETRIC_ALGORITHMS.join(', ')}` });
  }
}) as unknown as z.ZodType<AsymmetricAlgorithm>;

const isLoopbackUrl = (u: URL): boolean => u.hostname === '127.0.0.1' || u.hostname === '[::1]' || u.hostname === 'localhost';

/** https, or plain http only to a loopback host (tests, a local IdP). */
const secureUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || (u.protocol === 'http:' && isLoopbackUrl(u));
  } catch {
    return false;
  }
}, 'expected an https:// URL (plain http is allowed only for a loopback host)');

/** A claim name ("email"), or a path into nested claims (["kubernetes.io", "serviceaccount", "name"]). */
const claimPath = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
export type ClaimPath = z.infer<typeof claimPath>;

export const DEFAULT_ALGORITHMS: AsymmetricAlgorithm[] = ['RS256', 'ES256', 'PS256', 'EdDSA'];

export const issuerSchema = z
  .object({
    issuer: secureUrl.describe('the exact `iss` value; discovery is fetched from <issuer>/.well-known/openid-configuration'),
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).describe('accepted `aud` value(s): the gateway\'s audience'),
    algorithms: z.array(algorithm).min(1).default(() => [...DEFAULT_ALGORITHMS]),
    jwksUri: secureUrl.optional().describe('skip discovery and fetch keys from here'),
    subjectClaim: claimPath.default('sub'),
    groupsClaim: claimPath.default('groups').describe('a string or array of strings; missing → no groups'),
    requireGroups: z.boolean().default(false).describe('refuse tokens whose groups claim is missing or empty'),
    clockSkewSeconds: z.number().int().min(0).max(600).default(60),
    jwksCooldownMs: z.number().int().min(0).default(30_000).describe('least time between two key fetches caused by an unknown kid'),
    jwksCacheMaxAgeMs: z.number().int().positive().default(10 * 60_000),
    fetchTimeoutMs: z.number().int().positive().default(5_000),
  })
  .strict();
export type IssuerConfig = z.infer<typeof issuerSchema>;

export const developmentIssuerSchema = z
  .object({
    enabled: z.boolean().optional().describe('default: on when auth.issuers is empty; refused unless every listener is loopback'),
    audience: z.string().min(1).default('tapegate'),
    keyFile: z.string().min(1).optional().describe('Ed25519 private key (PEM); default <dataDir>/auth/dev-issuer-key.pem'),
    maxTtlSeconds: z.number().int().positive().default(24 * 3600),
  })
  .strict();

export const adminOidcSchema = z
  .object({
    issuer: secureUrl,
    clientId: z.string().min(1).describe('also the audience of the ID tokens exchanged at /admin/auth/oidc/token'),
    clientSecret: z.string().min(1).optional().describe('for the authorization-code flow (a public client uses PKCE only)'),
    redirectUri: z.string().url().optional().describe('…/admin/auth/oidc/callback as reachable by the browser; enables the code flow'),
    scopes: z.array(z.string().min(1)).default(['openid', 'email', 'profile']),
    algorithms: z.array(algorithm).min(1).default(() => [...DEFAULT_ALGORITHMS]),
    subjectClaim: claimPath.default('email'),
    groupsClaim: claimPath.default('groups'),
    clockSkewSeconds: z.number().int().min(0).max(600).default(60),
    fetchTimeoutMs: z.number().int().positive().default(5_000),
  })
  .strict();

export const adminSamlSchema = z
  .object({
    entryPoint: secureUrl.describe('the IdP single sign-on URL (HTTP-Redirect binding)'),
    idpIssuer: z.string().min(1).optional().describe('expected <Issuer> of the IdP'),
    idpCert: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).describe('the IdP signing certificate(s), PEM or base64'),
    spEntityId: z.string().min(1).describe('our SP entity id; also the expected audience'),
    callbackUrl: z.string().url().describe('…/admin/auth/saml/acs as reachable by the browser'),
    subjectAttribute: z.string().min(1).optional().describe('attribute naming the person; default the NameID'),
    groupsAttribute: z.string().min(1).default('groups'),
    clockSkewSeconds: z.number().int().min(0).max(600).default(60),
  })
  .strict();

export const adminAuthSchema = z
  .object({
    tokenTtlSeconds: z.number().int().min(60).max(24 * 3600).default(900),
    signingKeyFile: z.string().min(1).optional().describe('Ed25519 private key (PEM) for admin tokens; default <dataDir>/auth/admin-token-key.pem; share it between instances'),
    oidc: adminOidcSchema.optional(),
    saml: adminSamlSchema.optional(),
  })
  .strict();

export const authSchema = z
  .object({
    issuers: z.array(issuerSchema).default([]),
    development: developmentIssuerSchema.default(() => developmentIssuerSchema.parse({})),
    admin: adminAuthSchema.default(() => adminAuthSchema.parse({})),
    tokenCacheSize: z.number().int().min(0).default(10_000).describe('verified tokens kept until they expire (0: verify every request)'),
  })
  .strict()
  .superRefine((auth, ctx) => {
    const seen = new Set<string>();
    auth.issuers.forEach((iss, i) => {
      if (seen.has(iss.issuer)) ctx.addIssue({ code: 'custom', path: ['issuers', i, 'issuer'], message: `duplicate issuer "${iss.issuer}"` });
      seen.add(iss.issuer);
    });
  });

export type AuthConfig = z.infer<typeof authSchema>;
