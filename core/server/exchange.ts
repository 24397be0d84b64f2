import { Transform } from 'node:stream';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { nowNs } from '../clock.js';
import { TapegateError, googleErrorBody } from '../errors.js';
import type { ExchangeHead, ExchangeRecorder, HeaderList, Outcome, PolicyDecision, RawHeaderList, ResponseHead } from '../exchange.js';
import type { Admission, HeldRequest } from '../gate.js';
import {
  DROP,
  REWRITE,
  isHeaderNamed,
  latin1,
  namedByConnectionRaw,
  responseHeaderKind,
  responseHeaderList,
  rewriteToGateway,
  upstreamRequestHeaders,
  uploadIdOf,
} from '../headers.js';
import { newExchangeId } from '../ids.js';
import { log } from '../log.js';
import { checkTarget, hostName } from '../route.js';
import { identityKey } from '../session.js';
import type { Upstream } from '../upstream/pools.js';
import { AgentRequestBody } from '../upstream/request-body.js';
import type { ServerContext } from './context.js';
import { statusLine } from './status.js';

/**
 * One exchange: agent request → gate → recorder → undici → agent response. The object is also the
 * undici dispatch handler (onConnect/onHeaders/onData/onComplete/onError), so a proxied request
 * costs one object plus what undici and uWS allocate themselves.
 *
 * Backpressure: request chunks are copied out of uWS (its memory is reused) and pushed to a
 * Readable undici drains; a full buffer pauses the agent's socket. Response chunks go to the agent
 * with tryEnd (Content-Length) or write (chunked); a full socket makes onData return false, which
 * pauses the upstream read until uWS calls onWritable. With recording `full` a congested recorder
 * (sink.congested: bytes waiting for its writer thread) pauses the body's source too (the agent's
 * socket, the upstream read, or the held body's replay) until sink.onDrain; each direction keeps
 * a bitmask of pause reasons (Pause) and resumes only when none remains.
 *
 * Hot-path allocation strategy (per proxied request, pino style: measure, then remove what shows):
 * one Exchange (also the undici handler), the header list collected from uWS (the gate's input,
 * the recorded list when nothing is secret, and the source of the upstream header array), the head
 * record, one undici request. No closure per res.cork() (module trampolines), no Promise in the gate
 * for a cached token and a fresh credential (synchronous answer), no SHA-256 per request for the
 * redacted Authorization (HeaderRedactor remembers markers), no redaction or BigInt clock reads at
 * all when the connection records nothing, the agent address decoded once per distinct address, and
 * the response head written from undici's raw Buffers (no re-encoding) in the same cork as the body,
 * and recorded from them too (RecordedResponseHead: no string per header).
 * Sends are batched per event-loop turn: bodiless upstream requests and unrecorded responses are
 * queued and flushed on one setImmediate, so the socket writes go out back to back (as recorded
 * responses already do when the recorder acknowledges a batch); per write the kernel then mostly
 * finds the reader already awake. 1 KB GET, 50 connections, bench/run.js --quick, interleaved A/B
 * (gateway CPU s/10k): recording off 0.50→0.42 (uWS end+send self time 34%→18% of the profile);
 * full+sync 1.05→0.96, within its noise.
 * Measured with wrk -t1 -c50 on a 1 KiB GET through `tapegate serve` with a dev-issuer token (CPU
 * µs/request of the whole gateway process from /proc utime+stime): recording off 38→31, full+async
 * 63→55, full+sync 81→70; a bare uWS+undici forwarder costs ~15-17, nginx ~7-9.
 * Later (recording off, 1 KB GET, 50 connections, interleaved medians): no fresh-string hashing per
 * request (token cache, sessions, metrics slots), prom-client's observe() replaced by plain counting,
 * the request headers this class reads taken during forEach, the upstream response head classified
 * from undici's raw bytes (strings only for the recorder), ids built in one buffer, and the target
 * check without split/replace: 31→25 µs/exchange (a bare uWS+undici forwarder: ~20-22 on that day).
 *
 * Recording: sink.begin() happens before the upstream request opens; the last bytes of the response
 * (the final chunk, the chunked terminator, or the whole of a bodiless response) are released to
 * the agent only in the recorder's onDurable callback. If the records cannot be made durable the
 * agent's connection is closed, so the agent sees a broken response, never a complete unrecorded one.
 */

/** Leading request-body bytes kept in memory while the gate decides; past this the agent is paused. */
const EARLY_BODY_LIMIT = 256 * 1024;
const EMPTY = Buffer.alloc(0);
const EXCHANGE_ID_HEADER = Buffer.from('x-tapegate-exchange-id');
const HOST_PATTERN = /^[A-Za-z0-9.:[\]-]{1,255}$/;

const enum Framing {
  None = 0,
  Length = 1,
  Chunked = 2,
}

/**
 * Why a direction is paused; it resumes only when no reason remains. The agent's socket (request
 * body) pauses for UpstreamBufferFull (the upstream body buffer, the review spool or the gate's
 * early-body limit) and RecorderCongested; the upstream read (response body) for AgentSlow (the
 * agent's socket is full) and RecorderCongested.
 */
const enum Pause {
  AgentSlow = 1,
  UpstreamBufferFull = 2,
  RecorderCongested = 4,
}

const enum Phase {
  /** Waiting for the gate (and the leading body bytes it asked for). */
  Admitting = 0,
  /** Upstream request dispatched (or about to be). */
  Proxying = 1,
  /** Answer decided (error or complete); waiting for the recorder / the agent's socket. */
  Finishing = 2,
  Done = 3,
}

