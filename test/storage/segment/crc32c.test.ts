import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c } from '@node-rs/crc32';
import { JS_CRC_MAX, crc32cRange, crc32cTable } from '../../../storage/segment/crc32c.js';

test('the table-driven CRC32C equals the native one at every length and alignment around the switch-over', () => {
  const buf = Buffer.alloc(2048);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 7919 + (i >> 3)) & 0xff;
  for (let len = 0; len <= JS_CRC_MAX + 40; len++) {
    for (const start of [0, 1, 3, 7, 13]) {
      const want = crc32c(buf.subarray(start, start + len));
      assert.equal(crc32cTable(buf, start, start + len), want, `length ${len} at ${start}`);
      assert.equal(crc32cRange(buf, start, start + len), want, `range, length ${len} at ${start}`);
    }
  }
  // a known value (RFC 3720 B.4: 32 bytes of zeros)
  assert.equal(crc32cTable(Buffer.alloc(32), 0, 32), 0x8a9136aa);
  assert.equal(crc32cRange(buf, 100, 100 + 1500), crc32c(buf.subarray(100, 1600)));
});
