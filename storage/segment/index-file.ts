import type { ExchangeEnd, ExchangeHead, Outcome, RecordingMode } from '../../core/exchange.js';
import { closeSync, fsyncSync, ftruncateSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { StoreDigester, type StoreDigests } from './digests.js';
import { EndFields, StartFields, parseStart } from './index-decoder.js';
import type { DecodedRecord } from './records.js';
import { zstd } from './zstd.js';

/**
 * The index written beside each sealed segment (<seq>-<sha>.index.jsonl.zst): one JSON line per
 * exchange that ended in the segment (state "ended"), or that started in it and was still running
 * when it was sealed (state "open"; its end is in a later segment), zstd-compressed. Lets the
 * uploader and auditors find an exchange without reading segments (storage/reader/index-lines.ts
 * reads it). Never holds a body, a header or a secret.
 */
export interface IndexEntry {
  exchangeId: string;
  sessionId: string;
  connection: string;
  mode: RecordingMode;
  clientAddress: string;
  subject: string;
  issuer: string;
  method: string;
  operation: string;
  resource: string;
  decision: string;
  receivedNs: bigint;
  completedNs: bigint;
  status: number;
  requestBytes: number;
  responseBytes: number;
  outcome: Outcome | '';
  error: string;
  state: 'ended' | 'open';
}

export function entryFromHead(head: ExchangeHead): IndexEntry {
  return {
    exchangeId: head.exchangeId,
    sessionId: head.sessionId,
    connection: head.connection,
    mode: head.mode,
    clientAddress: head.clientAddress,
    subject: head.identity?.subject ?? '',
    issuer: head.identity?.issuer ?? '',
    method: head.method,
    operation: head.operation,
    resource: head.resource,
    decision: head.decision?.action ?? '',
    receivedNs: head.receivedNs,
    completedNs: 0n,
    status: 0,
    requestBytes: 0,
    responseBytes: 0,
    outcome: '',
    error: '',
    state: 'open',
  };
}

export function emptyEntry(): IndexEntry {
  return {
    exchangeId: '', sessionId: '', connection: '', mode: 'full', clientAddress: '', subject: '', issuer: '', method: '',
    operation: '', resource: '', decision: '', receivedNs: 0n, completedNs: 0n, status: 0, requestBytes: 0, responseBytes: 0,
    outcome: '', error: '', state: 'open',
  };
}

/**
 * One index line as JSON.stringify writes it: the reference form. The tracker below writes the same
 * bytes without building an object or decoding a string per field (tests compare the two).
 */
export function indexLine(e: IndexEntry): string {
  return JSON.stringify({
    exchangeId: e.exchangeId,
    sessionId: e.sessionId,
    time: e.receivedNs > 0n ? new Date(Number(e.receivedNs / 1_000_000n)).toISOString() : '',
    receivedNs: e.receivedNs.toString(),
    completedNs: e.completedNs.toString(),
    subject: e.subject,
    issuer: e.issuer,
    clientAddress: e.clientAddress,
    connection: e.connection,
    mode: e.mode,
    method: e.method,
    operation: e.operation,
    resource: e.resource,
    decision: e.decision,
    status: e.status,
    requestBytes: e.requestBytes,
    responseBytes: e.responseBytes,
    outcome: e.outcome,
    error: e.error,
    state: e.state,
  });
}

// ---- JSON as bytes ----------------------------------------------------------------------------
//
// Index lines are written as UTF-8 bytes straight from the record bytes: a field of printable ASCII
// without `"` or `\` (nearly all of them) is copied as it is; anything else goes through
// JSON.stringify of the decoded string, so the bytes are exactly JSON.stringify's. Parts of a line
// kept between an exchange's start and end are one-byte strings holding those bytes (latin1), which
// Buffer#write(…, 'latin1') copies back unchanged.


const ascii = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const K_OPEN = ascii('{"exchangeId":');
const K_SESSION = ascii(',"sessionId":');
const K_TIME = ascii(',"time":"');
const K_RECEIVED = ascii('","receivedNs":"');
const K_COMPLETED = ascii('"completedNs":"');
const K_SUBJECT = ascii('"subject":');
const K_ISSUER = ascii(',"issuer":');
const K_CLIENT = ascii(',"clientAddress":');
const K_CONNECTION = ascii(',"connection":');
const K_MODE = ascii(',"mode":');
const K_METHOD = ascii(',"method":');
const K_OPERATION = ascii(',"operation":');
const K_RESOURCE = ascii(',"resource":');
const K_DECISION = ascii(',"decision":');
const K_STATUS = ascii(',"status":');
const K_REQ = ascii(',"requestBytes":');
const K_RES = ascii(',"responseBytes":');
const K_OUTCOME = ascii(',"outcome":');
const K_ERROR = ascii(',"error":');
const K_ENDED = ascii(',"state":"ended"}\n');
const K_OPEN_STATE = ascii(',"state":"open"}\n');
const K_OPEN_COMPLETED = ascii('"completedNs":"0",');

const MODE_JSON: Record<string, Uint8Array> = { full: ascii('"full"'), metadata: ascii('"metadata"'), off: ascii('"off"') };
const OUTCOME_JSON: Record<string, Uint8Array> = {};
for (const o of ['', 'completed', 'client_aborted', 'upstream_error', 'timeout', 'denied', 'rejected_unrecordable']) OUTCOME_JSON[o] = ascii(JSON.stringify(o));

function put(out: Buffer, pos: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) out[pos + i] = bytes[i]!;
  return pos + bytes.length;
}