// Header collection without a closure per request: uWS calls forEach synchronously. The three
// headers the exchange reads itself are picked up on the way (first occurrence, as req.getHeader
// answers) instead of one more native call each. uWS frames the body by the first Content-Length, so
// a second one (or a second Host) is noted and the request refused (RFC 9112 §6.3, §3.2).
let collecting: HeaderList = [];
let collectingBytes = 0;
let collectedHost: string | null = null;
let collectedLength: string | null = null;
let collectedTransferEncoding: string | null = null;
let collectedAmbiguity: string | null = null;
function collectHeader(name: string, value: string): void {
  collecting.push([name, value]);
  collectingBytes += name.length + value.length + 4;
  switch (name.length) {
    case 4:
      if (name === 'host') {
        if (collectedHost === null) collectedHost = value;
        else collectedAmbiguity = 'the request has more than one Host header';
      }
      break;
    case 14:
      if (name === 'content-length') {
        if (collectedLength === null) collectedLength = value;
        else collectedAmbiguity = 'the request has more than one Content-Length header';
      }
      break;
    case 17:
      if (collectedTransferEncoding === null && name === 'transfer-encoding') collectedTransferEncoding = value;
      break;
  }
}

function errorOutcome(err: Error & { code?: string }): { outcome: Outcome; error: TapegateError } {
  const code = err.code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return {
      outcome: 'timeout',
      error: new TapegateError('TG_UPSTREAM_TIMEOUT', 504, `the upstream did not answer in time (${code}); retry, or raise the connection's timeouts if this call is legitimately slow`),
    };
  }
  return {
    outcome: 'upstream_error',
    error: new TapegateError('TG_UPSTREAM_UNAVAILABLE', 502, `the upstream could not be reached or failed (${code || err.message}); retry later`),
  };
}

class AgentAbort extends Error {
  code = 'TG_CLIENT_ABORTED';
}

export class Exchange {
  private readonly ctx: ServerContext;
  private readonly res: HttpResponse;
  /** The uWS response, for the module's cork helpers. */
  get response(): HttpResponse {
    return this.res;
  }
  private readonly head: ExchangeHead;
  private readonly rawHeaders: HeaderList;
  private readonly path: string;
  private readonly query: string;
  private readonly hostHeader: string;
  private upstream: Upstream | null = null;
  private recorder: ExchangeRecorder | null = null;
  private admission: Admission | null = null;
  private phase = Phase.Admitting;
  private connectionName = '-';
  private metricsStarted = false;
  private startedMs = 0;

  // Agent side.
  private agentGone = false;
  private agentEnded = false;
  /** The uWS socket is paused (for the reasons in agentPause). */
  private agentPaused = false;
  private agentPause = 0;
  private readonly expectsBody: boolean;
  private bodyEnded: boolean;
  private bodyNeeded = 0;
  private admitCalled = false;
  private gateAnswered = false;
  private early: Buffer[] | null = null;
  private earlyBytes = 0;
  private body: AgentRequestBody | null = null;
  private hold: HeldRequest | null = null;
  private heldEnded: Promise<void> | null = null;
  private requestBytes = 0;
  private maxBody = 0;
  private lastAgentDataMs = 0;

  // Upstream side.
  private abortUpstream: ((err: Error) => void) | null = null;
  private resumeUpstream: (() => void) | null = null;
  /** Reasons the upstream read is paused (onData returned false); resumed when none remain. */
  private upstreamPause = 0;
  private upstreamDone = false;
  private connectedNs = 0n;
  private firstByteNs = 0n;

  // Response side.
  private status = 0;
  private statusText = '';
  /** undici's raw response head (name, value, name, value…); strings are made only where needed. */
  private rawResponseHeaders: Buffer[] | null = null;
  private framing = Framing.None;
  private total = 0;
  private reportedLength = -1;
  private responseBytes = 0;
  private headWritten = false;
  private current: Buffer = EMPTY;
  private pending: Buffer | null = null;
  private pendingBase = 0;
  private held: Buffer | null = null;
  private finishWhenFlushed = false;
  private writableRegistered = false;
  private recordEnded = false;
  private answeredStatus = 0;

  // Recorder backpressure: at most one drain listener per exchange at a time, bound once.
  private recordsBodies = false;
  private recorderWaiting = false;
  private recorderDrainedBound: (() => void) | null = null;
  private tapChunk: Buffer | null = null;
  private tapCallback: ((err: Error | null, chunk: Buffer) => void) | null = null;

