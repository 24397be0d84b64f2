import type { AuthClient } from 'google-auth-library';
import type { CredentialsConfig } from '../config/credentials.js';
import { TapegateError } from '../errors.js';
import { log } from '../log.js';

/**
 * The credential a connection injects upstream, in place of the agent's Authorization (which is
 * never forwarded). Tokens are cached; once inside the refresh-ahead window the current token keeps
 * being served while one background refresh runs; only with no usable token do callers wait, and
 * then all of them share the single refresh in flight.
 */
export interface CredentialProvider {
  /** 'Bearer <access token>', or null when the connection injects no credential. Never log it. */
  authorization(): Promise<string | null>;
  /** The value when it is fresh (no refresh due), else undefined: lets the gate answer without a Promise. */
  cachedAuthorization?(): string | null | undefined;
}

/** A token this close to expiry is never handed out: it could expire on its way upstream. */
const MIN_REMAINING_MS = 10_000;
/** After a failed refresh, callers get the failure (or the still-valid token) for this long. */
const RETRY_AFTER_FAILURE_MS = 1_000;
/** When a token endpoint gives no expiry, assume this lifetime. */
const ASSUMED_LIFETIME_MS = 5 * 60_000;

const none: CredentialProvider = { authorization: () => Promise.resolve(null), cachedAuthorization: () => null };

export function createCredentialProvider(cfg: CredentialsConfig | undefined): CredentialProvider {
  return cfg ? new CachedCredential(cfg) : none;
}

class CachedCredential implements CredentialProvider {
  private client: Promise<AuthClient> | undefined;
  private value: string | null = null;
  private expiryMs = 0;
  private refreshAtMs = 0;
  private minRemainingMs = MIN_REMAINING_MS;
  private inFlight: Promise<string> | undefined;
  private failedAtMs = -Infinity;
  private lastError: TapegateError | undefined;
  private readonly aheadMs: number;
  /** google-auth-library loads (from here, at start) only for connections that inject a credential. */
  private readonly sources: Promise<typeof import('./sources.js')>;

  constructor(private readonly cfg: CredentialsConfig) {
    this.aheadMs = cfg.refreshAheadSeconds * 1000;
    this.sources = import('./sources.js');
    this.sources.catch(() => undefined); // a load failure surfaces at the first refresh, not as an unhandled rejection
  }

  cachedAuthorization(): string | undefined {
    return this.value !== null && Date.now() < this.refreshAtMs ? this.value : undefined;
  }

  authorization(): Promise<string> {
    const now = Date.now();
    if (this.value !== null && now < this.refreshAtMs) return Promise.resolve(this.value);
    if (this.value !== null && now < this.expiryMs - this.minRemainingMs) {
      if (!this.inFlight && now - this.failedAtMs >= RETRY_AFTER_FAILURE_MS) this.refresh().catch(() => undefined);
      return Promise.resolve(this.value);
    }
    if (this.inFlight) return this.inFlight;
    if (this.lastError && now - this.failedAtMs < RETRY_AFTER_FAILURE_MS) return Promise.reject(this.lastError);
    return this.refresh();
  }

  private refresh(): Promise<string> {
    this.inFlight = this.fetch().then(
      (v) => {
        this.inFlight = undefined;
        this.lastError = undefined;
        return v;
      },
      (err: unknown) => {
        this.inFlight = undefined;
        this.failedAtMs = Date.now();
        this.lastError =
          err instanceof TapegateError
            ? err
            : new TapegateError(
                'TG_CREDENTIALS_UNAVAILABLE',
                503,
                `cannot obtain the upstream credential (${this.cfg.type}): ${(err as Error).message}; check the connection's credentials config and the token endpoint`,
                { cause: err },
              );
        log.error({ event: 'credentials.refresh_failed', type: this.cfg.type, err: this.lastError.message }, 'upstream credential refresh failed');
        throw this.lastError;
      },
    );
    return this.inFlight;
  }

  private async fetch(): Promise<string> {
    this.client ??= this.sources.then(({ buildClient }) => buildClient(this.cfg)).then((c) => {
      // The library's own cache must consider the token stale no later than we do, so that a
      // refresh we ask for is a real one.
      c.eagerRefreshThresholdMillis = this.aheadMs + 1_000;
      return c;
    });
    let client: AuthClient;
    try {
      client = await this.client;
    } catch (err) {
      this.client = undefined; // a fixed key file is picked up on the next try
      throw err;
    }
    const { token } = await client.getAccessToken();
    if (!token) throw new Error('the token endpoint returned no access token');
    const expiry = client.credentials?.expiry_date;
    const now = Date.now();
    this.expiryMs = typeof expiry === 'number' && expiry > now ? expiry : now + ASSUMED_LIFETIME_MS;
    // A short-lived token is refreshed half-way through rather than on every call.
    const lifetime = this.expiryMs - now;
    this.refreshAtMs = this.expiryMs - Math.min(this.aheadMs, lifetime / 2);
    this.minRemainingMs = Math.min(MIN_REMAINING_MS, lifetime / 4);
    this.value = `Bearer ${token}`;
    log.info({ event: 'credentials.refreshed', type: this.cfg.type, expiresInS: Math.round((this.expiryMs - now) / 1000) }, 'upstream credential refreshed');
    return this.value;
  }
}
