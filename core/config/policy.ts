import { z } from 'zod';

// Owned by the identity issue (core/policy, core/approvals).

const nonEmptyList = (what: string) => z.array(z.string().min(1, `expected a non-empty ${what}`)).min(1, `expected at least one ${what} (omit the field to match any)`);

export const policyRuleSchema = z
  .object({
    name: z.string().min(1).optional().describe('shown in decisions and recordings; default: the rule index'),
    subjects: nonEmptyList('subject glob').optional().describe('identity subjects (globs); any when absent'),
    groups: nonEmptyList('group').optional().describe('the caller must be in at least one; any when absent'),
    issuers: nonEmptyList('issuer glob').optional().describe('token issuers (globs); any when absent'),
    connections: nonEmptyList('connection name').optional().describe('connection names; any when absent'),
    operations: nonEmptyList('operation glob').default(['*']).describe('operation globs, e.g. "storage.objects.*", "*.delete"'),
    effects: z
      .array(z.enum(['read', 'write', 'overwrite', 'remove', 'admin']))
      .min(1)
      .optional()
      .describe('what the operation can do to data; any when absent'),
    resources: nonEmptyList('resource glob').optional().describe('resource globs, e.g. "buckets/scratch-*"; any when absent'),
    action: z.enum(['allow', 'deny', 'review']),
    reason: z.string().min(1).optional().describe('told to the caller when the rule denies'),
  })
  .strict();

export const policySchema = z
  .object({
    rules: z.array(policyRuleSchema).default([]).describe('first match wins; no match: deny'),
  })
  .strict()
  .superRefine((policy, ctx) => {
    // Decisions name their rule: two rules with one name would make recordings ambiguous.
    const seen = new Set<string>();
    policy.rules.forEach((r, i) => {
      if (r.name === undefined) return;
      if (seen.has(r.name) || /^\d+$/.test(r.name) || r.name === 'default') {
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `rule name "${r.name}" is taken (names must be unique, not a number, not "default")` });
      }
      seen.add(r.name);
    });
  });

export type PolicyRuleConfig = z.infer<typeof policyRuleSchema>;
export type PolicyConfig = z.infer<typeof policySchema>;

const httpUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}, 'expected an http(s) URL');

export const reviewStoreSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('memory') }).strict(),
  z
    .object({
      type: z.literal('gcs'),
      bucket: z.string().min(3, 'expected a bucket name'),
      prefix: z.string().default('reviews/').describe('object name prefix for review records'),
      pollMs: z.number().int().min(100).default(1_000).describe('how often a holding instance re-reads its review'),
      apiEndpoint: httpUrl.optional().describe('Cloud Storage endpoint (tests, emulators); default the real API'),
      keyFile: z.string().min(1).optional().describe('service-account key for the store; default ADC'),
    })
    .strict(),
]);

export const approvalsSchema = z
  .object({
    waitMs: z.number().int().positive().default(5 * 60_000).describe('how long a held request waits for a decision'),
    approverGroup: z.string().min(1).default('approvers').describe('group whose members may approve or deny'),
    allowSelfApproval: z.boolean().default(false).describe('may the caller of a held request approve it themselves'),
    webhook: z
      .object({
        url: httpUrl,
        timeoutMs: z.number().int().positive().default(5_000),
        maxAttempts: z.number().int().min(1).max(10).default(3),
      })
      .strict()
      .optional()
      .describe('POSTed a JSON notice for every new review'),
    store: reviewStoreSchema.default({ type: 'memory' }),
    spoolMaxBytes: z.number().int().positive().default(5 * 1024 ** 3).describe('largest held request body spooled to disk'),
  })
  .strict();

export type ApprovalsConfig = z.infer<typeof approvalsSchema>;
export type ReviewStoreConfig = z.infer<typeof reviewStoreSchema>;