  constructor(ctx: ServerContext, res: HttpResponse, req: HttpRequest) {
    this.ctx = ctx;
    this.res = res;
    const receivedNs = nowNs();
    this.startedMs = performance.now();
    const url = req.getUrl();
    const query = req.getQuery();
    this.path = url;
    this.query = query ?? '';
    const target = query === undefined ? url : `${url}?${query}`;
    collecting = [];
    collectingBytes = 0;
    collectedHost = collectedLength = collectedTransferEncoding = collectedAmbiguity = null;
    req.forEach(collectHeader);
    const ambiguity = collectedAmbiguity;
    const headBytes = collectingBytes + target.length + 16;
    const headTooLarge = headBytes > ctx.config.listen.maxHeaderBytes;
    // An oversized head is refused below; it is not recorded byte for byte.
    this.rawHeaders = headTooLarge ? [['x-tapegate-refused-head', `${headBytes} bytes`]] : collecting;
    collecting = [];
    this.hostHeader = collectedHost ?? '';
    const contentLength = collectedLength ?? '';
    const chunked = collectedTransferEncoding !== null && collectedTransferEncoding !== '';
    const clientAddress = addressText(res.getRemoteAddressAsText());
    const exchangeId = newExchangeId();
    this.head = {
      exchangeId,
      sessionId: '',
      connection: '-',
      mode: 'metadata',
      clientAddress,
      identity: null,
      operation: '',
      resource: '',
      decision: null,
      method: req.getCaseSensitiveMethod(),
      target,
      requestHeaders: NOT_YET_REDACTED, // filled by recordableHead(): off-mode exchanges never pay for it
      receivedNs,
    };
    res.onAborted(() => this.onAgentAborted());

    const length = contentLength === '' ? 0 : /^\d{1,15}$/.test(contentLength) ? Number(contentLength) : -1;
    this.expectsBody = chunked || length > 0;
    this.bodyEnded = !this.expectsBody;
    if (this.expectsBody) {
      res.onData((chunk, isLast) => {
        try {
          this.onAgentData(chunk, isLast);
        } catch (err) {
          this.crashed(err);
        }
      });
    }

    ctx.inFlight++;
    if (headTooLarge) {
      this.refuse(
        new TapegateError('TG_HEADERS_TOO_LARGE', 431, `the request line and headers take ${headBytes} bytes; this gateway accepts at most ${ctx.config.listen.maxHeaderBytes} (listen.maxHeaderBytes)`),
        'denied',
      );
      return;
    }
    if (length < 0) {
      this.refuse(new TapegateError('TG_BAD_REQUEST', 400, 'the Content-Length header is not a number'), 'denied');
      return;
    }
    if (ambiguity !== null) {
      this.refuse(new TapegateError('TG_BAD_REQUEST', 400, `${ambiguity}; send exactly one`), 'denied');
      return;
    }
    if (ctx.draining) {
      this.refuse(new TapegateError('TG_DRAINING', 503, 'the gateway is shutting down; retry against another instance'), 'denied');
      return;
    }
    const bad = checkTarget(url);
    if (bad !== null) {
      this.refuse(new TapegateError('TG_BAD_TARGET', 400, bad), 'denied');
      return;
    }
    const upstream = ctx.router.match(url, hostName(this.hostHeader));
    if (upstream === null) {
      this.refuse(new TapegateError('TG_NO_ROUTE', 404, `no connection is configured for ${url}; check the gateway's connections (match.pathPrefixes / match.hosts)`), 'denied');
      return;
    }
    this.upstream = upstream;
    const config = upstream.config;
    this.connectionName = config.name;
    this.head.connection = config.name;
    this.head.mode = config.recording;
    this.recordsBodies = config.recording === 'full';
    ctx.metrics.started(config.name);
    this.metricsStarted = true;
    this.maxBody = config.maxRequestBodyBytes;
    if (length > this.maxBody) {
      this.refuse(new TapegateError('TG_BODY_TOO_LARGE', 413, `the request body is larger than this connection allows (${this.maxBody} bytes)`), 'denied');
      return;
    }
    if (this.expectsBody) {
      this.lastAgentDataMs = this.startedMs;
      ctx.receiving.add(this);
      // Body bytes that arrive before admission wait here (bounded: the agent is paused past a limit).
      this.early = [];
    }
    this.bodyNeeded = this.expectsBody ? ctx.gate.bodyNeeded(this.head.method, url, config, this.query) : 0;
    if (this.bodyNeeded > 0) return; // admit once the leading bytes arrive (onAgentData)
    this.admit();
  }

  // ---- agent request side -------------------------------------------------------------------

  private onAgentData(ab: ArrayBuffer, isLast: boolean): void {
    if (this.agentGone || this.phase >= Phase.Finishing) return;
    const n = ab.byteLength;
    this.lastAgentDataMs = performance.now();
    let chunk: Buffer = EMPTY;
    if (n > 0) {
      chunk = Buffer.from(ab.slice(0)); // uWS neuters `ab` on return
      this.requestBytes += n;
      if (this.requestBytes > this.maxBody) {
        this.fail(new TapegateError('TG_BODY_TOO_LARGE', 413, `the request body is larger than this connection allows (${this.maxBody} bytes)`), 'denied');
        return;
      }
    }
    if (isLast) {
      this.bodyEnded = true;
      this.ctx.receiving.delete(this);
    }

    if (this.hold !== null) {
      this.writeHeld(chunk);
      return;
    }
    if (this.phase === Phase.Admitting) {
      if (n > 0) {
        this.early!.push(chunk);
        this.earlyBytes += n;
      }
      if (!this.admitCalled && (this.earlyBytes >= this.bodyNeeded || isLast)) this.admit();
      else if (this.admitCalled && this.earlyBytes >= EARLY_BODY_LIMIT && !isLast) this.pause(); // bounded while the gate decides
      return;
    }
    if (n > 0) {
      this.recorder?.requestBody(chunk);
      this.body!.feed(chunk);
      if (!isLast && this.recorderCongested()) this.pauseAgent(Pause.RecorderCongested);
    }
    if (isLast) this.body!.finish();
  }

  private writeHeld(chunk: Buffer): void {
    const held = this.hold!;
    try {
      if (chunk.length > 0 && !held.body.write(chunk) && !this.bodyEnded) this.pause();
    } catch (err) {
      held.cancel('request body refused by the review spool');
      this.fail(err instanceof TapegateError ? err : new TapegateError('TG_REVIEW_SPOOL', 503, `cannot keep the held request's body: ${(err as Error).message}`), 'denied');
      return;
    }
    if (this.bodyEnded && this.heldEnded === null) this.endHeld();
  }

  private endHeld(): void {
    const p = this.hold!.body.end();
    p.catch(() => undefined);
    this.heldEnded = p;
    if (this.phase === Phase.Proxying) this.dispatchWhenHeldEnded(p); // admitted before the body ended
  }

  /** Called by the data plane's idle timer while the request body is still arriving. */
  checkAgentIdle(nowMs: number): void {
    if (this.bodyEnded || this.agentGone || this.phase >= Phase.Finishing) {
      this.ctx.receiving.delete(this);
      return;
    }
    // Paused by us (upstream slow, gate deciding, spool full): not the agent's fault.
    if (this.agentPaused) {
      this.lastAgentDataMs = nowMs;
      return;
    }
    const limit = this.upstream!.config.timeouts.bodyIdleMs;
    if (nowMs - this.lastAgentDataMs <= limit) return;
    this.ctx.receiving.delete(this);
    this.fail(new TapegateError('TG_AGENT_BODY_TIMEOUT', 408, `no request body bytes arrived for ${limit} ms; the request was abandoned`), 'timeout');
  }