/** Room a JSON string of `n` source bytes can take (`\u00XX` per control byte; quotes are in KEYS_ROOM). */
export const jsonRoom = (n: number): number => 6 * n;
/** Room for the keys, quotes, numbers and timestamps of a line (≈ 250 bytes at most). */
const KEYS_ROOM = 512;

/** Writes bytes [start, start+n) of `src` (UTF-8) as a JSON string, exactly as JSON.stringify would. */
export function putJsonString(out: Buffer, pos: number, src: Buffer, start: number, n: number): number {
  out[pos] = 0x22;
  let o = pos + 1;
  const end = start + n;
  for (let i = start; i < end; i++) {
    const c = src[i]!;
    if (PLAIN[c] === 0) return pos + out.write(JSON.stringify(src.toString('utf8', start, end)), pos, 'utf8');
    out[o++] = c;
  }
  out[o] = 0x22;
  return o + 1;
}

/** 1 for the bytes a JSON string holds as they are: printable ASCII but `"` and `\`. */
const PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 0x7f; c++) PLAIN[c] = c === 0x22 || c === 0x5c ? 0 : 1;

/** Writes a non-negative integer below 2^53 in decimal. */
export function putUint(out: Buffer, pos: number, n: number): number {
  if (n >= 0 && n <= 0x7fffffff && (n | 0) === n) return putSmallUint(out, pos, n);
  if (n > Number.MAX_SAFE_INTEGER || n < 0 || n !== Math.floor(n)) return pos + out.write(JSON.stringify(n), pos, 'latin1');
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  let x = n;
  for (let i = pos + digits - 1; i >= pos; i--) {
    const q = Math.floor(x / 10);
    out[i] = 48 + (x - q * 10);
    x = q;
  }
  return pos + digits;
}

/** putUint for 0 ≤ n < 2^31: integer arithmetic only. */
function putSmallUint(out: Buffer, pos: number, n: number): number {
  const digits = n < 100000 ? (n < 100 ? (n < 10 ? 1 : 2) : n < 1000 ? 3 : n < 10000 ? 4 : 5) : n < 10000000 ? (n < 1000000 ? 6 : 7) : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
  putDigits(out, pos + digits, n, digits);
  return pos + digits;
}

/** "00" … "99": two digits per division. */
const DIGIT_PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  DIGIT_PAIRS[2 * i] = 48 + ((i / 10) | 0);
  DIGIT_PAIRS[2 * i + 1] = 48 + (i % 10);
}

/** Writes the `digits` lowest decimal digits of 0 ≤ x < 2^31 (zero-padded) ending before `end`. */
function putDigits(out: Buffer, end: number, x: number, digits: number): void {
  let i = end;
  const start = end - digits;
  while (i - start >= 2) {
    const q = (x / 100) | 0;
    const r = (x - q * 100) << 1;
    out[--i] = DIGIT_PAIRS[r + 1]!;
    out[--i] = DIGIT_PAIRS[r]!;
    x = q;
  }
  if (i > start) out[--i] = 48 + (x % 10);
}

/**
 * A nanosecond timestamp as the halves of its int64 (hi, lo: unsigned 32-bit), split into
 * `nsHigh` = floor(v / 1e9) and `nsLow` = v mod 1e9 with exact double arithmetic (16-bit steps):
 * no bigint per timestamp. Negative values (never written by the recorder) set nsNegative.
 */
let nsHigh = 0;
let nsLow = 0;
let nsNegative = false;
const i64 = new BigInt64Array(1);
const i64u32 = new Uint32Array(i64.buffer);
const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function splitNs(hi: number, lo: number): void {
  nsNegative = hi >= 0x80000000;
  const q1 = Math.floor(hi / 1e9);
  let r = hi - q1 * 1e9;
  let t = r * 65536 + (lo >>> 16);
  const q2 = Math.floor(t / 1e9);
  r = t - q2 * 1e9;
  t = r * 65536 + (lo & 0xffff);
  const q3 = Math.floor(t / 1e9);
  nsLow = t - q3 * 1e9;
  nsHigh = q1 * 4294967296 + q2 * 65536 + q3;
}

function nsBigint(hi: number, lo: number): bigint {
  i64u32[LE ? 0 : 1] = lo >>> 0;
  i64u32[LE ? 1 : 0] = hi >>> 0;
  return i64[0]!;
}

function splitBigint(ns: bigint): { hi: number; lo: number } {
  i64[0] = BigInt.asIntN(64, ns);
  return { hi: i64u32[LE ? 1 : 0]!, lo: i64u32[LE ? 0 : 1]! };
}

/** Writes the int64 (hi, lo) in decimal (as bigint.toString()). */
function putNs(out: Buffer, pos: number, hi: number, lo: number): number {
  splitNs(hi, lo);
  return putSplitNs(out, pos, hi, lo);
}

