/**
 * `npm run bench:gate`: a short end-to-end run for CI. Measures direct and tapegate in the same run
 * (interleaved rounds, medians of per-round ratios) and exits 1 when a check in bench/gate.json
 * fails, 2 on a usage or config error. Peers are never needed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { repoRoot } from './child.js';
import { runE2E, type Row } from './e2e.js';
import { SCENARIO_IDS } from './scenarios.js';
import { ALL_TARGETS, type TargetName } from './targets.js';
import { machine, renderText } from './report.js';

/**
 * cpuUsPerExchange: the gateway process's CPU (user + system, all threads) per exchange, median of
 * the rounds. It moves far less with other load on the machine than throughput or p99 do (measured
 * the same within 10 % at load average 0.4 and 4), so it catches a regression that a noisy run hides.
 */
export const GATE_METRICS = ['throughputRatio', 'addedP50Ms', 'addedP99Ms', 'cpuUsPerExchange', 'errorCount', 'recordedMiB'] as const;
export type GateMetric = (typeof GATE_METRICS)[number];

export interface GateCheck {
  target: TargetName;
  metric: GateMetric;
  min?: number;
  max?: number;
  why?: string;
}

export interface GateConfig {
  scenario: string;
  targets: TargetName[];
  durationSec: number;
  warmupSec: number;
  repeat: number;
  checks: GateCheck[];
}

export interface CheckResult extends GateCheck {
  value: number | null;
  rounds: Array<number | null>;
  pass: boolean;
}

export function loadGateConfig(file: string): GateConfig {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<GateConfig>;
  const fail = (field: string, what: string): never => {
    throw new Error(`${path.basename(file)}: ${field}: expected ${what}`);
  };
  if (!raw.scenario || !SCENARIO_IDS.includes(raw.scenario)) fail('scenario', `one of ${SCENARIO_IDS.join(', ')}`);
  if (!Array.isArray(raw.targets) || !raw.targets.every((t) => (ALL_TARGETS as readonly string[]).includes(t))) {
    fail('targets', `a list of ${ALL_TARGETS.join(', ')} (CI should use only tapegate's: peers may be missing)`);
  }
  for (const k of ['durationSec', 'warmupSec', 'repeat'] as const) if (typeof raw[k] !== 'number' || raw[k]! < 0) fail(k, 'a non-negative number');
  if (!Array.isArray(raw.checks) || raw.checks.length === 0) fail('checks', 'a non-empty list');
  raw.checks!.forEach((c, i) => {
    if (!raw.targets!.includes(c.target)) fail(`checks[${i}].target`, `one of the gate's targets (${raw.targets!.join(', ')})`);
    if (!GATE_METRICS.includes(c.metric)) fail(`checks[${i}].metric`, `one of ${GATE_METRICS.join(', ')}`);
    if (typeof c.min !== 'number' && typeof c.max !== 'number') fail(`checks[${i}]`, 'a "min" or a "max"');
  });
  return raw as GateConfig;
}

function metricOf(row: Row, metric: GateMetric, recordedMiB: Partial<Record<TargetName, number>>): { value: number | null; rounds: Array<number | null> } {
  switch (metric) {
    case 'recordedMiB':
      return { value: recordedMiB[row.target] ?? null, rounds: [] };
    case 'throughputRatio':
      return { value: row.vsDirect.throughput, rounds: row.rounds.throughput };
    case 'addedP50Ms':
      return { value: row.vsDirect.addedP50Ms, rounds: row.rounds.addedP50Ms };
    case 'addedP99Ms':
      return { value: row.vsDirect.addedP99Ms, rounds: row.rounds.addedP99Ms };
    case 'cpuUsPerExchange':
      return { value: row.proxyCpuPer10k === null ? null : row.proxyCpuPer10k * 100, rounds: [] }; // s per 10k → µs per one
    case 'errorCount':
      return { value: row.errors + row.non2xx, rounds: [] };
  }
}

export function evaluate(cfg: GateConfig, rows: Row[], recordedMiB: Partial<Record<TargetName, number>> = {}): CheckResult[] {
  return cfg.checks.map((c) => {
    const row = rows.find((r) => r.scenario === cfg.scenario && r.target === c.target);
    const { value, rounds } = row ? metricOf(row, c.metric, recordedMiB) : { value: null, rounds: [] };
    const pass = value !== null && (c.min === undefined || value >= c.min) && (c.max === undefined || value <= c.max);
    return { ...c, value, rounds, pass };
  });
}

function fmt(x: number | null): string {
  return x === null ? 'n/a' : Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(3);
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', default: path.join(repoRoot, 'bench/gate.json') },
      repeat: { type: 'string' },
      duration: { type: 'string' },
      'json-out': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: npm run bench:gate -- [--config bench/gate.json] [--repeat N] [--duration SEC] [--json-out FILE]\n');
    return 0;
  }
  let cfg: GateConfig;
  try {
    cfg = loadGateConfig(values.config!);
    if (values.repeat) cfg.repeat = Number(values.repeat);
    if (values.duration) cfg.durationSec = Number(values.duration);
  } catch (err) {
    process.stderr.write(`bench:gate: ${(err as Error).message}\n`);
    return 2;
  }
  const log = (line: string): void => void process.stderr.write(`[gate] ${line}\n`);
  const m = machine();
  log(`${m.cpus} × ${m.cpuModel}, node ${m.node}, load average ${m.loadavgAtStart.join(' ')}`);
  const started = Date.now();
  const e2e = await runE2E({
    scenarios: [cfg.scenario],
    targets: ['direct', ...cfg.targets],
    durationMs: cfg.durationSec * 1000,
    warmupMs: cfg.warmupSec * 1000,
    repeat: Math.max(1, Math.round(cfg.repeat)),
    loadgen: 'net',
    bigBytes: 0,
    log,
  });
  const report = { startedAt: new Date(started).toISOString(), finishedAt: new Date().toISOString(), machine: m, options: { ...cfg }, e2e };
  process.stdout.write('\n' + renderText(report) + '\n\n');
  const results = evaluate(cfg, e2e.rows, e2e.recordedMiB);
  for (const r of results) {
    const bound = r.min !== undefined ? `≥ ${r.min}` : `≤ ${r.max}`;
    const rounds = r.rounds.length ? ` (rounds: ${r.rounds.map(fmt).join(', ')})` : '';
    process.stdout.write(`${r.pass ? 'PASS' : 'FAIL'}  ${r.target} ${r.metric} = ${fmt(r.value)} ${bound}${rounds}${r.value === null ? ' — not measured (see skipped lines above)' : ''}\n`);
  }
  if (values['json-out']) writeFileSync(values['json-out'], JSON.stringify({ ...report, checks: results }, null, 2) + '\n');
  const failed = results.filter((r) => !r.pass).length;
  process.stdout.write(`\nbench:gate: ${failed ? `${failed} of ${results.length} checks FAILED` : `all ${results.length} checks passed`} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return failed ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`bench:gate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
