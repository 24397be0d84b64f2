import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { cliCommand } from './cli.js';

/**
 * `tapegate serve` as a child process, the way an operator runs it: a JSON config file written into
 * `dir`, ephemeral ports (`--port 0 --admin-port 0`; the file's own ports are ignored), the bound
 * ports read from the `"event":"listening"` log line, ready once `/readyz` answers 200. `stop()`
 * sends SIGTERM (the drain: the last segment is sealed and handed to the uploader) and waits for
 * the exit, with SIGKILL as the bounded fallback.
 */
export interface ServedGateway {
  child: ChildProcess;
  port: number;
  adminPort: number;
  /** http://127.0.0.1:<port> — what agents point at. */
  url: string;
  adminUrl: string;
  dataDir: string;
  configFile: string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Everything the process wrote so far. */
  stdout(): string;
  stderr(): string;
  /** SIGTERM, wait up to `timeoutMs` for the drain, then SIGKILL. Resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL at once. */
  kill(): Promise<void>;
}

export interface ServeOptions {
  /** The config object written to `<dir>/<name>.json`; dataDir is forced to `dataDir`. */
  config?: Record<string, unknown>;
  /** Instead of `config`: an existing config file passed as is (relative to `cwd`), e.g. deploy/tapegate.json. */
  configFile?: string;
  /** Where the config file goes. */
  dir: string;
  /** The gateway's data directory (passed as --data-dir). */
  dataDir: string;
  /** Config file name (default: a unique one). */
  name?: string;
  extraArgs?: string[];
  /** Options for node itself, before the CLI script (e.g. an --import probe). */
  nodeArgs?: string[];
  /** Working directory of the process (default: this process's). */
  cwd?: string;
  startTimeoutMs?: number;
}

const LISTENING = /"event":"listening"[^\n]*"port":(\d+)[^\n]*"adminPort":(\d+)/;

function spawnServe(opts: ServeOptions): { child: ChildProcess; configFile: string } {
  let configFile = opts.configFile;
  if (configFile === undefined) {
    configFile = path.join(opts.dir, `${opts.name ?? `config-${Date.now()}-${Math.random().toString(36).slice(2)}`}.json`);
    writeFileSync(configFile, JSON.stringify({ ...opts.config, dataDir: opts.dataDir }, null, 2));
  }
  const { command, args } = cliCommand(['serve', '--config', configFile, '--port', '0', '--admin-port', '0', '--data-dir', opts.dataDir, ...(opts.extraArgs ?? [])]);
  const child = spawn(command, [...(opts.nodeArgs ?? []), ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...(opts.cwd ? { cwd: opts.cwd } : {}) });
  return { child, configFile };
}

/**
 * Runs `tapegate serve` expected to stop by itself (a refused start): resolves with its exit code and
 * output. With `until`, sends SIGTERM once the output matches it (a start that must succeed, then stop).
 * SIGKILL after `timeoutMs` (default 30 s) so no test hangs.
 */
export async function runServe(opts: ServeOptions & { until?: RegExp; timeoutMs?: number }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { child } = spawnServe(opts);
  let out = '';
  let err = '';
  let termed = false;
  const look = (): void => {
    if (!termed && opts.until && opts.until.test(out + err)) {
      termed = true;
      child.kill('SIGTERM');
    }
  };
  child.stdout!.on('data', (d: Buffer) => ((out += d.toString()), look()));
  child.stderr!.on('data', (d: Buffer) => ((err += d.toString()), look()));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout: out, stderr: err };
}

export async function serveGateway(opts: ServeOptions): Promise<ServedGateway> {
  const { child, configFile } = spawnServe(opts);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };

  const startTimeoutMs = opts.startTimeoutMs ?? 30_000;
  let ports: { port: number; adminPort: number };
  try {
    ports = await new Promise<{ port: number; adminPort: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gateway did not log "listening" within ${startTimeoutMs} ms:\n${out}\n${err}`)), startTimeoutMs);
      const look = (): void => {
        const m = LISTENING.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve({ port: Number(m[1]), adminPort: Number(m[2]) });
        }
      };
      child.stdout!.on('data', look);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`gateway exited with ${code} before listening:\n${out}\n${err}`));
      });
    });
    const adminUrl = `http://127.0.0.1:${ports.adminPort}`;
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      const ready = await fetch(`${adminUrl}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`gateway not ready within ${startTimeoutMs} ms:\n${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (e) {
    await kill();
    throw e;
  }

  return {
    child,
    ...ports,
    url: `http://127.0.0.1:${ports.port}`,
    adminUrl: `http://127.0.0.1:${ports.adminPort}`,
    dataDir: opts.dataDir,
    configFile,
    exited,
    stdout: () => out,
    stderr: () => err,
    async stop(timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
      const first = await Promise.race([exited, late]);
      clearTimeout(timer);
      if (first === 'late') {
        await kill();
        throw new Error(`gateway did not exit within ${timeoutMs} ms of SIGTERM (killed):\n${err}`);
      }
      return first;
    },
    kill,
  };
}