/** putNs() after splitNs(hi, lo). */
function putSplitNs(out: Buffer, pos: number, hi: number, lo: number): number {
  if (nsNegative) return pos + out.write(nsBigint(hi, lo).toString(), pos, 'latin1');
  if (nsHigh === 0) return putUint(out, pos, nsLow);
  pos = putUint(out, pos, nsHigh);
  putDigits(out, pos + 9, nsLow, 9); // nsLow < 1e9 < 2^31
  return pos + 9;
}

let isoMs = -1;
let isoText = '';

/** ISO time of the timestamp last given to putNs ('' unless positive); cached per millisecond. */
function putIsoOfLastNs(out: Buffer, pos: number): number {
  if (nsNegative || (nsHigh === 0 && nsLow === 0)) return pos;
  const ms = nsHigh * 1000 + Math.floor(nsLow / 1e6);
  if (ms !== isoMs) {
    isoText = new Date(ms).toISOString();
    isoMs = ms;
  }
  return pos + out.write(isoText, pos, 'latin1');
}

/** A growable scratch buffer. */
class Scratch {
  buf = Buffer.allocUnsafeSlow(4096);
  ensure(n: number): Buffer {
    if (this.buf.length < n) this.buf = Buffer.allocUnsafeSlow(Math.max(n, this.buf.length * 2));
    return this.buf;
  }
}
const scratch = new Scratch();

/** An exchange the index knows: its line's parts from the start record, and what came later. */
class Entry {
  status = 0;
  /** The segment generation listing this entry (0: none). */
  listedIn = 0;
  /** Buffered segments only: position in the listing, and the ended line ('' while open). */
  listedAt = 0;
  line = '';
  /** `{"exchangeId":…,"sessionId":…,"time":…,"receivedNs":"…",` (UTF-8 bytes as a latin1 string) */
  head1 = '';
  /** `"subject":…,"resource":…,"decision":…` */
  head2 = '';
  /** Length of head2 before `,"decision":` (an end record's decision replaces what follows). */
  decisionAt = 0;
  /**
   * While the start record is in the frame being indexed: that frame and the record's position
   * and length in it (the parts above are built only if the exchange is still open after the frame).
   */
  src: Buffer | null = null;
  startAt = -1;
  startLen = 0;
  /** OpenExchanges: hash of the id, the next entry with the same hash, whether this one is open. */
  readonly idHash: number;
  nextSameHash: Entry | null = null;
  isOpen = false;
  constructor(readonly id: string) {
    this.idHash = hashId(id);
  }

  /** True when bytes [at, at+n) of `b` are this entry's id (UTF-8). */
  idIs(b: Buffer, at: number, n: number): boolean {
    const id = this.id;
    if (n !== id.length) return n >= id.length && Buffer.from(id, 'utf8').equals(b.subarray(at, at + n)); // non-ASCII: more bytes than chars
    for (let i = 0; i < n; i++) {
      const c = id.charCodeAt(i);
      if (c >= 0x80) return Buffer.from(id, 'utf8').equals(b.subarray(at, at + n));
      if (b[at + i] !== c) return false;
    }
    return true;
  }
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** Hash keys stay small integers (no heap number per key). */
const SMI_MASK = 0x3fffffff;

/** FNV-1a of bytes [at, at+n) of `b`, as a small integer. */
function hashBytes(b: Uint8Array, at: number, n: number): number {
  let h = FNV_OFFSET;
  const end = at + n;
  for (let i = at; i < end; i++) h = Math.imul(h ^ b[i]!, FNV_PRIME);
  return h & SMI_MASK;
}

/** hashBytes() of the UTF-8 bytes of `id`. */
function hashId(id: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c >= 0x80) {
      const b = Buffer.from(id, 'utf8');
      return hashBytes(b, 0, b.length);
    }
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  return h & SMI_MASK;
}

/**
 * The exchanges started and not yet ended, by id, found by the id's bytes as well as its string:
 * the response and end records of an exchange (two of its three records) are looked up without
 * making a string of their id (≈ 0.1 µs each on the writer thread). A Map keyed by the id's hash,
 * entries with the same hash chained. Iterates in a fixed order (insertion order of the hashes).
 */
class OpenExchanges {
  private readonly byHash = new Map<number, Entry>();

  get(id: string): Entry | undefined {
    for (let e: Entry | null | undefined = this.byHash.get(hashId(id)); e; e = e.nextSameHash) if (e.id === id) return e;
    return undefined;
  }

  getBytes(b: Buffer, at: number, n: number): Entry | undefined {
    for (let e: Entry | null | undefined = this.byHash.get(hashBytes(b, at, n)); e; e = e.nextSameHash) if (e.idIs(b, at, n)) return e;
    return undefined;
  }

