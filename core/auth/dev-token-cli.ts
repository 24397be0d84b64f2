import { parseArgs } from 'node:util';
import { authSchema } from '../config/auth.js';
import { loadConfig, type Config } from '../config/index.js';
import { DevIssuer, assertLoopbackOnly, devIssuerEnabled } from './dev-issuer.js';

/**
 * `tapegate dev-token --sub alice --groups ops [--ttl 1h] [--config F]`: prints an ID token from the
 * built-in development issuer, signed with the key in the data dir the gateway uses.
 */
const USAGE = `usage: tapegate dev-token --sub SUBJECT [--groups a,b] [--ttl 1h] [--config FILE | --data-dir DIR] [--json]

Prints a development ID token accepted by a gateway running with the development issuer
(on by default when auth.issuers is empty; loopback listeners only). Use it as
"Authorization: Bearer <token>". --ttl takes seconds or a number with s, m, h or d (default 1h).`;

export function parseTtl(text: string): number | null {
  const m = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return n * unit;
}

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        sub: { type: 'string' },
        groups: { type: 'string', default: '' },
        ttl: { type: 'string', default: '1h' },
        config: { type: 'string' },
        'data-dir': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`tapegate dev-token: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.sub) {
    process.stderr.write(`tapegate dev-token: --sub is required\n\n${USAGE}\n`);
    return 2;
  }
  const ttl = parseTtl(values.ttl);
  if (ttl === null || ttl <= 0) {
    process.stderr.write(`tapegate dev-token: --ttl "${values.ttl}" is not a duration (e.g. 900, 15m, 1h)\n`);
    return 2;
  }
  let auth: Config['auth'];
  let dataDir: string;
  if (values.config) {
    const cfg = loadConfig(values.config, values['data-dir'] ? { dataDir: values['data-dir'] } : {});
    auth = cfg.auth;
    dataDir = cfg.dataDir;
    if (!devIssuerEnabled(auth)) {
      process.stderr.write(`tapegate dev-token: the development issuer is off in ${values.config} (auth.issuers is set or auth.development.enabled is false); the gateway would not accept this token\n`);
      return 1;
    }
    assertLoopbackOnly([cfg.listen.host, cfg.listen.adminHost]);
  } else {
    auth = authSchema.parse({});
    dataDir = values['data-dir'] ?? '.data';
  }
  const groups = values.groups.split(',').map((g) => g.trim()).filter(Boolean);
  const issuer = await DevIssuer.open(auth, dataDir);
  const token = await issuer.mint(values.sub, groups, ttl);
  if (values.json) {
    const expiresAt = new Date(Date.now() + ttl * 1000).toISOString();
    process.stdout.write(`${JSON.stringify({ token, issuer: issuer.issuer, audience: issuer.audience, subject: values.sub, groups, expiresAt })}\n`);
  } else {
    process.stdout.write(`${token}\n`);
  }
  return 0;
}
