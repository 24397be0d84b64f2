import type { Identity } from '../exchange.js';

interface Entry {
  identity: Identity;
  expMs: number;
}

/**
 * Verified tokens by token string, kept until the token's own expiry, least recently used evicted
 * first. Keeps signature checks off the hot path for an agent that reuses its token.
 *
 * The most recently used entry is also remembered outside the map: an agent sends the same token
 * request after request, and comparing it with the remembered one (a length check and a memcmp)
 * skips hashing the fresh ~1 KB token string for the map lookup and the delete/set that keeps the
 * LRU order (the entry is already the newest). Invariant: `mruKey`, when set, is the map's last key.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private mruKey: string | null = null;
  private mruEntry: Entry | null = null;
  constructor(private readonly maxEntries: number) {}

  get(token: string, nowMs: number): Identity | undefined {
    let e: Entry | undefined;
    if (token === this.mruKey) e = this.mruEntry!;
    else {
      e = this.entries.get(token);
      if (!e) return undefined;
      this.entries.delete(token);
      this.entries.set(token, e); // most recently used goes last
      this.remember(token, e);
    }
    if (nowMs >= e.expMs) {
      this.entries.delete(token);
      this.remember(null, null);
      return undefined;
    }
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
    const e = { identity, expMs };
    this.entries.set(token, e);
    this.remember(token, e);
  }

  private remember(key: string | null, entry: Entry | null): void {
    this.mruKey = key;
    this.mruEntry = entry;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.remember(null, null);
  }
}