  /** Adds `e`, replacing (in place) an entry with the same id; returns the replaced one. */
  set(e: Entry): Entry | undefined {
    const head = this.byHash.get(e.idHash);
    e.isOpen = true;
    let prev: Entry | null = null;
    for (let x: Entry | null | undefined = head; x; prev = x, x = x.nextSameHash) {
      if (x.id !== e.id) continue;
      e.nextSameHash = x.nextSameHash;
      x.nextSameHash = null;
      x.isOpen = false;
      if (prev) prev.nextSameHash = e;
      else this.byHash.set(e.idHash, e);
      return x;
    }
    e.nextSameHash = head ?? null;
    this.byHash.set(e.idHash, e);
    return undefined;
  }

  delete(e: Entry): void {
    if (!e.isOpen) return;
    let prev: Entry | null = null;
    for (let x: Entry | null | undefined = this.byHash.get(e.idHash); x; prev = x, x = x.nextSameHash) {
      if (x !== e) continue;
      if (prev) prev.nextSameHash = x.nextSameHash;
      else if (x.nextSameHash) this.byHash.set(e.idHash, x.nextSameHash);
      else this.byHash.delete(e.idHash);
      x.nextSameHash = null;
      x.isOpen = false;
      return;
    }
  }

  *values(): Generator<Entry> {
    for (const head of this.byHash.values()) for (let e: Entry | null = head; e; e = e.nextSameHash) yield e;
  }
}

/** putHead2()'s other result: where `,"decision":` starts. */
let decisionAt = 0;

/** Writes `{"exchangeId":…,"receivedNs":"…",` of a line. */
function putHead1(out: Buffer, p: number, f: StartFields): number {
  const src = f.src;
  p = put(out, p, K_OPEN);
  p = putJsonString(out, p, src, f.idStart, f.idLen);
  p = put(out, p, K_SESSION);
  p = putJsonString(out, p, src, f.sessionStart, f.sessionLen);
  p = put(out, p, K_TIME);
  splitNs(f.receivedHi, f.receivedLo);
  p = putIsoOfLastNs(out, p);
  p = put(out, p, K_RECEIVED);
  p = putSplitNs(out, p, f.receivedHi, f.receivedLo);
  out[p++] = 0x22; // closing quote of receivedNs
  out[p++] = 0x2c; // ,
  return p;
}

/** Writes `"subject":…,"decision":…` of a line: the end record's decision when it has one. */
function putHead2(out: Buffer, p: number, f: StartFields, end: EndFields | null): number {
  const src = f.src;
  p = put(out, p, K_SUBJECT);
  p = putJsonString(out, p, src, f.subjectStart, f.subjectLen);
  p = put(out, p, K_ISSUER);
  p = putJsonString(out, p, src, f.issuerStart, f.issuerLen);
  p = put(out, p, K_CLIENT);
  p = putJsonString(out, p, src, f.clientStart, f.clientLen);
  p = put(out, p, K_CONNECTION);
  p = putJsonString(out, p, src, f.connectionStart, f.connectionLen);
  p = put(out, p, K_MODE);
  p = put(out, p, MODE_JSON[f.mode] ?? MODE_JSON.full!);
  p = put(out, p, K_METHOD);
  p = putJsonString(out, p, src, f.methodStart, f.methodLen);
  p = put(out, p, K_OPERATION);
  p = putJsonString(out, p, src, f.operationStart, f.operationLen);
  p = put(out, p, K_RESOURCE);
  p = putJsonString(out, p, src, f.resourceStart, f.resourceLen);
  decisionAt = p;
  p = put(out, p, K_DECISION);
  if (end && end.decisionLen > 0) return putJsonString(out, p, end.src, end.decisionStart, end.decisionLen);
  return putJsonString(out, p, src, f.decisionStart, f.decisionLen);
}

function startRoom(f: StartFields): number {
  return KEYS_ROOM + jsonRoom(f.idLen + f.sessionLen + f.connectionLen + f.clientLen + f.subjectLen + f.issuerLen + f.operationLen + f.resourceLen + f.decisionLen + f.methodLen);
}

/** Builds the kept parts of `e`'s line from its start record's fields. */
function keepHeads(e: Entry, f: StartFields): void {
  const out = scratch.ensure(startRoom(f));
  const h1 = putHead1(out, 0, f);
  const end = putHead2(out, h1, f, null);
  e.head1 = out.toString('latin1', 0, h1);
  e.head2 = out.toString('latin1', h1, end);
  e.decisionAt = decisionAt - h1;
  e.src = null;
  e.startAt = -1;
}

const frameStart = new StartFields();

/** Room the line of `e` ended by `f` can take. */
function lineRoom(e: Entry, f: EndFields | null): number {
  const head = e.startAt >= 0 ? KEYS_ROOM + jsonRoom(e.startLen) : e.head1.length + e.head2.length;
  return head + KEYS_ROOM + (f ? jsonRoom(f.errorLen + f.decisionLen) : 0);
}

