/**
 * What the load is sent to. Every target proxies to the same fake upstream:
 * - `direct`: the upstream itself (the floor every ratio is measured against);
 * - `tapegate-off`, `tapegate-full-async`, `tapegate-full-sync`: the gateway with recording off, full
 *   bodies flushed every N ms, and full bodies with fsync before the response ends;
 * - peers, when installed: nginx (1 worker, upstream keep-alive), mitmdump writing flows to a file,
 *   and http-proxy on node:http;
 * - floors (bench/peers/floor-uws*.ts): the thinnest uWS forwarders, with undici (`floor-uws-undici`)
 *   and with a minimal node:net client (`floor-uws-net`): what a gateway on this stack could reach at
 *   best, so tapegate's ratio reads against its own ceiling as well as against nginx's;
 * - recording floors (bench/peers/floor-rec-undici.ts + floor-recorder.ts): floor-uws-undici plus the
 *   cheapest recorder that loses nothing (`floor-rec-async`, `floor-rec-sync`): the least recording
 *   every byte can cost on this stack, to read tapegate's recording cost against.
 * A missing target is skipped with a line saying how to install it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { request } from 'undici';
import { benchDir, benchScript, freePort, fromSource, repoRoot, startChild, tcpOpen, tsxImportArgs, waitReadyLine, waitUntil, type Child } from './child.js';

export const TAPEGATE_TARGETS = ['tapegate-off', 'tapegate-full-async', 'tapegate-full-sync'] as const;
export const PEER_TARGETS = ['nginx', 'mitmdump', 'http-proxy'] as const;
export const FLOOR_TARGETS = ['floor-uws-undici', 'floor-uws-net', 'floor-rec-async', 'floor-rec-sync'] as const;
export const ALL_TARGETS = ['direct', ...TAPEGATE_TARGETS, ...PEER_TARGETS, ...FLOOR_TARGETS] as const;
export type TargetName = (typeof ALL_TARGETS)[number];

export interface RunningTarget {
  name: TargetName;
  origin: string;
  /** Process to meter for CPU and RSS (with its descendants); null for direct. */
  pid: number | null;
  /** pid is a Node process whose main thread is the proxy's event loop (its CPU is reported alone). */
  nodeEventLoop?: boolean;
  /** Headers every request to this target carries. */
  headers: Record<string, string>;
  /** Largest streamed transfer this target can take without holding it in memory; Infinity if any. */
  maxTransferBytes: number;
  note?: string;
  /** Bytes the target recorded on disk so far (tapegate: its data dir minus keys); absent for peers. */
  recordedBytes?: () => number;
  /** Whether this target is supposed to record bodies (a full mode). */
  recordsBodies?: boolean;
  stop(): Promise<void>;
}

export interface SkippedTarget {
  name: TargetName;
  reason: string;
}

function which(bin: string, extra: string[] = []): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':'), ...extra];
  for (const d of dirs) {
    const p = path.join(d, bin);
    if (d && existsSync(p)) return p;
  }
  return null;
}

async function httpOk(url: string): Promise<boolean> {
  const res = await request(url, { headersTimeout: 2000, bodyTimeout: 2000 });
  await res.body.dump();
  return res.statusCode >= 200 && res.statusCode < 500;
}

function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `tapegate-bench-${prefix}-`));
}

// ---------------------------------------------------------------- tapegate

/** The CLI next to the bench's own build output (dist/core/cli.js), or core/cli.ts under tsx. */
export function tapegateEntry(): string {
  return path.join(benchDir, '..', 'core', fromSource ? 'cli.ts' : 'cli.js');
}

/** Whether the gateway's data plane exists yet (core/serve). */
export function tapegateAvailable(): boolean {
  return existsSync(path.join(benchDir, '..', 'core', fromSource ? 'serve.ts' : 'serve.js'));
}

export const STORAGE_PREFIXES = ['/storage/v1/', '/upload/storage/v1/', '/download/storage/v1/', '/batch/storage/v1'];

