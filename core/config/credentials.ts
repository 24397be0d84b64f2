import { z } from 'zod';

// Owned by the identity issue (core/credentials): how a connection obtains the token it injects.
export const credentialsSchema = z.object({}).strict();

export type CredentialsConfig = z.infer<typeof credentialsSchema>;
