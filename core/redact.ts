import { createHash } from 'node:crypto';
import type { HeaderList } from './exchange.js';

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
  private readonly names: Set<string>;
  constructor(extraNames: readonly string[] = []) {
    this.names = new Set([...ALWAYS_REDACTED, ...extraNames.map((n) => n.toLowerCase())]);
  }

  isSecret(lowerName: string): boolean {
    return this.names.has(lowerName);
  }

  /** Returns a new list; the input is not modified. Names must already be lower-case. */
  redact(headers: HeaderList): HeaderList {
    const out: HeaderList = new Array(headers.length);
    for (let i = 0; i < headers.length; i++) {
      const [name, value] = headers[i]!;
      out[i] = this.names.has(name) ? [name, this.marker(value)] : [name, value];
    }
    return out;
  }

  // Agents reuse one token for many requests: remember the last markers instead of hashing each
  // time (a SHA-256 per request was ~3% of the gateway's CPU). Bounded; cleared when full.
  private readonly markers = new Map<string, string>();

  private marker(value: string): string {
    let m = this.markers.get(value);
    if (m === undefined) {
      m = redactValue(value);
      if (this.markers.size >= MAX_REMEMBERED_MARKERS) this.markers.clear();
      this.markers.set(value, m);
    }
    return m;
  }
}
