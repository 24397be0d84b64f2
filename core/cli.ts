#!/usr/bin/env node
/**
 * `tapegate <command> …`. Each command lives in its own module and is loaded only when used, so
 * `tapegate serve` starts without loading the replay or review tooling.
 */
type CommandModule = { run(argv: string[]): Promise<number> };

const commands: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  serve: { summary: 'run the gateway', load: () => import('./serve.js') },
  policy: { summary: 'policy test: what the policy decides for a request, and by which rule', load: () => import('./policy/policy-test-cli.js') },
  reviews: { summary: 'list, approve or deny requests held for review', load: () => import('./approvals/reviews-cli.js') },
  'dev-token': { summary: 'print a token from the built-in development issuer', load: () => import('./auth/dev-token-cli.js') },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return `usage: tapegate <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'tapegate <command> --help' for a command's options.`;
}

async function main(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`tapegate: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  const mod = await command.load();
  return mod.run(rest);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`tapegate: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
