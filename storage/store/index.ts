import path from 'node:path';
import type { Storage } from '@google-cloud/storage';
import type { Config } from '../../core/config/index.js';
import type { Logger } from '../../core/log.js';
import { GcsStore } from './gcs.js';
import { LocalStore } from './local.js';
import type { Store } from './types.js';

export type { Store, ObjectInfo, PutFileOptions, ListResult, StoreFailure, LocalFileHashes } from './types.js';
export { StoreError } from './types.js';
export { LocalStore } from './local.js';
export { GcsStore, classifyGcsError } from './gcs.js';
export { segmentObjectName, indexObjectName, indexContentType, keyObjectName, publicKeyId, segmentBaseName } from './names.js';
export { checkBucketRetention, terraformHint } from './retention.js';

export interface CreateStoreOptions {
  logger: Logger;
  /** The --allow-unlocked-bucket flag (development only). */
  allowUnlockedBucket?: boolean;
  /** A ready client for the gcs store (tests: pointed at the emulator). */
  storage?: Storage;
  /** For readers (replay): open() skips the gcs retention-lock check. Writers never set this. */
  readOnly?: boolean;
}

/** The configured store, not yet opened: call `open()` (which, for gcs, checks the retention lock). */
export function createStore(config: Pick<Config, 'store' | 'dataDir'>, opts: CreateStoreOptions): Store {
  const s = config.store;
  if (s.type === 'local') return new LocalStore(path.resolve(s.dir ?? path.join(config.dataDir, 'store')), s.prefix);
  return new GcsStore(s, { logger: opts.logger, allowUnlockedBucket: opts.allowUnlockedBucket, storage: opts.storage, readOnly: opts.readOnly });
}
