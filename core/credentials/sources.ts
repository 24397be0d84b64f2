import { readFile } from 'node:fs/promises';
import { ExternalAccountClient, GoogleAuth, Impersonated, JWT, type AuthClient } from 'google-auth-library';
import type { CredentialsConfig } from '../config/credentials.js';

/**
 * Builds the google-auth-library client for one connection's credential. Every kind returns an
 * AuthClient whose getAccessToken() fetches a token; core/credentials decides when to call it.
 */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

interface ServiceAccountKey {
  type?: string;
  client_email?: string;
  private_key?: string;
  private_key_id?: string;
  token_uri?: string;
}

/**
 * google-auth-library 10 posts service-account assertions to Google's token URL whatever the key
 * file's token_uri says. Honour token_uri (private endpoints, other universes, tests on loopback)
 * by rewriting that one URL on the client's own transporter.
 */
function honourTokenUri(client: AuthClient, tokenUri: string | undefined): void {
  if (!tokenUri || tokenUri === GOOGLE_TOKEN_URL) return;
  const target = new URL(tokenUri);
  client.transporter.interceptors.request.add({
    resolved: async (opts) => {
      if (opts.url.href === GOOGLE_TOKEN_URL) opts.url = target;
      return opts;
    },
  });
}

async function readJson(file: string, what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`${what} ${file} is not valid JSON`);
  }
}

async function keyFileClient(file: string, scopes: string[]): Promise<AuthClient> {
  const key = (await readJson(file, 'service-account key file')) as ServiceAccountKey;
  if (key.type !== 'service_account' || !key.client_email || !key.private_key) {
    throw new Error(`${file} is not a service-account key file (expected type "service_account" with client_email and private_key)`);
  }
  const client = new JWT({ email: key.client_email, key: key.private_key, ...(key.private_key_id ? { keyId: key.private_key_id } : {}), scopes });
  honourTokenUri(client, key.token_uri);
  return client;
}

async function adcClient(scopes: string[]): Promise<AuthClient> {
  const auth = new GoogleAuth({ scopes });
  const client = (await auth.getClient()) as AuthClient;
  const json = auth.jsonContent as ServiceAccountKey | null;
  if (json?.type === 'service_account') honourTokenUri(client, json.token_uri);
  return client;
}

export async function buildClient(cfg: CredentialsConfig): Promise<AuthClient> {
  switch (cfg.type) {
    case 'adc':
      return adcClient(cfg.scopes);
    case 'keyFile':
      return keyFileClient(cfg.keyFile, cfg.scopes);
    case 'impersonate': {
      // The source only needs to call the IAM Credentials API.
      const sourceScopes = ['https://www.googleapis.com/auth/cloud-platform'];
      const sourceClient = cfg.source.type === 'keyFile' ? await keyFileClient(cfg.source.keyFile, sourceScopes) : await adcClient(sourceScopes);
      return new Impersonated({
        sourceClient,
        targetPrincipal: cfg.targetPrincipal,
        targetScopes: cfg.scopes,
        // The IAM Credentials API names delegates as resources, not bare emails.
        delegates: cfg.delegates.map((d) => `projects/-/serviceAccounts/${d}`),
        lifetime: cfg.lifetimeSeconds,
        ...(cfg.endpoint ? { endpoint: cfg.endpoint.replace(/\/$/, '') } : {}),
      });
    }
    case 'externalAccount': {
      const json = await readJson(cfg.configFile, 'external account credential file');
      if (json.type !== 'external_account') throw new Error(`${cfg.configFile} is not an external account credential file (expected type "external_account")`);
      const client = ExternalAccountClient.fromJSON({ ...(json as object), scopes: cfg.scopes } as Parameters<typeof ExternalAccountClient.fromJSON>[0]);
      if (!client) throw new Error(`${cfg.configFile} is not a supported external account credential file`);
      return client;
    }
  }
}