/** The generated config: one Cloud Storage connection to the fake upstream. */
export function tapegateConfig(upstreamPort: number, dataDir: string, recording: 'off' | 'full', durability: 'sync' | 'async'): Record<string, unknown> {
  return {
    instanceId: 'bench',
    dataDir,
    listen: { host: '127.0.0.1', port: 0, adminHost: '127.0.0.1', adminPort: 0 },
    connections: [
      {
        name: 'storage',
        match: { pathPrefixes: STORAGE_PREFIXES },
        upstream: `http://127.0.0.1:${upstreamPort}`,
        recording,
      },
    ],
    recording: { durability },
    // Every request allowed: the bench measures the data path, not the rule set (default is deny).
    policy: { rules: [{ name: 'bench-allow-all', action: 'allow' }] },
  };
}

/**
 * A token from the gateway's development issuer (on when auth.issuers is empty, loopback only),
 * minted by `tapegate dev-token` with the same config; '' when that command is not there.
 */
async function devToken(configFile: string, cwd: string): Promise<string> {
  const args = ['dev-token', '--sub', 'bench-agent', '--groups', 'agents', '--ttl', '2h', '--config', configFile];
  const child = startChild(process.execPath, fromSource ? [...tsxImportArgs(), tapegateEntry(), ...args] : [tapegateEntry(), ...args], { cwd });
  let out = '';
  child.proc.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const t = setTimeout(() => void child.stop().then(() => resolve(null)), 20_000);
    child.proc.once('exit', (c) => {
      clearTimeout(t);
      resolve(c);
    });
  });
  const token = out.trim().split('\n').pop() ?? '';
  return code === 0 && /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token) ? token : '';
}

export interface TargetOptions {
  /** Write a V8 CPU profile of each tapegate process here (node --cpu-prof), for `--cpu-prof`. */
  cpuProfDir?: string;
}

async function startTapegate(name: TargetName, upstreamPort: number, topts: TargetOptions = {}): Promise<RunningTarget> {
  const [recording, durability] =
    name === 'tapegate-off' ? (['off', 'async'] as const) : name === 'tapegate-full-async' ? (['full', 'async'] as const) : (['full', 'sync'] as const);
  const dir = tempDir(name);
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir);
  const configFile = path.join(dir, 'tapegate.json');
  writeFileSync(configFile, JSON.stringify(tapegateConfig(upstreamPort, dataDir, recording, durability), null, 2));
  const port = await freePort();
  const adminPort = await freePort();
  const args = ['serve', '--config', configFile, '--port', String(port), '--admin-port', String(adminPort), '--data-dir', dataDir];
  const prof = topts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${topts.cpuProfDir}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
  const child = startChild(process.execPath, [...prof, ...(fromSource ? tsxImportArgs() : []), tapegateEntry(), ...args], { cwd: dir });
  const stop = async (): Promise<void> => {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(`${name} /readyz`, () => httpOk(`http://127.0.0.1:${adminPort}/readyz`), 30_000, child);
  } catch (err) {
    await stop();
    throw err;
  }
  const token = await devToken(configFile, dir);
  return {
    name,
    origin: `http://127.0.0.1:${port}`,
    pid: child.pid,
    nodeEventLoop: true,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    maxTransferBytes: Infinity,
    stop,
    note: `tapegate serve, one connection with recording "${recording}"${recording === 'full' ? `, durability "${durability}"` : ''}, policy allow-all; ${token ? 'requests carry a development-issuer token' : 'no dev-token command: requests carry no token'}`,
    recordedBytes: () => recordedBytes(dataDir),
    recordsBodies: recording === 'full',
  };
}

/** Bytes of everything the gateway wrote into its data dir except its keys (segments, spool, store, state). */
function recordedBytes(dir: string): number {
  let total = 0;
  const walk = (d: string, depth: number): void => {
    if (depth > 16) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (depth === 0 && e.name === 'auth') continue;
        walk(p, depth + 1);
      } else if (e.isFile() && !e.name.endsWith('.pem') && !e.name.endsWith('.json')) {
        total += statSync(p).size;
      }
    }
  };
  try {
    walk(dir, 0);
  } catch {
    return 0;
  }
  return total;
}

// ---------------------------------------------------------------- peers

