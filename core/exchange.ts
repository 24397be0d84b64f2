/**
 * The one narrow interface between core/ (HTTP, identity, policy) and storage/ (bytes on disk).
 *
 * core/ calls `sink.begin(head)` once per exchange, feeds body chunks and the response head as they
 * stream, and calls `end()`. storage/ implements the sink (storage/recorder) and never sees an HTTP
 * object, only these plain values. Header lists are already redacted by core/redact before they
 * get here; the credential the gateway injects is never passed in.
 */

export type Outcome =
  | 'completed'
  | 'client_aborted'
  | 'upstream_error'
  | 'timeout'
  | 'denied'
  | 'rejected_unrecordable';

export type RecordingMode = 'full' | 'metadata' | 'off';

/** Lower-case header name and value, in arrival order (repeated names stay repeated). */
export type HeaderList = Array<[name: string, value: string]>;

export interface Identity {
  subject: string;
  issuer: string;
  groups: readonly string[];
}

export interface PolicyDecision {
  action: 'allow' | 'deny' | 'review';
  /** Name (or index) of the rule that matched; 'default' when none did. */
  rule: string;
  /** Set when the request was held for review. */
  reviewId?: string;
  /** Who approved or denied a held request, when (epoch ms) and why. */
  reviewedBy?: string;
  reviewedAtMs?: number;
  reviewReason?: string;
  /** Why an identity or policy check refused the request (never a token). */
  reason?: string;
}

export interface ExchangeHead {
  /** Sortable unique id (core/ids); also sent to the agent as x-tapegate-exchange-id. */
  exchangeId: string;
  sessionId: string;
  /** Connection name from config; '-' when no connection matched (e.g. a 404). */
  connection: string;
  mode: RecordingMode;
  clientAddress: string;
  identity: Identity | null;
  /** Classified GCP operation, e.g. storage.objects.get; '' until classified. */
  operation: string;
  resource: string;
  decision: PolicyDecision | null;
  method: string;
  /** Raw request target (path + query) exactly as received. */
  target: string;
  requestHeaders: HeaderList;
  /** Epoch nanoseconds (core/clock.nowNs). */
  receivedNs: bigint;
}

/**
 * A response head's headers as the upstream's bytes: [name, value, name, value…], Latin-1, names in
 * any case (a sink lower-cases them), each secret value already replaced by its redaction marker
 * (a string). The same headers as the HeaderList made from them (lower-cased Latin-1 strings).
 */
export type RawHeaderList = ReadonlyArray<Uint8Array | string>;

export interface ResponseHead {
  status: number;
  headers: HeaderList;
  upstreamConnectedNs: bigint;
  firstByteNs: bigint;
  /**
   * Optional: `headers` as bytes (see RawHeaderList), so a sink that encodes bytes need not make a
   * string per header. When set, `headers` may be made only when read (a getter): read one of them.
   */
  rawHeaders?: RawHeaderList;
}

export interface ExchangeEnd {
  outcome: Outcome;
  /** Human-readable error text; '' when the exchange completed. */
  error: string;
  completedNs: bigint;
  requestBytes: number;
  responseBytes: number;
  /** The final decision when it changed after begin() (a review approved or denied). */
  decision?: PolicyDecision;
}

/** Receives one exchange as it streams. Every method is synchronous and must not keep `chunk`. */
export interface ExchangeRecorder {
  /** Called for each request body chunk, in order. The memory may be reused after return. */
  requestBody(chunk: Uint8Array): void;
  responseHead(head: ResponseHead): void;
  /** Called for each response body chunk, in order. The memory may be reused after return. */
  responseBody(chunk: Uint8Array): void;
  /**
   * Closes the exchange. `onDurable` is called once the exchange's records are as durable as the
   * configured mode promises: after fsync in `sync` mode (group commit), at once in `async` mode.
   * core/ releases the last bytes of the response only after it. An error means the records could
   * not be written; core/ then ends the agent's response with an error instead of success.
   */
  end(end: ExchangeEnd, onDurable: (err: Error | null) => void): void;
}

export interface ExchangeSink {
  /**
   * Starts recording an exchange. Returns null when it cannot be recorded (disk full, I/O error,
   * spool over its limit): core/ must then refuse the exchange with 503 and call `reject()`.
   */
  begin(head: ExchangeHead): ExchangeRecorder | null;
  /** Records a refused exchange (`rejected_unrecordable`) in reserved space, best effort. */
  reject(head: ExchangeHead, reason: string): void;
  /** False while the sink refuses new exchanges; /readyz reports it. */
  readonly healthy: boolean;
  /**
   * Optional backpressure (storage/recorder has it): true while recorded bytes wait for the disk or
   * the compressor (traffic faster than the recorder). The data plane should pause reading bodies
   * until `onDrain` fires; if it does not, the backlog grows until the sink refuses new exchanges.
   */
  readonly congested?: boolean;
  /** Calls `cb` once when the backlog has drained (at once, on the next tick, if not congested). */
  onDrain?(cb: () => void): void;
  /** Seals the open segment and flushes everything; called on shutdown after draining. */
  close(): Promise<void>;
}