  /** Pausable (request-body.ts), the review spool and the early-body limit: the body's consumer is full. */
  pause(): void {
    this.pauseAgent(Pause.UpstreamBufferFull);
  }

  resume(): void {
    this.resumeAgent(Pause.UpstreamBufferFull);
  }

  private pauseAgent(reason: Pause): void {
    if (this.agentGone || this.agentEnded) return;
    this.agentPause |= reason;
    if (reason === Pause.RecorderCongested) this.waitForRecorder();
    if (!this.agentPaused) {
      this.agentPaused = true;
      this.res.pause();
    }
  }

  private resumeAgent(reason: Pause): void {
    this.agentPause &= ~reason;
    if (this.agentPause === 0 && this.agentPaused && !this.agentGone && !this.agentEnded) {
      this.agentPaused = false;
      this.res.resume();
    }
  }

  // ---- recorder backpressure -------------------------------------------------------------------

  /** The recorder has more bytes in flight to its writer than it wants: stop reading bodies. */
  private recorderCongested(): boolean {
    if (!this.recordsBodies || this.recorder === null) return false;
    const sink = this.ctx.sink;
    return sink.congested === true && sink.onDrain !== undefined;
  }

  /** Registers this exchange's one drain listener (one-shot in the recorder; re-armed per episode). */
  private waitForRecorder(): void {
    if (this.recorderWaiting) return;
    this.recorderWaiting = true;
    this.recorderDrainedBound ??= this.onRecorderDrained.bind(this);
    this.ctx.sink.onDrain!(this.recorderDrainedBound);
  }

  private onRecorderDrained(): void {
    this.recorderWaiting = false;
    try {
      if (this.upstreamPause & Pause.RecorderCongested) {
        this.upstreamPause &= ~Pause.RecorderCongested;
        if (this.upstreamPause === 0 && !this.upstreamDone && !this.agentGone) this.resumeUpstream?.();
      }
      if (this.agentPause & Pause.RecorderCongested) this.resumeAgent(Pause.RecorderCongested);
      const cb = this.tapCallback;
      if (cb !== null) {
        const chunk = this.tapChunk!;
        this.tapCallback = null;
        this.tapChunk = null;
        if (!this.agentGone && this.phase !== Phase.Done) cb(null, chunk); // else undici destroyed the replay
      }
    } catch (err) {
      this.crashed(err); // never throw into the recorder's listener loop
    }
  }

  /** The held body's replay (dispatchHeld): pass `chunk` on once the recorder has drained. */
  holdTap(chunk: Buffer, cb: (err: Error | null, chunk: Buffer) => void): boolean {
    if (!this.recorderCongested()) return false;
    this.tapChunk = chunk;
    this.tapCallback = cb;
    this.waitForRecorder();
    return true;
  }

  /**
   * Called just before the response's last bytes go out: a socket still paused then (by a spool or
   * body buffer that never drained) would never read the agent's next keep-alive request, and uWS
   * drops the response object once it has ended, so this is the last chance to resume it.
   */
  private resumeBeforeEnd(): void {
    this.agentPause = 0;
    if (this.agentPaused && !this.agentGone && !this.agentEnded) {
      this.agentPaused = false;
      this.res.resume();
    }
  }

  private onAgentAborted(): void {
    if (this.agentGone) return;
    this.agentGone = true;
    this.body?.detach();
    if (this.hold !== null && this.phase === Phase.Admitting) this.hold.cancel('the agent disconnected');
    if (this.abortUpstream !== null && !this.upstreamDone) this.abortUpstream(new AgentAbort('the agent disconnected'));
    else if (this.body !== null) this.body.destroy();
    if (this.phase === Phase.Admitting && !this.admitCalled) {
      // Never reached the gate: nothing to ask, just account for it.
      this.beginRecord();
      this.endRecord('client_aborted', 'the agent disconnected before the request was admitted', null);
      this.done();
      return;
    }
    if (this.phase !== Phase.Admitting || this.admission !== null) {
      this.endRecord('client_aborted', 'the agent disconnected', null);
      this.done();
    }
    // Otherwise the gate's answer (still pending) records and finishes the exchange.
  }

  // ---- gate -----------------------------------------------------------------------------------

  private admit(): void {
    this.admitCalled = true;
    const upstream = this.upstream!;
    const facts: Parameters<ServerContext['gate']['admit']>[0] = {
      method: this.head.method,
      target: this.head.target,
      path: this.path,
      query: this.query,
      headers: this.rawHeaders,
      connection: upstream.config,
      clientAddress: this.head.clientAddress,
      exchangeId: this.head.exchangeId,
      onHold: (held) => this.onHold(held),
    };
    if (this.bodyNeeded > 0 && this.early !== null) {
      const all = this.early.length === 1 ? this.early[0]! : Buffer.concat(this.early);
      facts.body = all.length > this.bodyNeeded ? all.subarray(0, this.bodyNeeded) : all;
    }
    this.ctx.gate.admit(facts, (err, admission) => this.onAdmitted(err, admission));
  }

  private onHold(held: HeldRequest): void {
    if (this.agentGone) {
      held.cancel('the agent disconnected');
      return;
    }
    this.hold = held;
    const early = this.early;
    this.early = null;
    this.earlyBytes = 0;
    held.body.onDrain(() => this.resume());
    let full = false;
    try {
      if (early !== null) for (const c of early) if (!held.body.write(c)) full = true;
    } catch (err) {
      held.cancel('request body refused by the review spool');
      this.fail(err instanceof TapegateError ? err : new TapegateError('TG_REVIEW_SPOOL', 503, (err as Error).message), 'denied');
      return;
    }
    if (this.bodyEnded) this.endHeld();
    else if (!full) this.resume();
    else this.pause();
  }

