import type { ExchangeEnd, ExchangeHead, Outcome, RecordingMode } from '../../core/exchange.js';
import type { DecodedRecord } from './records.js';

/**
 * The index written beside each sealed segment (<seq>-<sha>.index.jsonl): one JSON line per
 * exchange that ended in the segment (state "ended"), or that started in it and was still running
 * when it was sealed (state "open"; its end is in a later segment). Lets the uploader and auditors
 * find an exchange without decompressing segments. Never holds a body, a header or a secret.
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

export function applyEnd(entry: IndexEntry, end: ExchangeEnd): void {
  entry.completedNs = end.completedNs;
  entry.requestBytes = end.requestBytes;
  entry.responseBytes = end.responseBytes;
  entry.outcome = end.outcome;
  entry.error = end.error;
  entry.state = 'ended';
  if (end.decision) entry.decision = end.decision.action;
}

/**
 * Builds the index from the records as they are written (the writer thread decodes the start,
 * response and end records; body records are skipped), and crash recovery rebuilds it the same way.
 * Exchanges stay in `open` from their start to their end, across segments, so the line written in
 * the segment where an exchange ends carries everything its start said.
 */
export class IndexTracker {
  private readonly open = new Map<string, IndexEntry>();
  private segment = new Map<string, IndexEntry>();

  addRecord(r: DecodedRecord): void {
    if (r.type === 'start') {
      this.start(entryFromHead({ ...r, identity: r.identity }));
    } else if (r.type === 'response') {
      this.response(r.exchangeId, r.status);
    } else if (r.type === 'end') {
      this.end(r.exchangeId, r.completedNs, r.requestBytes, r.responseBytes, r.outcome, r.error, r.decision?.action ?? '');
    }
  }

  start(e: IndexEntry): void {
    this.open.set(e.exchangeId, e);
    this.segment.set(e.exchangeId, e);
  }

  response(exchangeId: string, status: number): void {
    const e = this.open.get(exchangeId);
    if (e) e.status = status;
  }

  end(exchangeId: string, completedNs: bigint, requestBytes: number, responseBytes: number, outcome: Outcome, error: string, decisionAction: string): void {
    // a second end record amends the first (storage/FORMAT.md §2): same entry when in this segment;
    // started in an earlier run (before a crash) or segment: only what the end record knows
    const e = this.open.get(exchangeId) ?? this.segment.get(exchangeId) ?? { ...emptyEntry(), exchangeId };
    this.open.delete(exchangeId);
    e.completedNs = completedNs;
    e.requestBytes = requestBytes;
    e.responseBytes = responseBytes;
    e.outcome = outcome;
    e.error = error;
    e.state = 'ended';
    if (decisionAction) e.decision = decisionAction;
    this.segment.set(exchangeId, e);
  }

  /** The current segment's index as JSON lines; starts the next segment's. */
  takeSegment(): string {
    let out = '';
    for (const e of this.segment.values()) out += `${indexLine(e)}\n`;
    this.segment = new Map();
    return out;
  }
}

export function emptyEntry(): IndexEntry {
  return {
    exchangeId: '', sessionId: '', connection: '', mode: 'full', clientAddress: '', subject: '', issuer: '', method: '',
    operation: '', resource: '', decision: '', receivedNs: 0n, completedNs: 0n, status: 0, requestBytes: 0, responseBytes: 0,
    outcome: '', error: '', state: 'open',
  };
}

function isoOf(ns: bigint): string {
  return ns > 0n ? new Date(Number(ns / 1_000_000n)).toISOString() : '';
}

/** One JSON line; nanosecond timestamps as decimal strings (they exceed 2^53). */
export function indexLine(e: IndexEntry): string {
  return JSON.stringify({
    exchangeId: e.exchangeId,
    sessionId: e.sessionId,
    time: isoOf(e.receivedNs),
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
