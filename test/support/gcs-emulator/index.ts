export { GcsEmulator, gcsCrc32c, gcsMd5 } from './emulator.js';
export type { GcsEmulatorOptions, GcsFault, GcsFaultRule, GcsRoute, BucketOptions, RequestInfo, RequestLogEntry } from './emulator.js';
export { emulatorStorageOptions } from './client.js';
