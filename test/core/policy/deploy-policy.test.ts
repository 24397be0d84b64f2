import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { classifyGcpOperation } from '../../../core/classify/index.js';
import { loadConfig } from '../../../core/config/index.js';
import { compilePolicy } from '../../../core/policy/index.js';
import { repoRoot } from '../../support/cli.js';

describe('policy: the default in deploy/tapegate.json', () => {
  const config = loadConfig(path.join(repoRoot, 'deploy/tapegate.json'));
  const policy = compilePolicy(config.policy);
  const decide = (groups: string[], connection: string, method: string, p: string, body?: string) =>
    policy.decide({
      identity: { subject: 'someone', issuer: 'https://dev-issuer.tapegate.invalid', groups },
      connection,
      classification: classifyGcpOperation({ method, path: p, query: '', ...(body ? { body: new TextEncoder().encode(body) } : {}) }),
    }).action;

  it('lets ops work, holds dangerous deletes and admin changes for approvers, lets readers read', () => {
    assert.equal(config.approvals.approverGroup, 'approvers');
    assert.equal(config.approvals.waitMs, 300_000);
    assert.equal(decide(['ops'], 'storage', 'GET', '/storage/v1/b/bk/o/a'), 'allow');
    assert.equal(decide(['ops'], 'storage', 'POST', '/upload/storage/v1/b/bk/o'), 'allow');
    assert.equal(decide(['ops'], 'storage', 'DELETE', '/storage/v1/b/bk/o/a'), 'review');
    assert.equal(decide(['ops'], 'storage', 'DELETE', '/storage/v1/b/bk'), 'review');
    assert.equal(decide(['ops'], 'storage', 'PUT', '/storage/v1/b/bk/iam'), 'review');
    assert.equal(decide(['ops'], 'bigquery', 'POST', '/bigquery/v2/projects/p/queries', JSON.stringify({ query: 'SELECT 1' })), 'allow');
    assert.equal(decide(['ops'], 'bigquery', 'POST', '/bigquery/v2/projects/p/queries', JSON.stringify({ query: 'DROP TABLE d.t' })), 'review');
    assert.equal(decide(['ops'], 'compute', 'DELETE', '/compute/v1/projects/p/zones/z/instances/vm'), 'review');
    assert.equal(decide(['ops'], 'compute', 'POST', '/compute/v1/projects/p/zones/z/instances/vm/stop'), 'allow');
    assert.equal(decide(['readers'], 'storage', 'GET', '/storage/v1/b/bk/o/a'), 'allow');
    assert.equal(decide(['readers'], 'storage', 'DELETE', '/storage/v1/b/bk/o/a'), 'deny');
    assert.equal(decide([], 'storage', 'GET', '/storage/v1/b/bk/o/a'), 'deny');
  });
});
