import type { HeaderList } from './exchange.js';

/**
 * Header rules of the data plane. Hop-by-hop headers (RFC 9110 §7.6.1, plus any header a Connection
 * header names) never cross the gateway; the agent's Host and Authorization never go upstream (the
 * upstream origin comes from config, the credential from the gate); x-tapegate-* headers are ours.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Request headers never forwarded as the agent sent them. */
const REQUEST_DROP = new Set([
  ...HOP_BY_HOP,
  'host',
  'authorization',
  'expect', // uWS answers 100-continue itself; undici sends the body as it arrives
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
]);

/** Response headers uWS writes itself (Content-Length/Transfer-Encoding framing, Date). */
const RESPONSE_DROP = new Set([...HOP_BY_HOP, 'content-length', 'date']);

/** Lower-case names listed in Connection header values ("close, x-foo"). */
export function connectionTokens(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(',')) {
    const t = part.trim().toLowerCase();
    if (t && t !== 'close' && t !== 'keep-alive') out.push(t);
  }
  return out;
}

function namedByConnection(headers: HeaderList): Set<string> | null {
  let named: Set<string> | null = null;
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!;
    if (h[0] === 'connection') {
      const v = h[1];
      if (v === 'keep-alive' || v === 'close' || v === 'Keep-Alive' || v === 'Close') continue; // the usual case, no tokens
      for (const t of connectionTokens(v)) (named ??= new Set()).add(t);
    }
  }
  return named;
}

export interface ForwardingFacts {
  clientAddress: string;
  /** Scheme the agent used to reach us (listen.publicScheme). */
  proto: string;
  /** Value for the upstream Authorization header (from the gate); null sends none. */
  authorization: string | null;
}

/**
 * The flat [name, value, name, value…] list undici sends upstream. X-Forwarded-For appends the
 * agent's address to what the agent claimed (the last entry is the one we vouch for).
 */
export function upstreamRequestHeaders(headers: HeaderList, facts: ForwardingFacts): string[] {
  const named = namedByConnection(headers);
  const out: string[] = [];
  let forwardedFor = '';
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!;
    const name = h[0];
    if (name === 'x-forwarded-for') {
      forwardedFor = forwardedFor ? `${forwardedFor}, ${h[1]}` : h[1];
      continue;
    }
    if (REQUEST_DROP.has(name) || name.startsWith('x-tapegate-') || (named !== null && named.has(name))) continue;
    out.push(name, h[1]);
  }
  out.push('x-forwarded-for', forwardedFor ? `${forwardedFor}, ${facts.clientAddress}` : facts.clientAddress);
  out.push('x-forwarded-proto', facts.proto);
  if (facts.authorization !== null) out.push('authorization', facts.authorization);
  return out;
}

type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

/** undici's raw response headers (Buffer pairs) as a lower-case HeaderList, in arrival order. */
export function responseHeaderList(raw: readonly Buffer[]): HeaderList {
  const out: HeaderList = new Array(raw.length >> 1);
  for (let i = 0, j = 0; i + 1 < raw.length; i += 2, j++) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    // latin1Slice: Buffer#toString without its argument handling (measurably cheaper per header).
    out[j] = [(name as Latin1Buffer).latin1Slice(0, name.length).toLowerCase(), (value as Latin1Buffer).latin1Slice(0, value.length)];
  }
  return out;
}

/**
 * Rewrites a URL pointing at the upstream origin (a resumable session URI in Location or
 * X-Goog-Upload-URL) to point at the gateway, so the agent's later requests come back through us.
 * Other values are returned unchanged.
 */
export function rewriteToGateway(value: string, upstreamOrigin: string, gatewayOrigin: string): string {
  const n = upstreamOrigin.length;
  if (value.length < n || value.slice(0, n).toLowerCase() !== upstreamOrigin) return value;
  if (value.length === n) return gatewayOrigin + '/';
  const next = value.charCodeAt(n);
  if (next !== 47 /* / */ && next !== 63 /* ? */) return value;
  return gatewayOrigin + value.slice(n);
}

/** Where a header of the upstream response goes: dropped, rewritten or passed as is. */
export function isResponseHeaderDropped(name: string, named: Set<string> | null): boolean {
  return RESPONSE_DROP.has(name) || (named !== null && named.has(name));
}

export function isRewrittenLocation(name: string): boolean {
  return name === 'location' || name === 'x-goog-upload-url' || name === 'content-location';
}

export { namedByConnection };

/** The upload_id of a resumable session URI (the Location of the response that created it). */
export function uploadIdOf(location: string): string | undefined {
  const q = location.indexOf('?');
  if (q === -1) return undefined;
  const hash = location.indexOf('#', q);
  const id = new URLSearchParams(hash === -1 ? location.slice(q + 1) : location.slice(q + 1, hash)).get('upload_id');
  return id ?? undefined;
}
