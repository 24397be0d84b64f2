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
      out[i] = this.names.has(name) ? [name, redactValue(value)] : [name, value];
    }
    return out;
  }
}
