import type {
  ExchangeEnd,
  ExchangeHead,
  HeaderList,
  Outcome,
  PolicyDecision,
  RecordingMode,
  ResponseHead,
} from '../../core/exchange.js';
import type { tapegate } from '../gen/recording.js';
import { bigIntToLong, longToBigInt, longToNumber, pb } from './format.js';

/**
 * Conversions between core/exchange values and the protobuf records of storage/recording.proto,
 * plus the hand-rolled encoder for BodyChunk records (the only record written per body chunk; a
 * test checks it produces exactly the bytes protobufjs would).
 */

const OUTCOME_TO_PB: Record<Outcome, number> = {
  completed: pb.Outcome.COMPLETED,
  client_aborted: pb.Outcome.CLIENT_ABORTED,
  upstream_error: pb.Outcome.UPSTREAM_ERROR,
  timeout: pb.Outcome.TIMEOUT,
  denied: pb.Outcome.DENIED,
  rejected_unrecordable: pb.Outcome.REJECTED_UNRECORDABLE,
};
const PB_TO_OUTCOME = new Map<number, Outcome>(Object.entries(OUTCOME_TO_PB).map(([k, v]) => [v, k as Outcome]));
const MODE_TO_PB: Record<RecordingMode, number> = { full: pb.RecordingMode.FULL, metadata: pb.RecordingMode.METADATA, off: pb.RecordingMode.OFF };
const PB_TO_MODE = new Map<number, RecordingMode>(Object.entries(MODE_TO_PB).map(([k, v]) => [v, k as RecordingMode]));

/**
 * Records shorter than this may reach SegmentWriter.writeFrame without their CRC32C (see
 * FrameBuilder's crcOnWriter): the writer thread computes it before compressing. Longer ones (body
 * pieces of big transfers) keep theirs from the event loop, which is less busy than the writer then.
 */
export const WRITER_CRC_MAX = 16 * 1024;

export const DIRECTION_REQUEST = 1;
export const DIRECTION_RESPONSE = 2;

function headersToPb(h: HeaderList): Array<{ name: string; value: string }> {
  const out = new Array<{ name: string; value: string }>(h.length);
  for (let i = 0; i < h.length; i++) out[i] = { name: h[i]![0], value: h[i]![1] };
  return out;
}

function decisionToPb(d: PolicyDecision): tapegateDecision {
  return {
    action: d.action,
    rule: d.rule,
    reviewId: d.reviewId ?? '',
    reviewedBy: d.reviewedBy ?? '',
    reviewedAtMs: d.reviewedAtMs ?? 0,
    reviewReason: d.reviewReason ?? '',
    reason: d.reason ?? '',
  };
}
type tapegateDecision = tapegate.recording.v1.Decision.$Properties;

export function encodeStart(head: ExchangeHead): Uint8Array {
  return pb.Record.encode({
    start: {
      exchangeId: head.exchangeId,
      sessionId: head.sessionId,
      connection: head.connection,
      mode: MODE_TO_PB[head.mode],
      clientAddress: head.clientAddress,
      identity: head.identity ? { subject: head.identity.subject, issuer: head.identity.issuer, groups: [...head.identity.groups] } : null,
      operation: head.operation,
      resource: head.resource,
      decision: head.decision ? decisionToPb(head.decision) : null,
      method: head.method,
      target: head.target,
      requestHeaders: headersToPb(head.requestHeaders),
      receivedNs: bigIntToLong(head.receivedNs),
    },
  }).finish();
}

export function encodeResponse(exchangeId: string, head: ResponseHead): Uint8Array {
  return pb.Record.encode({
    response: {
      exchangeId,
      status: head.status,
      headers: headersToPb(head.headers),
      upstreamConnectedNs: bigIntToLong(head.upstreamConnectedNs),
      firstByteNs: bigIntToLong(head.firstByteNs),
    },
  }).finish();
}

export function encodeEnd(exchangeId: string, end: ExchangeEnd): Uint8Array {
  return pb.Record.encode({
    end: {
      exchangeId,
      outcome: OUTCOME_TO_PB[end.outcome],
      error: end.error,
      completedNs: bigIntToLong(end.completedNs),
      requestBytes: end.requestBytes,
      responseBytes: end.responseBytes,
      decision: end.decision ? decisionToPb(end.decision) : null,
    },
  }).finish();
}

