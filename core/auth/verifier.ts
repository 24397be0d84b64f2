import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { AsymmetricAlgorithm } from '../config/auth.js';
import { log } from '../log.js';
import { idpUnavailable, unauthenticated } from './errors.js';

/**
 * Verifies JWTs from one issuer: keys from OIDC discovery + JWKS (or a local key set), issuer,
 * audience, exp/nbf with a skew, and an algorithm allow-list checked before any key is looked up.
 * jose's remote key set refetches on an unknown `kid`, at most once per cooldown, so a stream of
 * forged kids cannot turn into a stream of fetches.
 */
export interface VerifierOptions {
  issuer: string;
  audience: string | string[];
  algorithms: readonly AsymmetricAlgorithm[];
  clockSkewSeconds: number;
  /** Remote keys: discovery unless jwksUri is given. */
  jwksUri?: string;
  jwks?: { keys: JWK[] };
  jwksCooldownMs?: number;
  jwksCacheMaxAgeMs?: number;
  fetchTimeoutMs?: number;
}

export interface Discovery {
  issuer: string;
  jwks_uri: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  [k: string]: unknown;
}

const DISCOVERY_RETRY_MS = 2_000;

export async function fetchDiscovery(issuer: string, timeoutMs: number): Promise<Discovery> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  const doc = (await res.json()) as Discovery;
  if (doc.issuer !== issuer) throw new Error(`discovery document at ${url} names issuer "${String(doc.issuer)}", expected "${issuer}"`);
  if (typeof doc.jwks_uri !== 'string') throw new Error(`discovery document at ${url} has no jwks_uri`);
  return doc;
}

export class JwtVerifier {
  private keySet: JWTVerifyGetKey | undefined;
  private discovering: Promise<JWTVerifyGetKey> | undefined;
  private discoveryFailedAtMs = -Infinity;
  private lastDiscoveryError: unknown;
  private readonly allowed: Set<string>;
  discovery: Discovery | undefined;

  constructor(readonly opts: VerifierOptions) {
    this.allowed = new Set(opts.algorithms);
    if (opts.jwks) this.keySet = createLocalJWKSet(opts.jwks);
    else if (opts.jwksUri) this.keySet = this.remote(opts.jwksUri);
  }

  private remote(uri: string): JWTVerifyGetKey {
    return createRemoteJWKSet(new URL(uri), {
      cooldownDuration: this.opts.jwksCooldownMs ?? 30_000,
      cacheMaxAge: this.opts.jwksCacheMaxAgeMs ?? 600_000,
      timeoutDuration: this.opts.fetchTimeoutMs ?? 5_000,
    });
  }

  /** Fetches discovery once; after a failure, retries no more often than every 2 s. */
  keys(): Promise<JWTVerifyGetKey> {
    if (this.keySet) return Promise.resolve(this.keySet);
    if (this.discovering) return this.discovering;
    if (Date.now() - this.discoveryFailedAtMs < DISCOVERY_RETRY_MS) {
      return Promise.reject(idpUnavailable(this.opts.issuer, this.lastDiscoveryError));
    }
    this.discovering = fetchDiscovery(this.opts.issuer, this.opts.fetchTimeoutMs ?? 5_000).then(
      (doc) => {
        this.discovery = doc;
        this.keySet = this.remote(doc.jwks_uri);
        this.discovering = undefined;
        return this.keySet;
      },
      (err: unknown) => {
        this.discoveryFailedAtMs = Date.now();
        this.lastDiscoveryError = err;
        this.discovering = undefined;
        log.warn({ event: 'auth.discovery_failed', issuer: this.opts.issuer, err: (err as Error).message }, 'OIDC discovery failed');
        throw idpUnavailable(this.opts.issuer, err);
      },
    );
    return this.discovering;
  }

  /** Verifies signature and standard claims; returns the payload. Throws 401 (or 503 when keys are unreachable). */
  async verify(token: string): Promise<JWTPayload> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw unauthenticated('MALFORMED', 'the bearer token header cannot be decoded: send an OIDC ID token');
    }
    if (!alg || alg.toLowerCase() === 'none') {
      throw unauthenticated('ALGORITHM', 'unsigned tokens (alg "none") are never accepted');
    }
    if (!this.allowed.has(alg)) {
      throw unauthenticated('ALGORITHM', `algorithm "${alg}" is not accepted for issuer ${this.opts.issuer}; allowed: ${[...this.allowed].join(', ')}`);
    }
    const keys = await this.keys();
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: this.opts.issuer,
        audience: this.opts.audience,
        algorithms: [...this.allowed],
        clockTolerance: this.opts.clockSkewSeconds,
        requiredClaims: ['exp'],
      });
      return payload;
    } catch (err) {
      throw this.explain(err);
    }
  }

  private explain(err: unknown): Error {
    const iss = this.opts.issuer;
    if (err instanceof errors.JWTExpired) {
      return unauthenticated('EXPIRED', `the token expired (issuer ${iss}): fetch a fresh ID token`, { cause: err });
    }
    if (err instanceof errors.JWTClaimValidationFailed) {
      const what =
        err.claim === 'aud'
          ? `its audience is not ${JSON.stringify(this.opts.audience)}: request the ID token for this gateway's audience`
          : err.claim === 'nbf'
            ? 'it is not valid yet (nbf in the future): check the clocks'
            : err.claim === 'iss'
              ? `its issuer is not ${iss}`
              : `claim "${err.claim}" failed: ${err.reason}`;
      return unauthenticated('CLAIM', `the token was refused: ${what}`, { cause: err });
    }
    if (err instanceof errors.JWKSNoMatchingKey) {
      return unauthenticated('UNKNOWN_KEY', `the token's key id is not among issuer ${iss}'s current keys`, { cause: err });
    }
    if (err instanceof errors.JWSSignatureVerificationFailed) {
      return unauthenticated('SIGNATURE', `the token's signature does not verify with issuer ${iss}'s keys`, { cause: err });
    }
    if (err instanceof errors.JOSEAlgNotAllowed) {
      return unauthenticated('ALGORITHM', `the token's algorithm is not accepted for issuer ${iss}`, { cause: err });
    }
    if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || (err instanceof Error && !(err instanceof errors.JOSEError))) {
      return idpUnavailable(iss, err);
    }
    return unauthenticated('INVALID', `the token is not a valid JWT for issuer ${iss}: ${(err as Error).message}`, { cause: err });
  }
}
