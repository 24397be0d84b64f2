import type { ConnectionConfig } from './config/connections.js';
import type { TapegateError } from './errors.js';
import type { HeaderList, Identity, PolicyDecision } from './exchange.js';

/**
 * The gate decides, per request, who is calling, what they are doing and whether it may pass, and
 * supplies the credential to inject upstream. core/server calls it between parsing the request head
 * and opening the upstream request; the data plane knows nothing of tokens or rules.
 */
export interface RequestFacts {
  method: string;
  /** Raw request target (path + query) exactly as received. */
  target: string;
  /** Raw path (no query), still percent-encoded. */
  path: string;
  /** Raw query string without the leading '?'. */
  query: string;
  /** Lower-case names, unredacted (the gate reads Authorization); never recorded as is. */
  headers: HeaderList;
  connection: ConnectionConfig;
  clientAddress: string;
  /** The first `bodyNeeded()` bytes of the request body, when the gate asked for them. */
  body?: Uint8Array;
  /** The exchange id, so a review can point approvers at the recording. */
  exchangeId?: string;
  /**
   * Called (before `done`) when the request is held for review: from then on the data plane writes
   * the request body — all of it, including the bytes already passed in `body` — into `held.body`
   * (on disk), and calls `held.cancel()` if the agent goes away. After `done(null, …)` it sends the
   * body upstream from `held.body.open()` once the agent's body has ended, then `dispose()`s it.
   * After `done(err, …)` the gate has disposed the body.
   */
  onHold?: (held: HeldRequest) => void;
}

/** A held request's body, spooled to disk while a person decides (core/approvals/spool.ts). */
export interface HeldBody {
  /** Appends a copy of `chunk`; false when reading should pause until the drain listener runs. Throws a 413 TapegateError past the limit. */
  write(chunk: Uint8Array): boolean;
  /** Sets the listener called each time the spool catches up after write() returned false (replaces an earlier one). */
  onDrain(callback: () => void): void;
  /** No more body; resolves when every byte is on disk. */
  end(): Promise<void>;
  readonly bytes: number;
  /** The spooled body from its first byte (after end() resolved). */
  open(): NodeJS.ReadableStream;
  /** Removes the spool file; idempotent. */
  dispose(): void;
}

export interface HeldRequest {
  reviewId: string;
  body: HeldBody;
  /** The agent went away: the review is withdrawn and `done` is called with an error (ignore it). */
  cancel(reason: string): void;
}

export interface Admission {
  identity: Identity | null;
  operation: string;
  resource: string;
  decision: PolicyDecision;
  /** Value for the upstream Authorization header; null sends none. Never recorded or logged. */
  upstreamAuthorization: string | null;
  /**
   * Set on an admitted request that starts a resumable upload (uploadType=resumable POST): the data
   * plane reports the upload_id from the response's Location with `gate.onUploadSession`.
   */
  createsUploadSession?: boolean;
}

export interface Gate {
  /**
   * How many leading request-body bytes the gate must see before deciding (0: the head is enough).
   * `query` (raw, without '?') lets the gate skip media uploads; without it, it asks conservatively.
   */
  bodyNeeded(method: string, path: string, connection: ConnectionConfig, query?: string): number;
  /**
   * Decides. `done(null, admission)` lets the request through. `done(err, admission)` refuses it with
   * err's status (401, 403…); the admission, when given, says what to record about the refusal.
   * Calls `done` exactly once, possibly much later (a request held for review).
   */
  admit(facts: RequestFacts, done: (err: TapegateError | null, admission: Admission | null) => void): void;
  /**
   * The upstream answered a request whose admission had `createsUploadSession` with a session URI
   * whose `upload_id` is `uploadId` (see `uploadIdFromLocation` in core/gatekeeper). Later requests
   * carrying that upload_id (chunk PUTs, status queries, cancel) are admitted under this admission
   * without an Authorization header, because client libraries drop it for session URIs.
   */
  onUploadSession?(uploadId: string, admission: Admission): void;
}
