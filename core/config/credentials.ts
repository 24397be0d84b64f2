import { z } from 'zod';

/**
 * How a connection obtains the token it injects upstream (core/credentials). Every kind goes through
 * google-auth-library; the agent's own Authorization is never forwarded.
 */
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

const scopes = z.array(z.string().min(1)).min(1).default([CLOUD_PLATFORM]);
const refreshAheadSeconds = z.number().int().min(0).max(3000).default(300).describe('refresh this long before expiry');

const adcSource = z.object({ type: z.literal('adc') }).strict();
const keyFileSource = z
  .object({
    type: z.literal('keyFile'),
    keyFile: z.string().min(1).describe('service-account key JSON; its token_uri is honoured'),
  })
  .strict();

const serviceAccountEmail = z.string().regex(/^[^@\s]+@[^@\s]+$/, 'expected a service-account email like name@project.iam.gserviceaccount.com');

export const credentialsSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('adc'), scopes, refreshAheadSeconds }).strict(),
  keyFileSource.extend({ scopes, refreshAheadSeconds }).strict(),
  z
    .object({
      type: z.literal('impersonate'),
      source: z.discriminatedUnion('type', [adcSource, keyFileSource]).default({ type: 'adc' }),
      targetPrincipal: serviceAccountEmail,
      delegates: z.array(serviceAccountEmail).default([]),
      scopes,
      lifetimeSeconds: z.number().int().min(60).max(43_200).default(3600),
      endpoint: z.string().url().optional().describe('IAM Credentials API base URL; default https://iamcredentials.googleapis.com'),
      refreshAheadSeconds,
    })
    .strict(),
  z
    .object({
      type: z.literal('externalAccount'),
      configFile: z.string().min(1).describe('workload identity federation credential configuration (type external_account)'),
      scopes,
      refreshAheadSeconds,
    })
    .strict(),
]);

export type CredentialsConfig = z.infer<typeof credentialsSchema>;
