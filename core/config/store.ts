import { z } from 'zod';

// Owned by the upload issue (storage/store, storage/uploader).

const prefix = z
  .string()
  .regex(/^([A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*)?$/, 'expected path segments of letters, digits, ".", "_" or "-" separated by "/", without leading or trailing "/"')
  .default('tapegate')
  .describe('object name prefix: objects are <prefix>/segments/…, <prefix>/index/…, <prefix>/keys/…');

/** How sealed segments travel from the spool to the store. */
export const uploadSchema = z
  .object({
    resumableThresholdBytes: z.number().int().positive().default(8 * 1024 * 1024).describe('segments at least this large use resumable uploads'),
    chunkSizeBytes: z
      .number()
      .int()
      .positive()
      .refine((n) => n % (256 * 1024) === 0, 'expected a multiple of 262144 (256 KiB), as GCS requires for resumable chunks')
      .default(8 * 1024 * 1024),
    backoffInitialMs: z.number().int().positive().default(500),
    backoffMaxMs: z.number().int().positive().default(60_000),
    stallTimeoutMs: z.number().int().positive().default(120_000).describe('an upload attempt with no progress for this long is abandoned and retried'),
  })
  .strict();

export const gcsCredentialsSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('adc') }).strict(),
  z.object({ type: z.literal('keyFile'), keyFile: z.string().min(1, 'expected the path of a service account key file') }).strict(),
  z
    .object({
      type: z.literal('impersonate'),
      serviceAccount: z.string().regex(/^[^@\s]+@[^@\s]+\.iam\.gserviceaccount\.com$/, 'expected a service account email (name@project.iam.gserviceaccount.com)'),
      delegates: z.array(z.string().min(1)).default([]),
      sourceKeyFile: z.string().min(1).optional().describe('key file of the impersonating principal; ADC when absent'),
    })
    .strict(),
]);

const localStoreSchema = z
  .object({
    type: z.literal('local'),
    dir: z.string().min(1).optional().describe('local store directory; default <dataDir>/store'),
    prefix,
    upload: uploadSchema.default(() => uploadSchema.parse({})),
  })
  .strict();

const gcsStoreSchema = z
  .object({
    type: z.literal('gcs'),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, 'expected a bucket name (lower-case letters, digits, "-", "_", ".")'),
    prefix,
    credentials: gcsCredentialsSchema.default({ type: 'adc' }).describe("the store's own credentials; never a connection's"),
    minRetentionDays: z.number().int().positive().default(365).describe("the bucket's locked retention period must be at least this long"),
    objectRetentionDays: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('per-object Locked retention where the bucket has Object Retention Lock; default minRetentionDays'),
    allowUnlockedBucket: z.boolean().default(false).describe('development only: start even if the retention check fails (also --allow-unlocked-bucket)'),
    apiEndpoint: z.string().url('expected a URL like "http://127.0.0.1:4443"').optional().describe('tests/emulators only'),
    upload: uploadSchema.default(() => uploadSchema.parse({})),
  })
  .strict();

export const storeSchema = z
  .preprocess(
    // `{}` or a missing `type` means the embedded default: the local store.
    (v) => (v && typeof v === 'object' && !Array.isArray(v) && !('type' in v) ? { ...v, type: 'local' } : v),
    z.discriminatedUnion('type', [localStoreSchema, gcsStoreSchema], { error: 'expected store.type "local" or "gcs"' }),
  )
  .describe('where sealed segments go: a local directory laid out like the bucket, or a retention-locked GCS bucket');

export type StoreConfig = z.infer<typeof storeSchema>;
export type LocalStoreConfig = z.infer<typeof localStoreSchema>;
export type GcsStoreConfig = z.infer<typeof gcsStoreSchema>;
export type GcsCredentialsConfig = z.infer<typeof gcsCredentialsSchema>;
export type UploadConfig = z.infer<typeof uploadSchema>;
