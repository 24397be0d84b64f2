import type { Outcome, RecordingMode } from '../../core/exchange.js';
import { emptyEntry, type IndexTracker } from './index-file.js';

/**
 * Reads just the index fields of start, response and end records (the writer thread does this for
 * every exchange): no protobuf objects, header lists skipped unread. protobufjs decoding plus the
 * garbage it left was most of the writer thread's time with small exchanges (measured). A test
 * checks that the index comes out the same as through the full decoder.
 */
const MODES: RecordingMode[] = ['full', 'full', 'metadata', 'off'];
const OUTCOMES: Outcome[] = ['upstream_error', 'completed', 'client_aborted', 'upstream_error', 'timeout', 'denied', 'rejected_unrecordable'];

let p = 0;

function varint(b: Uint8Array): number {
  let v = 0;
  let mul = 1;
  let x: number;
  do {
    x = b[p++]!;
    v += (x & 0x7f) * mul;
    mul *= 128;
  } while (x & 0x80);
  return v;
}

/** int64 varint as a bigint (two's complement), exact beyond 2^53. */
function varint64(b: Uint8Array): bigint {
  let lo = 0;
  let hi = 0;
  let shift = 0;
  let x: number;
  do {
    x = b[p++]!;
    if (shift < 28) lo |= (x & 0x7f) << shift;
    else if (shift === 28) {
      lo |= (x & 0x0f) << 28;
      hi |= (x & 0x7f) >> 4;
    } else hi |= (x & 0x7f) << (shift - 32);
    shift += 7;
  } while (x & 0x80);
  // one bigint per value (reading the two halves back as an int64) instead of five: less garbage
  i64u32[LE ? 0 : 1] = lo >>> 0;
  i64u32[LE ? 1 : 0] = hi >>> 0;
  return i64[0]!;
}

const i64 = new BigInt64Array(1);
const i64u32 = new Uint32Array(i64.buffer);
const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function str(b: Buffer): string {
  const n = varint(b);
  const s = b.toString('utf8', p, p + n);
  p += n;
  return s;
}

/**
 * Per-field memory of the last string decoded: most index fields (session, connection, client,
 * subject, issuer, operation, method, decision) repeat from one exchange to the next, and reusing the
 * string when the bytes match skips a native decode call and the garbage of a new string each time.
 */
interface Memo {
  n: number;
  bytes: Uint8Array;
  s: string;
}
const MEMO_MAX = 64;
const memos: Memo[] = [];
for (let i = 0; i < 12; i++) memos.push({ n: -1, bytes: new Uint8Array(MEMO_MAX), s: '' });
const M_SESSION = 0, M_CONNECTION = 1, M_CLIENT = 2, M_SUBJECT = 3, M_ISSUER = 4, M_OPERATION = 5, M_RESOURCE = 6;
const M_DECISION = 7, M_METHOD = 8, M_ERROR = 9;

function memoStr(b: Buffer, m: Memo): string {
  const n = varint(b);
  if (n > MEMO_MAX) {
    const s = b.toString('utf8', p, p + n);
    p += n;
    return s;
  }
  const bytes = m.bytes;
  if (m.n === n) {
    let i = 0;
    while (i < n && b[p + i] === bytes[i]) i++;
    if (i === n) {
      p += n;
      return m.s;
    }
  }
  for (let i = 0; i < n; i++) bytes[i] = b[p + i]!;
  m.n = n;
  m.s = b.toString('utf8', p, p + n);
  p += n;
  return m.s;
}

function skip(b: Uint8Array, wire: number): void {
  if (wire === 0) varint(b);
  else if (wire === 2) {
    const n = varint(b); // (not `p += varint(b)`: that reads p before varint moves it)
    p += n;
  }
  else if (wire === 1) p += 8;
  else if (wire === 5) p += 4;
  else throw new Error(`wire type ${wire} in an index record`);
}

/** nested()'s second field (set with its return value: no tuple per call). */
let f2 = '';

/** The first string field 1 of a nested message (Decision.action); with want 2 also field 2 in `f2` (Identity). */
function nested(b: Buffer, want: number, m1: Memo, m2: Memo): string {
  const n = varint(b);
  const end = p + n;
  let f1 = '';
  f2 = '';
  while (p < end) {
    const tag = varint(b);
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === 2) f1 = memoStr(b, m1);
    else if (want === 2 && field === 2 && (tag & 7) === 2) f2 = memoStr(b, m2);
    else skip(b, tag & 7);
  }
  p = end;
  return f1;
}

/**
 * Feeds one Record (bytes [start, end) of `b`) to the index if it is a start, response or end
 * record; body and gap records are ignored.
 */
export function indexRecordBytes(b: Buffer, start: number, end: number, index: IndexTracker): void {
  const kind = b[start];
  if (kind !== 0x0a && kind !== 0x1a && kind !== 0x22) return;
  p = start + 1;
  const len = varint(b);
  const innerEnd = p + len;
  if (innerEnd > end) throw new Error('index record runs past its bounds');
  if (kind === 0x0a) {
    const e = emptyEntry();
    while (p < innerEnd) {
      const tag = varint(b);
      switch (tag) {
        case 0x0a: e.exchangeId = str(b); break;
        case 0x12: e.sessionId = memoStr(b, memos[M_SESSION]!); break;
        case 0x1a: e.connection = memoStr(b, memos[M_CONNECTION]!); break;
        case 0x20: e.mode = MODES[varint(b)] ?? 'full'; break;
        case 0x2a: e.clientAddress = memoStr(b, memos[M_CLIENT]!); break;
        case 0x32: e.subject = nested(b, 2, memos[M_SUBJECT]!, memos[M_ISSUER]!); e.issuer = f2; break;
        case 0x3a: e.operation = memoStr(b, memos[M_OPERATION]!); break;
        case 0x42: e.resource = memoStr(b, memos[M_RESOURCE]!); break;
        case 0x4a: e.decision = nested(b, 1, memos[M_DECISION]!, memos[M_DECISION]!); break;
        case 0x52: e.method = memoStr(b, memos[M_METHOD]!); break;
        case 0x68: e.receivedNs = varint64(b); break;
        default: skip(b, tag & 7); // target, request headers, unknown fields
      }
    }
    index.start(e);
  } else if (kind === 0x1a) {
    let id = '';
    let status = 0;
    while (p < innerEnd) {
      const tag = varint(b);
      if (tag === 0x0a) id = str(b);
      else if (tag === 0x10) status = varint(b);
      else skip(b, tag & 7);
    }
    index.response(id, status);
  } else {
    let id = '';
    let outcome: Outcome = 'upstream_error';
    let error = '';
    let completedNs = 0n;
    let req = 0;
    let res = 0;
    let decision = '';
    while (p < innerEnd) {
      const tag = varint(b);
      switch (tag) {
        case 0x0a: id = str(b); break;
        case 0x10: outcome = OUTCOMES[varint(b)] ?? 'upstream_error'; break;
        case 0x1a: error = memoStr(b, memos[M_ERROR]!); break;
        case 0x20: completedNs = varint64(b); break;
        case 0x28: req = varint(b); break;
        case 0x30: res = varint(b); break;
        case 0x3a: decision = nested(b, 1, memos[M_DECISION]!, memos[M_DECISION]!); break;
        default: skip(b, tag & 7);
      }
    }
    index.end(id, completedNs, req, res, outcome, error, decision);
  }
}