async function startNginx(upstreamPort: number): Promise<RunningTarget | SkippedTarget> {
  const bin = which('nginx', ['/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin']);
  if (!bin) return { name: 'nginx', reason: 'nginx not installed (apt-get install nginx-light)' };
  const dir = tempDir('nginx');
  const port = await freePort();
  const runAsRoot = process.getuid?.() === 0;
  // One worker like tapegate's one thread; keep-alive both sides; streaming both ways (no
  // buffering of request or response bodies, as tapegate streams).
  const conf = `
${runAsRoot ? 'user root;' : ''}
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 120s;
  upstream gcs { server 127.0.0.1:${upstreamPort}; keepalive 512; keepalive_requests 100000000; }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    client_max_body_size 0;
    proxy_request_buffering off;
    proxy_buffering off;
    location / {
      proxy_pass http://gcs;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
    }
  }
}
`;
  const confFile = path.join(dir, 'nginx.conf');
  writeFileSync(confFile, conf);
  const child = startChild(bin, ['-p', dir, '-c', confFile, '-e', path.join(dir, 'error.log')]);
  const stop = async (): Promise<void> => {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil('nginx', () => tcpOpen(port), 15_000, child);
  } catch (err) {
    await stop();
    throw err;
  }
  return { name: 'nginx', origin: `http://127.0.0.1:${port}`, pid: child.pid, headers: {}, maxTransferBytes: Infinity, stop, note: `nginx ${nginxVersion(bin)}, 1 worker, upstream keep-alive (512 idle), proxy_buffering and proxy_request_buffering off, no access log` };
}

/** "1.22.1" from `nginx -v` (which prints to stderr), or ''. */
function nginxVersion(bin: string): string {
  const r = spawnSync(bin, ['-v'], { encoding: 'utf8', timeout: 5000 });
  return /nginx\/(\S+)/.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`)?.[1] ?? '';
}

/**
 * mitmdump keeps whole bodies in memory while it records a flow and moves about 3 MB/s here: a
 * 1 GiB transfer would take minutes and a GiB of RAM, so it only takes part in transfers this small.
 */
export const MITMDUMP_MAX_TRANSFER = 64 * 1024 * 1024;

async function startMitmdump(upstreamPort: number): Promise<RunningTarget | SkippedTarget> {
  const bin = which('mitmdump');
  if (!bin) return { name: 'mitmdump', reason: 'mitmdump not installed (apt-get install mitmproxy)' };
  const dir = tempDir('mitmdump');
  const port = await freePort();
  const child = startChild(bin, [
    '--mode',
    `reverse:http://127.0.0.1:${upstreamPort}`,
    '--listen-host',
    '127.0.0.1',
    '--listen-port',
    String(port),
    '-w',
    path.join(dir, 'flows.mitm'),
    '-q',
    '--set',
    `confdir=${path.join(dir, 'conf')}`,
  ]);
  const stop = async (): Promise<void> => {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil('mitmdump', () => tcpOpen(port), 30_000, child);
  } catch (err) {
    await stop();
    throw err;
  }
  const v = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const version = /Mitmproxy:\s*(\S+)/i.exec(`${v.stdout ?? ''}`)?.[1] ?? '';
  return { name: 'mitmdump', origin: `http://127.0.0.1:${port}`, pid: child.pid, headers: {}, maxTransferBytes: MITMDUMP_MAX_TRANSFER, stop, note: `mitmdump ${version} --mode reverse:… -w FILE (records whole flows, in memory until each ends)` };
}

async function startHttpProxy(upstreamPort: number): Promise<RunningTarget | SkippedTarget> {
  if (!existsSync(path.join(repoRoot, 'node_modules/http-proxy'))) {
    return { name: 'http-proxy', reason: 'http-proxy not installed (npm install, with dev dependencies)' };
  }
  const s = benchScript('peers/http-proxy', [String(upstreamPort)]);
  const child: Child = startChild(s.command, s.args);
  try {
    const { port } = await waitReadyLine<{ port: number }>(child);
    const version = (JSON.parse(readFileSync(path.join(repoRoot, 'node_modules/http-proxy/package.json'), 'utf8')) as { version: string }).version;
    return { name: 'http-proxy', origin: `http://127.0.0.1:${port}`, pid: child.pid, nodeEventLoop: true, headers: {}, maxTransferBytes: Infinity, stop: () => child.stop(), note: `http-proxy ${version} on node ${process.version}` };
  } catch (err) {
    await child.stop();
    throw err;
  }
}

// ---------------------------------------------------------------- floors