  private onAdmitted(err: TapegateError | null, admission: Admission | null): void {
    this.gateAnswered = true;
    if (this.phase !== Phase.Admitting) return;
    if (admission !== null) {
      this.admission = admission;
      this.head.identity = admission.identity;
      this.head.operation = admission.operation;
      this.head.resource = admission.resource;
      this.head.decision = admission.decision;
    }
    const identity = admission?.identity;
    const key = identity ? identityKey(identity) : this.head.clientAddress;
    this.head.sessionId = this.ctx.sessions.resolve(this.header('x-tapegate-session'), key, this.connectionName, Date.now());

    if (this.agentGone) {
      this.beginRecord();
      this.endRecord('client_aborted', 'the agent disconnected while the request was being admitted', null);
      this.done();
      return;
    }
    if (err !== null) {
      if (admission === null) this.head.decision = { action: 'deny', rule: 'gate', reason: err.message };
      this.fail(err, 'denied');
      return;
    }
    if (admission === null) {
      this.fail(new TapegateError('TG_GATE_FAILED', 500, 'the gate admitted the request without an admission; report it to the operators'), 'denied');
      return;
    }
    if (this.head.mode !== 'off') {
      this.recorder = this.ctx.sink.begin(this.recordableHead());
      if (this.recorder === null) {
        const reason = 'the recorder cannot accept new exchanges';
        this.ctx.sink.reject(this.recordableHead(), reason);
        this.answer(new TapegateError('TG_RECORDER_UNAVAILABLE', 503, 'the gateway cannot record this exchange right now, so it was not forwarded; retry later'), 'rejected_unrecordable', false);
        return;
      }
    }
    this.phase = Phase.Proxying;
    if (this.hold !== null) {
      // endHeld() dispatches by itself when the agent's last chunk arrives after this point.
      if (this.heldEnded !== null) this.dispatchWhenHeldEnded(this.heldEnded);
      else if (this.bodyEnded) this.endHeld();
      return;
    }
    if (this.expectsBody) this.dispatch(null);
    else scheduleDispatch(this); // bodiless: sent with this poll phase's other requests (see scheduleDispatch)
  }

  /** A bodiless request queued by scheduleDispatch: send it unless the exchange ended meanwhile. */
  dispatchQueued(): void {
    if (this.agentGone || this.phase !== Phase.Proxying) return;
    try {
      this.dispatch(null);
    } catch (err) {
      this.crashed(err);
    }
  }

  /** Sends the spooled body upstream once it is complete on disk. */
  private dispatchWhenHeldEnded(ended: Promise<void>): void {
    ended.then(
      () => this.dispatchHeld(),
      (e: unknown) => this.fail(new TapegateError('TG_REVIEW_SPOOL', 503, `the held request body could not be read back: ${(e as Error).message}`), 'upstream_error'),
    );
  }

