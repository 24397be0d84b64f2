/**
 * `npm run bench`: the end-to-end scenarios against every target, then the micro suites; prints
 * tables, writes bench/results/<timestamp>.json and, with --write-md, bench/RESULTS.md.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './child.js';
import { runE2E } from './e2e.js';
import { runMicro } from './micro.js';
import { USAGE, parseBenchArgs } from './options.js';
import { machine, renderMarkdown, renderText, writeJson, type BenchReport } from './report.js';

async function main(argv: string[]): Promise<number> {
  let opts;
  try {
    opts = parseBenchArgs(argv);
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    finishedAt: '',
    machine: machine(),
    options: {
      quick: opts.quick,
      scenarios: opts.scenarios,
      micro: opts.micro,
      targets: opts.targets,
      durationSec: opts.durationMs / 1000,
      warmupSec: opts.warmupMs / 1000,
      repeat: opts.repeat,
      bigBytes: opts.bigBytes,
      loadgen: opts.loadgen,
    },
  };
  log(`machine: ${report.machine.cpus} × ${report.machine.cpuModel}, node ${report.machine.node}, load average ${report.machine.loadavgAtStart.join(' ')}`);
  const cpuProfDir = opts.cpuProf ? path.join(repoRoot, 'bench/results', `cpuprof-${report.startedAt.replace(/[:.]/g, '-')}`) : undefined;
  if (opts.e2e && opts.scenarios.length) {
    report.e2e = await runE2E({
      cpuProfDir,
      scenarios: opts.scenarios,
      targets: opts.targets,
      durationMs: opts.durationMs,
      warmupMs: opts.warmupMs,
      repeat: opts.repeat,
      loadgen: opts.loadgen,
      bigBytes: opts.bigBytes,
      log,
    });
  }
  if (cpuProfDir) log(`CPU profiles: ${path.relative(process.cwd(), cpuProfDir)} (open in Chrome DevTools or speedscope)`);
  if (opts.runMicro && opts.micro.length) report.micro = await runMicro({ suites: opts.micro, quick: opts.quick, log });
  report.finishedAt = new Date().toISOString();
  process.stdout.write('\n' + renderText(report) + '\n\n');
  const jsonFile = opts.jsonOut ?? writeJson(report);
  if (opts.jsonOut) writeFileSync(opts.jsonOut, JSON.stringify(report, null, 2) + '\n');
  log(`JSON: ${path.relative(process.cwd(), jsonFile) || jsonFile}`);
  if (opts.writeMd) {
    const md = path.join(repoRoot, 'bench/RESULTS.md');
    writeFileSync(md, renderMarkdown(report, `npm run bench -- ${argv.join(' ')}`.trim()));
    log(`wrote ${path.relative(process.cwd(), md)}`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
