import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyGcpOperation } from '../../../core/classify/index.js';
import { parseConfig } from '../../../core/config/index.js';
import { compilePolicy } from '../../../core/policy/index.js';
import type { Identity } from '../../../core/exchange.js';

const alice: Identity = { subject: 'alice', issuer: 'https://idp.example', groups: ['ops'] };
const bot: Identity = { subject: 'ci-bot@p.iam.gserviceaccount.com', issuer: 'https://accounts.google.com', groups: [] };

function policyFrom(rules: unknown[]) {
  return compilePolicy(parseConfig({ connections: [{ name: 'storage', match: { pathPrefixes: ['/storage/v1/'] }, upstream: 'https://storage.googleapis.com' }], policy: { rules } }).policy);
}

function decide(rules: unknown[], identity: Identity | null, method: string, target: string, body?: string, connection = 'storage') {
  const q = target.indexOf('?');
  const classification = classifyGcpOperation({
    method,
    path: q === -1 ? target : target.slice(0, q),
    query: q === -1 ? '' : target.slice(q + 1),
    ...(body ? { body: new TextEncoder().encode(body) } : {}),
  });
  return policyFrom(rules).decide({ identity, connection, classification });
}

const devPolicy = [
  { name: 'review-removals', groups: ['ops'], effects: ['remove'], action: 'review' },
  { name: 'no-iam', operations: ['*.setIamPolicy', 'storage.buckets.lockRetentionPolicy'], action: 'deny', reason: 'IAM and retention changes go through Terraform' },
  { name: 'ops-all', groups: ['ops'], action: 'allow' },
];

