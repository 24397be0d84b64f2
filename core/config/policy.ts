import { z } from 'zod';

// Owned by the identity issue (core/policy, core/approvals).
export const policySchema = z.object({}).strict();

export type PolicyConfig = z.infer<typeof policySchema>;
