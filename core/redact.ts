import { createHash } from 'node:crypto';
import type { HeaderList, RawHeaderList } from './exchange.js';
import { HeaderNameSet } from './headers.js';

/** Headers that always carry credentials; config adds more (recording.redactHeaders). */
export const ALWAYS_REDACTED = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie'];

/**
 * Replaces a secret header value with a marker and a SHA-256 prefix, so equal tokens can be
 * correlated across exchanges without the token itself ever reaching a recording or a log.
 */
export function redactValue(value: string): string {
  const digest = createHash('sha256').update(value).digest('hex').slice(0, 16);
  return `[redacted sha256:${digest}]`;
}

const MAX_REMEMBERED_MARKERS = 1024;

export class HeaderRedactor {
  private readonly names: HeaderNameSet;
  constructor(extraNames: readonly string[] = []) {
    this.names = new HeaderNameSet([...ALWAYS_REDACTED, ...extraNames.map((n) => n.toLowerCase())]);
  }

  isSecret(lowerName: string): boolean {
    return this.names.has(lowerName);
  }

  /** isSecret() for a raw header name (Latin-1 bytes in any case, as undici delivers them). */
  isSecretRaw(name: Uint8Array): boolean {
    return this.names.hasRaw(name);
  }

  /** Returns a new list; the input is not modified. Names must already be lower-case. */
  redact(headers: HeaderList): HeaderList {
    const out: HeaderList = new Array(headers.length);
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i]!;
      out[i] = this.isSecret(h[0]) ? [h[0], this.marker(h[1])] : h; // pairs are never modified: share them
    }
    return out;
  }

  /**
   * undici's raw response header pairs [name, value, …] as recorded: the same array when no name is
   * secret (the usual case), else a copy whose secret values are marker strings (Latin-1 decoded
   * first, as responseHeaderList would make them).
   */
  redactRaw(raw: readonly Buffer[]): RawHeaderList {
    let out: Array<Uint8Array | string> | null = null;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (!this.isSecretRaw(raw[i]!)) continue;
      out ??= raw.slice();
      out[i + 1] = this.marker(raw[i + 1]!.toString('latin1'));
    }
    return out ?? raw;
  }

  // Agents reuse one token for many requests: remember the last markers instead of hashing each
  // time (a SHA-256 per request was ~3% of the gateway's CPU). Bounded; cleared when full.
  private readonly markers = new Map<string, string>();
  // The last value first: a Map lookup hashes the whole fresh string (≈ 0.7 µs for a 600-char
  // bearer token), comparing it with the last one is a memcmp.
  private lastValue: string | null = null;
  private lastMarker = '';

  private marker(value: string): string {
    if (value === this.lastValue) return this.lastMarker;
    let m = this.markers.get(value);
    if (m === undefined) {
      m = redactValue(value);
      if (this.markers.size >= MAX_REMEMBERED_MARKERS) this.markers.clear();
      this.markers.set(value, m);
    }
    this.lastValue = value;
    this.lastMarker = m;
    return m;
  }
}