/** Writes the line of `e` (ended by `f`, or still open when `f` is null); returns the end. */
function putLine(out: Buffer, p: number, e: Entry, f: EndFields | null): number {
  const inFrame = e.startAt >= 0;
  if (inFrame) {
    parseStart(e.src!, e.startAt, frameStart);
    p = putHead1(out, p, frameStart);
  } else {
    p += out.write(e.head1, p, 'latin1');
  }
  if (!f) {
    p = put(out, p, K_OPEN_COMPLETED);
    if (inFrame) p = putHead2(out, p, frameStart, null);
    else p += out.write(e.head2, p, 'latin1');
    p = put(out, p, K_STATUS);
    p = putUint(out, p, e.status);
    p = put(out, p, K_REQ);
    out[p++] = 0x30;
    p = put(out, p, K_RES);
    out[p++] = 0x30;
    p = put(out, p, K_OUTCOME);
    p = put(out, p, OUTCOME_JSON['']!);
    p = put(out, p, K_ERROR);
    out[p++] = 0x22;
    out[p++] = 0x22;
    return put(out, p, K_OPEN_STATE);
  }
  p = put(out, p, K_COMPLETED);
  p = putNs(out, p, f.completedHi, f.completedLo);
  out[p++] = 0x22;
  out[p++] = 0x2c;
  if (inFrame) {
    p = putHead2(out, p, frameStart, f);
  } else if (f.decisionLen > 0) {
    p += out.write(e.head2, p, e.decisionAt, 'latin1');
    p = put(out, p, K_DECISION);
    p = putJsonString(out, p, f.src, f.decisionStart, f.decisionLen);
  } else {
    p += out.write(e.head2, p, 'latin1');
  }
  p = put(out, p, K_STATUS);
  p = putUint(out, p, e.status);
  p = put(out, p, K_REQ);
  p = putUint(out, p, f.requestBytes);
  p = put(out, p, K_RES);
  p = putUint(out, p, f.responseBytes);
  p = put(out, p, K_OUTCOME);
  p = put(out, p, OUTCOME_JSON[f.outcome] ?? OUTCOME_JSON.upstream_error!);
  p = put(out, p, K_ERROR);
  p = putJsonString(out, p, f.src, f.errorStart, f.errorLen);
  return put(out, p, K_ENDED);
}

const CHUNK_BYTES = 1 << 20;

// ---- compression ------------------------------------------------------------------------------
//
// The index file is its JSON lines zstd-compressed, one independent frame per 1 MiB chunk of lines
// (concatenated zstd frames are one valid zstd stream: `zstd -d` gives the lines back). Compressed,
// 1 KB GETs' lines take ≈ 14 bytes per exchange instead of ≈ 560, which also spares hashing them
// for the store (MD5 + CRC32C ≈ 0.78 µs per exchange) and writing them; level 1 costs ≈ 0.2 µs per
// exchange (measured on the bench's lines in 1 MiB chunks: level 1 13.8 B / 0.20 µs, -1 18.3 B /
// 0.19 µs, -3 19.1 B / 0.14 µs, -5 19.5 B / 0.13 µs). The frames carry their content size and a
// content checksum (XXH64, ≈ 0.04 µs per exchange): the index is not signed, so `zstd -d` and the
// reader should at least catch a damaged file.

/** The index file's name in the spool is `<seq>-<sha256[0:16]>` + this (FORMAT.md §4). */
export const INDEX_FILE_SUFFIX = '.index.jsonl.zst';
/** zstd level of index frames (see above). */
export const INDEX_ZSTD_LEVEL = 1;

/** One zstd context and output buffer for the thread's index files (all use is synchronous). */
class IndexCompressor {
  private cctx: InstanceType<typeof zstd.CCtx> | null = null;
  private out = Buffer.alloc(0);

  /** `chunk` as one zstd frame; valid until the next call. */
  compress(chunk: Uint8Array): Buffer {
    if (!this.cctx) {
      this.cctx = new zstd.CCtx();
      this.cctx.setParameter(zstd.CParameter.compressionLevel, INDEX_ZSTD_LEVEL);
      this.cctx.setParameter(zstd.CParameter.checksumFlag, 1);
    }
    const bound = zstd.compressBound(chunk.length);
    if (this.out.length < bound) this.out = Buffer.allocUnsafeSlow(Math.max(bound, zstd.compressBound(CHUNK_BYTES)));
    return this.out.subarray(0, this.cctx.compress2(this.out, chunk));
  }
}
const compressor = new IndexCompressor();
const NO_LINES = new Uint8Array(0);

/** Appends `chunk` (JSON lines) as one zstd frame at the digester's length (the file's end). */
function appendFrame(fd: number, digester: StoreDigester, chunk: Uint8Array): void {
  const frame = compressor.compress(chunk);
  writeAllAt(fd, frame, digester.bytes);
  digester.update(frame);
}

/** Chunks kept for the next segment's lines (more are left to the GC): bounds the reuse pool. */
const SPARE_CHUNKS_MAX = 16;

const emptyStart = new StartFields();
const genericStart = new StartFields();
const genericEnd = new EndFields();

/**
 * Builds a segment's index from the records as they are written (the writer thread reads the start,
 * response and end records' bytes, `index-decoder.ts`; body records are skipped), and crash recovery
 * rebuilds it the same way. An exchange stays in `open` from its start to its end, across segments,
 * holding the parts of its line that its start record gave; its line is written out (as UTF-8
 * bytes, into 1 MiB chunks) when its end record arrives, so nothing is kept per ended exchange and
 * sealing only appends the lines of exchanges still open.
 *
 * After a disk failure (`discardSegment`) and in crash recovery (`buffered`), a segment's lines are
 * kept per exchange until it is sealed instead, so that the second end record the recorder appends
 * for an exchange whose recording failed (FORMAT.md §2) amends that exchange's line in place.
 */
