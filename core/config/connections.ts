import { z } from 'zod';
import { credentialsSchema } from './credentials.js';

const origin = z
  .string()
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'https:' || u.protocol === 'http:') && (u.pathname === '/' || u.pathname === '') && !u.search && !u.hash && !u.username;
    } catch {
      return false;
    }
  }, 'expected an origin like "https://storage.googleapis.com" (scheme, host and optional port; no path)');

export const timeoutsSchema = z
  .object({
    connectMs: z.number().int().positive().default(5_000),
    headersMs: z.number().int().positive().default(60_000).describe('time from request sent to response head'),
    bodyIdleMs: z.number().int().positive().default(60_000).describe('longest pause between body chunks, either way'),
  })
  .strict();

export const connectionSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected lower-case letters, digits and dashes'),
    match: z
      .object({
        pathPrefixes: z.array(z.string().startsWith('/', 'expected a path starting with "/"')).default([]),
        hosts: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .refine((m) => m.pathPrefixes.length > 0 || m.hosts.length > 0, 'expected at least one of pathPrefixes or hosts'),
    upstream: origin,
    timeouts: timeoutsSchema.default(() => timeoutsSchema.parse({})),
    maxRequestBodyBytes: z.number().int().positive().default(5 * 1024 ** 4),
    maxUpstreamConnections: z.number().int().positive().default(128).describe('keep-alive connections kept to the upstream'),
    recording: z.enum(['full', 'metadata', 'off']).default('full'),
    credentials: credentialsSchema.optional().describe('the credential injected upstream; none when absent'),
  })
  .strict();

export type ConnectionConfig = z.infer<typeof connectionSchema>;
