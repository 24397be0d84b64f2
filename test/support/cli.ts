import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * How a test starts the `tapegate` CLI as a child process: from dist/ when the tests run from the
 * build (npm test), through tsx when a developer runs a single .ts test file.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const fromSource = import.meta.url.endsWith('.ts');

export const repoRoot = fromSource ? path.resolve(here, '../..') : path.resolve(here, '../../..');

export function cliCommand(args: string[]): { command: string; args: string[] } {
  if (fromSource) {
    // Resolved here, not by name, so a child started with another cwd still finds tsx.
    return { command: process.execPath, args: ['--import', import.meta.resolve('tsx'), path.join(repoRoot, 'core/cli.ts'), ...args] };
  }
  // The CLI of the same build as this file (dist/ or a private --outDir), not whatever dist/ holds.
  return { command: process.execPath, args: [path.resolve(here, '../../core/cli.js'), ...args] };
}

/** A token from `tapegate dev-token` (subject e2e-agent, group agents) for the gateway configured in `configFile`. */
export async function devToken(configFile: string): Promise<string> {
  const { command, args } = cliCommand(['dev-token', '--sub', 'e2e-agent', '--groups', 'agents', '--config', configFile]);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`tapegate dev-token failed (exit ${code}): ${err}`);
  return out.trim().split('\n').pop()!;
}
