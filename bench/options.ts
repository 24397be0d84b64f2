/** Command-line flags shared by `npm run bench` and `npm run bench:gate` (node:util parseArgs). */
import { parseArgs } from 'node:util';
import { SCENARIO_IDS } from './scenarios.js';
import { ALL_TARGETS, type TargetName } from './targets.js';
import type { LoadgenName } from './load.js';

export const USAGE = `usage: npm run bench -- [options]

  --quick               short run: 2 s per cell after 0.5 s warm-up, 64 MiB transfers, short micro runs
  --only LIST           scenarios and/or micro suites, comma-separated (default: all)
                        scenarios: ${SCENARIO_IDS.join(', ')}
                        micro suites: crc32c, zstd, sha256, record, policy, classify, jwt
  --targets LIST        targets (default: all): ${ALL_TARGETS.join(', ')}
  --duration SEC        measured seconds per cell (default 10; --quick 2)
  --warmup SEC          warm-up seconds per cell (default 2; --quick 0.5)
  --repeat N            interleaved samples per cell, medians reported (default 1)
  --big-size SIZE       streamed transfer size, e.g. 1GiB, 256MiB (default 1GiB; --quick 64MiB)
  --loadgen NAME        net (default: raw HTTP/1.1 on node:net) | undici | autocannon | wrk (single-GET only)
  --no-e2e | --no-micro skip a part
  --write-md            also write bench/RESULTS.md from this run
  --cpu-prof            write a V8 CPU profile of each tapegate process to bench/results/cpuprof-<time>/
  --json-out FILE       write the JSON report here instead of bench/results/<timestamp>.json
  -h, --help`;

export interface BenchOptions {
  quick: boolean;
  scenarios: string[];
  micro: string[];
  targets: TargetName[];
  durationMs: number;
  warmupMs: number;
  repeat: number;
  bigBytes: number;
  loadgen: LoadgenName;
  e2e: boolean;
  runMicro: boolean;
  writeMd: boolean;
  cpuProf: boolean;
  jsonOut?: string;
  help: boolean;
}

export const MICRO_SUITES = ['crc32c', 'zstd', 'sha256', 'record', 'policy', 'classify', 'jwt'];

export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kib|mib|gib|kb|mb|gb|k|m|g)?$/i.exec(s.trim());
  if (!m) throw new Error(`--big-size: expected a size like 1GiB or 256MiB, got "${s}"`);
  const mult: Record<string, number> = { b: 1, k: 1024, kib: 1024, kb: 1000, m: 1024 ** 2, mib: 1024 ** 2, mb: 1e6, g: 1024 ** 3, gib: 1024 ** 3, gb: 1e9 };
  return Math.round(Number(m[1]) * mult[(m[2] ?? 'b').toLowerCase()]!);
}

function list(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : v.split(',').map((x) => x.trim()).filter(Boolean);
}

export function parseBenchArgs(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      targets: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      repeat: { type: 'string' },
      'big-size': { type: 'string' },
      loadgen: { type: 'string' },
      'no-e2e': { type: 'boolean', default: false },
      'no-micro': { type: 'boolean', default: false },
      'write-md': { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      'json-out': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const quick = values.quick ?? false;
  const only = list(values.only);
  for (const x of only ?? []) {
    if (!SCENARIO_IDS.includes(x) && !MICRO_SUITES.includes(x)) throw new Error(`--only: unknown scenario or micro suite "${x}" (see --help)`);
  }
  const targets = (list(values.targets) ?? [...ALL_TARGETS]) as TargetName[];
  for (const t of targets) if (!(ALL_TARGETS as readonly string[]).includes(t)) throw new Error(`--targets: unknown target "${t}" (expected ${ALL_TARGETS.join(', ')})`);
  const loadgen = (values.loadgen ?? 'net') as LoadgenName;
  if (!['net', 'undici', 'autocannon', 'wrk'].includes(loadgen)) throw new Error(`--loadgen: expected net, undici, autocannon or wrk, got "${loadgen}"`);
  const num = (name: string, v: string | undefined, dflt: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name}: expected a non-negative number, got "${v}"`);
    return n;
  };
  const scenariosOnly = only?.filter((x) => SCENARIO_IDS.includes(x));
  const microOnly = only?.filter((x) => MICRO_SUITES.includes(x));
  return {
    quick,
    scenarios: only ? (scenariosOnly ?? []) : SCENARIO_IDS,
    micro: only ? (microOnly ?? []) : MICRO_SUITES,
    targets,
    durationMs: num('duration', values.duration, quick ? 2 : 10) * 1000,
    warmupMs: num('warmup', values.warmup, quick ? 0.5 : 2) * 1000,
    repeat: Math.max(1, Math.round(num('repeat', values.repeat, 1))),
    bigBytes: values['big-size'] ? parseSize(values['big-size']) : quick ? 64 * 1024 ** 2 : 1024 ** 3,
    loadgen,
    e2e: !values['no-e2e'],
    runMicro: !values['no-micro'],
    writeMd: values['write-md'] ?? false,
    cpuProf: values['cpu-prof'] ?? false,
    jsonOut: values['json-out'],
    help: values.help ?? false,
  };
}