export class IndexTracker {
  private readonly open = new OpenExchanges();
  /** Entries started in the frame being indexed (startRecord). */
  private readonly pending: Entry[] = [];
  private generation = 1;
  private listed = 0;
  private buffered: boolean;
  private order: Entry[] = [];
  private ended: Map<string, Entry> | null = null;
  private chunks: Array<{ buf: Buffer; length: number }> = [];
  private spare: Buffer[] = [];
  private out: Buffer | null = null;
  private outPos = 0;
  /** The open segment's spill file (spillInto), null when its lines stay in memory. */
  private spill: IndexSpill | null = null;

  /** @param alwaysBuffered keep every segment's lines per exchange until sealed (crash recovery) */
  constructor(private readonly alwaysBuffered = false) {
    this.buffered = alwaysBuffered;
  }

  /** Exchanges the current segment's index lists so far (the writer seals at recording.segmentMaxExchanges). */
  get segmentEntries(): number {
    return this.listed;
  }

  addRecord(r: DecodedRecord): void {
    if (r.type === 'start') {
      this.start(entryFromHead({ ...r, identity: r.identity }));
    } else if (r.type === 'response') {
      this.response(r.exchangeId, r.status);
    } else if (r.type === 'end') {
      this.end(r.exchangeId, r.completedNs, r.requestBytes, r.responseBytes, r.outcome, r.error, r.decision?.action ?? '');
    }
  }

  /** An exchange's start, from an IndexEntry's fields (recovery, tests). */
  start(e: IndexEntry): void {
    const f = genericStart;
    const parts = [e.exchangeId, e.sessionId, e.connection, e.clientAddress, e.subject, e.issuer, e.operation, e.resource, e.decision, e.method];
    const src = Buffer.from(parts.join(''), 'utf8');
    f.reset(src);
    let at = 0;
    const lens = parts.map((s) => Buffer.byteLength(s, 'utf8'));
    const next = (i: number): number => {
      const s = at;
      at += lens[i]!;
      return s;
    };
    f.idStart = next(0); f.idLen = lens[0]!;
    f.sessionStart = next(1); f.sessionLen = lens[1]!;
    f.connectionStart = next(2); f.connectionLen = lens[2]!;
    f.clientStart = next(3); f.clientLen = lens[3]!;
    f.subjectStart = next(4); f.subjectLen = lens[4]!;
    f.issuerStart = next(5); f.issuerLen = lens[5]!;
    f.operationStart = next(6); f.operationLen = lens[6]!;
    f.resourceStart = next(7); f.resourceLen = lens[7]!;
    f.decisionStart = next(8); f.decisionLen = lens[8]!;
    f.methodStart = next(9); f.methodLen = lens[9]!;
    f.mode = e.mode;
    const { hi, lo } = splitBigint(e.receivedNs);
    f.receivedHi = hi;
    f.receivedLo = lo;
    this.startFields(e.exchangeId, f);
  }

  /** An exchange's start, from the fields of its start record. */
  startFields(exchangeId: string, f: StartFields): void {
    const e = new Entry(exchangeId);
    keepHeads(e, f);
    this.register(e);
  }

  /**
   * An exchange's start, from its start record at `at` in the frame being indexed (the index
   * decoder): its fields are read again from there when its end is in the same frame, and kept
   * (finishFrame) only when it is not. Call finishFrame() before `src` changes.
   */
  startRecord(exchangeId: string, src: Buffer, at: number, length: number): void {
    if (this.buffered) {
      parseStart(src, at, frameStart);
      this.startFields(exchangeId, frameStart);
      return;
    }
    const e = new Entry(exchangeId);
    e.src = src;
    e.startAt = at;
    e.startLen = length;
    this.pending.push(e);
    this.register(e);
  }

  /** The frame being indexed is done: exchanges started in it and still open keep their line's parts. */
  finishFrame(): void {
    const pending = this.pending;
    let failure: unknown = null;
    for (let i = 0; i < pending.length; i++) {
      const e = pending[i]!;
      if (e.startAt < 0) continue;
      if (!e.isOpen) {
        e.src = null;
        e.startAt = -1;
        continue;
      }
      try {
        parseStart(e.src!, e.startAt, frameStart);
        keepHeads(e, frameStart);
      } catch (err) {
        // a start record that does not parse (a bug): keep the id, never a view of a reused slot
        emptyStart.reset(Buffer.from(e.id, 'utf8'));
        emptyStart.idLen = emptyStart.src.length;
        keepHeads(e, emptyStart);
        failure ??= err;
      }
    }
    pending.length = 0;
    if (failure) throw failure;
  }

  private register(e: Entry): void {
    const prev = this.open.set(e);
    if (prev && prev.listedIn === this.generation) {
      // a repeated start replaces the earlier entry (as a Map keyed by id would)
      e.listedIn = this.generation;
      e.listedAt = prev.listedAt;
      if (this.buffered) this.order[prev.listedAt] = e;
      return;
    }
    this.list(e);
  }

