import type { StorageOptions } from '@google-cloud/storage';
import { storageAuthLibrary } from '../../../storage/store/gcs-auth.js';

/**
 * Options for `new Storage(…)` that point the real client at the emulator with a credential that
 * needs no network: a fixed access token on an OAuth2Client (from the google-auth-library that
 * @google-cloud/storage uses), sent because `useAuthWithCustomEndpoint` is on, so tests see the
 * Authorization header as production would. Resumable chunk PUTs carry none: the session URI is
 * their credential, as on GCS.
 */
export function emulatorStorageOptions(baseUrl: string): StorageOptions {
  const authClient = new storageAuthLibrary.OAuth2Client();
  authClient.setCredentials({ access_token: 'emulator-token', expiry_date: Date.now() + 24 * 3600_000, token_type: 'Bearer' });
  return {
    apiEndpoint: baseUrl,
    projectId: 'tapegate-test',
    // Typed against google-auth-library 10; at run time it is storage's own version.
    authClient: authClient as unknown as StorageOptions['authClient'],
    useAuthWithCustomEndpoint: true,
  };
}
