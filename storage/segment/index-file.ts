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
  /** IndexTracker bookkeeping (not written): the segment generation listing this entry (0: none) and its position there. */
  listedIn: number;
  listedAt: number;
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
    listedIn: 0,
    listedAt: 0,
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
  /**
   * This segment's entries in first-seen order. An array, not a second Map keyed by id (a Map entry
   * per exchange was measurable on the writer thread); an entry's listedIn/listedAt say where it is, and the
   * by-id lookup that only a second end record of an already ended exchange needs is built on demand.
   */
  private segment: IndexEntry[] = [];
  private generation = 1;
  private ended: Map<string, IndexEntry> | null = null;

  addRecord(r: DecodedRecord): void {
    if (r.type === 'start') {
      this.start(entryFromHead({ ...r, identity: r.identity }));
    } else if (r.type === 'response') {
      this.response(r.exchangeId, r.status);
    } else if (r.type === 'end') {
      this.end(r.exchangeId, r.completedNs, r.requestBytes, r.responseBytes, r.outcome, r.error, r.decision?.action ?? '');
    }
  }

  private add(e: IndexEntry): void {
    if (e.listedIn === this.generation) return;
    e.listedIn = this.generation;
    e.listedAt = this.segment.length;
    this.segment.push(e);
    this.ended?.set(e.exchangeId, e);
  }

  start(e: IndexEntry): void {
    const prev = this.open.get(e.exchangeId);
    this.open.set(e.exchangeId, e);
    if (prev && prev.listedIn === this.generation) {
      // a repeated start replaces the earlier entry in place (as a Map keyed by id would)
      e.listedIn = this.generation;
      e.listedAt = prev.listedAt;
      this.segment[prev.listedAt] = e;
      this.ended?.set(e.exchangeId, e);
      return;
    }
    this.add(e);
  }

  response(exchangeId: string, status: number): void {
    const e = this.open.get(exchangeId);
    if (e) e.status = status;
  }

  end(exchangeId: string, completedNs: bigint, requestBytes: number, responseBytes: number, outcome: Outcome, error: string, decisionAction: string): void {
    // a second end record amends the first (storage/FORMAT.md §2): same entry when in this segment;
    // started in an earlier run (before a crash) or segment: only what the end record knows
    let e = this.open.get(exchangeId);
    if (e) this.open.delete(exchangeId);
    else e = this.endedInSegment(exchangeId) ?? { ...emptyEntry(), exchangeId };
    e.completedNs = completedNs;
    e.requestBytes = requestBytes;
    e.responseBytes = responseBytes;
    e.outcome = outcome;
    e.error = error;
    e.state = 'ended';
    if (decisionAction) e.decision = decisionAction;
    this.add(e);
  }

  private endedInSegment(exchangeId: string): IndexEntry | undefined {
    if (!this.ended) {
      this.ended = new Map();
      for (const e of this.segment) this.ended.set(e.exchangeId, e);
    }
    return this.ended.get(exchangeId);
  }

  /** Exchanges the current segment's index lists so far (the writer seals at recording.segmentMaxExchanges). */
  get segmentEntries(): number {
    return this.segment.length;
  }

  /** Forgets the current segment's index (an abandoned segment: recovery rebuilds it from the file); starts the next. */
  discardSegment(): void {
    this.segment = [];
    this.generation++;
    this.ended = null;
  }

  /**
   * The current segment's index as JSON lines, handed to `write` in pieces of about `chunkChars`
   * UTF-16 units; starts the next segment's. Never one string for the whole index: at a seal that
   * cost about three times the index's size at once (the rope of lines, its flattened copy, the
   * UTF-8 Buffer), measured up to 700 MiB of RSS sealing a 64 MiB segment of small exchanges.
   */
  takeSegmentChunks(write: (chunk: string) => void, chunkChars = 1 << 20): void {
    const entries = this.segment;
    this.discardSegment();
    let out = '';
    for (let i = 0; i < entries.length; i++) {
      out += `${indexLine(entries[i]!)}\n`;
      if (out.length >= chunkChars) {
        write(out);
        out = '';
      }
    }
    if (out.length > 0) write(out);
  }

  /** The current segment's index as one string of JSON lines (tests, small indexes); starts the next segment's. */
  takeSegment(): string {
    let all = '';
    this.takeSegmentChunks((chunk) => (all += chunk));
    return all;
  }
}

export function emptyEntry(): IndexEntry {
  return {
    exchangeId: '', sessionId: '', connection: '', mode: 'full', clientAddress: '', subject: '', issuer: '', method: '',
    operation: '', resource: '', decision: '', receivedNs: 0n, completedNs: 0n, status: 0, requestBytes: 0, responseBytes: 0,
    outcome: '', error: '', state: 'open', listedIn: 0, listedAt: 0,
  };
}

let isoMs = -1;
let isoText = '';

/** ISO time of a nanosecond timestamp; consecutive exchanges often share the millisecond (cached). */
function isoOf(ns: bigint): string {
  if (ns <= 0n) return '';
  const ms = Number(ns / 1_000_000n);
  if (ms !== isoMs) {
    isoText = new Date(ms).toISOString();
    isoMs = ms;
  }
  return isoText;
}

/**
 * One JSON line; nanosecond timestamps as decimal strings (they exceed 2^53). (Building the line by
 * hand with template strings was measured slower than JSON.stringify on decoded strings.)
 */
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
