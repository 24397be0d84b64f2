import { generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, type JWK } from 'jose';

/**
 * A real OIDC provider (oidc-provider 9) on loopback. ID tokens are minted with the provider's own
 * IdToken class and keys (`issue`), exactly as its token endpoint would sign them; discovery and
 * JWKS are served by the provider. `rotate()` swaps in a new provider instance with a new signing
 * key on the same port, as an IdP key rotation does. Every JWKS fetch is counted.
 */
/** The slice of oidc-provider's API used here (the package ships no type declarations). */
interface Koa {
  path: string;
}
export interface Provider {
  issuer: string;
  Client: { find(id: string): Promise<unknown> };
  IdToken: new (claims: Record<string, unknown>, opts: { client: unknown }) => {
    scope: string;
    set(key: string, value: unknown): void;
    issue(opts: { use: 'idtoken'; expiresAt?: number }): Promise<string>;
  };
  on(event: string, listener: (...args: unknown[]) => void): void;
  use(mw: (ctx: Koa, next: () => Promise<void>) => Promise<void>): void;
  callback(): http.RequestListener;
}
type ProviderCtor = new (issuer: string, config: Record<string, unknown>) => Provider;

// A computed specifier keeps tsc from looking for declarations the package does not have.
const OIDC_PROVIDER = 'oidc-provider';
const loadProvider = async (): Promise<ProviderCtor> => ((await import(OIDC_PROVIDER)) as { default: ProviderCtor }).default;

export interface SigningKeyPair {
  privateJwk: JWK & { kid: string };
  publicJwk: JWK & { kid: string };
}

export async function rsaKey(): Promise<SigningKeyPair> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  return {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
  };
}

export interface Account {
  sub: string;
  [claim: string]: unknown;
}

export interface OidcFixture {
  issuer: string;
  jwksHits: number;
  keys: SigningKeyPair[];
  provider: Provider;
  /** Mints an ID token for `client` (its client_id is the audience). */
  idToken(claims: Account, opts?: { client?: string; expiresAt?: number; extra?: Record<string, unknown> }): Promise<string>;
  /** New signing key first, old keys still published. */
  rotate(opts?: { dropOld?: boolean }): Promise<SigningKeyPair>;
  close(): Promise<void>;
}

export interface FixtureOptions {
  clients?: Array<Record<string, unknown>>;
  accounts?: Record<string, Record<string, unknown>>;
}

const DEFAULT_CLIENTS = [
  { client_id: 'tapegate', client_secret: 'tapegate-secret', redirect_uris: ['http://127.0.0.1/cb'], grant_types: ['authorization_code'], response_types: ['code'] },
  { client_id: 'someone-else', client_secret: 'other-secret', redirect_uris: ['http://127.0.0.1/cb'], grant_types: ['authorization_code'], response_types: ['code'] },
];

export async function startOidcProvider(opts: FixtureOptions = {}): Promise<OidcFixture> {
  const clients = opts.clients ?? DEFAULT_CLIENTS;
  let handler: http.RequestListener = (_req, res) => res.end();
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fixture = {
    issuer,
    jwksHits: 0,
    keys: [] as SigningKeyPair[],
    provider: undefined as unknown as Provider,
  } as OidcFixture;

  const Provider = await loadProvider();
  const build = (keys: SigningKeyPair[]): void => {
    const provider = new Provider(issuer, {
      clients: clients as never,
      jwks: { keys: keys.map((k) => k.privateJwk) as never },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
      scopes: ['openid', 'email', 'groups', 'offline_access'],
      findAccount: async (_ctx: unknown, sub: string) => ({
        accountId: sub,
        claims: async () => ({ sub, ...(opts.accounts?.[sub] ?? {}) }),
      }),
      features: { devInteractions: { enabled: true } },
      pkce: { required: () => true },
      cookies: { keys: ['test-cookie-key'] },
      ttl: { IdToken: 3600 },
      // Put the scope's claims in the ID token itself, as Google, GitHub and Kubernetes tokens do.
      conformIdTokenClaims: false,
    });
    provider.on('server_error', () => undefined);
    provider.use(async (ctx, next) => {
      if (ctx.path === '/jwks') fixture.jwksHits++;
      await next();
    });
    fixture.provider = provider;
    handler = provider.callback();
  };

  fixture.keys = [await rsaKey()];
  build(fixture.keys);

  fixture.idToken = async (claims, o = {}) => {
    const client = await fixture.provider.Client.find(o.client ?? 'tapegate');
    if (!client) throw new Error(`no client ${o.client}`);
    const token = new fixture.provider.IdToken({ ...claims }, { client });
    token.scope = 'openid email groups';
    for (const [k, v] of Object.entries(o.extra ?? {})) token.set(k, v);
    return token.issue({ use: 'idtoken', ...(o.expiresAt !== undefined ? { expiresAt: o.expiresAt } : {}) });
  };

  fixture.rotate = async ({ dropOld = false } = {}) => {
    const fresh = await rsaKey();
    fixture.keys = dropOld ? [fresh] : [fresh, ...fixture.keys];
    build(fixture.keys);
    return fresh;
  };

  fixture.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fixture;
}