export function encodeGap(droppedRecords: number, droppedBytes: number, fromNs: bigint, toNs: bigint, reason: string): Uint8Array {
  return pb.Record.encode({
    gap: { droppedRecords, droppedBytes, fromNs: bigIntToLong(fromNs), toNs: bigIntToLong(toNs), reason },
  }).finish();
}

/** Reference encoder through protobufjs (tests and benchmarks compare it with the hand-rolled one). */
export function encodeBodyChunkPb(exchangeId: string, direction: number, offset: number, data: Uint8Array): Uint8Array {
  return pb.Record.encode({ body: { exchangeId, direction, offset, data } }).finish();
}

// ---- hand-rolled BodyChunk encoder ----------------------------------------------------------

export function varintSize(n: number): number {
  // below 2^31 (every length and almost every count): shifts instead of float division
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Where the varint readVarint() last read ends: the offset of the next byte (no tuple per call). */
export let varintEnd = 0;

/**
 * The unsigned varint at buf[pos] (up to 2^53); sets varintEnd. No bounds checks: for bytes the
 * recorder wrote itself (the reader's scanner checks untrusted frames its own way).
 */
export function readVarint(buf: Uint8Array, pos: number): number {
  let v = 0;
  let mul = 1;
  let b: number;
  do {
    b = buf[pos++]!;
    v += (b & 0x7f) * mul;
    mul *= 128;
  } while (b & 0x80);
  varintEnd = pos;
  return v;
}

export function writeVarint(buf: Uint8Array, pos: number, n: number): number {
  if (n < 0x80000000) {
    while (n > 127) {
      buf[pos++] = (n & 127) | 128;
      n >>>= 7;
    }
    buf[pos++] = n;
    return pos;
  }
  while (n >= 128) {
    buf[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** Size of the Record bytes (without the length prefix and CRC) of a BodyChunk. */
export function bodyRecordSize(idBytes: number, offset: number, dataLength: number): number {
  const inner = 1 + varintSize(idBytes) + idBytes + 2 + (offset > 0 ? 1 + varintSize(offset) : 0) + (dataLength > 0 ? 1 + varintSize(dataLength) + dataLength : 0);
  return 1 + varintSize(inner) + inner;
}

/**
 * Writes Record{body: BodyChunk{exchange_id, direction, offset, data}} at `pos` and returns the end.
 * Fields in number order, zero-valued offset omitted: the canonical proto3 encoding protobufjs emits.
 * `idBytes` is the exchange id already encoded as UTF-8 (done once per exchange, not per chunk).
 */
export function writeBodyRecord(
  buf: Buffer,
  pos: number,
  idBytes: Uint8Array,
  direction: number,
  offset: number,
  data: Uint8Array,
  dataStart: number,
  dataLength: number,
): number {
  const inner = 1 + varintSize(idBytes.length) + idBytes.length + 2 + (offset > 0 ? 1 + varintSize(offset) : 0) + (dataLength > 0 ? 1 + varintSize(dataLength) + dataLength : 0);
  buf[pos++] = 0x12; // field 2 (body), length-delimited
  pos = writeVarint(buf, pos, inner);
  buf[pos++] = 0x0a; // field 1 (exchange_id)
  pos = writeVarint(buf, pos, idBytes.length);
  buf.set(idBytes, pos);
  pos += idBytes.length;
  buf[pos++] = 0x10; // field 2 (direction)
  buf[pos++] = direction;
  if (offset > 0) {
    buf[pos++] = 0x18; // field 3 (offset)
    pos = writeVarint(buf, pos, offset);
  }
  if (dataLength > 0) {
    buf[pos++] = 0x22; // field 4 (data)
    pos = writeVarint(buf, pos, dataLength);
    buf.set(dataStart === 0 && dataLength === data.length ? data : data.subarray(dataStart, dataStart + dataLength), pos);
    pos += dataLength;
  }
  return pos;
}

// ---- decoded records for readers ----------------------------------------------------------

export interface DecodedDecision extends PolicyDecision {}

export type DecodedRecord =
  /** A start record decodes to exactly the ExchangeHead core/ passed to sink.begin(). */
  | ({ type: 'start' } & ExchangeHead)
  | { type: 'body'; exchangeId: string; direction: 'request' | 'response'; offset: number; data: Uint8Array }
  | { type: 'response'; exchangeId: string; status: number; headers: HeaderList; upstreamConnectedNs: bigint; firstByteNs: bigint }
  | {
      type: 'end';
      exchangeId: string;
      outcome: Outcome;
      error: string;
      completedNs: bigint;
      requestBytes: number;
      responseBytes: number;
      decision: PolicyDecision | null;
    }
  | { type: 'gap'; droppedRecords: number; droppedBytes: number; fromNs: bigint; toNs: bigint; reason: string };

function decisionFromPb(d: tapegate_Decision | null | undefined): PolicyDecision | null {
  if (!d) return null;
  const out: PolicyDecision = { action: d.action as PolicyDecision['action'], rule: d.rule };
  if (d.reviewId) out.reviewId = d.reviewId;
  if (d.reviewedBy) out.reviewedBy = d.reviewedBy;
  const at = longToNumber(d.reviewedAtMs);
  if (at) out.reviewedAtMs = at;
  if (d.reviewReason) out.reviewReason = d.reviewReason;
  if (d.reason) out.reason = d.reason;
  return out;
}
type tapegate_Decision = tapegate.recording.v1.Decision;

function headersFromPb(h: Array<{ name: string; value: string }>): HeaderList {
  return h.map((x) => [x.name, x.value]);
}

/** Decodes the Record bytes (without length prefix and CRC); throws on malformed protobuf. */
export function decodeRecord(bytes: Uint8Array): DecodedRecord {
  const r = pb.Record.decode(bytes);
  switch (r.kind) {
    case 'body': {
      const b = r.body as unknown as tapegate.recording.v1.BodyChunk;
      return {
        type: 'body',
        exchangeId: b.exchangeId,
        direction: b.direction === DIRECTION_REQUEST ? 'request' : 'response',
        offset: longToNumber(b.offset),
        data: b.data,
      };
    }
    case 'start': {
      const s = r.start as unknown as tapegate.recording.v1.ExchangeStart;
      const id = s.identity as tapegate.recording.v1.Identity | null;
      return {
        type: 'start',
        exchangeId: s.exchangeId,
        sessionId: s.sessionId,
        connection: s.connection,
        mode: PB_TO_MODE.get(s.mode) ?? 'full',
        clientAddress: s.clientAddress,
        identity: id ? { subject: id.subject, issuer: id.issuer, groups: [...id.groups] } : null,
        operation: s.operation,
        resource: s.resource,
        decision: decisionFromPb(s.decision as tapegate_Decision | null),
        method: s.method,
        target: s.target,
        requestHeaders: headersFromPb(s.requestHeaders as tapegate.recording.v1.Header[]),
        receivedNs: longToBigInt(s.receivedNs),
      };
    }
    case 'response': {
      const s = r.response as unknown as tapegate.recording.v1.ResponseStart;
      return {
        type: 'response',
        exchangeId: s.exchangeId,
        status: s.status,
        headers: headersFromPb(s.headers as tapegate.recording.v1.Header[]),
        upstreamConnectedNs: longToBigInt(s.upstreamConnectedNs),
        firstByteNs: longToBigInt(s.firstByteNs),
      };
    }
    case 'end': {
      const e = r.end as unknown as tapegate.recording.v1.ExchangeEnd;
      return {
        type: 'end',
        exchangeId: e.exchangeId,
        outcome: PB_TO_OUTCOME.get(e.outcome) ?? 'upstream_error',
        error: e.error,
        completedNs: longToBigInt(e.completedNs),
        requestBytes: longToNumber(e.requestBytes),
        responseBytes: longToNumber(e.responseBytes),
        decision: decisionFromPb(e.decision as tapegate_Decision | null),
      };
    }
    case 'gap': {
      const g = r.gap as unknown as tapegate.recording.v1.RecordingGap;
      return {
        type: 'gap',
        droppedRecords: longToNumber(g.droppedRecords),
        droppedBytes: longToNumber(g.droppedBytes),
        fromNs: longToBigInt(g.fromNs),
        toNs: longToBigInt(g.toNs),
        reason: g.reason,
      };
    }
    default:
      throw new Error('record has no known kind');
  }
}

/** Exchange id of a decoded record ('' for gap records). */
export function recordExchangeId(r: DecodedRecord): string {
  return r.type === 'gap' ? '' : r.exchangeId;
}
