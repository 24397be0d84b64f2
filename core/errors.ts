/**
 * Errors are values with a code, an HTTP status and a message that says what to do. Agents get them
 * as JSON in Google's error shape: {"error":{"code","message","status","errors":[…]}}.
 */
export type GoogleStatus =
  | 'INVALID_ARGUMENT'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'INTERNAL';

const STATUS_BY_HTTP: Record<number, GoogleStatus> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  408: 'DEADLINE_EXCEEDED',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  431: 'INVALID_ARGUMENT',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export class TapegateError extends Error {
  readonly code: string;
  readonly httpStatus: number;
  /** Extra response headers the refusal must carry (e.g. WWW-Authenticate on a 401). */
  readonly headers?: Record<string, string>;
  constructor(code: string, httpStatus: number, message: string, options?: { cause?: unknown; headers?: Record<string, string> }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'TapegateError';
    this.code = code;
    this.httpStatus = httpStatus;
    if (options?.headers) this.headers = options.headers;
  }
}

/** Google-shaped JSON error body; `exchangeId` is included so an agent's log points at the recording. */
export function googleErrorBody(err: TapegateError, exchangeId: string): string {
  const status = STATUS_BY_HTTP[err.httpStatus] ?? 'INTERNAL';
  return JSON.stringify({
    error: {
      code: err.httpStatus,
      message: err.message,
      status,
      errors: [{ reason: err.code, message: err.message, domain: 'tapegate' }],
      exchangeId,
    },
  });
}
