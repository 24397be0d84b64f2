/** Output of a bench run: the terminal tables, the JSON file and bench/RESULTS.md. */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './child.js';
import type { E2EResult, Row } from './e2e.js';
import type { MicroResult } from './micro.js';

export interface Machine {
  cpus: number;
  cpuModel: string;
  node: string;
  os: string;
  memGiB: number;
  loadavgAtStart: number[];
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    memGiB: Math.round(os.totalmem() / 1024 ** 3),
    loadavgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  options: Record<string, unknown>;
  e2e?: E2EResult;
  micro?: MicroResult;
}

const f = (x: number | null | undefined, digits = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));
const signed = (x: number | null | undefined, digits = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : (x >= 0 ? '+' : '') + x.toFixed(digits));
const int = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : Math.round(x).toLocaleString('en-US'));
const ratio = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : `${x.toFixed(3)}×`);
const mbs = (bytesPerSec: number | null | undefined): string => f(bytesPerSec === null || bytesPerSec === undefined ? null : bytesPerSec / 1e6, 0);

/** `left`: how many leading columns are text (left-aligned). */
type Table = { head: string[]; rows: string[][]; left?: number };

function loadTable(rows: Row[]): Table {
  return {
    head: ['scenario', 'target', 'req/s', '× direct', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', '+p50 ms', '+p99 ms', 'peak RSS MiB', 'CPU s/10k', 'loop CPU s/10k', 'errors'],
    rows: rows
      .filter((r) => r.kind === 'load')
      .map((r) => [
        r.scenario,
        r.target,
        int(r.rps),
        r.target === 'direct' ? '1' : ratio(r.vsDirect.throughput),
        f(r.latencyMs?.p50, 3),
        f(r.latencyMs?.p90, 3),
        f(r.latencyMs?.p99, 3),
        f(r.latencyMs?.p999, 3),
        r.target === 'direct' ? '' : signed(r.vsDirect.addedP50Ms, 3),
        r.target === 'direct' ? '' : signed(r.vsDirect.addedP99Ms, 3),
        f(r.proxyPeakRssMiB, 0),
        f(r.proxyCpuPer10k, 3),
        f(r.proxyLoopCpuPer10k, 3),
        r.errors || r.non2xx ? `${r.errors}/${r.non2xx}` : '0',
      ]),
  };
}

function transferTable(rows: Row[]): Table {
  return {
    head: ['scenario', 'target', 'MB/s', '× direct', 'TTFB ms', 'peak RSS MiB', 'CPU s/GiB', 'errors'],
    rows: rows
      .filter((r) => r.kind === 'transfer')
      .map((r) => [
        r.scenario,
        r.target,
        mbs(r.bytesPerSec),
        r.target === 'direct' ? '1' : ratio(r.vsDirect.throughput),
        f(r.ttfbMs, 1),
        f(r.proxyPeakRssMiB, 0),
        f(r.proxyCpuPerGiB, 2),
        r.errors || r.non2xx ? `${r.errors}/${r.non2xx}${r.firstError ? ` (${r.firstError})` : ''}` : '0',
      ]),
  };
}

function microTable(m: MicroResult): Table {
  return {
    left: 3,
    head: ['suite', 'case', 'what', 'ops/s', 'MB/s', 'mean µs', 'p99 µs', '± %'],
    rows: m.rows.map((r) => [r.suite, r.name, r.baseline ? 'library baseline' : 'tapegate', int(r.opsPerSec), r.mbPerSec === null ? '' : f(r.mbPerSec, 0), f(r.meanUs, 2), f(r.p99Us, 2), f(r.rmePct, 1)]),
  };
}

function textTable(t: Table): string {
  const widths = t.head.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < (t.left ?? 2) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(t.head), widths.map((w) => '─'.repeat(w)).join('  '), ...t.rows.map(line)].join('\n');
}