  private dispatchHeld(): void {
    if (this.agentGone || this.phase !== Phase.Proxying) return;
    const held = this.hold!;
    if (!this.expectsBody) {
      held.body.dispose();
      this.dispatch(null);
      return;
    }
    const recorder = this.recorder;
    const exchange = this;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        recorder?.requestBody(chunk);
        if (!exchange.holdTap(chunk, cb)) cb(null, chunk); // held: the callback runs on the recorder's drain
      },
    });
    const source = held.body.open() as NodeJS.ReadableStream & { on(e: string, f: (err: Error) => void): unknown };
    source.on('error', (e: Error) => tap.destroy(e));
    source.pipe(tap);
    tap.once('close', () => held.body.dispose());
    this.dispatch(tap);
  }

  // ---- upstream -------------------------------------------------------------------------------

  private dispatch(heldBody: NodeJS.ReadableStream | null): void {
    const upstream = this.upstream!;
    const headers = upstreamRequestHeaders(this.rawHeaders, {
      clientAddress: this.head.clientAddress,
      proto: this.ctx.proto,
      authorization: this.admission!.upstreamAuthorization,
    });
    let body: NodeJS.ReadableStream | null = heldBody;
    if (body === null && this.expectsBody) {
      const stream = new AgentRequestBody(this);
      this.body = stream;
      const early = this.early;
      this.early = null;
      if (early !== null) {
        for (const c of early) {
          this.recorder?.requestBody(c);
          stream.feed(c);
        }
      }
      if (this.bodyEnded) stream.finish();
      else {
        this.resume();
        if (this.recorderCongested()) this.pauseAgent(Pause.RecorderCongested);
      }
      this.earlyBytes = 0;
      body = stream;
    }
    upstream.pool.dispatch(
      { path: this.head.target, method: this.head.method, headers, body: body as never },
      this as never,
    );
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.recorder !== null) this.connectedNs = nowNs(); // BigInt clock reads only when recorded
    if (this.agentGone || this.phase !== Phase.Proxying) abort(new AgentAbort('the exchange already ended'));
  }

  onResponseStarted(): void {}

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true;
    if (this.recorder !== null) this.firstByteNs = nowNs();
    this.resumeUpstream = resume;
    this.status = statusCode;
    this.statusText = statusText;
    this.rawResponseHeaders = rawHeaders;
    let length = -1;
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      if (isHeaderNamed(rawHeaders[i]!, 'content-length')) length = Number(latin1(rawHeaders[i + 1]!));
    }
    this.reportedLength = length;
    const method = this.head.method;
    if (method === 'HEAD' || statusCode === 204 || statusCode === 304) this.framing = Framing.None;
    else if (length >= 0) {
      this.framing = Framing.Length;
      this.total = length;
    } else this.framing = Framing.Chunked;
    // Recorded from undici's bytes (secrets replaced by markers): no string per header.
    if (this.recorder !== null) {
      this.recorder.responseHead(new RecordedResponseHead(statusCode, this.ctx.redactor.redactRaw(rawHeaders), this.connectedNs, this.firstByteNs));
    }
    const admission = this.admission;
    if (admission?.createsUploadSession && this.ctx.gate.onUploadSession && statusCode < 300) {
      for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
        if (isHeaderNamed(rawHeaders[i]!, 'location')) {
          const id = uploadIdOf(latin1(rawHeaders[i + 1]!));
          if (id !== undefined) this.ctx.gate.onUploadSession(id, admission);
          break;
        }
      }
    }
    // The head goes out with the first body bytes (one write for small responses), or on the
    // next microtask if the body is slow to come.
    scheduleHeadFlush(this);
    return !this.agentGone;
  }

  /** Called from the microtask queue after onHeaders. */
  flushHead(): void {
    if (this.headWritten || this.agentGone || this.agentEnded || this.phase !== Phase.Proxying) return;
    corkWrite(this);
  }

  onData(chunk: Buffer): boolean {
    const n = chunk.length;
    this.responseBytes += n;
    this.recorder?.responseBody(chunk);
    if (this.agentGone || this.phase !== Phase.Proxying) return false;
    if (this.framing === Framing.None || n === 0) return true;
    if (this.framing === Framing.Length && this.responseBytes >= this.total) {
      this.held = chunk; // the last bytes wait for onDurable
      return true;
    }
    if (this.pending !== null) {
      // Only reachable if undici delivers after a pause; keep order, stay bounded to one extra chunk.
      this.pending = Buffer.concat([this.pending, chunk]);
      this.upstreamPause |= Pause.AgentSlow;
      return false;
    }
    this.current = chunk;
    corkWrite(this);
    this.current = EMPTY;
    if (this.pending !== null) this.upstreamPause |= Pause.AgentSlow; // onWritable resumes
    if (this.recorderCongested()) {
      this.upstreamPause |= Pause.RecorderCongested; // onRecorderDrained resumes
      this.waitForRecorder();
    }
    return this.upstreamPause === 0;
  }

  onComplete(): void {
    this.upstreamDone = true;
    if (this.agentGone || this.phase !== Phase.Proxying) return;
    this.phase = Phase.Finishing;
    this.answeredStatus = this.status;
    if (this.recorder === null) {
      scheduleRelease(this); // with this poll phase's other responses (see scheduleRelease)
      return;
    }
    this.endRecord('completed', '', (err) => {
      if (err !== null) {
        log.error({ event: 'record_failed', exchangeId: this.head.exchangeId, err: err.message }, 'exchange could not be recorded; breaking the response');
        this.breakAgent();
        return;
      }
      this.release();
    });
  }

  onError(err: Error & { code?: string }): void {
    this.upstreamDone = true;
    this.body?.detach();
    if (err instanceof AgentAbort || this.agentGone) return; // onAgentAborted recorded it
    if (this.phase >= Phase.Finishing) return;
    const { outcome, error } = errorOutcome(err);
    log.warn({ event: 'upstream_error', exchangeId: this.head.exchangeId, connection: this.connectionName, code: err.code, err: err.message }, 'upstream request failed');
    if (this.headWritten || this.rawResponseHeaders !== null) {
      // The upstream's head is recorded (and maybe with the agent): end it visibly broken, not short.
      this.phase = Phase.Finishing;
      this.answeredStatus = this.status;
      this.endRecord(outcome, error.message, null);
      this.breakAgent();
      return;
    }
    this.fail(error, outcome);
  }

  // ---- response to the agent ------------------------------------------------------------------

  /** Runs inside res.cork: the head if not yet written, then `current` (if any). */
  writeCurrent(): void {
    const res = this.res;
    if (!this.headWritten) this.writeHead();
    const chunk = this.current;
    if (chunk.length === 0) return;
    if (this.framing === Framing.Length) {
      const base = res.getWriteOffset();
      const [ok, done] = res.tryEnd(chunk, this.total);
      if (done) this.agentEnded = true;
      if (!ok && !done) {
        this.pending = chunk;
        this.pendingBase = base;
        this.watchWritable();
      }
    } else if (!res.write(chunk)) {
      this.upstreamPause |= Pause.AgentSlow;
      this.watchWritable();
    }
  }

  private writeHead(): void {
    const res = this.res;
    this.headWritten = true;
    res.writeStatus(statusLine(this.status, this.statusText));
    const raw = this.rawResponseHeaders!;
    const named = namedByConnectionRaw(raw);
    const upstream = this.upstream!;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!;
      const kind = responseHeaderKind(name);
      if (kind === DROP || (named !== null && named.has(latin1(name).toLowerCase()))) continue;
      if (kind === REWRITE) res.writeHeader(latin1(name).toLowerCase(), rewriteToGateway(latin1(raw[i + 1]!), upstream.origin, this.gatewayOrigin()));
      else res.writeHeader(name, raw[i + 1]!); // the upstream's bytes as they came: no string re-encoding
    }
    res.writeHeader(EXCHANGE_ID_HEADER, this.head.exchangeId);
    res.writeHeader('x-tapegate-session', this.head.sessionId);
  }

  private gatewayOrigin(): string {
    const host = HOST_PATTERN.test(this.hostHeader) ? this.hostHeader : this.ctx.listenAuthority;
    return `${this.ctx.proto}://${host}`;
  }

  private watchWritable(): void {
    if (this.writableRegistered) return;
    this.writableRegistered = true;
    this.res.onWritable((offset) => {
      try {
        return this.onWritable(offset);
      } catch (err) {
        this.crashed(err);
        return true;
      }
    });
  }

  private onWritable(offset: number): boolean {
    if (this.agentGone || this.agentEnded) return true;
    if (this.pending !== null) {
      this.resumeBeforeEnd();
      const [ok, done] = this.res.tryEnd(this.pending.subarray(offset - this.pendingBase), this.total);
      if (done) this.agentEnded = true;
      if (!ok && !done) return false;
      this.pending = null;
    }
    if (this.finishWhenFlushed) {
      this.finishWhenFlushed = false;
      corkFinish(this);
    }
    if (this.upstreamPause & Pause.AgentSlow) {
      this.upstreamPause &= ~Pause.AgentSlow;
      if (this.upstreamPause === 0 && !this.upstreamDone) this.resumeUpstream?.(); // else the recorder's drain resumes
    }
    if (this.agentEnded) this.done();
    return true;
  }

  /** An unrecorded response queued by scheduleRelease (outside any undici or uWS callback). */
  releaseQueued(): void {
    try {
      this.release();
    } catch (err) {
      this.crashed(err);
    }
  }

  /** The records are durable (or there are none): hand the last bytes to the agent. */
  private release(): void {
    if (this.agentGone || this.agentEnded) {
      this.done();
      return;
    }
    if (this.pending !== null) {
      this.finishWhenFlushed = true;
      return;
    }
    corkFinish(this);
  }

  /** Runs inside res.cork (corkFinish): the head if not yet written, then the held last bytes. */
  finishAgent(): void {
    const res = this.res;
    this.resumeBeforeEnd();
    if (!this.headWritten) this.writeHead();
    if (this.framing === Framing.None) {
      if (this.head.method === 'HEAD' && this.reportedLength >= 0) res.endWithoutBody(this.reportedLength);
      else res.endWithoutBody();
      this.agentEnded = true;
    } else if (this.framing === Framing.Length) {
      const last = this.held ?? EMPTY;
      this.held = null;
      if (this.total === 0) {
        res.end();
        this.agentEnded = true;
      } else {
        const base = res.getWriteOffset();
        const [ok, done] = res.tryEnd(last, this.total);
        if (done) this.agentEnded = true;
        else if (!ok) {
          this.pending = last;
          this.pendingBase = base;
          this.watchWritable();
          return;
        }
      }
    } else {
      res.end();
      this.agentEnded = true;
    }
    if (this.agentEnded) this.done();
  }

  /** A bug in a uWS callback: log it, cut this exchange, keep the gateway up. */
  private crashed(err: unknown): void {
    log.error({ event: 'exchange_crash', exchangeId: this.head.exchangeId, err: (err as Error)?.stack }, 'exchange callback threw');
    if (this.abortUpstream !== null && !this.upstreamDone) this.abortUpstream(new AgentAbort('gateway error'));
    this.endRecord('upstream_error', `gateway error: ${(err as Error)?.message}`, null);
    this.breakAgent();
  }

  private breakAgent(): void {
    if (!this.agentGone && !this.agentEnded) {
      this.agentGone = true;
      this.res.close();
    }
    this.done();
  }

  /** Refuses before any upstream work (no route, bad target…). Recorded under connection '-' or the route's. */
  private refuse(err: TapegateError, outcome: Outcome): void {
    this.head.sessionId = this.ctx.sessions.resolve(this.header('x-tapegate-session'), this.head.clientAddress, this.connectionName, Date.now());
    this.head.decision = { action: 'deny', rule: 'gateway', reason: err.message };
    if (!this.metricsStarted) {
      this.ctx.metrics.started(this.connectionName);
      this.metricsStarted = true;
    }
    this.fail(err, outcome);
  }

  /** Answers with a Google-shaped error (recorded when the mode allows); aborts upstream work. */
  private fail(err: TapegateError, outcome: Outcome): void {
    this.answer(err, outcome, true);
  }

  private answer(err: TapegateError, outcome: Outcome, record: boolean): void {
    if (this.phase >= Phase.Finishing) return;
    this.phase = Phase.Finishing;
    this.answeredStatus = err.httpStatus;
    if (this.abortUpstream !== null && !this.upstreamDone) this.abortUpstream(new AgentAbort('answered by the gateway'));
    this.body?.detach();
    if (this.body !== null && !this.body.destroyed) this.body.destroy();
    if (this.hold !== null && !this.gateAnswered) this.hold.cancel(err.message);
    const body = googleErrorBody(err, this.head.exchangeId);
    if (record && this.recorder === null && this.head.mode !== 'off') this.beginRecord();
    const send = (): void => {
      if (this.agentGone || this.agentEnded) {
        this.done();
        return;
      }
      const closeConnection = !this.bodyEnded || this.ctx.draining || err.httpStatus === 431;
      this.res.cork(() => {
        const res = this.res;
        this.resumeBeforeEnd();
        res.writeStatus(statusLine(err.httpStatus, ''));
        res.writeHeader('content-type', 'application/json; charset=UTF-8');
        if (err.headers) for (const name of Object.keys(err.headers)) res.writeHeader(name.toLowerCase(), err.headers[name]!);
        res.writeHeader('x-tapegate-exchange-id', this.head.exchangeId);
        if (this.head.sessionId) res.writeHeader('x-tapegate-session', this.head.sessionId);
        res.end(body, closeConnection);
      });
      this.agentEnded = true;
      this.done();
    };
    if (this.recorder === null) {
      send();
      return;
    }
    const headers: HeaderList = [['content-type', 'application/json; charset=UTF-8']];
    const t = nowNs();
    this.recorder.responseHead({ status: err.httpStatus, headers, upstreamConnectedNs: this.connectedNs, firstByteNs: t });
    this.recorder.responseBody(Buffer.from(body));
    this.responseBytes = Buffer.byteLength(body);
    this.endRecord(outcome, err.message, (e) => {
      if (e !== null) {
        this.breakAgent();
        return;
      }
      send();
    });
  }

  private beginRecord(): void {
    if (this.recorder !== null || this.recordEnded || this.head.mode === 'off') return;
    this.recorder = this.ctx.sink.begin(this.recordableHead());
  }

  /** The head with its request headers redacted, done once and only when something is recorded. */
  private recordableHead(): ExchangeHead {
    const head = this.head;
    if (head.requestHeaders === NOT_YET_REDACTED) head.requestHeaders = redacted(this.ctx, this.rawHeaders);
    return head;
  }

  private endRecord(outcome: Outcome, error: string, onDurable: ((err: Error | null) => void) | null): void {
    if (this.recordEnded) return;
    this.recordEnded = true;
    const recorder = this.recorder;
    if (recorder === null) {
      onDurable?.(null);
      return;
    }
    const end: Parameters<ExchangeRecorder['end']>[0] = {
      outcome,
      error,
      completedNs: nowNs(),
      requestBytes: this.requestBytes,
      responseBytes: this.responseBytes,
    };
    const decision: PolicyDecision | null = this.head.decision;
    if (decision !== null && this.admission !== null && decision !== this.admission.decision) end.decision = decision;
    this.lastOutcome = outcome;
    recorder.end(end, onDurable ?? ignoreDurable);
  }

  private lastOutcome: Outcome = 'completed';

  private header(name: string): string | undefined {
    const h = this.rawHeaders;
    for (let i = 0; i < h.length; i++) if (h[i]![0] === name) return h[i]![1];
    return undefined;
  }

  private done(): void {
    if (this.phase === Phase.Done) return;
    this.phase = Phase.Done;
    this.body?.detach();
    if (this.expectsBody) this.ctx.receiving.delete(this);
    const ctx = this.ctx;
    if (this.metricsStarted) {
      const seconds = (performance.now() - this.startedMs) / 1e3;
      const status = this.agentGone && !this.agentEnded ? 0 : this.answeredStatus;
      ctx.metrics.finished(this.connectionName, status, this.recordEnded ? this.lastOutcome : 'completed', seconds, this.requestBytes, this.responseBytes);
    }
    ctx.inFlight--;
    ctx.onExchangeDone();
  }
}

