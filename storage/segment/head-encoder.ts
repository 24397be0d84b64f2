import type { ExchangeEnd, ExchangeHead, HeaderList, Outcome, PolicyDecision, RawHeaderList, RecordingMode, ResponseHead } from '../../core/exchange.js';
import { lowerLatin1 } from '../../core/headers.js';
import { varintSize, writeVarint } from './records.js';

/**
 * Hand-rolled encoders for the once-per-exchange records (ExchangeStart, ResponseStart,
 * ExchangeEnd) that write straight into the frame buffer: protobufjs builds a Writer, Long objects
 * and a result array per record (≈ 8 µs per exchange on the event loop, measured), this ≈ 1–2 µs.
 * Two passes: size() computes every length into a scratch list, write() consumes it in the same
 * order. The output is byte-identical to protobufjs (canonical proto3: fields in number order,
 * defaults omitted, message fields written when present) — test/storage/segment/head-encoder.test.ts.
 *
 * Use as `const n = sizeX(...); writeX(buf, pos, ...)` with nothing in between (shared scratch).
 *
 * `sizeX(..., true)` sizes optimistically: strings up to 256 chars count one byte per char, so the
 * size pass does not scan them (header values are ASCII in practice). The write pass then checks
 * the chars it copies anyway; after a non-ASCII one, wroteNonAscii() is true and the bytes written
 * are wrong (same length): size exactly (`sizeX(...)`) and write again.
 *
 * FrameBuilder uses one-pass writers where it can (below: writeResponseRaw for undici's bytes,
 * writeEndOnePass without a decision, writeStartRemembered when a session's memo hits): no size
 * pass, each length written into space reserved from a cheap upper bound and the bytes moved left
 * in the rare case fewer length bytes were needed. 1 KB GET exchange, recorder path driven in
 * process (/proc/thread-self/schedstat): ≈ 3.4 → 2.9 µs per exchange on the event loop.
 */
/** Optimistic sizing is on for the current record; a write pass met a non-ASCII char. */
let optimistic = false;
let nonAscii = false;

/** True when the last write after an optimistic size met a non-ASCII char (its output is wrong). */
export function wroteNonAscii(): boolean {
  return nonAscii;
}

function begin(ascii: boolean): void {
  used = 0;
  k = 0;
  optimistic = ascii;
  nonAscii = false;
}

// A typed scratch list with its own length: an Array emptied with `length = 0` drops its backing
// store and grows it again for every record (measured as allocation and GC on the event loop).
let lens = new Uint32Array(1024);
let used = 0;
let k = 0;

function push(v: number): void {
  if (used === lens.length) {
    const bigger = new Uint32Array(lens.length * 2);
    bigger.set(lens);
    lens = bigger;
  }
  lens[used++] = v;
}

const MODE: Record<RecordingMode, number> = { full: 1, metadata: 2, off: 3 };
const OUTCOME: Record<Outcome, number> = { completed: 1, client_aborted: 2, upstream_error: 3, timeout: 4, denied: 5, rejected_unrecordable: 6 };

/**
 * UTF-8 length in JS: for the short strings of a request head this beats a native call per string
 * (the loop is what protobufjs does too). Lone surrogates count 3 bytes, as Buffer encodes them.
 */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if ((c & 0xfc00) === 0xd800 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      i++;
      n += 4;
    } else n += 3;
  }
  return n;
}

function strSize(s: string): number {
  if (s === '') return 0;
  const n = s.length > 256 ? Buffer.byteLength(s, 'utf8') : optimistic ? s.length : utf8Length(s);
  push(n);
  return 1 + varintSize(n) + n;
}

/** Repeated string elements are written even when empty. */
function strSizeAlways(s: string): number {
  const n = s === '' ? 0 : s.length > 256 ? Buffer.byteLength(s, 'utf8') : optimistic ? s.length : utf8Length(s);
  push(n);
  return 1 + varintSize(n) + n;
}

function writeStr(buf: Buffer, pos: number, tag: number, s: string): number {
  if (s === '') return pos;
  return writeStrAlways(buf, pos, tag, s);
}

