import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { authSchema } from './auth.js';
import { connectionSchema } from './connections.js';
import { listenSchema } from './listen.js';
import { approvalsSchema, policySchema } from './policy.js';
import { recordingSchema } from './recording.js';
import { storeSchema } from './store.js';

export const configSchema = z
  .object({
    instanceId: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,63}$/, 'expected 1-63 letters, digits or dashes')
      .default(() => hostname().replace(/[^A-Za-z0-9-]/g, '-').slice(0, 63) || 'tapegate'),
    dataDir: z.string().min(1).default('.data'),
    drainTimeoutMs: z.number().int().positive().default(30_000),
    listen: listenSchema.default(() => listenSchema.parse({})),
    connections: z.array(connectionSchema).min(1, 'expected at least one connection'),
    recording: recordingSchema.default(() => recordingSchema.parse({})),
    store: storeSchema.default(() => storeSchema.parse({})),
    auth: authSchema.default(() => authSchema.parse({})),
    policy: policySchema.default(() => policySchema.parse({})),
    approvals: approvalsSchema.default(() => approvalsSchema.parse({})),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.connections.forEach((c, i) => {
      if (seen.has(c.name)) ctx.addIssue({ code: 'custom', path: ['connections', i, 'name'], message: `duplicate connection name "${c.name}"` });
      seen.add(c.name);
    });
  });

export type Config = z.infer<typeof configSchema>;

/** Flags given on the command line win over the file. */
export interface ConfigOverrides {
  port?: number;
  adminPort?: number;
  dataDir?: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function formatPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');
}

/** Validates a parsed config object; errors name every bad field and say what was expected. */
export function parseConfig(raw: unknown, source = 'config', overrides: ConfigOverrides = {}): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${formatPath(i.path) || '(top level)'}: ${i.message}`);
    throw new ConfigError(`${source} is invalid:\n${lines.join('\n')}`);
  }
  const cfg = result.data;
  if (overrides.port !== undefined) cfg.listen.port = overrides.port;
  if (overrides.adminPort !== undefined) cfg.listen.adminPort = overrides.adminPort;
  if (overrides.dataDir !== undefined) cfg.dataDir = overrides.dataDir;
  return cfg;
}

/** Loads a JSON config file. Relative paths inside it stay relative to the working directory. */
export function loadConfig(file: string, overrides: ConfigOverrides = {}): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseConfig(raw, path.basename(file), overrides);
}