function mdTable(t: Table): string {
  const esc = (c: string): string => c.replace(/\|/g, '\\|');
  return [`| ${t.head.join(' | ')} |`, `|${t.head.map((_, i) => (i < (t.left ?? 2) ? ' --- ' : ' ---: ')).join('|')}|`, ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

const pct = (x: number): string => `${(x * 100).toFixed(0)}%`;

/** The numbers the issues set targets for, computed from this run (only those it measured). */
export function headline(r: BenchReport): string[] {
  const rows = r.e2e?.rows ?? [];
  const get = (scenario: string, target: string): Row | undefined => rows.find((x) => x.scenario === scenario && x.target === target);
  const out: string[] = [];
  const ratioOf = (scenario: string, target: string): number | null => get(scenario, target)?.vsDirect.throughput ?? null;
  const sc = '1kb-50';
  const peers = (['nginx', 'http-proxy', 'mitmdump'] as const).filter((p) => ratioOf(sc, p) !== null).map((p) => `${p} ${ratio(ratioOf(sc, p))}`);
  for (const t of ['tapegate-off', 'tapegate-full-async', 'tapegate-full-sync']) {
    const x = ratioOf(sc, t);
    if (x === null) continue;
    const row = get(sc, t)!;
    out.push(`${sc}: ${t} at ${ratio(x)} direct throughput, +${f(row.vsDirect.addedP99Ms, 2)} ms p99${peers.length ? ` (peers: ${peers.join(', ')})` : ''}; target: at or above nginx's ratio`);
  }
  const floors = (['floor-uws-undici', 'floor-uws-net'] as const).filter((p) => ratioOf(sc, p) !== null);
  if (floors.length) {
    const cpu = (t: string): string => (get(sc, t)?.proxyCpuPer10k == null ? '' : `, ${f(get(sc, t)!.proxyCpuPer10k, 2)} CPU s/10k`);
    out.push(`${sc}: floors (thinnest uWS forwarders, the best this stack reaches here): ${floors.map((p) => `${p} ${ratio(ratioOf(sc, p))}${cpu(p)}`).join('; ')}`);
  }
  // The recording floors against the undici floor: the least recording every byte costs on this stack.
  const plain = get(sc, 'floor-uws-undici');
  for (const t of ['floor-rec-async', 'floor-rec-sync'] as const) {
    const row = get(sc, t);
    if (!plain?.rps || !row?.rps || r.e2e?.recordedMiB[t] === 0) continue;
    const us = (a: number | null | undefined, b: number | null | undefined): string => (a == null || b == null ? '?' : f((a - b) * 100, 1));
    out.push(
      `${sc}: recording floor (${t} vs floor-uws-undici, the cheapest recorder that loses nothing) costs ${pct(1 - row.rps / plain.rps)} of throughput, +${us(row.proxyLoopCpuPer10k, plain.proxyLoopCpuPer10k)} µs event-loop CPU and +${us(row.proxyCpuPer10k, plain.proxyCpuPer10k)} µs CPU (all threads) per exchange`,
    );
  }
  const off = get(sc, 'tapegate-off')?.rps;
  for (const t of ['tapegate-full-async', 'tapegate-full-sync']) {
    const rec = get(sc, t)?.rps;
    const recorded = r.e2e?.recordedMiB[t as keyof E2EResult['recordedMiB']];
    if (off && rec && recorded !== 0) out.push(`${sc}: recording (${t.replace('tapegate-', '')}) costs ${pct(1 - rec / off)} of throughput vs recording off; target: under 15%`);
  }
  // The same cost counted on the event loop: what a saturated loop loses when the load generator and
  // upstream are not on the gateway's cores (here they are, and queue behind the writer thread).
  const loopOff = get(sc, 'tapegate-off')?.proxyLoopCpuPer10k;
  for (const t of ['tapegate-full-async', 'tapegate-full-sync']) {
    const loop = get(sc, t)?.proxyLoopCpuPer10k;
    if (!loopOff || !loop || r.e2e?.recordedMiB[t as keyof E2EResult['recordedMiB']] === 0) continue;
    out.push(
      `${sc}: recording (${t.replace('tapegate-', '')}) adds ${f((loop - loopOff) * 100, 1)} µs of event-loop CPU per exchange (off ${f(loopOff * 100, 1)} µs → ${f(loop * 100, 1)} µs): ${pct(1 - loopOff / loop)} fewer exchanges per saturated event loop`,
    );
  }
  const zstdRow = r.micro?.rows.find((m) => m.baseline && m.suite === 'zstd');
  for (const s of ['download-1g', 'upload-1g']) {
    for (const t of ['tapegate-full-async', 'tapegate-full-sync']) {
      const row = get(s, t);
      if (!row || !Number.isFinite(row.bytesPerSec) || r.e2e?.recordedMiB[t as keyof E2EResult['recordedMiB']] === 0) continue;
      const vsZstd = zstdRow?.mbPerSec ? ` = ${pct(row.bytesPerSec / 1e6 / zstdRow.mbPerSec)} of zstd-napi level 1 on one core (${f(zstdRow.mbPerSec, 0)} MB/s); target: at least 80%` : ' (run the zstd micro suite in the same run to compare with zstd-napi level 1)';
      out.push(`${s}: ${t} streams ${mbs(row.bytesPerSec)} MB/s with recording${vsZstd}`);
    }
  }
  const notRecording = Object.entries(r.e2e?.recordedMiB ?? {}).filter(([t, mib]) => t !== 'tapegate-off' && mib === 0).map(([t]) => t);
  if (notRecording.length) out.push(`WARNING: ${notRecording.join(', ')} recorded nothing in this run: their numbers are not those of a recording gateway`);
  return out;
}

export function renderText(r: BenchReport): string {
  const out: string[] = [];
  const h = headline(r);
  if (r.e2e) {
    const lt = loadTable(r.e2e.rows);
    if (lt.rows.length) out.push(textTable(lt));
    const tt = transferTable(r.e2e.rows);
    if (tt.rows.length) out.push(textTable(tt));
    const extra = [...r.e2e.skipped.map((s) => `skipped ${s.name}: ${s.reason}`), ...r.e2e.notes.map((n) => `note: ${n}`)];
    if (extra.length) out.push(extra.join('\n'));
  }
  if (r.micro) {
    if (r.micro.rows.length) out.push(textTable(microTable(r.micro)));

    const extra = [...r.micro.skipped.map((s) => `skipped micro suite ${s}`), ...(r.micro.notes ?? []).map((n) => `note: ${n}`)];
    if (extra.length) out.push(extra.join('\n'));
  }
  if (h.length) out.push(['headline:', ...h.map((l) => `  ${l}`)].join('\n'));
  return out.join('\n\n');
}

export function writeJson(r: BenchReport, dir = path.join(repoRoot, 'bench/results')): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${r.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(r, null, 2) + '\n');
  return file;
}

export function renderMarkdown(r: BenchReport, command: string): string {
  const m = r.machine;
  const out: string[] = [
    '# tapegate benchmark results',
    '',
    `Measured ${r.startedAt} with \`${command}\` (see the README section "Benchmarks" for how to run and what each number means).`,
    '',
    `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memGiB} GiB RAM, ${m.os}, Node ${m.node}; load average at start ${m.loadavgAtStart.join(' / ')}.`,
    `Load generator: ${String(r.options.loadgen ?? 'net')}, on the same machine (it shares the cores with the upstream and the proxy).`,
    '',
  ];
  if (m.loadavgAtStart[0]! > m.cpus * 0.25) {
    out.push(`> **Noisy machine**: the load average was ${m.loadavgAtStart[0]} on ${m.cpus} cores when this run started (other work was running). Treat these numbers as a check that the harness works, not as measurements.`, '');
  }
  const h = headline(r);
  if (h.length) out.push('## Headline', '', ...h.map((l) => `- ${l}`), '');
  if (r.e2e?.targets.length) {
    out.push('## Targets', '', ...r.e2e.targets.map((t) => `- \`${t.name}\`${t.note ? `: ${t.note}` : ''}`), '');
  }
  if (r.e2e) {
    const lt = loadTable(r.e2e.rows);
    const durations = `${String(r.options.durationSec)} s measured after ${String(r.options.warmupSec)} s warm-up, ${String(r.options.repeat)} interleaved sample(s) per cell, medians`;
    if (lt.rows.length) {
      out.push('## End to end: request/response scenarios', '', `${durations}.`, '', mdTable(lt), '');
      const titles = [...new Map(r.e2e.rows.map((x) => [x.scenario, x.title])).entries()];
      out.push(...titles.map(([id, t]) => `- \`${id}\`: ${t}`), '');
    }
    const tt = transferTable(r.e2e.rows);
    if (tt.rows.length) out.push('## End to end: streamed transfers', '', `${(Number(r.options.bigBytes) / 1024 ** 2).toFixed(0)} MiB on one connection.`, '', mdTable(tt), '');
    const extra = [...r.e2e.skipped.map((s) => `- skipped ${s.name}: ${s.reason}`), ...r.e2e.notes.map((n) => `- ${n}`)];
    if (extra.length) out.push(...extra, '');
  }
  if (r.micro) {
    out.push('## Micro benchmarks (tinybench)', '', mdTable(microTable(r.micro)), '');
    const extra = [...r.micro.skipped.map((s) => `- skipped: ${s}`), ...(r.micro.notes ?? []).map((n) => `- ${n}`)];
    if (extra.length) out.push(...extra, '');
  }
  out.push(
    '## Reading the numbers',
    '',
    '- `× direct`: throughput through the target divided by throughput straight to the upstream, same scenario, same run. The headline.',
    '- `+p50 ms`, `+p99 ms`: latency the target adds over direct at that percentile (closed loop: at high connection counts this mostly reflects lost throughput).',
    '- `peak RSS MiB`: largest resident set of the proxy process tree during the measured window (VmHWM, reset per scenario).',
    '- `CPU s/10k`: user+system CPU seconds the proxy process tree spent per 10 000 exchanges (from /proc/<pid>/stat); `CPU s/GiB` per GiB streamed.',
    "- `loop CPU s/10k`: the same for the main thread alone of a Node proxy (tapegate, the floors, http-proxy): its event loop, the one part that cannot spread over cores. When it is saturated, its CPU per exchange sets the proxy's throughput.",
    '- `errors`: transport errors / non-2xx responses in the measured window; a row with errors is not a valid measurement.',
    '',
  );
  return out.join('\n');
}
