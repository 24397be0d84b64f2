import { createRequire } from 'node:module';
import type * as AuthLibrary from 'google-auth-library';
import type { GcsCredentialsConfig } from '../../core/config/store.js';

/**
 * The store's own Google credentials: ADC, a key file, or impersonation of a service account. Never
 * the connections' credentials (those belong to the agents' traffic).
 *
 * We load google-auth-library as @google-cloud/storage itself resolves it: storage 7 bundles
 * google-auth-library 9, whose GoogleAuth merges `getRequestHeaders()` with Object.assign and reads
 * gaxios 6 responses (`res.headers.location`). A v10 client (our top-level dependency) returns
 * fetch `Headers` there, so its Authorization header would silently vanish and resumable session
 * URIs would be lost. Constructor signatures are the same in both versions.
 */
const requireHere = createRequire(import.meta.url);
const storageEntry = requireHere.resolve('@google-cloud/storage');
export const storageAuthLibrary = createRequire(storageEntry)('google-auth-library') as typeof AuthLibrary;

/** Enough to create objects and read bucket metadata; the IAM role is what really limits it. */
export const STORE_SCOPES = ['https://www.googleapis.com/auth/devstorage.read_write'];

/** An auth client for `new Storage({ authClient })`, or undefined to let the library use ADC. */
export async function storeAuthClient(creds: GcsCredentialsConfig): Promise<AuthLibrary.GoogleAuth | AuthLibrary.AuthClient> {
  const { GoogleAuth, Impersonated } = storageAuthLibrary;
  switch (creds.type) {
    case 'adc':
      return new GoogleAuth({ scopes: STORE_SCOPES });
    case 'keyFile':
      return new GoogleAuth({ keyFile: creds.keyFile, scopes: STORE_SCOPES });
    case 'impersonate': {
      const source = new GoogleAuth({
        scopes: ['https://www.googleapis.com/auth/cloud-platform'],
        ...(creds.sourceKeyFile ? { keyFile: creds.sourceKeyFile } : {}),
      });
      const sourceClient = (await source.getClient()) as AuthLibrary.OAuth2Client;
      return new Impersonated({
        sourceClient,
        targetPrincipal: creds.serviceAccount,
        delegates: creds.delegates,
        targetScopes: STORE_SCOPES,
        lifetime: 3600,
      });
    }
  }
}