function ignoreDurable(): void {}

/** Placeholder until recordableHead() redacts the request headers (identity-compared). */
const NOT_YET_REDACTED: HeaderList = [];

// res.cork() without a closure per call: the target is handed over in a module variable (cork runs
// its callback synchronously and these callbacks never cork again).
let corkTarget: Exchange | null = null;
function corkedWrite(): void {
  corkTarget!.writeCurrent();
}
function corkedFinish(): void {
  corkTarget!.finishAgent();
}
function corkWrite(ex: Exchange): void {
  corkTarget = ex;
  try {
    ex.response.cork(corkedWrite);
  } finally {
    corkTarget = null;
  }
}
function corkFinish(ex: Exchange): void {
  corkTarget = ex;
  try {
    ex.response.cork(corkedFinish);
  } finally {
    corkTarget = null;
  }
}

// The agent's address as text. uWS hands a fresh ArrayBuffer per request; agents keep their
// connections, so the last decoded address is almost always the next one too.
let lastAddressBytes = new Uint8Array(0);
let lastAddressText = '';
function addressText(ab: ArrayBuffer): string {
  const bytes = new Uint8Array(ab);
  const n = bytes.length;
  if (n === lastAddressBytes.length) {
    let same = true;
    for (let i = 0; i < n; i++) {
      if (bytes[i] !== lastAddressBytes[i]) {
        same = false;
        break;
      }
    }
    if (same) return lastAddressText;
  }
  lastAddressBytes = bytes.slice();
  lastAddressText = Buffer.from(ab).toString('latin1');
  return lastAddressText;
}

