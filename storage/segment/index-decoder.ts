import type { Outcome, RecordingMode } from '../../core/exchange.js';
import type { IndexTracker } from './index-file.js';
import { readVarint, varintEnd } from './records.js';

/**
 * Reads just the index fields of start, response and end records (the writer thread does this for
 * every exchange): no protobuf objects, header lists skipped unread, and no string per field — the
 * tracker gets the fields' positions in the record bytes and copies them into the index line as
 * they are (index-file.ts). The exchange id is the only string made (the key of open exchanges).
 * A test checks that the index comes out the same as through the full protobuf decoder.
 */
const MODES: RecordingMode[] = ['full', 'full', 'metadata', 'off'];
const OUTCOMES: Outcome[] = ['upstream_error', 'completed', 'client_aborted', 'upstream_error', 'timeout', 'denied', 'rejected_unrecordable'];

let p = 0;

function varint(b: Uint8Array): number {
  const v = readVarint(b, p);
  p = varintEnd;
  return v;
}

/** varint64()'s result: the int64's unsigned 32-bit halves (no bigint per timestamp). */
let hi = 0;
let lo = 0;

function varint64(b: Uint8Array): void {
  let l = 0;
  let h = 0;
  let shift = 0;
  let x: number;
  do {
    x = b[p++]!;
    if (shift < 28) l |= (x & 0x7f) << shift;
    else if (shift === 28) {
      l |= (x & 0x0f) << 28;
      h |= (x & 0x7f) >> 4;
    } else h |= (x & 0x7f) << (shift - 32);
    shift += 7;
  } while (x & 0x80);
  lo = l >>> 0;
  hi = h >>> 0;
}

