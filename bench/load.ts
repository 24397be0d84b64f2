/**
 * Closed-loop HTTP/1.1 load generators: N keep-alive connections, each sending its next request as
 * soon as the previous response ends, for a fixed time after a warm-up. Latencies in nanoseconds
 * into a native histogram (perf_hooks) for the Node generators.
 *
 * - `net` (default, bench/netload.ts): raw HTTP/1.1 on node:net, requests encoded once, one read
 *   buffer per connection. Measured here against the uWS upstream at 50 connections: about 4-5 µs
 *   of CPU per request, against 9-10 for `undici`, 10-12 for `autocannon` and 2.5-3.5 for wrk; it
 *   shares 2 cores with the upstream and the proxy, so the lightest client keeps ratios honest.
 * - `undici`: one undici Client per connection driven through dispatch() with a reused legacy
 *   handler object (raw headers, no promise per request).
 * - `autocannon`: the programmatic API; for cross-checks only. Its latency histogram has 1 ms
 *   resolution, too coarse for sub-millisecond loopback latencies.
 * - `wrk`: the C tool as a child process, single-path GET scenarios; a cross-check that the Node
 *   generator is not the bottleneck (no p99.9: wrk prints up to p99).
 */
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import { Client, type Dispatcher } from 'undici';
import autocannon from 'autocannon';
import { cpuSeconds } from './procstat.js';
import { runNetLoad } from './netload.js';

export interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  body?: Buffer;
  headers?: Record<string, string>;
}

export type LoadgenName = 'net' | 'undici' | 'autocannon' | 'wrk';

export interface LoadOptions {
  origin: string;
  connections: number;
  durationMs: number;
  warmupMs: number;
  /** Each connection cycles through these, starting at its own index so the mix is even. */
  requests: RequestSpec[];
  /** Sent with every request (e.g. an Authorization header for the gateway). */
  headers?: Record<string, string>;
  /** Stop early after this many measured responses (tests). */
  maxRequests?: number;
  /** Called when warm-up ends and the measured window begins (to start CPU/RSS meters). */
  onMeasureStart?: () => void;
}

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  p999: number | null;
  mean: number;
  max: number;
}

export interface LoadResult {
  loadgen: LoadgenName;
  /** Responses completed in the measured window (any status). */
  requests: number;
  non2xx: number;
  errors: number;
  firstError?: string;
  elapsedSec: number;
  /** 2xx responses per second. */
  rps: number;
  /** Response body bytes per second. */
  bytesPerSec: number;
  /** Milliseconds. */
  latencyMs: Latency;
  /** CPU seconds the load generator itself used in the window (to show it was not the bottleneck). */
  loadgenCpuSeconds: number;
}

/** Per-connection state and the undici handler, reused for every request on that connection. */
class Connection implements Dispatcher.DispatchHandler {
  private started = 0;
  private status = 0;
  private next: number;
  private readonly opts: Dispatcher.DispatchOptions[];

  constructor(
    private readonly client: Client,
    private readonly run: LoadRun,
    index: number,
  ) {
    this.opts = run.dispatchOptions;
    this.next = index % this.opts.length;
  }

  send(): void {
    if (this.run.stopped) {
      this.run.connectionIdle();
      return;
    }
    const o = this.opts[this.next]!;
    this.next = (this.next + 1) % this.opts.length;
    this.started = performance.now();
    this.status = 0;
    this.client.dispatch(o, this);
  }

  onConnect(): void {}

  onHeaders(statusCode: number): boolean {
    this.status = statusCode;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.run.bytes += chunk.length;
    return true;
  }

  onComplete(): void {
    this.run.completed(this.started, this.status);
    queueMicrotask(() => this.send());
  }

  onError(err: Error): void {
    this.run.failed(err);
    // Back off a little so a dead target does not become a hot loop.
    setTimeout(() => this.send(), 10);
  }
}