  response(exchangeId: string, status: number): void {
    const e = this.open.get(exchangeId);
    if (e) e.status = status;
  }

  /** An exchange's response status, its id at [idAt, idAt+idLen) of `b` (the index decoder). */
  responseBytes(b: Buffer, idAt: number, idLen: number, status: number, idString: (b: Buffer, at: number, n: number) => string): void {
    // not found by its bytes (rare: started in an earlier run, or an id that is not valid UTF-8): by its string
    const e = this.open.getBytes(b, idAt, idLen) ?? this.open.get(idString(b, idAt, idLen));
    if (e) e.status = status;
  }

  /** An exchange's end, from values (recovery, tests). */
  end(exchangeId: string, completedNs: bigint, requestBytes: number, responseBytes: number, outcome: Outcome, error: string, decisionAction: string): void {
    const f = genericEnd;
    const errLen = Buffer.byteLength(error, 'utf8');
    const src = Buffer.from(error + decisionAction, 'utf8');
    f.reset(src);
    f.outcome = outcome;
    f.errorStart = 0;
    f.errorLen = errLen;
    f.decisionStart = errLen;
    f.decisionLen = src.length - errLen;
    const { hi, lo } = splitBigint(completedNs);
    f.completedHi = hi;
    f.completedLo = lo;
    f.requestBytes = requestBytes;
    f.responseBytes = responseBytes;
    this.endFields(exchangeId, f);
  }

  /** An exchange's end, from the fields of its end record. */
  endFields(exchangeId: string, f: EndFields): void {
    this.endOf(this.open.get(exchangeId), exchangeId, f);
  }

  /** An exchange's end, its id at [idAt, idAt+idLen) of `f.src` (the index decoder). */
  endBytes(idAt: number, idLen: number, f: EndFields, idString: (b: Buffer, at: number, n: number) => string): void {
    const e = this.open.getBytes(f.src, idAt, idLen);
    if (e) this.endOf(e, e.id, f);
    else this.endFields(idString(f.src, idAt, idLen), f); // as in responseBytes
  }

  /** `open`: the open entry of `exchangeId`, if any. */
  private endOf(open: Entry | undefined, exchangeId: string, f: EndFields): void {
    // a second end record amends the first (storage/FORMAT.md §2): same entry when this segment is
    // buffered; started in an earlier run (before a crash) or segment: only what the end record knows
    let e = open;
    if (e) this.open.delete(e);
    else e = this.ended?.get(exchangeId) ?? this.orphan(exchangeId);
    if (this.buffered) {
      const out = scratch.ensure(lineRoom(e, f));
      e.line = out.toString('latin1', 0, putLine(out, 0, e, f));
      this.list(e);
      (this.ended ??= new Map()).set(exchangeId, e);
      return;
    }
    if (e.listedIn !== this.generation) this.listed++;
    const need = lineRoom(e, f);
    const out = this.room(need);
    this.outPos = putLine(out, this.outPos, e, f);
  }

  private orphan(exchangeId: string): Entry {
    emptyStart.reset(Buffer.from(exchangeId, 'utf8'));
    emptyStart.idLen = emptyStart.src.length;
    const e = new Entry(exchangeId);
    keepHeads(e, emptyStart);
    return e;
  }

  private list(e: Entry): void {
    if (e.listedIn === this.generation) return;
    e.listedIn = this.generation;
    this.listed++;
    if (this.buffered) {
      e.listedAt = this.order.length;
      this.order.push(e);
    }
  }

  /**
   * Writes this segment's lines to `file` (a part file in the open dir) as each 1 MiB chunk fills,
   * compressed (one zstd frame per chunk), instead of keeping them until the seal: memory stays at a
   * chunk or two whatever the segment holds, and the seal appends the rest and renames the file
   * (writeFile). The file is created with the first full chunk; discardSegment() deletes it.
   */
  spillInto(file: string): void {
    this.spill?.discard();
    this.spill = new IndexSpill(file);
  }

