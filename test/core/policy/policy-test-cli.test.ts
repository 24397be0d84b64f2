import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliCommand, repoRoot } from '../../support/cli.js';

function tapegate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { command, args: full } = cliCommand(args);
  return new Promise((resolve) => {
    execFile(command, full, { cwd: repoRoot, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('tapegate policy test', () => {
  let dir: string;
  let config: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tg-policy-cli-'));
    config = path.join(dir, 'tapegate.json');
    writeFileSync(
      config,
      JSON.stringify({
        dataDir: dir,
        connections: [
          { name: 'storage', match: { pathPrefixes: ['/storage/v1/'] }, upstream: 'https://storage.googleapis.com' },
          { name: 'bigquery', match: { pathPrefixes: ['/bigquery/v2/'] }, upstream: 'https://bigquery.googleapis.com' },
        ],
        policy: {
          rules: [
            { name: 'review-drops', operations: ['bigquery.jobs.*.drop'], action: 'review' },
            { name: 'no-deletes', operations: ['*.delete'], action: 'deny', reason: 'deletes are not allowed here' },
            { name: 'ops', groups: ['ops'], action: 'allow' },
          ],
        },
      }),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the decision and the rule, with an exit code per decision', async () => {
    const allow = await tapegate(['policy', 'test', '--config', config, '--as', 'alice', '--groups', 'ops,dev', 'GET', 'https://storage.googleapis.com/storage/v1/b/bk/o/a.txt']);
    assert.equal(allow.code, 0, allow.stderr);
    assert.match(allow.stdout, /^decision\s+allow$/m);
    assert.match(allow.stdout, /^rule\s+ops \(#2\)$/m);
    assert.match(allow.stdout, /^operation\s+storage\.objects\.get$/m);
    assert.match(allow.stdout, /^resource\s+buckets\/bk\/objects\/a\.txt$/m);

    const deny = await tapegate(['policy', 'test', '--config', config, '--as', 'alice', '--groups', 'ops', 'DELETE', '/storage/v1/b/bk/o/a.txt']);
    assert.equal(deny.code, 4);
    assert.match(deny.stdout, /^rule\s+no-deletes \(#1\)$/m);
    assert.match(deny.stdout, /deletes are not allowed here/);

    const nobody = await tapegate(['policy', 'test', '--config', config, '--as', 'eve', 'GET', '/storage/v1/b/bk/o/a.txt']);
    assert.equal(nobody.code, 4);
    assert.match(nobody.stdout, /^rule\s+default \(no rule matched\)$/m);
  });

  it('reads the body from --body and prints JSON with --json', async () => {
    const body = path.join(dir, 'query.json');
    writeFileSync(body, JSON.stringify({ query: 'SELECT 1; -- harmless\nDROP TABLE d.t' }));
    const r = await tapegate(['policy', 'test', '--config', config, '--as', 'alice', '--groups', 'ops', '--json', '--body', body, 'POST', '/bigquery/v2/projects/p/queries']);
    assert.equal(r.code, 3, r.stderr);
    const out = JSON.parse(r.stdout) as { decision: string; rule: string; operation: string; statements: string[]; connection: string };
    assert.equal(out.decision, 'review');
    assert.equal(out.rule, 'review-drops');
    assert.equal(out.operation, 'bigquery.jobs.query.drop');
    assert.deepEqual(out.statements, ['SELECT', 'DROP']);
    assert.equal(out.connection, 'bigquery');
  });

  it('exits 2 on usage errors and 1 on a bad config', async () => {
    const usage = await tapegate(['policy', 'test', '--config', config, 'GET']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--as, METHOD and URL are required/);
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ connections: [{ name: 'x', match: { pathPrefixes: ['/'] }, upstream: 'https://x.example' }], policy: { rules: [{ action: 'perhaps' }] } }));
    const r = await tapegate(['policy', 'test', '--config', bad, '--as', 'a', 'GET', '/x']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /policy\.rules\[0\]\.action/);
  });
});