class LoadRun {
  stopped = false;
  measuring = false;
  bytes = 0;
  requests = 0;
  ok = 0;
  non2xx = 0;
  errors = 0;
  firstError: string | undefined;
  measureStart = 0;
  readonly hist: RecordableHistogram = createHistogram();
  readonly dispatchOptions: Dispatcher.DispatchOptions[];
  private idle = 0;
  private onAllIdle: (() => void) | undefined;

  constructor(
    readonly opts: LoadOptions,
    private readonly nConnections: number,
  ) {
    this.dispatchOptions = opts.requests.map((r) => ({
      method: r.method,
      path: r.path,
      body: r.body,
      headers: { ...opts.headers, ...r.headers },
    }));
  }

  completed(started: number, status: number): void {
    if (!this.measuring) return;
    this.requests++;
    if (status >= 200 && status < 300) this.ok++;
    else this.non2xx++;
    this.hist.record(Math.max(1, Math.round((performance.now() - started) * 1e6)));
    if (this.opts.maxRequests !== undefined && this.requests >= this.opts.maxRequests) this.stop();
  }

  failed(err: Error): void {
    if (!this.measuring) return;
    this.errors++;
    this.firstError ??= `${err.name}: ${err.message}`;
  }

  beginMeasuring(): void {
    this.hist.reset();
    this.bytes = 0;
    this.measuring = true;
    this.measureStart = performance.now();
  }

  measureEnd = 0;
  onStopped: (() => void) | undefined;
  stop(): void {
    if (this.stopped) return;
    this.measureEnd = performance.now();
    this.stopped = true;
    this.measuring = false;
    this.onStopped?.();
  }

  connectionIdle(): void {
    this.idle++;
    if (this.idle === this.nConnections) this.onAllIdle?.();
  }

  whenAllIdle(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.onAllIdle = () => {
        clearTimeout(t);
        resolve();
      };
      if (this.idle === this.nConnections) this.onAllIdle();
    });
  }
}

/** Latency percentiles (ms) of a histogram recorded in nanoseconds; NaN when it is empty. */
export function latencyFromHistogram(h: RecordableHistogram): LoadResult['latencyMs'] {
  const has = h.count > 0;
  const at = (p: number): number => (has ? ms(h.percentile(p)) : NaN);
  return { p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), mean: has ? ms(h.mean) : NaN, max: has ? ms(h.max) : NaN };
}

function ms(ns: number): number {
  return ns / 1e6;
}