  /** The output chunk with `need` bytes free at outPos. */
  private room(need: number): Buffer {
    const out = this.out;
    if (out && this.outPos + need <= out.length) return out;
    if (out && this.outPos > 0) {
      if (this.chunks.length === 0 && this.spill?.write(out.subarray(0, this.outPos))) this.spare.push(out);
      else this.chunks.push({ buf: out, length: this.outPos });
    } else if (out) this.spare.push(out);
    const next = need <= CHUNK_BYTES ? (this.spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES)) : Buffer.allocUnsafeSlow(need);
    this.out = next;
    this.outPos = 0;
    return next;
  }

  /** Forgets the current segment's index (an abandoned segment: recovery rebuilds it from the file); starts the next, buffered. */
  discardSegment(): void {
    this.spill?.discard();
    this.spill = null;
    this.nextSegment(true);
  }

  /**
   * Writes the current segment's index to `file` durably (fsync, then rename into place), as zstd
   * frames of its lines, and returns its store digests (of the compressed bytes); starts the next
   * segment's. A spilled index is completed in its part file, which is then renamed.
   */
  writeFile(file: string): StoreDigests {
    const gen = this.generation;
    try {
      return this.writeFileOnce(file);
    } catch (err) {
      // the seal failed: recovery rebuilds this segment's index; none of it may leak into the next
      if (this.generation === gen) this.nextSegment(true);
      else this.buffered = true;
      throw err;
    }
  }

  private writeFileOnce(file: string): StoreDigests {
    const spill = this.spill;
    this.spill = null;
    if (spill) return spill.finish(file, (write) => this.takeSegmentChunks(write));
    const tmp = `${file}.tmp-${process.pid}`;
    const fd = openSync(tmp, 'w', 0o644);
    const digester = new StoreDigester();
    try {
      this.takeSegmentChunks((chunk) => appendFrame(fd, digester, chunk));
      if (digester.bytes === 0) appendFrame(fd, digester, NO_LINES); // an empty index is still a zstd stream
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    return digester.digests();
  }

  private nextSegment(buffered: boolean): void {
    this.finishFrame();
    this.generation++;
    this.listed = 0;
    this.buffered = this.alwaysBuffered || buffered;
    this.order = [];
    this.ended = null;
    for (const c of this.chunks) if (c.buf.length === CHUNK_BYTES && this.spare.length < SPARE_CHUNKS_MAX) this.spare.push(c.buf);
    this.chunks = [];
    this.outPos = 0;
  }

  /**
   * The current segment's index (JSON lines, UTF-8), handed to `write` in pieces (the lines of ended
   * exchanges as written, then those still open); starts the next segment's. `write` must be done
   * with a piece when it returns (the buffers are reused).
   */
  takeSegmentChunks(write: (chunk: Uint8Array) => void): void {
    this.finishFrame();
    const gen = this.generation;
    if (this.buffered) {
      for (const e of this.order) {
        if (!e.line) continue;
        const out = this.room(e.line.length);
        this.outPos += out.write(e.line, this.outPos, 'latin1');
      }
    }
    for (const e of this.open.values()) {
      if (e.listedIn !== gen) continue;
      const out = this.room(lineRoom(e, null));
      this.outPos = putLine(out, this.outPos, e, null);
    }
    for (const c of this.chunks) write(c.buf.subarray(0, c.length));
    if (this.out && this.outPos > 0) write(this.out.subarray(0, this.outPos));
    this.nextSegment(false);
  }

  /** The current segment's index as one string of JSON lines (tests, small indexes); starts the next segment's. */
  takeSegment(): string {
    let all = '';
    this.takeSegmentChunks((chunk) => (all += Buffer.from(chunk).toString('utf8')));
    return all;
  }
}

function writeAllAt(fd: number, buf: Uint8Array, position: number): void {
  let off = 0;
  while (off < buf.length) {
    const n = writeSync(fd, buf, off, buf.length - off, position + off);
    if (n <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    off += n;
  }
}

/**
 * An index part file being written as a segment's lines come (IndexTracker.spillInto), one zstd
 * frame per chunk. A chunk that cannot be written (a full disk) stays with the tracker, in memory,
 * uncompressed, and so do the ones after it; the seal writes them at the spilled length (overwriting
 * any partial write) or fails like any seal. Crash recovery deletes part files and rebuilds the
 * index from the segment, so a torn frame at the end of one is never read.
 */
class IndexSpill {
  private fd = -1;
  private failed = false;
  private readonly digester = new StoreDigester();

  constructor(private readonly file: string) {}

  /** Appends a chunk; false (and nothing counted) when it could not. */
  write(chunk: Uint8Array): boolean {
    if (this.failed) return false;
    try {
      if (this.fd < 0) this.fd = openSync(this.file, 'w', 0o644);
      appendFrame(this.fd, this.digester, chunk);
    } catch {
      this.failed = true;
      return false;
    }
    return true;
  }

  /** Writes the rest (`take` hands it over), fsyncs and renames the part file to `target`. */
  finish(target: string, take: (write: (chunk: Uint8Array) => void) => void): StoreDigests {
    try {
      if (this.fd < 0) this.fd = openSync(this.file, 'w', 0o644);
      const fd = this.fd;
      take((chunk) => appendFrame(fd, this.digester, chunk));
      if (this.digester.bytes === 0) appendFrame(fd, this.digester, NO_LINES); // an empty index is still a zstd stream
      ftruncateSync(fd, this.digester.bytes);
      fsyncSync(fd);
    } finally {
      this.close();
    }
    renameSync(this.file, target);
    return this.digester.digests();
  }

  /** Closes and deletes the part file (an abandoned segment). */
  discard(): void {
    this.close();
    try {
      unlinkSync(this.file);
    } catch {
      // never created, or already gone
    }
  }

  private close(): void {
    if (this.fd < 0) return;
    try {
      closeSync(this.fd);
    } catch {
      // nothing more to lose
    }
    this.fd = -1;
  }
}

/** Part files of indexes spilled by a writer that died: its segment's recovery rebuilds the index. */
export const INDEX_PART_SUFFIX = '.index.part';