/**
 * A recorded response head: sinks that encode bytes (storage/recorder) read `rawHeaders`; the
 * strings of `headers` are made only if a sink asks for them.
 */
class RecordedResponseHead implements ResponseHead {
  private list: HeaderList | null = null;
  constructor(
    readonly status: number,
    readonly rawHeaders: RawHeaderList,
    readonly upstreamConnectedNs: bigint,
    readonly firstByteNs: bigint,
  ) {}

  get headers(): HeaderList {
    return (this.list ??= responseHeaderList(this.rawHeaders));
  }
}

/** The list as recorded: the same list when nothing is secret (the common case), else a copy. */
function redacted(ctx: ServerContext, headers: HeaderList): HeaderList {
  const r = ctx.redactor;
  for (let i = 0; i < headers.length; i++) if (r.isSecret(headers[i]![0])) return r.redact(headers);
  return headers;
}

// Head flushes after onHeaders, batched on one microtask (no closure per exchange).
let headQueue: Exchange[] = [];
let headFlushScheduled = false;
function flushHeads(): void {
  const q = headQueue;
  headQueue = [];
  headFlushScheduled = false;
  for (let i = 0; i < q.length; i++) q[i]!.flushHead();
}
function scheduleHeadFlush(ex: Exchange): void {
  headQueue.push(ex);
  if (!headFlushScheduled) {
    headFlushScheduled = true;
    queueMicrotask(flushHeads);
  }
}

// Unrecorded responses finish in one batch after the event loop's poll phase (setImmediate, no
// closure per exchange) instead of one by one inside undici's socket callback: the sends to the
// agents' sockets then go out back to back, as they do when the recorder's acknowledgement releases
// a batch, which costs the kernel markedly less per send than waking the reader for each one.
let releaseQueue: Exchange[] = [];
let releaseScheduled = false;
function releaseAllQueued(): void {
  const q = releaseQueue;
  releaseQueue = [];
  releaseScheduled = false;
  for (let i = 0; i < q.length; i++) q[i]!.releaseQueued();
}
function scheduleRelease(ex: Exchange): void {
  releaseQueue.push(ex);
  if (!releaseScheduled) {
    releaseScheduled = true;
    setImmediate(releaseAllQueued);
  }
}

// Bodiless upstream requests likewise go out in one batch after the poll phase that admitted them.
let dispatchQueue: Exchange[] = [];
let dispatchScheduled = false;
function dispatchQueuedAll(): void {
  const q = dispatchQueue;
  dispatchQueue = [];
  dispatchScheduled = false;
  for (let i = 0; i < q.length; i++) q[i]!.dispatchQueued();
}
function scheduleDispatch(ex: Exchange): void {
  dispatchQueue.push(ex);
  if (!dispatchScheduled) {
    dispatchScheduled = true;
    setImmediate(dispatchQueuedAll);
  }
}