function writeStrAlways(buf: Buffer, pos: number, tag: number, s: string): number {
  const n = lens[k++]!;
  buf[pos++] = tag;
  pos = writeVarint(buf, pos, n);
  if (optimistic && n <= 256) {
    // sized as one byte per char: copy and check that every char was ASCII
    let all = 0;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      all |= c;
      buf[pos + i] = c;
    }
    if (all > 0x7f) nonAscii = true;
  } else if (n === s.length && n <= 64) {
    // ASCII (byte length equals char count) and short: a JS copy beats the native call
    for (let i = 0; i < n; i++) buf[pos + i] = s.charCodeAt(i);
  } else if (n > 0) {
    buf.write(s, pos, n, 'utf8');
  }
  return pos + n;
}

/** int64 from a bigint: two's complement, as a 64-bit varint; stores lo/hi for the write pass. */
// a bigint stored into a BigUint64Array wraps to 64-bit two's complement; reading the same bytes as
// two u32 splits it without allocating intermediate bigints
const u64 = new BigUint64Array(1);
const u32 = new Uint32Array(u64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function i64Size(v: bigint): number {
  if (v === 0n) return 0;
  u64[0] = v; // ToBigUint64 wraps modulo 2^64 itself (no BigInt.asUintN call)
  let lo = LITTLE_ENDIAN ? u32[0]! : u32[1]!;
  let hi = LITTLE_ENDIAN ? u32[1]! : u32[0]!;
  push(lo);
  push(hi);
  let size = 1;
  while (hi !== 0) {
    size++;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  while (lo > 127) {
    size++;
    lo >>>= 7;
  }
  return 1 + size;
}

function writeI64(buf: Buffer, pos: number, tag: number, v: bigint): number {
  if (v === 0n) return pos;
  const lo = lens[k++]!;
  const hi = lens[k++]!;
  buf[pos++] = tag;
  return writeVarint64(buf, pos, lo, hi);
}

/** The varint of the 64-bit value hi·2³² + lo (both uint32). */
function writeVarint64(buf: Buffer, pos: number, lo: number, hi: number): number {
  while (hi !== 0) {
    buf[pos++] = (lo & 127) | 128;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  while (lo > 127) {
    buf[pos++] = (lo & 127) | 128;
    lo >>>= 7;
  }
  buf[pos++] = lo;
  return pos;
}

/** Non-negative integer (uint32/uint64/enum/int64 ≥ 0), omitted when 0. */
function numSize(v: number): number {
  return v === 0 ? 0 : 1 + varintSize(v);
}

function writeNum(buf: Buffer, pos: number, tag: number, v: number): number {
  if (v === 0) return pos;
  buf[pos++] = tag;
  return writeVarint(buf, pos, v);
}

function msgSize(inner: number): number {
  return 1 + varintSize(inner) + inner;
}

/** Reserves a slot for a nested message's length (known only after its fields are sized). */
function slot(): number {
  push(0);
  return used - 1;
}

function headersSize(h: HeaderList): number {
  let total = 0;
  for (let i = 0; i < h.length; i++) {
    const s = slot();
    const inner = strSize(h[i]![0]) + strSize(h[i]![1]);
    lens[s] = inner;
    total += msgSize(inner);
  }
  return total;
}

function writeHeaders(buf: Buffer, pos: number, tag: number, h: HeaderList): number {
  for (let i = 0; i < h.length; i++) {
    buf[pos++] = tag;
    pos = writeVarint(buf, pos, lens[k++]!);
    pos = writeStr(buf, pos, 0x0a, h[i]![0]);
    pos = writeStr(buf, pos, 0x12, h[i]![1]);
  }
  return pos;
}

/*
 * ResponseHead.rawHeaders: undici's Latin-1 bytes, encoded as the strings responseHeaderList would
 * make of them (names lower-cased as String#toLowerCase does, bytes ≥ 0x80 as two UTF-8 bytes)
 * without making those strings (for a 4-header head ≈ 0.5 µs per exchange on the event loop,
 * measured, plus their garbage). Secret values arrive as marker strings.
 */

function latin1Utf8Length(b: Uint8Array): number {
  let n = b.length;
  for (let i = 0; i < b.length; i++) if (b[i]! > 0x7f) n++;
  return n;
}

/** Latin-1 bytes as UTF-8 (lower-cased when `name`): the general path, for bytes ≥ 0x80. */
function writeLatin1AsUtf8(buf: Buffer, pos: number, b: Uint8Array, name: boolean): number {
  for (let i = 0; i < b.length; i++) {
    const c = name ? lowerLatin1(b[i]!) : b[i]!;
    if (c < 0x80) buf[pos++] = c;
    else {
      buf[pos++] = 0xc0 | (c >> 6);
      buf[pos++] = 0x80 | (c & 0x3f);
    }
  }
  return pos;
}

function reviewedAt(d: PolicyDecision): bigint {
  return d.reviewedAtMs ? BigInt(d.reviewedAtMs) : 0n;
}

function decisionSize(d: PolicyDecision): number {
  const s = slot();
  const inner =
    strSize(d.action) + strSize(d.rule) + strSize(d.reviewId ?? '') + strSize(d.reviewedBy ?? '') + i64Size(reviewedAt(d)) + strSize(d.reviewReason ?? '') + strSize(d.reason ?? '');
  lens[s] = inner;
  return msgSize(inner);
}

function writeDecision(buf: Buffer, pos: number, tag: number, d: PolicyDecision): number {
  buf[pos++] = tag;
  pos = writeVarint(buf, pos, lens[k++]!);
  pos = writeStr(buf, pos, 0x0a, d.action);
  pos = writeStr(buf, pos, 0x12, d.rule);
  pos = writeStr(buf, pos, 0x1a, d.reviewId ?? '');
  pos = writeStr(buf, pos, 0x22, d.reviewedBy ?? '');
  pos = writeI64(buf, pos, 0x28, reviewedAt(d));
  pos = writeStr(buf, pos, 0x32, d.reviewReason ?? '');
  return writeStr(buf, pos, 0x3a, d.reason ?? '');
}

/*
 * ExchangeStart fields an agent's exchanges usually share with its previous one: fields 2–7
 * (session, connection, mode, client address, identity, operation) and the request header list
 * (field 12, already redacted). Their encoded bytes are remembered per session id; when every value
 * equals the remembered one (compared by value, not identity) they are copied in one step instead
 * of being sized and encoded field by field (the char loops were the biggest part of recording's
 * event-loop cost). Per session, so agents interleaving their exchanges each keep theirs (session
 * ids are mostly the same string object each time: its hash is cached). Bounded: at most
 * MAX_MEMOS sessions (the oldest makes room) of at most MEMO_MAX bytes each part.
 */
const MAX_MEMOS = 256;
const MEMO_MAX = 2048;

interface StartMemo {
  connection: string;
  mode: RecordingMode;
  clientAddress: string;
  identity: boolean;
  subject: string;
  issuer: string;
  groups: string[];
  operation: string;
  /** Encoded fields 2–7 (a view of prefixStore); null until remembered. */
  prefix: Uint8Array | null;
  prefixStore: Uint8Array | null;
  /** The header list flattened (name, value, …) and its encoded field 12; null until remembered. */
  headerKeys: string[];
  headers: Uint8Array | null;
  headersStore: Uint8Array | null;
}

const memos = new Map<string, StartMemo>();
/**
 * The memo found last and its session id: agents' exchanges come in runs per session, and a string
 * compare (a pointer check for the tracker's same session string) is cheaper than a Map lookup.
 * Reset whenever a memo is evicted (its object is reused for another session).
 */
let lastSession: string | null = null;
let lastMemo: StartMemo | undefined;

function memoFor(sessionId: string): StartMemo | undefined {
  if (sessionId === lastSession) return lastMemo;
  const m = memos.get(sessionId);
  if (m !== undefined) {
    lastSession = sessionId;
    lastMemo = m;
  }
  return m;
}
/** What sizeStart found remembered, for the writeStart that follows (null: encode the fields). */
let prefixHit: Uint8Array | null = null;
let headersHit: Uint8Array | null = null;

function prefixRemembered(m: StartMemo, h: ExchangeHead): boolean {
  if (m.prefix === null || h.connection !== m.connection || h.mode !== m.mode || h.clientAddress !== m.clientAddress || h.operation !== m.operation) return false;
  const id = h.identity;
  if (id === null) return !m.identity;
  if (!m.identity || id.subject !== m.subject || id.issuer !== m.issuer || id.groups.length !== m.groups.length) return false;
  for (let i = 0; i < id.groups.length; i++) if (id.groups[i] !== m.groups[i]) return false;
  return true;
}

function headersRemembered(m: StartMemo, list: HeaderList): boolean {
  const keys = m.headerKeys;
  if (m.headers === null || keys.length !== list.length * 2) return false;
  for (let i = 0; i < list.length; i++) if (list[i]![0] !== keys[2 * i] || list[i]![1] !== keys[2 * i + 1]) return false;
  return true;
}

function memoOf(sessionId: string): StartMemo {
  let m = memos.get(sessionId);
  if (m !== undefined) return m;
  if (memos.size >= MAX_MEMOS) {
    // the longest remembered session makes room, its buffers reused (no allocation in steady state)
    const oldest = memos.keys().next().value!;
    m = memos.get(oldest)!;
    memos.delete(oldest);
    lastSession = null;
    lastMemo = undefined;
    m.prefix = null;
    m.headers = null;
  } else {
    m = {
      connection: '',
      mode: 'off',
      clientAddress: '',
      identity: false,
      subject: '',
      issuer: '',
      groups: [],
      operation: '',
      prefix: null,
      prefixStore: null,
      headerKeys: [],
      headers: null,
      headersStore: null,
    };
  }
  memos.set(sessionId, m);
  return m;
}

// A plain Uint8Array over the frame buffer: its subarray() is V8's builtin (Buffer's is JS and
// makes a Buffer), and a miss then allocates only views (a store is reused).
let frameBuf: Buffer | null = null;
let frameView: Uint8Array = new Uint8Array(0);

/** buf[from, to) copied into `store` (reused when big enough) as an exact-length view; null past MEMO_MAX. */
function remember(store: Uint8Array | null, buf: Buffer, from: number, to: number): Uint8Array | null {
  const n = to - from;
  if (n > MEMO_MAX || store === null) return null;
  if (buf !== frameBuf) {
    frameBuf = buf;
    frameView = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  }
  const view = store.subarray(0, n);
  view.set(frameView.subarray(from, to));
  return view;
}

function storeFor(store: Uint8Array | null, n: number): Uint8Array | null {
  if (n > MEMO_MAX) return store;
  return store !== null && store.length >= n ? store : new Uint8Array(Math.min(MEMO_MAX, Math.max(256, n * 2)));
}

function rememberPrefix(h: ExchangeHead, buf: Buffer, from: number, to: number): void {
  const m = memoOf(h.sessionId);
  m.prefixStore = storeFor(m.prefixStore, to - from);
  m.prefix = remember(m.prefixStore, buf, from, to);
  m.connection = h.connection;
  m.mode = h.mode;
  m.clientAddress = h.clientAddress;
  m.identity = h.identity !== null;
  m.subject = h.identity?.subject ?? '';
  m.issuer = h.identity?.issuer ?? '';
  const groups = h.identity?.groups ?? [];
  m.groups.length = groups.length;
  for (let i = 0; i < groups.length; i++) m.groups[i] = groups[i]!;
  m.operation = h.operation;
}

function rememberHeaders(h: ExchangeHead, buf: Buffer, from: number, to: number): void {
  const m = memoOf(h.sessionId);
  const list = h.requestHeaders;
  const keys = m.headerKeys;
  keys.length = list.length * 2;
  for (let i = 0; i < list.length; i++) {
    keys[2 * i] = list[i]![0];
    keys[2 * i + 1] = list[i]![1];
  }
  m.headersStore = storeFor(m.headersStore, to - from);
  m.headers = remember(m.headersStore, buf, from, to);
}

/** Size of the Record{start} bytes. */
export function sizeStart(h: ExchangeHead, ascii = false): number {
  begin(ascii);
  const s = slot();
  const m = memoFor(h.sessionId);
  prefixHit = m !== undefined && prefixRemembered(m, h) ? m.prefix : null;
  headersHit = m !== undefined && headersRemembered(m, h.requestHeaders) ? m.headers : null;
  let inner = strSize(h.exchangeId);
  if (prefixHit !== null) inner += prefixHit.length;
  else {
    inner += strSize(h.sessionId) + strSize(h.connection) + numSize(MODE[h.mode]) + strSize(h.clientAddress);
    if (h.identity) {
      const is = slot();
      let id = strSize(h.identity.subject) + strSize(h.identity.issuer);
      for (let i = 0; i < h.identity.groups.length; i++) id += strSizeAlways(h.identity.groups[i]!);
      lens[is] = id;
      inner += msgSize(id);
    }
    inner += strSize(h.operation);
  }
  inner += strSize(h.resource);
  if (h.decision) inner += decisionSize(h.decision);
  inner += strSize(h.method) + strSize(h.target);
  inner += (headersHit !== null ? headersHit.length : headersSize(h.requestHeaders)) + i64Size(h.receivedNs);
  lens[s] = inner;
  return msgSize(inner);
}

export function writeStart(buf: Buffer, pos: number, h: ExchangeHead): number {
  buf[pos++] = 0x0a; // Record.start
  pos = writeVarint(buf, pos, lens[k++]!);
  pos = writeStr(buf, pos, 0x0a, h.exchangeId);
  if (prefixHit !== null) {
    buf.set(prefixHit, pos);
    pos += prefixHit.length;
  } else {
    const from = pos;
    pos = writeStr(buf, pos, 0x12, h.sessionId);
    pos = writeStr(buf, pos, 0x1a, h.connection);
    pos = writeNum(buf, pos, 0x20, MODE[h.mode]);
    pos = writeStr(buf, pos, 0x2a, h.clientAddress);
    if (h.identity) {
      buf[pos++] = 0x32;
      pos = writeVarint(buf, pos, lens[k++]!);
      pos = writeStr(buf, pos, 0x0a, h.identity.subject);
      pos = writeStr(buf, pos, 0x12, h.identity.issuer);
      for (let i = 0; i < h.identity.groups.length; i++) pos = writeStrAlways(buf, pos, 0x1a, h.identity.groups[i]!);
    }
    pos = writeStr(buf, pos, 0x3a, h.operation);
    // (after a non-ASCII char these bytes are wrong and get rewritten: see wroteNonAscii)
    if (!nonAscii) rememberPrefix(h, buf, from, pos);
  }
  pos = writeStr(buf, pos, 0x42, h.resource);
  if (h.decision) pos = writeDecision(buf, pos, 0x4a, h.decision);
  pos = writeStr(buf, pos, 0x52, h.method);
  pos = writeStr(buf, pos, 0x5a, h.target);
  if (headersHit !== null) {
    buf.set(headersHit, pos);
    pos += headersHit.length;
  } else {
    const from = pos;
    pos = writeHeaders(buf, pos, 0x62, h.requestHeaders);
    if (!nonAscii) rememberHeaders(h, buf, from, pos);
  }
  return writeI64(buf, pos, 0x68, h.receivedNs);
}

/** Size of the Record{response} bytes from `headers` (with rawHeaders FrameBuilder uses writeResponseRaw). */
export function sizeResponse(exchangeId: string, r: ResponseHead, ascii = false): number {
  begin(ascii);
  const s = slot();
  const inner = strSize(exchangeId) + numSize(r.status) + headersSize(r.headers) + i64Size(r.upstreamConnectedNs) + i64Size(r.firstByteNs);
  lens[s] = inner;
  return msgSize(inner);
}

export function writeResponse(buf: Buffer, pos: number, exchangeId: string, r: ResponseHead): number {
  buf[pos++] = 0x1a; // Record.response
  pos = writeVarint(buf, pos, lens[k++]!);
  pos = writeStr(buf, pos, 0x0a, exchangeId);
  pos = writeNum(buf, pos, 0x10, r.status);
  pos = writeHeaders(buf, pos, 0x1a, r.headers);
  pos = writeI64(buf, pos, 0x20, r.upstreamConnectedNs);
  return writeI64(buf, pos, 0x28, r.firstByteNs);
}

/** Size of the Record{end} bytes. */
export function sizeEnd(exchangeId: string, e: ExchangeEnd, ascii = false): number {
  begin(ascii);
  const s = slot();
  let inner = strSize(exchangeId) + numSize(OUTCOME[e.outcome]) + strSize(e.error) + i64Size(e.completedNs) + numSize(e.requestBytes) + numSize(e.responseBytes);
  if (e.decision) inner += decisionSize(e.decision);
  lens[s] = inner;
  return msgSize(inner);
}

export function writeEnd(buf: Buffer, pos: number, exchangeId: string, e: ExchangeEnd): number {
  buf[pos++] = 0x22; // Record.end
  pos = writeVarint(buf, pos, lens[k++]!);
  pos = writeStr(buf, pos, 0x0a, exchangeId);
  pos = writeNum(buf, pos, 0x10, OUTCOME[e.outcome]);
  pos = writeStr(buf, pos, 0x1a, e.error);
  pos = writeI64(buf, pos, 0x20, e.completedNs);
  pos = writeNum(buf, pos, 0x28, e.requestBytes);
  pos = writeNum(buf, pos, 0x30, e.responseBytes);
  if (e.decision) pos = writeDecision(buf, pos, 0x3a, e.decision);
  return pos;
}

/*
 * One pass for the response head from undici's bytes (FrameBuilder.addResponse): the record is
 * written once, each length into space reserved for its varint (from a cheap upper bound), and
 * moved (copyWithin) in the rare case the reservation was too wide. No size pass, no scratch list,
 * no optimistic rewrite: measured ≈ 0.2 µs less per exchange on the event loop than sizeResponse +
 * writeResponse for a 5-header head. Same bytes (test/storage/segment/head-encoder.test.ts).
 */

/** Upper bound of the Record{response} bytes from rawHeaders (Latin-1 byte → ≤ 2 UTF-8 bytes, char → ≤ 3). */
export function responseBound(exchangeId: string, raw: RawHeaderList): number {
  let n = 3 * exchangeId.length + 48; // tags, lengths, status, two int64
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const a = raw[i]!;
    const b = raw[i + 1]!;
    n += (typeof a === 'string' ? 3 * a.length : 2 * a.length) + (typeof b === 'string' ? 3 * b.length : 2 * b.length) + 16;
  }
  return n;
}

/** int64 field from a bigint (two's complement), omitted when 0. */
function putI64(buf: Buffer, pos: number, tag: number, v: bigint): number {
  if (v === 0n) return pos;
  u64[0] = v;
  buf[pos++] = tag;
  return writeVarint64(buf, pos, LITTLE_ENDIAN ? u32[0]! : u32[1]!, LITTLE_ENDIAN ? u32[1]! : u32[0]!);
}

/** A string field, sized exactly here (omitted when empty). */
function putStr(buf: Buffer, pos: number, tag: number, s: string): number {
  if (s === '') return pos;
  buf[pos++] = tag;
  const len = s.length;
  if (len < 43) {
    // at most 126 UTF-8 bytes: a one-byte length; copied as ASCII, written again if it was not
    let all = 0;
    for (let i = 0; i < len; i++) {
      const c = s.charCodeAt(i);
      all |= c;
      buf[pos + 1 + i] = c;
    }
    if (all < 0x80) {
      buf[pos] = len;
      return pos + 1 + len;
    }
    const n = utf8Length(s);
    buf[pos] = n;
    buf.write(s, pos + 1, n, 'utf8');
    return pos + 1 + n;
  }
  const n = len > 256 ? Buffer.byteLength(s, 'utf8') : utf8Length(s);
  pos = writeVarint(buf, pos, n);
  if (n === s.length) for (let i = 0; i < n; i++) buf[pos + i] = s.charCodeAt(i);
  else buf.write(s, pos, n, 'utf8');
  return pos + n;
}

/** Latin-1 bytes as a UTF-8 string field (lower-cased when `name`), omitted when empty. */
function putLatin1(buf: Buffer, pos: number, tag: number, b: Uint8Array, name: boolean): number {
  const len = b.length;
  if (len === 0) return pos;
  buf[pos++] = tag;
  if (len < 64) {
    // at most 126 UTF-8 bytes: a one-byte length, filled in after the copy
    const at = pos++;
    if (name) {
      for (let i = 0; i < len; i++) {
        const c = b[i]!;
        if (c < 0x80) buf[pos++] = c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
        else {
          const l = lowerLatin1(c);
          buf[pos++] = 0xc0 | (l >> 6);
          buf[pos++] = 0x80 | (l & 0x3f);
        }
      }
    } else {
      for (let i = 0; i < len; i++) {
        const c = b[i]!;
        if (c < 0x80) buf[pos++] = c;
        else {
          buf[pos++] = 0xc0 | (c >> 6);
          buf[pos++] = 0x80 | (c & 0x3f);
        }
      }
    }
    buf[at] = pos - at - 1;
    return pos;
  }
  const n = latin1Utf8Length(b);
  pos = writeVarint(buf, pos, n);
  if (n === len && !name) {
    buf.set(b, pos);
    return pos + n;
  }
  return writeLatin1AsUtf8(buf, pos, b, name);
}

/**
 * A length written after its body: `reserve` bytes were left for it at `lenAt` and the body runs
 * from there to `bodyEnd`; the body moves left if its length needs fewer bytes. Returns the end.
 */
export function closeLength(buf: Buffer, lenAt: number, reserve: number, bodyEnd: number): number {
  const bodyStart = lenAt + reserve;
  const n = bodyEnd - bodyStart;
  const need = varintSize(n);
  if (need !== reserve) {
    buf.copyWithin(lenAt + need, bodyStart, bodyEnd);
  }
  writeVarint(buf, lenAt, n);
  return lenAt + need + n;
}

/**
 * Writes Record{response} (from rawHeaders) at `pos`, with room for `bound` (responseBound) bytes
 * after it; returns its end. `pos` must leave the record's own length prefix to the caller.
 */
export function writeResponseRaw(buf: Buffer, pos: number, exchangeId: string, r: ResponseHead, bound: number): number {
  const raw = r.rawHeaders!;
  buf[pos++] = 0x1a; // Record.response
  const lenAt = pos;
  const reserve = varintSize(bound);
  let p = pos + reserve;
  p = putStr(buf, p, 0x0a, exchangeId);
  p = writeNum(buf, p, 0x10, r.status);
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    buf[p++] = 0x1a;
    const entryAt = p;
    const entryBound = (typeof name === 'string' ? 3 * name.length : 2 * name.length) + (typeof value === 'string' ? 3 * value.length : 2 * value.length) + 10;
    const entryReserve = varintSize(entryBound);
    let q = p + entryReserve;
    q = typeof name === 'string' ? putStr(buf, q, 0x0a, name.toLowerCase()) : putLatin1(buf, q, 0x0a, name, true);
    q = typeof value === 'string' ? putStr(buf, q, 0x12, value) : putLatin1(buf, q, 0x12, value, false);
    if (entryReserve === 1) {
      buf[entryAt] = q - entryAt - 1;
      p = q;
    } else p = closeLength(buf, entryAt, entryReserve, q);
  }
  p = putI64(buf, p, 0x20, r.upstreamConnectedNs);
  p = putI64(buf, p, 0x28, r.firstByteNs);
  return closeLength(buf, lenAt, reserve, p);
}

/** Upper bound of the Record{end} bytes when `e.decision` is absent (writeEndOnePass). */
export function endBound(exchangeId: string, e: ExchangeEnd): number {
  return 3 * exchangeId.length + 3 * e.error.length + 48;
}

/**
 * Writes Record{end} without a decision at `pos` in one pass (see writeResponseRaw), with room for
 * endBound() bytes after it; returns its end.
 */
export function writeEndOnePass(buf: Buffer, pos: number, exchangeId: string, e: ExchangeEnd, bound: number): number {
  buf[pos++] = 0x22; // Record.end
  const lenAt = pos;
  const reserve = varintSize(bound);
  let p = pos + reserve;
  p = putStr(buf, p, 0x0a, exchangeId);
  p = writeNum(buf, p, 0x10, OUTCOME[e.outcome]);
  p = putStr(buf, p, 0x1a, e.error);
  p = putI64(buf, p, 0x20, e.completedNs);
  p = writeNum(buf, p, 0x28, e.requestBytes);
  p = writeNum(buf, p, 0x30, e.responseBytes);
  return closeLength(buf, lenAt, reserve, p);
}

/*
 * ExchangeStart in one pass when both remembered parts hit (the steady state of an agent's
 * session): the memo checks sizeStart would make, then the few per-exchange fields written with
 * their lengths filled in after (as writeResponseRaw).
 */

/**
 * When the session's remembered fields 2–7 and header list both equal `h`'s, an upper bound of its
 * Record{start} bytes (for writeStartRemembered, which must follow with nothing in between); else -1.
 */
export function rememberedStartBound(h: ExchangeHead): number {
  const m = memoFor(h.sessionId);
  if (m === undefined || !prefixRemembered(m, h) || !headersRemembered(m, h.requestHeaders)) return -1;
  prefixHit = m.prefix;
  headersHit = m.headers;
  let n = 3 * (h.exchangeId.length + h.resource.length + h.method.length + h.target.length) + prefixHit!.length + headersHit!.length + 64;
  const d = h.decision;
  if (d !== null) n += 3 * (d.action.length + d.rule.length + (d.reviewId?.length ?? 0) + (d.reviewedBy?.length ?? 0) + (d.reviewReason?.length ?? 0) + (d.reason?.length ?? 0)) + 40;
  return n;
}

function putDecision(buf: Buffer, pos: number, tag: number, d: PolicyDecision): number {
  buf[pos++] = tag;
  const lenAt = pos;
  const bound = 3 * (d.action.length + d.rule.length + (d.reviewId?.length ?? 0) + (d.reviewedBy?.length ?? 0) + (d.reviewReason?.length ?? 0) + (d.reason?.length ?? 0)) + 40;
  const reserve = varintSize(bound);
  let p = pos + reserve;
  p = putStr(buf, p, 0x0a, d.action);
  p = putStr(buf, p, 0x12, d.rule);
  p = putStr(buf, p, 0x1a, d.reviewId ?? '');
  p = putStr(buf, p, 0x22, d.reviewedBy ?? '');
  p = putI64(buf, p, 0x28, reviewedAt(d));
  p = putStr(buf, p, 0x32, d.reviewReason ?? '');
  p = putStr(buf, p, 0x3a, d.reason ?? '');
  return closeLength(buf, lenAt, reserve, p);
}

/** Writes Record{start} at `pos` after rememberedStartBound(h) returned `bound` ≥ 0; returns its end. */
export function writeStartRemembered(buf: Buffer, pos: number, h: ExchangeHead, bound: number): number {
  const prefix = prefixHit!;
  const headers = headersHit!;
  buf[pos++] = 0x0a; // Record.start
  const lenAt = pos;
  const reserve = varintSize(bound);
  let p = pos + reserve;
  p = putStr(buf, p, 0x0a, h.exchangeId);
  buf.set(prefix, p);
  p += prefix.length;
  p = putStr(buf, p, 0x42, h.resource);
  if (h.decision) p = putDecision(buf, p, 0x4a, h.decision);
  p = putStr(buf, p, 0x52, h.method);
  p = putStr(buf, p, 0x5a, h.target);
  buf.set(headers, p);
  p += headers.length;
  p = putI64(buf, p, 0x68, h.receivedNs);
  return closeLength(buf, lenAt, reserve, p);
}