/** A length-delimited field: sets `at` to its first byte and returns its length (p moves past it). */
let at = 0;
function bytesField(b: Uint8Array): number {
  const n = varint(b);
  at = p;
  p += n;
  return n;
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

/** nested()'s results: position and length of field 1 and field 2 (strings) of a nested message. */
let n1At = 0, n1Len = 0, n2At = 0, n2Len = 0;

/** Reads a nested message's string fields 1 and 2 (Identity subject/issuer, Decision action). */
function nested(b: Uint8Array): void {
  const n = varint(b);
  const end = p + n;
  n1Len = n2Len = 0;
  while (p < end) {
    const tag = varint(b);
    if (tag === 0x0a) {
      n1Len = bytesField(b);
      n1At = at;
    } else if (tag === 0x12) {
      n2Len = bytesField(b);
      n2At = at;
    } else skip(b, tag & 7);
  }
  p = end;
}

/**
 * The fields of a start record, as positions in its bytes (`src`): what an index line takes from
 * it (index-file.ts copies them into the line).
 */
export class StartFields {
  src: Buffer = EMPTY;
  idStart = 0; idLen = 0;
  sessionStart = 0; sessionLen = 0;
  connectionStart = 0; connectionLen = 0;
  mode: RecordingMode = 'full';
  clientStart = 0; clientLen = 0;
  subjectStart = 0; subjectLen = 0;
  issuerStart = 0; issuerLen = 0;
  operationStart = 0; operationLen = 0;
  resourceStart = 0; resourceLen = 0;
  decisionStart = 0; decisionLen = 0;
  methodStart = 0; methodLen = 0;
  receivedHi = 0; receivedLo = 0;

  reset(src: Buffer): void {
    this.src = src;
    this.idLen = this.sessionLen = this.connectionLen = this.clientLen = this.subjectLen = this.issuerLen = 0;
    this.operationLen = this.resourceLen = this.decisionLen = this.methodLen = 0;
    this.mode = 'full';
    this.receivedHi = this.receivedLo = 0;
  }
}

/** The fields of an end record, as positions in its bytes (`src`). */
export class EndFields {
  src: Buffer = EMPTY;
  outcome: Outcome = 'upstream_error';
  errorStart = 0; errorLen = 0;
  completedHi = 0; completedLo = 0;
  requestBytes = 0;
  responseBytes = 0;
  decisionStart = 0; decisionLen = 0;

  reset(src: Buffer): void {
    this.src = src;
    this.outcome = 'upstream_error';
    this.errorLen = this.decisionLen = 0;
    this.completedHi = this.completedLo = 0;
    this.requestBytes = this.responseBytes = 0;
  }
}
const EMPTY = Buffer.alloc(0);

const end = new EndFields();

/**
 * The exchange id at [at, at+n) of `b`, the key of open exchanges (made once per exchange, from its
 * start record; its response and end records are matched by the id's bytes): ids are ASCII, for
 * which a latin1 decode gives the same string as a UTF-8 one, cheaper.
 */
function idString(b: Buffer, at: number, n: number): string {
  const e = at + n;
  for (let i = at; i < e; i++) if (b[i]! >= 0x80) return b.toString('utf8', at, e);
  return b.toString('latin1', at, e);
}

/** Reads the index fields of the start record whose Record bytes begin at `from` in `b` (checked by indexRecordBytes). */
export function parseStart(b: Buffer, from: number, f: StartFields): void {
  p = from + 1;
  const len = varint(b);
  const innerEnd = p + len;
  f.reset(b);
  while (p < innerEnd) {
    const tag = varint(b);
    switch (tag) {
      case 0x0a: f.idLen = bytesField(b); f.idStart = at; break;
      case 0x12: f.sessionLen = bytesField(b); f.sessionStart = at; break;
      case 0x1a: f.connectionLen = bytesField(b); f.connectionStart = at; break;
      case 0x20: f.mode = MODES[varint(b)] ?? 'full'; break;
      case 0x2a: f.clientLen = bytesField(b); f.clientStart = at; break;
      case 0x32:
        nested(b);
        f.subjectStart = n1At; f.subjectLen = n1Len;
        f.issuerStart = n2At; f.issuerLen = n2Len;
        break;
      case 0x3a: f.operationLen = bytesField(b); f.operationStart = at; break;
      case 0x42: f.resourceLen = bytesField(b); f.resourceStart = at; break;
      case 0x4a: nested(b); f.decisionStart = n1At; f.decisionLen = n1Len; break;
      case 0x52: f.methodLen = bytesField(b); f.methodStart = at; break;
      case 0x68: varint64(b); f.receivedHi = hi; f.receivedLo = lo; break;
      default: skip(b, tag & 7); // target, request headers, unknown fields
    }
  }
  if (p !== innerEnd) throw new Error('index record fields overrun their record');
}

/**
 * Feeds one Record (bytes [from, to) of `b`) to the index if it is a start, response or end
 * record; body and gap records are ignored.
 */
export function indexRecordBytes(b: Buffer, from: number, to: number, index: IndexTracker): void {
  const kind = b[from];
  if (kind !== 0x0a && kind !== 0x1a && kind !== 0x22) return;
  p = from + 1;
  const len = varint(b);
  const innerEnd = p + len;
  if (innerEnd > to) throw new Error('index record runs past its bounds');
  if (kind === 0x0a) {
    // the id only (canonical encoding puts it first); the other fields are read when the line is written
    let id = '';
    while (p < innerEnd) {
      const tag = varint(b);
      if (tag === 0x0a) {
        const n = bytesField(b);
        id = idString(b, at, n);
        break;
      }
      skip(b, tag & 7);
    }
    index.startRecord(id, b, from, to - from);
  } else if (kind === 0x1a) {
    let idAt = 0;
    let idLen = 0;
    let status = 0;
    while (p < innerEnd) {
      const tag = varint(b);
      if (tag === 0x0a) {
        idLen = bytesField(b);
        idAt = at;
      } else if (tag === 0x10) status = varint(b);
      else skip(b, tag & 7);
    }
    index.responseBytes(b, idAt, idLen, status, idString);
  } else {
    const f = end;
    f.reset(b);
    let idAt = 0;
    let idLen = 0;
    while (p < innerEnd) {
      const tag = varint(b);
      switch (tag) {
        case 0x0a: idLen = bytesField(b); idAt = at; break;
        case 0x10: f.outcome = OUTCOMES[varint(b)] ?? 'upstream_error'; break;
        case 0x1a: f.errorLen = bytesField(b); f.errorStart = at; break;
        case 0x20: varint64(b); f.completedHi = hi; f.completedLo = lo; break;
        case 0x28: f.requestBytes = varint(b); break;
        case 0x30: f.responseBytes = varint(b); break;
        case 0x3a: nested(b); f.decisionStart = n1At; f.decisionLen = n1Len; break;
        default: skip(b, tag & 7);
      }
    }
    if (p !== innerEnd) throw new Error('index record fields overrun their record');
    index.endBytes(idAt, idLen, f, idString);
  }
}
