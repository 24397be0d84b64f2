import { TapegateError } from '../errors.js';

/**
 * 401 refusals. The message says why and what to do; it never contains the token. The
 * WWW-Authenticate value follows RFC 6750: no error code when no credentials were sent at all.
 */
export const REALM = 'tapegate';

/** Safe inside a quoted-string header parameter: the reason may quote claims an attacker chose. */
function quoted(s: string): string {
  return s.replace(/[^\x20-\x7e]|["\\]/g, ' ');
}

export function unauthenticated(code: string, message: string, opts: { noCredentials?: boolean; cause?: unknown } = {}): TapegateError {
  const challenge = opts.noCredentials
    ? `Bearer realm="${REALM}"`
    : `Bearer realm="${REALM}", error="invalid_token", error_description="${quoted(message)}"`;
  return new TapegateError(`TG_UNAUTHENTICATED${code ? `_${code}` : ''}`, 401, message, {
    headers: { 'www-authenticate': challenge },
    cause: opts.cause,
  });
}

/** The identity provider could not be reached: not the caller's fault, still fail closed. */
export function idpUnavailable(issuer: string, cause: unknown): TapegateError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new TapegateError(
    'TG_IDP_UNAVAILABLE',
    503,
    `cannot fetch signing keys of issuer ${issuer} (${detail}); retry later or check the issuer's discovery/JWKS endpoints`,
    { cause },
  );
}

/** Reads a Bearer token from an Authorization value; throws a 401 naming what is wrong. */
export function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined || authorization === '') {
    throw unauthenticated(
      'MISSING',
      'no Authorization header: send "Authorization: Bearer <OIDC ID token>" whose audience is this gateway',
      { noCredentials: true },
    );
  }
  const space = authorization.indexOf(' ');
  const scheme = space < 0 ? authorization : authorization.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') {
    throw unauthenticated('SCHEME', `Authorization scheme "${scheme.slice(0, 20)}" is not accepted: send "Bearer <OIDC ID token>"`);
  }
  const token = authorization.slice(space + 1).trim();
  if (token.split('.').length !== 3) {
    throw unauthenticated('MALFORMED', 'the bearer token is not a JWT (expected three dot-separated parts): send an OIDC ID token, not an access token');
  }
  return token;
}
