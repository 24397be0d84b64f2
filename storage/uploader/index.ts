import path from 'node:path';
import type { Storage } from '@google-cloud/storage';
import { register, type Registry } from 'prom-client';
import type { Config } from '../../core/config/index.js';
import { log as rootLog, type Logger } from '../../core/log.js';
import { createStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { Uploader } from './uploader.js';

export { Uploader } from './uploader.js';
export type { StoreCheckState, UploaderOptions, UploaderStatus } from './uploader.js';

export interface CreateUploaderOptions {
  /** Where metrics go (default: prom-client's global registry, which /metrics serves). */
  registry?: Registry;
  logger?: Logger;
  /** The --allow-unlocked-bucket flag: start on a bucket that fails the retention check, with a warning. */
  allowUnlockedBucket?: boolean;
  /** The instance's public key (PEM), for segments found in the spool without their upload state. */
  publicKeyPath?: string;
  /** A ready @google-cloud/storage client for the gcs store (tests point it at the emulator). */
  storage?: Storage;
  /** A store to use instead of the configured one. */
  store?: Store;
}

/**
 * The uploader for a config: spool at <dataDir>/spool, store from `store`, limit from
 * `recording.spoolMaxBytes`. `await uploader.start()` before serving (it refuses an unlocked bucket;
 * a store it cannot reach only defers the check, see Uploader.start),
 * pass it to the recorder as its SegmentSealedListener and SpoolGauge, and on shutdown seal the last
 * segment, then `await uploader.stop({ flushTimeoutMs })`.
 */
export function createUploader(
  config: Pick<Config, 'store' | 'dataDir' | 'instanceId' | 'recording'>,
  opts: CreateUploaderOptions = {},
): Uploader {
  const logger = (opts.logger ?? rootLog).child({ component: 'uploader' });
  const store = opts.store ?? createStore(config, { logger, allowUnlockedBucket: opts.allowUnlockedBucket, storage: opts.storage });
  return new Uploader({
    store,
    spoolDir: path.resolve(config.dataDir, 'spool'),
    instanceId: config.instanceId,
    spoolMaxBytes: config.recording.spoolMaxBytes,
    upload: config.store.upload,
    registry: opts.registry ?? register,
    logger,
    publicKeyPath: opts.publicKeyPath,
  });
}