describe('policy', () => {
  it('denies by default and says so', () => {
    const d = decide([], alice, 'GET', '/storage/v1/b/bk/o/a');
    assert.equal(d.action, 'deny');
    assert.equal(d.rule, 'default');
    assert.equal(d.ruleIndex, -1);
    assert.match(d.reason!, /no policy rule allows storage\.objects\.get on buckets\/bk\/objects\/a for alice/);
  });

  it('first match wins and the decision names the rule', () => {
    const get = decide(devPolicy, alice, 'GET', '/storage/v1/b/bk/o/a');
    assert.deepEqual([get.action, get.rule, get.ruleIndex], ['allow', 'ops-all', 2]);
    const del = decide(devPolicy, alice, 'DELETE', '/storage/v1/b/bk/o/a');
    assert.deepEqual([del.action, del.rule, del.ruleIndex], ['review', 'review-removals', 0]);
    const iam = decide(devPolicy, alice, 'PUT', '/storage/v1/b/bk/iam');
    assert.deepEqual([iam.action, iam.rule], ['deny', 'no-iam']);
    assert.equal(iam.reason, 'IAM and retention changes go through Terraform');
  });

  it('uses the rule index as its name when the rule has none', () => {
    const d = decide([{ operations: ['storage.objects.list'], action: 'deny' }, { action: 'allow' }], alice, 'GET', '/storage/v1/b/bk/o/a');
    assert.deepEqual([d.action, d.rule], ['allow', '1']);
  });

  it('matches who by subject glob, group and issuer; all given fields must hold', () => {
    const rules = [
      { name: 'bots-read', subjects: ['*@p.iam.gserviceaccount.com'], issuers: ['https://accounts.google.com'], operations: ['storage.objects.get', 'storage.objects.list'], action: 'allow' },
      { name: 'ops', groups: ['ops', 'sre'], action: 'allow' },
    ];
    assert.equal(decide(rules, bot, 'GET', '/storage/v1/b/bk/o/a').rule, 'bots-read');
    assert.equal(decide(rules, bot, 'DELETE', '/storage/v1/b/bk/o/a').action, 'deny');
    assert.equal(decide(rules, { ...bot, issuer: 'https://evil.example' }, 'GET', '/storage/v1/b/bk/o/a').action, 'deny');
    assert.equal(decide(rules, { subject: 'bob', issuer: 'x', groups: ['sre'] }, 'DELETE', '/storage/v1/b/bk/o/a').rule, 'ops');
    assert.equal(decide(rules, { subject: 'eve', issuer: 'x', groups: ['guests'] }, 'GET', '/storage/v1/b/bk/o/a').action, 'deny');
    assert.equal(decide(rules, null, 'GET', '/storage/v1/b/bk/o/a').action, 'deny', 'an anonymous caller matches no rule about who');
  });

  it('matches connections, operation globs and resource globs', () => {
    const rules = [
      { name: 'scratch', connections: ['storage'], operations: ['storage.objects.*'], resources: ['buckets/scratch-*'], action: 'allow' },
      { name: 'bq-read', connections: ['bigquery'], operations: ['bigquery.*.get', 'bigquery.*.list'], action: 'allow' },
    ];
    assert.equal(decide(rules, alice, 'DELETE', '/storage/v1/b/scratch-1/o/x').rule, 'scratch');
    assert.equal(decide(rules, alice, 'DELETE', '/storage/v1/b/prod/o/x').action, 'deny');
    assert.equal(decide(rules, alice, 'DELETE', '/storage/v1/b/scratch-1/o/x', undefined, 'other').action, 'deny');
    assert.equal(decide(rules, alice, 'GET', '/bigquery/v2/projects/p/datasets/d/tables/t', undefined, 'bigquery').rule, 'bq-read');
    assert.equal(decide(rules, alice, 'DELETE', '/bigquery/v2/projects/p/datasets/d/tables/t', undefined, 'bigquery').action, 'deny');
  });

  it('decides every item and keeps the strictest: an allowed SELECT does not carry a DROP', () => {
    const rules = [
      { name: 'review-drops', operations: ['bigquery.jobs.*.drop', 'bigquery.jobs.*.truncate'], action: 'review' },
      { name: 'selects', operations: ['bigquery.jobs.*.select'], action: 'allow' },
    ];
    const select = decide(rules, alice, 'POST', '/bigquery/v2/projects/p/queries', JSON.stringify({ query: 'SELECT 1' }));
    assert.deepEqual([select.action, select.rule], ['allow', 'selects']);
    const mixed = decide(rules, alice, 'POST', '/bigquery/v2/projects/p/queries', JSON.stringify({ query: 'SELECT 1; DROP TABLE d.t' }));
    assert.deepEqual([mixed.action, mixed.rule, mixed.item.operation], ['review', 'review-drops', 'bigquery.jobs.query.drop']);
    const unknownKind = decide(rules, alice, 'POST', '/bigquery/v2/projects/p/queries', JSON.stringify({ query: 'SELECT 1; UPDATE d.t SET a=1 WHERE true' }));
    assert.deepEqual([unknownKind.action, unknownKind.rule], ['deny', 'default']);
  });

  it('holds a batch for review when one of its parts needs it', () => {
    const body = '--b\r\nContent-Type: application/http\r\n\r\nGET /storage/v1/b/bk/o/a HTTP/1.1\r\n\r\n--b\r\nContent-Type: application/http\r\n\r\nDELETE /storage/v1/b/bk/o/b HTTP/1.1\r\n\r\n--b--\r\n';
    const d = decide(devPolicy, alice, 'POST', '/batch/storage/v1', body);
    assert.deepEqual([d.action, d.rule, d.item.operation], ['review', 'review-removals', 'storage.objects.delete']);
  });

  it('rejects bad rules at config load, naming the field', () => {
    assert.throws(() => policyFrom([{ action: 'maybe' }]), /policy\.rules\[0\]\.action/);
    assert.throws(() => policyFrom([{ action: 'allow', groups: [] }]), /policy\.rules\[0\]\.groups/);
    assert.throws(() => policyFrom([{ action: 'allow', effects: ['explode'] }]), /policy\.rules\[0\]\.effects/);
    assert.throws(() => policyFrom([{ action: 'allow', typo: 1 }]), /policy\.rules\[0\]/);
    assert.throws(() => policyFrom([{ name: 'a', action: 'allow' }, { name: 'a', action: 'deny' }]), /policy\.rules\[1\]\.name: rule name "a" is taken/);
    assert.throws(() => policyFrom([{ name: 'default', action: 'allow' }]), /policy\.rules\[0\]\.name/);
  });

  it('decides in microseconds with precompiled globs', () => {
    const rules = [
      ...Array.from({ length: 50 }, (_, i) => ({ name: `r${i}`, subjects: [`svc-${i}-*@x`], operations: ['bigquery.*'], action: 'allow' })),
      ...devPolicy,
    ];
    const policy = policyFrom(rules);
    const classification = classifyGcpOperation({ method: 'GET', path: '/storage/v1/b/bk/o/a', query: '' });
    const n = 50_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) policy.decide({ identity: alice, connection: 'storage', classification });
    const perNs = Number(process.hrtime.bigint() - t0) / n;
    assert.equal(policy.decide({ identity: alice, connection: 'storage', classification }).rule, 'ops-all');
    assert.ok(perNs < 50_000, `policy.decide took ${perNs.toFixed(0)} ns`);
  });
});
