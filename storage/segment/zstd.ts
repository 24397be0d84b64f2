import { createRequire } from 'node:module';

/**
 * The low-level zstd-napi binding (CCtx/DCtx with caller-owned buffers): the high-level API
 * allocates a result Buffer per call, which the hot path avoids. Synchronous: callers run it on the
 * recorder's worker thread, never on the event loop of the data plane.
 */
export const zstd = createRequire(import.meta.url)('zstd-napi/binding') as typeof import('zstd-napi/binding.js');