const FLOOR_NOTES: Record<(typeof FLOOR_TARGETS)[number], string> = {
  'floor-uws-undici': 'the floor for uWS + undici: one any(/*) route, undici dispatch on a free list of keep-alive Clients (≤512 connections), streaming both ways with backpressure, corked writes, hop-by-hop stripping only',
  'floor-uws-net': 'the floor for uWS + a hand-written client: the same uWS side with a minimal HTTP/1.1 client on node:net (keep-alive pool, ≤512 connections, Content-Length/chunked/close-delimited)',
  'floor-rec-async': 'the recording floor, async: floor-uws-undici plus every exchange (method, target, all headers, status, raw response headers, both bodies) copied as length-prefixed records into a SharedArrayBuffer ring; a worker thread writes one zstd level-1 frame per batch (every 2 ms) to a file, no fdatasync',
  'floor-rec-sync': 'the recording floor, sync: as floor-rec-async, and each response\'s last bytes wait for an fdatasync that started after the whole exchange was written (group commit: the thread syncs as soon as an exchange has ended, covering all that gathered meanwhile)',
};

/** A recording floor: the child records into a temp dir of ours, removed when it stops. */
async function startRecordingFloor(name: 'floor-rec-async' | 'floor-rec-sync', upstreamPort: number): Promise<RunningTarget> {
  const dir = tempDir(name);
  const s = benchScript('peers/floor-rec-undici', [String(upstreamPort), name === 'floor-rec-sync' ? 'sync' : 'async', dir]);
  const child: Child = startChild(s.command, s.args);
  const stop = async (): Promise<void> => {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const { port, file } = await waitReadyLine<{ port: number; file: string }>(child);
    const size = (): number => {
      try {
        return statSync(file).size;
      } catch {
        return 0;
      }
    };
    return { name, origin: `http://127.0.0.1:${port}`, pid: child.pid, nodeEventLoop: true, headers: {}, maxTransferBytes: Infinity, stop, note: `${FLOOR_NOTES[name]}; node ${process.version}`, recordedBytes: size, recordsBodies: true };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function startFloor(name: 'floor-uws-undici' | 'floor-uws-net', upstreamPort: number): Promise<RunningTarget> {
  const s = benchScript(`peers/${name}`, [String(upstreamPort)]);
  const child: Child = startChild(s.command, s.args);
  try {
    const { port } = await waitReadyLine<{ port: number }>(child);
    const undici = (JSON.parse(readFileSync(path.join(repoRoot, 'node_modules/undici/package.json'), 'utf8')) as { version: string }).version;
    const note = `${FLOOR_NOTES[name]}; ${name === 'floor-uws-undici' ? `undici ${undici}, ` : ''}node ${process.version}`;
    return { name, origin: `http://127.0.0.1:${port}`, pid: child.pid, nodeEventLoop: true, headers: {}, maxTransferBytes: Infinity, stop: () => child.stop(), note };
  } catch (err) {
    await child.stop();
    throw err;
  }
}

// ---------------------------------------------------------------- all

export async function startTarget(name: TargetName, upstreamPort: number, topts: TargetOptions = {}): Promise<RunningTarget | SkippedTarget> {
  switch (name) {
    case 'direct':
      return { name, origin: `http://127.0.0.1:${upstreamPort}`, pid: null, headers: {}, maxTransferBytes: Infinity, stop: async () => undefined, note: 'straight to the fake Cloud Storage upstream (uWebSockets.js): the floor' };
    case 'tapegate-off':
    case 'tapegate-full-async':
    case 'tapegate-full-sync':
      if (!tapegateAvailable()) return { name, reason: `the data plane is not built yet (${path.relative(process.cwd(), path.join(benchDir, '..', 'core', fromSource ? 'serve.ts' : 'serve.js'))} missing; run npm run build)` };
      return startTapegate(name, upstreamPort, topts);
    case 'nginx':
      return startNginx(upstreamPort);
    case 'mitmdump':
      return startMitmdump(upstreamPort);
    case 'http-proxy':
      return startHttpProxy(upstreamPort);
    case 'floor-uws-undici':
    case 'floor-uws-net':
      return startFloor(name, upstreamPort);
    case 'floor-rec-async':
    case 'floor-rec-sync':
      return startRecordingFloor(name, upstreamPort);
  }
}

export function isSkipped(t: RunningTarget | SkippedTarget): t is SkippedTarget {
  return 'reason' in t;
}
