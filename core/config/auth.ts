import { z } from 'zod';

// Owned by the identity issue (core/auth).
export const authSchema = z.object({}).strict();

export type AuthConfig = z.infer<typeof authSchema>;
