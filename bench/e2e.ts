/**
 * The end-to-end runner: one fake upstream, every target in front of it, every scenario against
 * every target in the same run (interleaved when repeated), medians per metric, ratios vs direct.
 */
import { benchScript, startChild, waitReadyLine } from './child.js';
import { runLoad, type Latency, type LoadgenName } from './load.js';
import { ProcessMeter } from './procstat.js';
import { scenarios, type Scenario } from './scenarios.js';
import { isSkipped, startTarget, type RunningTarget, type SkippedTarget, type TargetName } from './targets.js';
import { runTransfer } from './transfer.js';

export interface E2EOptions {
  scenarios: string[];
  targets: TargetName[];
  durationMs: number;
  warmupMs: number;
  /** Samples per (scenario, target), interleaved across targets; medians are reported. */
  repeat: number;
  loadgen: LoadgenName;
  /** Size of the streamed download/upload scenarios. */
  bigBytes: number;
  log: (line: string) => void;
  /** Write V8 CPU profiles of the tapegate processes here (one per target, on exit). */
  cpuProfDir?: string;
}

export interface Row extends Sample {
  scenario: string;
  title: string;
  kind: 'load' | 'transfer';
  target: TargetName;
  samples: number;
  /**
   * Ratios vs the direct row of the same scenario. With several samples, the median of per-sample
   * ratios (each target sample against the direct sample of the same round), which cancels slow
   * drifts of a shared machine better than a ratio of medians.
   */
  vsDirect: { throughput: number | null; addedP50Ms: number | null; addedP99Ms: number | null };
  /** Per-round values behind vsDirect (empty with one sample). */
  rounds: { throughput: Array<number | null>; addedP50Ms: Array<number | null>; addedP99Ms: Array<number | null> };
}

export interface E2EResult {
  /** Each target that ran, with what it is (versions, settings). */
  targets: Array<{ name: TargetName; note: string }>;
  rows: Row[];
  skipped: SkippedTarget[];
  notes: string[];
  /** What each tapegate target wrote to its data dir during the run (MiB). */
  recordedMiB: Partial<Record<TargetName, number>>;
}

/** One measurement of one target in one scenario. */
export interface Sample {
  /** load: 2xx responses/s; transfer: null. */
  rps: number | null;
  /** Response body bytes/s (load) or payload bytes/s (transfer). */
  bytesPerSec: number;
  /** load: request latency; transfer: null (see ttfbMs). */
  latencyMs: Latency | null;
  ttfbMs: number | null;
  errors: number;
  non2xx: number;
  firstError?: string;
  /** CPU seconds of the proxy process tree per 10 000 exchanges (load) or per GiB (transfer). */
  proxyCpuPer10k: number | null;
  /**
   * Node proxies (tapegate, the floors, http-proxy): CPU seconds of the main thread alone (the event
   * loop, the part that cannot use a second core) per 10 000 exchanges; null for others.
   */
  proxyLoopCpuPer10k: number | null;
  proxyCpuPerGiB: number | null;
  proxyPeakRssMiB: number | null;
  loadgenCpuPer10k: number | null;
}

