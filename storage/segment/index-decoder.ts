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
  return BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
}

function str(b: Buffer): string {
  const n = varint(b);
  const s = b.toString('utf8', p, p + n);
  p += n;
  return s;
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

/** The first string field 1 of a nested message (Decision.action) ; fields 1 and 2 for Identity. */
function nested(b: Buffer, want: number): [string, string] {
  const n = varint(b);
  const end = p + n;
  let f1 = '';
  let f2 = '';
  while (p < end) {
    const tag = varint(b);
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === 2) f1 = str(b);
    else if (want === 2 && field === 2 && (tag & 7) === 2) f2 = str(b);
    else skip(b, tag & 7);
  }
  p = end;
  return [f1, f2];
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
        case 0x12: e.sessionId = str(b); break;
        case 0x1a: e.connection = str(b); break;
        case 0x20: e.mode = MODES[varint(b)] ?? 'full'; break;
        case 0x2a: e.clientAddress = str(b); break;
        case 0x32: [e.subject, e.issuer] = nested(b, 2); break;
        case 0x3a: e.operation = str(b); break;
        case 0x42: e.resource = str(b); break;
        case 0x4a: e.decision = nested(b, 1)[0]; break;
        case 0x52: e.method = str(b); break;
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
        case 0x1a: error = str(b); break;
        case 0x20: completedNs = varint64(b); break;
        case 0x28: req = varint(b); break;
        case 0x30: res = varint(b); break;
        case 0x3a: decision = nested(b, 1)[0]; break;
        default: skip(b, tag & 7);
      }
    }
    index.end(id, completedNs, req, res, outcome, error, decision);
  }
}