export async function runUndiciLoad(opts: LoadOptions): Promise<LoadResult> {
  const run = new LoadRun(opts, opts.connections);
  const clients: Client[] = [];
  for (let i = 0; i < opts.connections; i++) {
    clients.push(
      new Client(opts.origin, {
        pipelining: 1,
        keepAliveTimeout: 60_000,
        keepAliveMaxTimeout: 600_000,
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
        connectTimeout: 10_000,
      }),
    );
  }
  const conns = clients.map((c, i) => new Connection(c, run, i));
  for (const c of conns) c.send();
  if (opts.warmupMs > 0) await new Promise((r) => setTimeout(r, opts.warmupMs));
  opts.onMeasureStart?.();
  const cpu0 = process.cpuUsage();
  run.beginMeasuring();
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, opts.durationMs);
    run.onStopped = () => {
      clearTimeout(t);
      resolve();
    };
  });
  run.stop();
  const cpu = process.cpuUsage(cpu0);
  const elapsedSec = (run.measureEnd - run.measureStart) / 1000;
  await run.whenAllIdle(10_000);
  await Promise.all(clients.map((c) => c.destroy().catch(() => undefined)));
  const h = run.hist;
  return {
    loadgen: 'undici',
    requests: run.requests,
    non2xx: run.non2xx,
    errors: run.errors,
    firstError: run.firstError,
    elapsedSec,
    rps: run.ok / elapsedSec,
    bytesPerSec: run.bytes / elapsedSec,
    latencyMs: latencyFromHistogram(h),
    loadgenCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

export async function runAutocannonLoad(opts: LoadOptions): Promise<LoadResult> {
  const requests = opts.requests.map((r) => ({
    method: r.method,
    path: r.path,
    body: r.body,
    headers: { ...opts.headers, ...r.headers },
  }));
  const base = { url: opts.origin, connections: opts.connections, pipelining: 1, requests, timeout: 30 };
  if (opts.warmupMs > 0) await autocannon({ ...base, duration: Math.max(1, Math.round(opts.warmupMs / 1000)) });
  opts.onMeasureStart?.();
  const cpu0 = process.cpuUsage();
  const r = await autocannon({ ...base, duration: Math.max(1, opts.durationMs / 1000) });
  const cpu = process.cpuUsage(cpu0);
  const elapsedSec = r.duration;
  const lat = r.latency as unknown as Record<string, number>;
  return {
    loadgen: 'autocannon',
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    elapsedSec,
    rps: r['2xx'] / elapsedSec,
    bytesPerSec: r.throughput.total / elapsedSec,
    latencyMs: { p50: lat.p50!, p90: lat.p90!, p99: lat.p99!, p999: lat.p99_9 ?? null, mean: lat.average!, max: lat.max! },
    loadgenCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

function parseWrkDuration(s: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(s.trim());
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 'ms' ? v : m[2] === 's' ? v * 1000 : v * 60_000;
}

/** wrk (GET only, one path). CPU is read from the child's /proc entry just before it exits. */
export async function runWrkLoad(opts: LoadOptions): Promise<LoadResult> {
  const spec = opts.requests[0]!;
  if (opts.requests.length !== 1 || spec.method !== 'GET') throw new Error('wrk load generator: only single-path GET scenarios');
  const hdrs = Object.entries(opts.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  let wrkCpu = NaN;
  const runWrk = (sec: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const p = spawn('wrk', ['-t1', `-c${opts.connections}`, `-d${sec}s`, '--latency', '--timeout', '30s', ...hdrs, opts.origin + spec.path], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (b: Buffer) => (out += b.toString()));
      p.stderr.on('data', (b: Buffer) => (out += b.toString()));
      p.on('error', reject);
      const kill = setTimeout(() => p.kill('SIGKILL'), (sec + 30) * 1000);
      // wrk's own CPU, sampled from /proc until it exits (the last sample is at most 100 ms old).
      const sampler = setInterval(() => {
        if (p.pid) wrkCpu = cpuSeconds([p.pid]);
      }, 100);
      p.on('exit', (code) => {
        clearTimeout(kill);
        clearInterval(sampler);
        if (code === 0) resolve(out);
        else reject(new Error(`wrk exited ${code}: ${out}`));
      });
    });
  if (opts.warmupMs > 0) await runWrk(Math.max(1, Math.round(opts.warmupMs / 1000)));
  const sec = Math.max(1, Math.round(opts.durationMs / 1000));
  opts.onMeasureStart?.();
  const out = await runWrk(sec);
  const pct = (p: string): number => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out);
    return m ? parseWrkDuration(m[1]!) : NaN;
  };
  const total = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sockErr = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = sockErr ? sockErr.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const tr = /Transfer\/sec:\s+([\d.]+)(\w+)/.exec(out);
  const unit: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };
  const avg = /Latency\s+(\S+)\s+\S+\s+(\S+)/.exec(out);
  return {
    loadgen: 'wrk',
    requests: total,
    non2xx,
    errors,
    elapsedSec: sec,
    rps: rps * (total ? (total - non2xx) / total : 1),
    bytesPerSec: tr ? Number(tr[1]) * (unit[tr[2]!] ?? 1) : NaN,
    latencyMs: { p50: pct('50'), p90: pct('90'), p99: pct('99'), p999: null, mean: avg ? parseWrkDuration(avg[1]!) : NaN, max: avg ? parseWrkDuration(avg[2]!) : NaN },
    loadgenCpuSeconds: wrkCpu,
  };
}

export function runLoad(loadgen: LoadgenName, opts: LoadOptions): Promise<LoadResult> {
  if (loadgen === 'net') return runNetLoad(opts);
  if (loadgen === 'autocannon') return runAutocannonLoad(opts);
  if (loadgen === 'wrk') return runWrkLoad(opts);
  return runUndiciLoad(opts);
}