export function median(xs: Array<number | null | undefined>): number | null {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

const GiB = 1024 ** 3;
let chunkedUploadSeen = false;

async function measure(s: Scenario, t: RunningTarget, o: E2EOptions): Promise<Sample> {
  const meter = t.pid !== null ? new ProcessMeter(t.pid) : null;
  if (s.kind === 'load') {
    // wrk drives single-path GETs only; other scenarios fall back to the default generator.
    const loadgen = o.loadgen === 'wrk' && (s.requests.length !== 1 || s.requests[0]!.method !== 'GET') ? 'net' : o.loadgen;
    // The meter starts after warm-up so CPU and RSS cover the measured window only.
    const r = await runLoad(loadgen, {
      origin: t.origin,
      connections: s.connections,
      durationMs: o.durationMs,
      warmupMs: o.warmupMs,
      requests: s.requests,
      headers: t.headers,
      onMeasureStart: () => meter?.start(),
    });
    const m = meter?.stop();
    const n = r.requests || NaN;
    return {
      rps: r.rps,
      bytesPerSec: r.bytesPerSec,
      latencyMs: r.latencyMs,
      ttfbMs: null,
      errors: r.errors,
      non2xx: r.non2xx,
      firstError: r.firstError,
      proxyCpuPer10k: m ? (m.cpuSeconds / n) * 1e4 : null,
      proxyLoopCpuPer10k: m && t.nodeEventLoop ? (m.mainThreadCpuSeconds / n) * 1e4 : null,
      proxyCpuPerGiB: null,
      proxyPeakRssMiB: m ? m.peakRssMiB : null,
      loadgenCpuPer10k: (r.loadgenCpuSeconds / n) * 1e4,
    };
  }
  meter?.start();
  const r = await runTransfer(t.origin, s.direction, o.bigBytes, t.headers);
  if (r.chunked) chunkedUploadSeen = true;
  const m = meter?.stop();
  return {
    rps: null,
    bytesPerSec: r.bytesPerSec,
    latencyMs: null,
    ttfbMs: r.ttfbMs,
    errors: r.error ? 1 : 0,
    non2xx: r.status >= 200 && r.status < 300 ? 0 : 1,
    firstError: r.error,
    proxyCpuPer10k: null,
    proxyLoopCpuPer10k: null,
    proxyCpuPerGiB: m ? m.cpuSeconds / (o.bigBytes / GiB) : null,
    proxyPeakRssMiB: m ? m.peakRssMiB : null,
    loadgenCpuPer10k: null,
  };
}

function aggregate(s: Scenario, target: TargetName, samples: Sample[]): Row {
  const lat = samples.map((x) => x.latencyMs).filter((x): x is Latency => x !== null);
  return {
    scenario: s.id,
    title: s.title,
    kind: s.kind,
    target,
    samples: samples.length,
    rps: s.kind === 'load' ? median(samples.map((x) => x.rps)) : null,
    bytesPerSec: median(samples.map((x) => x.bytesPerSec)) ?? NaN,
    latencyMs: lat.length
      ? {
          p50: median(lat.map((l) => l.p50)) ?? NaN,
          p90: median(lat.map((l) => l.p90)) ?? NaN,
          p99: median(lat.map((l) => l.p99)) ?? NaN,
          p999: median(lat.map((l) => l.p999)),
          mean: median(lat.map((l) => l.mean)) ?? NaN,
          max: Math.max(...lat.map((l) => l.max)),
        }
      : null,
    ttfbMs: median(samples.map((x) => x.ttfbMs)),
    errors: samples.reduce((a, x) => a + x.errors, 0),
    non2xx: samples.reduce((a, x) => a + x.non2xx, 0),
    firstError: samples.find((x) => x.firstError)?.firstError,
    proxyCpuPer10k: median(samples.map((x) => x.proxyCpuPer10k)),
    proxyLoopCpuPer10k: median(samples.map((x) => x.proxyLoopCpuPer10k)),
    proxyCpuPerGiB: median(samples.map((x) => x.proxyCpuPerGiB)),
    proxyPeakRssMiB: samples.some((x) => x.proxyPeakRssMiB !== null) ? Math.max(...samples.map((x) => x.proxyPeakRssMiB ?? 0)) : null,
    loadgenCpuPer10k: median(samples.map((x) => x.loadgenCpuPer10k)),
    vsDirect: { throughput: null, addedP50Ms: null, addedP99Ms: null },
    rounds: { throughput: [], addedP50Ms: [], addedP99Ms: [] },
  };
}

function sampleRatios(t: Sample, d: Sample): { throughput: number | null; addedP50Ms: number | null; addedP99Ms: number | null } {
  const thr = t.rps !== null && d.rps !== null ? t.rps / d.rps : t.bytesPerSec / d.bytesPerSec;
  return {
    throughput: Number.isFinite(thr) ? thr : null,
    addedP50Ms: t.latencyMs && d.latencyMs ? t.latencyMs.p50 - d.latencyMs.p50 : null,
    addedP99Ms: t.latencyMs && d.latencyMs ? t.latencyMs.p99 - d.latencyMs.p99 : null,
  };
}

/** Per-round ratios from samples taken in the same round (same index) as direct's. */
function addRoundRatios(row: Row, samples: Sample[], direct: Sample[] | undefined): void {
  if (!direct || samples.length < 2 || samples.length !== direct.length) return;
  const rs = samples.map((x, i) => sampleRatios(x, direct[i]!));
  row.rounds = { throughput: rs.map((r) => r.throughput), addedP50Ms: rs.map((r) => r.addedP50Ms), addedP99Ms: rs.map((r) => r.addedP99Ms) };
}

/** Fills vsDirect from the direct row of the same scenario. */
export function addRatios(rows: Row[]): void {
  for (const r of rows) {
    const d = rows.find((x) => x.scenario === r.scenario && x.target === 'direct');
    if (!d) continue;
    if (r.rounds.throughput.length > 1) {
      r.vsDirect = { throughput: median(r.rounds.throughput), addedP50Ms: median(r.rounds.addedP50Ms), addedP99Ms: median(r.rounds.addedP99Ms) };
      continue;
    }
    const thr = r.kind === 'load' ? (r.rps ?? NaN) / (d.rps ?? NaN) : r.bytesPerSec / d.bytesPerSec;
    r.vsDirect = {
      throughput: Number.isFinite(thr) ? thr : null,
      addedP50Ms: r.latencyMs && d.latencyMs ? r.latencyMs.p50 - d.latencyMs.p50 : null,
      addedP99Ms: r.latencyMs && d.latencyMs ? r.latencyMs.p99 - d.latencyMs.p99 : null,
    };
  }
}

export async function runE2E(o: E2EOptions): Promise<E2EResult> {
  const all = scenarios().filter((s) => o.scenarios.includes(s.id));
  const skipped: SkippedTarget[] = [];
  const notes: string[] = [];
  const rows: Row[] = [];
  const running: RunningTarget[] = [];
  const up = benchScript('upstream');
  const upstream = startChild(up.command, up.args);
  try {
    const { port } = await waitReadyLine<{ port: number }>(upstream);
    o.log(`upstream (fake Cloud Storage, uWS) on 127.0.0.1:${port}`);
    const targets: TargetName[] = o.targets.includes('direct') ? o.targets : ['direct', ...o.targets];
    for (const name of targets) {
      try {
        const t = await startTarget(name, port, { cpuProfDir: o.cpuProfDir });
        if (isSkipped(t)) {
          skipped.push(t);
          o.log(`skipped ${t.name}: ${t.reason}`);
        } else {
          running.push(t);
          o.log(`started ${t.name} at ${t.origin}${t.pid !== null ? ` (pid ${t.pid})` : ''}${t.note ? ` — ${t.note}` : ''}`);
        }
      } catch (err) {
        skipped.push({ name, reason: `failed to start: ${(err as Error).message.split('\n').slice(0, 6).join(' | ')}` });
        o.log(`skipped ${name}: failed to start: ${(err as Error).message}`);
      }
    }
    // Same request bytes for every target: the gateway's token goes to direct and the peers too
    // (agents send a bearer token to Google as well).
    const authorization = running.find((t) => t.headers.authorization)?.headers.authorization;
    if (authorization) for (const t of running) t.headers.authorization ??= authorization;
    if (o.loadgen === 'wrk') notes.push('--loadgen wrk: scenarios other than single-path GETs ran with the net generator');
    for (const s of all) {
      const samples = new Map<TargetName, Sample[]>();
      for (let rep = 0; rep < o.repeat; rep++) {
        for (const t of running) {
          if (s.kind === 'transfer' && o.bigBytes > t.maxTransferBytes) {
            if (rep === 0) notes.push(`${s.id}: ${t.name} not run at ${o.bigBytes} bytes (it holds whole bodies in memory; limit ${t.maxTransferBytes} bytes, use --big-size)`);
            continue;
          }
          o.log(`${s.id} → ${t.name}${o.repeat > 1 ? ` (${rep + 1}/${o.repeat})` : ''}`);
          const sample = await measure(s, t, o);
          if (sample.errors || sample.non2xx) o.log(`  ${sample.errors} errors, ${sample.non2xx} non-2xx${sample.firstError ? `: ${sample.firstError}` : ''}`);
          const list = samples.get(t.name) ?? [];
          list.push(sample);
          samples.set(t.name, list);
        }
      }
      for (const [target, list] of samples) {
        const row = aggregate(s, target, list);
        addRoundRatios(row, list, samples.get('direct'));
        rows.push(row);
      }
    }
    addRatios(rows);
    if (chunkedUploadSeen) {
      notes.push('uploads of 1e9 bytes or more are sent chunked: uWebSockets.js v20.30 (the upstream and tapegate) resets a connection whose Content-Length has 10 digits');
      chunkedUploadSeen = false;
    }
    const recordedMiB: Partial<Record<TargetName, number>> = {};
    for (const t of running) {
      if (!t.recordedBytes) continue;
      const mib = t.recordedBytes() / 1024 ** 2;
      recordedMiB[t.name] = mib;
      const line =
        t.recordsBodies && mib === 0
          ? `${t.name}: WARNING nothing recorded in its data dir during the run: recording was not active, so these are the numbers of a proxy that records nothing`
          : `${t.name}: ${mib.toFixed(1)} MiB recorded in its data dir during the run`;
      notes.push(line);
      o.log(line);
    }
    return { targets: running.map((t) => ({ name: t.name, note: t.note ?? '' })), rows, skipped, notes, recordedMiB };
  } finally {
    for (const t of running) await t.stop().catch(() => undefined);
    await upstream.stop();
  }
}
