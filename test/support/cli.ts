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
