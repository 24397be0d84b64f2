/**
 * Child processes of a benchmark: started with a timeout on readiness, stopped by their own pid
 * (SIGTERM, then SIGKILL after a grace period), never by name.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/bench when built, bench/ when run through tsx. */
export const benchDir = here;
export const fromSource = import.meta.url.endsWith('.ts');
export const repoRoot = fromSource ? path.resolve(here, '..') : path.resolve(here, '../..');

/** `--import <tsx>` by absolute URL, so children started in another working directory find it. */
export function tsxImportArgs(): string[] {
  return ['--import', import.meta.resolve('tsx')];
}

/** The command that runs one of our own bench scripts (e.g. 'upstream') as a separate process. */
export function benchScript(name: string, args: string[] = []): { command: string; args: string[] } {
  if (fromSource) return { command: process.execPath, args: [...tsxImportArgs(), path.join(here, `${name}.ts`), ...args] };
  return { command: process.execPath, args: [path.join(here, `${name}.js`), ...args] };
}

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** Last lines of stderr+stdout, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Children still running: killed by pid if the benchmark itself exits or is interrupted. */
const live = new Set<ChildProcess>();
let exitHooked = false;
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const p of live) p.kill('SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const p of live) p.kill('SIGKILL');
      process.exit(130);
    });
  }
}

export function startChild(command: string, args: string[], opts: SpawnOptions = {}): Child {
  hookExit();
  const proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  let tail = '';
  const keep = (b: Buffer): void => {
    tail = (tail + b.toString('utf8')).slice(-4000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  proc.on('error', (err) => keep(Buffer.from(`spawn error: ${err.message}\n`)));
  const exited = new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve();
    else proc.once('exit', () => resolve());
  });
  return {
    proc,
    pid: proc.pid ?? -1,
    output: () => tail,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.stdin?.end();
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Waits for a `READY {json}` line on the child's stdout. */
export function waitReadyLine<T>(child: Child, timeoutMs = 15_000): Promise<T> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (b: Buffer): void => {
      buf += b.toString('utf8');
      const m = /^READY (.*)$/m.exec(buf);
      if (m) {
        cleanup();
        resolve(JSON.parse(m[1]!) as T);
      }
    };
    const onExit = (): void => {
      cleanup();
      reject(new Error(`child exited before it was ready:\n${child.output()}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`child not ready after ${timeoutMs} ms:\n${child.output()}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.proc.stdout?.off('data', onData);
      child.proc.off('exit', onExit);
    };
    child.proc.stdout?.on('data', onData);
    child.proc.once('exit', onExit);
  });
}

/** Polls until `check` resolves true (errors count as not yet), or fails after the timeout. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 15_000, child?: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && (child.proc.exitCode !== null || child.proc.signalCode !== null)) {
      throw new Error(`${what}: process exited (code ${child.proc.exitCode ?? child.proc.signalCode}):\n${child.output()}`);
    }
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms${child ? `:\n${child.output()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * An ephemeral port for a program that needs a number in its config (nginx, mitmdump): the kernel
 * picks a free one, we release it and hand it over. The window for a clash is a few milliseconds.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** True when a TCP connection to the port succeeds. */
export function tcpOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}
