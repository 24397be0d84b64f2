import type { Identity } from '../exchange.js';

/**
 * Verified tokens by token string, kept until the token's own expiry, least recently used evicted
 * first. Keeps signature checks off the hot path for an agent that reuses its token.
 */
export class TokenCache {
  private readonly entries = new Map<string, { identity: Identity; expMs: number }>();
  constructor(private readonly maxEntries: number) {}

  get(token: string, nowMs: number): Identity | undefined {
    const e = this.entries.get(token);
    if (!e) return undefined;
    this.entries.delete(token);
    if (nowMs >= e.expMs) return undefined;
    this.entries.set(token, e); // most recently used goes last
    return e.identity;
  }

  set(token: string, identity: Identity, expMs: number): void {
    if (this.maxEntries === 0) return;
    this.entries.delete(token);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(token, { identity, expMs });
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
