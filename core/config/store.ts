import { z } from 'zod';

// Owned by the upload issue (storage/store, storage/uploader).
export const storeSchema = z
  .object({
    type: z.enum(['local']).default('local'),
    dir: z.string().min(1).optional().describe('local store directory; default <dataDir>/store'),
  })
  .strict();

export type StoreConfig = z.infer<typeof storeSchema>;
