import type { HeaderList, RawHeaderList } from './exchange.js';

/**
 * Header rules of the data plane. Hop-by-hop headers (RFC 9110 §7.6.1, plus any header a Connection
 * header names) never cross the gateway; the agent's Host and Authorization never go upstream (the
 * upstream origin comes from config, the credential from the gate); x-tapegate-* headers are ours.
 */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

/** Request headers never forwarded as the agent sent them. */
const REQUEST_DROP = [
  ...HOP_BY_HOP,
  'host',
  'authorization',
  'expect', // uWS answers 100-continue itself; undici sends the body as it arrives
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
];

/** Response headers uWS writes itself (Content-Length/Transfer-Encoding framing, Date). */
const RESPONSE_DROP = [...HOP_BY_HOP, 'content-length', 'date'];

/** Response headers whose URL value is rewritten to point at the gateway. */
const RESPONSE_REWRITE = ['location', 'x-goog-upload-url', 'content-location'];

/** A Latin-1 byte lower-cased as String#toLowerCase lower-cases its character. */
export function lowerLatin1(c: number): number {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0xc0 && c <= 0xde && c !== 0xd7) ? c + 0x20 : c;
}

/** `name` (raw Latin-1 bytes, any case) is the lower-case `lower`. */
export function isHeaderNamed(name: Uint8Array, lower: string): boolean {
  if (name.length !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) if (lowerLatin1(name[i]!) !== lower.charCodeAt(i)) return false;
  return true;
}

/**
 * A set of lower-case header names for the hot path. Names arrive as fresh strings (uWS) or as
 * bytes in any case (undici): a Set lookup would hash every one of them per request, while here a
 * name of another length (most names) is ruled out without reading it, and bytes are compared
 * without making a string.
 */
export class HeaderNameSet {
  private readonly byLength: string[][] = [];

  constructor(lowerNames: Iterable<string>) {
    for (const name of lowerNames) {
      while (this.byLength.length <= name.length) this.byLength.push([]);
      const same = this.byLength[name.length]!;
      if (!same.includes(name)) same.push(name);
    }
  }

  has(lowerName: string): boolean {
    const candidates = this.byLength[lowerName.length];
    if (candidates === undefined) return false;
    for (let i = 0; i < candidates.length; i++) if (candidates[i] === lowerName) return true;
    return false;
  }

  /** has() for a raw name (Latin-1 bytes in any case, as undici delivers them). */
  hasRaw(name: Uint8Array): boolean {
    const candidates = this.byLength[name.length];
    if (candidates === undefined) return false;
    for (let i = 0; i < candidates.length; i++) if (isHeaderNamed(name, candidates[i]!)) return true;
    return false;
  }
}

const REQUEST_DROP_NAMES = new HeaderNameSet(REQUEST_DROP);
const RESPONSE_DROP_NAMES = new HeaderNameSet(RESPONSE_DROP);
const RESPONSE_REWRITE_NAMES = new HeaderNameSet(RESPONSE_REWRITE);

/** What happens to an upstream response header on its way to the agent (see responseHeaderKind). */
export const PASS = 0;
export const DROP = 1;
export const REWRITE = 2;
export type ResponseHeaderKind = typeof PASS | typeof DROP | typeof REWRITE;

/**
 * The fate of an upstream response header, from undici's raw name bytes (any case), without
 * making a string: dropped (hop-by-hop, framing, Date), rewritten (session URIs) or passed as is.
 * Headers named by the response's Connection header are dropped too (the caller checks those).
 */
export function responseHeaderKind(name: Uint8Array): ResponseHeaderKind {
  if (RESPONSE_DROP_NAMES.hasRaw(name)) return DROP;
  if (RESPONSE_REWRITE_NAMES.hasRaw(name)) return REWRITE;
  return PASS;
}

/** Lower-case names listed in Connection header values ("close, x-foo"). */
export function connectionTokens(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(',')) {
    const t = part.trim().toLowerCase();
    if (t && t !== 'close' && t !== 'keep-alive') out.push(t);
  }
  return out;
}

/** Names listed by the Connection headers of a response (undici raw pairs); null when none. */
export function namedByConnectionRaw(raw: readonly Buffer[]): Set<string> | null {
  let named: Set<string> | null = null;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!isHeaderNamed(raw[i]!, 'connection')) continue;
    const v = latin1(raw[i + 1]!);
    if (v === 'keep-alive' || v === 'close' || v === 'Keep-Alive' || v === 'Close') continue; // the usual case, no tokens
    for (const t of connectionTokens(v)) (named ??= new Set()).add(t);
  }
  return named;
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
    if (REQUEST_DROP_NAMES.has(name) || name.startsWith('x-tapegate-') || (named !== null && named.has(name))) continue;
    out.push(name, h[1]);
  }
  out.push('x-forwarded-for', forwardedFor ? `${forwardedFor}, ${facts.clientAddress}` : facts.clientAddress);
  out.push('x-forwarded-proto', facts.proto);
  if (facts.authorization !== null) out.push('authorization', facts.authorization);
  return out;
}

type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

/** Buffer#toString('latin1') without its argument handling (measurably cheaper per header). */
export function latin1(b: Buffer): string {
  return (b as Latin1Buffer).latin1Slice(0, b.length);
}

function latin1Text(v: Uint8Array | string): string {
  if (typeof v === 'string') return v;
  return Buffer.isBuffer(v) ? latin1(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('latin1');
}

/**
 * undici's raw response headers (Buffer pairs, or a RawHeaderList whose secret values are marker
 * strings) as a lower-case HeaderList, in arrival order.
 */
export function responseHeaderList(raw: RawHeaderList): HeaderList {
  const out: HeaderList = new Array(raw.length >> 1);
  for (let i = 0, j = 0; i + 1 < raw.length; i += 2, j++) out[j] = [latin1Text(raw[i]!).toLowerCase(), latin1Text(raw[i + 1]!)];
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

/** The upload_id of a resumable session URI (the Location of the response that created it). */
export function uploadIdOf(location: string): string | undefined {
  const q = location.indexOf('?');
  if (q === -1) return undefined;
  const hash = location.indexOf('#', q);
  const id = new URLSearchParams(hash === -1 ? location.slice(q + 1) : location.slice(q + 1, hash)).get('upload_id');
  return id ?? undefined;
}
