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
}

export interface Admission {
  identity: Identity | null;
  operation: string;
  resource: string;
  decision: PolicyDecision;
  /** Value for the upstream Authorization header; null sends none. Never recorded or logged. */
  upstreamAuthorization: string | null;
}

export interface Gate {
  /** How many leading request-body bytes the gate must see before deciding (0: the head is enough). */
  bodyNeeded(method: string, path: string, connection: ConnectionConfig): number;
  /**
   * Decides. `done(null, admission)` lets the request through. `done(err, admission)` refuses it with
   * err's status (401, 403…); the admission, when given, says what to record about the refusal.
   * Calls `done` exactly once, possibly much later (a request held for review).
   */
  admit(facts: RequestFacts, done: (err: TapegateError | null, admission: Admission | null) => void): void;
}
