import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../core/config/index.js';
import { checkTarget, hostName, Router } from '../../core/route.js';

const config = parseConfig({
  connections: [
    { name: 'storage', match: { pathPrefixes: ['/storage/v1/', '/upload/storage/v1/', '/download/storage/v1/', '/batch/storage/v1'] }, upstream: 'https://storage.googleapis.com' },
    { name: 'bigquery', match: { pathPrefixes: ['/bigquery/v2/', '/upload/bigquery/v2/'] }, upstream: 'https://bigquery.googleapis.com' },
    { name: 'compute', match: { pathPrefixes: ['/compute/v1/'] }, upstream: 'https://compute.googleapis.com' },
    { name: 'storage-by-host', match: { hosts: ['storage.internal:8080'] }, upstream: 'https://storage.googleapis.com' },
  ],
});
const router = new Router(config.connections.map((c) => ({ config: c })));
const route = (path: string, host = '127.0.0.1') => router.match(path, hostName(host))?.config.name ?? null;

test('Cloud Storage, BigQuery and Compute paths route to their connections', () => {
  assert.equal(route('/storage/v1/b/bkt/o/dir%2Fobj.txt'), 'storage');
  assert.equal(route('/upload/storage/v1/b/bkt/o'), 'storage');
  assert.equal(route('/download/storage/v1/b/bkt/o/a%2Fb'), 'storage');
  assert.equal(route('/batch/storage/v1'), 'storage');
  assert.equal(route('/bigquery/v2/projects/p/queries'), 'bigquery');
  assert.equal(route('/upload/bigquery/v2/projects/p/jobs'), 'bigquery');
  assert.equal(route('/compute/v1/projects/p/zones/z/instances'), 'compute');
  assert.equal(route('/storage/v2/b'), null);
  assert.equal(route('/'), null);
});

test('a Host rule only matches its host, ignoring the port and case', () => {
  assert.equal(route('/anything', 'STORAGE.internal:9999'), 'storage-by-host');
  assert.equal(route('/anything', 'evil.example.com'), null);
  assert.equal(hostName('[::1]:8080'), '[::1]');
});

test('absolute-form targets, dot segments and encoded dot segments are refused', () => {
  assert.equal(checkTarget('/storage/v1/b/bkt/o/a%2Fb'), null);
  assert.equal(checkTarget('/storage/v1/b/bkt/o/file.name.txt'), null);
  assert.equal(checkTarget('/storage/v1/b/bkt/o/..hidden'), null);
  assert.match(checkTarget('http://evil.example.com/storage/v1/b')!, /absolute-form/);
  assert.match(checkTarget('evil.example.com:443')!, /absolute-form/);
  assert.match(checkTarget('//evil.example.com/x')!, /\/\//);
  assert.equal(checkTarget('/storage/v1/b/bkt/o/dir%2F.hidden%2Fa.b'), null);
  assert.equal(checkTarget('/storage/v1/b/bkt/o/...%2F%2e%2e%2ex'), null);
  assert.equal(checkTarget('/storage/v1/b/bkt/o/100%25.txt%2'), null);
  for (const p of ['/storage/v1/../../compute/v1/x', '/storage/v1/./b', '/storage/v1/%2e%2e/compute', '/storage/v1/.%2E/x', '/storage/v1/b/o%2F..%2Fx', '/storage/v1/..', '/storage/v1/b/o%2f%2E', '/storage/v1/b/%2e']) {
    assert.match(checkTarget(p)!, /segments/, p);
  }
  assert.match(checkTarget('/storage/v1\\..\\x')!, /backslash/);
  assert.match(checkTarget('/storage/v1/%5C..%5Cx')!, /backslash/);
});
