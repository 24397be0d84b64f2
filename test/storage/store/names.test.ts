import assert from 'node:assert/strict';
import { test } from 'node:test';
import { indexContentType, indexObjectName, segmentObjectName } from '../../../storage/store/names.js';

const seg = { path: '/d/spool/000000000007-0123456789abcdef.tgseg', instanceId: 'gw-1', createdAtMs: Date.UTC(2026, 10, 25, 23, 59) };

test('index objects: `.jsonl.zst` (application/zstd) for the compressed index, `.jsonl` for a plain one from an earlier version', () => {
  assert.equal(segmentObjectName('tg', seg), 'tg/segments/2026/11/25/23/gw-1/000000000007-0123456789abcdef.tgseg');
  const zst = { ...seg, indexPath: '/d/spool/000000000007-0123456789abcdef.index.jsonl.zst' };
  assert.equal(indexObjectName('tg', zst), 'tg/index/2026/11/25/23/gw-1/000000000007-0123456789abcdef.jsonl.zst');
  assert.equal(indexObjectName('', seg), 'index/2026/11/25/23/gw-1/000000000007-0123456789abcdef.jsonl.zst', 'the writer\'s index when no path is given');
  assert.equal(indexContentType(zst.indexPath), 'application/zstd');
  for (const old of ['/d/spool/000000000007-0123456789abcdef.index.jsonl', '/d/spool/000000000007-0123456789abcdef.jsonl']) {
    assert.equal(indexObjectName('tg', { ...seg, indexPath: old }), 'tg/index/2026/11/25/23/gw-1/000000000007-0123456789abcdef.jsonl');
    assert.equal(indexContentType(old), 'application/x-ndjson');
  }
});
