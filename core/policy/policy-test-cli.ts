import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { classifyBodyNeeded, classifyGcpOperation, type ClassifyInput } from '../classify/index.js';
import { loadConfig, type Config } from '../config/index.js';
import type { ConnectionConfig } from '../config/connections.js';
import type { Identity } from '../exchange.js';
import { compilePolicy } from './index.js';

/**
 * `tapegate policy test --config F --as SUBJECT --groups a,b [--issuer I] [--connection N]
 *  METHOD URL [--body F] [--content-type T] [--json]` — what the policy would decide, and by which rule.
 * Exit code: 0 allow, 3 review, 4 deny; 2 usage error, 1 bad config or input.
 */
const USAGE = `usage: tapegate policy test --config FILE --as SUBJECT [--groups a,b] [--issuer ISSUER]
                           [--connection NAME] [--body FILE] [--content-type TYPE] [--json] METHOD URL

Prints the policy decision (allow, review, deny), the rule that made it and the classified operation.
URL is a full URL (https://storage.googleapis.com/storage/v1/b/B/o/O) or a path (/storage/v1/b/B/o/O).
Exit code: 0 allow, 3 review, 4 deny, 2 usage error, 1 bad config or input.`;

export const EXIT = { allow: 0, review: 3, deny: 4 } as const;

/** The connection a request would use: a host match, else the longest matching path prefix. */
export function matchConnection(config: Config, host: string | undefined, path: string): ConnectionConfig | undefined {
  if (host) {
    const byHost = config.connections.find((c) => c.match.hosts.includes(host));
    if (byHost) return byHost;
  }
  let best: ConnectionConfig | undefined;
  let bestLen = -1;
  for (const c of config.connections) {
    for (const p of c.match.pathPrefixes) {
      if (path.startsWith(p) && p.length > bestLen) {
        best = c;
        bestLen = p.length;
      }
    }
  }
  return best;
}

export async function run(argv: string[]): Promise<number> {
  const out = (s: string) => process.stdout.write(s + '\n');
  const err = (s: string) => process.stderr.write(s + '\n');
  if (argv[0] !== 'test') {
    (argv[0] === '--help' || argv[0] === '-h' ? out : err)(USAGE);
    return argv[0] === '--help' || argv[0] === '-h' ? 0 : 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv.slice(1),
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        as: { type: 'string' },
        groups: { type: 'string', default: '' },
        issuer: { type: 'string', default: 'policy-test' },
        connection: { type: 'string' },
        body: { type: 'string' },
        'content-type': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    err(`tapegate policy test: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const v = parsed.values;
  if (v.help) {
    out(USAGE);
    return 0;
  }
  if (!v.config || !v.as || parsed.positionals.length !== 2) {
    err(`tapegate policy test: --config, --as, METHOD and URL are required\n\n${USAGE}`);
    return 2;
  }
  const method = parsed.positionals[0]!.toUpperCase();
  const rawUrl = parsed.positionals[1]!;
  let config: Config;
  try {
    config = loadConfig(v.config);
  } catch (e) {
    err(`tapegate policy test: ${(e as Error).message}`);
    return 1;
  }
  let host: string | undefined;
  let target = rawUrl;
  if (!rawUrl.startsWith('/')) {
    try {
      const u = new URL(rawUrl);
      host = u.host;
      target = u.pathname + u.search;
    } catch {
      err(`tapegate policy test: "${rawUrl}" is neither a URL nor a path starting with "/"`);
      return 2;
    }
  }
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? '' : target.slice(q + 1);
  const connection = v.connection ? config.connections.find((c) => c.name === v.connection) : matchConnection(config, host, path);
  if (!connection) {
    err(`tapegate policy test: no connection ${v.connection ? `named "${v.connection}"` : `matches ${path}`} in ${v.config}`);
    return 1;
  }
  const input: ClassifyInput = { method, path, query };
  if (v.body) {
    let body: Buffer;
    try {
      body = readFileSync(v.body);
    } catch (e) {
      err(`tapegate policy test: cannot read --body: ${(e as Error).message}`);
      return 1;
    }
    const need = classifyBodyNeeded(method, path, query);
    input.body = need > 0 ? body.subarray(0, need) : body;
    input.bodyComplete = body.length <= need || need === 0;
    if (v['content-type']) input.contentType = v['content-type'];
  }
  const identity: Identity = { subject: v.as, issuer: v.issuer!, groups: v.groups ? v.groups.split(',').map((g) => g.trim()).filter(Boolean) : [] };
  const classification = classifyGcpOperation(input);
  const result = compilePolicy(config.policy).decide({ identity, connection: connection.name, classification });
  const ruleLabel = result.ruleIndex >= 0 ? `${result.rule} (#${result.ruleIndex})` : 'default (no rule matched)';
  if (v.json) {
    out(
      JSON.stringify(
        {
          decision: result.action,
          rule: result.rule,
          ruleIndex: result.ruleIndex,
          ...(result.reason ? { reason: result.reason } : {}),
          decidedOn: result.item,
          connection: connection.name,
          identity,
          operation: classification.operation,
          resource: classification.resource,
          effect: classification.effect,
          items: classification.items,
          ...(classification.statements ? { statements: classification.statements } : {}),
          ...(classification.incomplete ? { incomplete: true } : {}),
        },
        null,
        2,
      ),
    );
  } else {
    const rows: Array<[string, string]> = [
      ['decision', result.action],
      ['rule', ruleLabel],
      ['operation', classification.operation],
      ['resource', classification.resource],
      ['effect', classification.effect],
      ['connection', connection.name],
    ];
    if (result.item.operation !== classification.operation || result.item.resource !== classification.resource) rows.push(['decided on', `${result.item.operation} ${result.item.resource}`]);
    if (classification.statements) rows.push(['statements', classification.statements.join(', ')]);
    if (classification.items.length > 1) rows.push(['items', classification.items.map((i) => `${i.operation} ${i.resource} (${i.effect})`).join('\n             ')]);
    if (result.reason) rows.push(['reason', result.reason]);
    for (const [k, val] of rows) out(`${k.padEnd(12)} ${val}`);
  }
  return EXIT[result.action];
}
