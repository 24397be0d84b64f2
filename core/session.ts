import type { Identity } from './exchange.js';
import { newExchangeId } from './ids.js';

/**
 * Sessions group one agent's run. An agent that sends `x-tapegate-session` names its own session;
 * otherwise exchanges from the same identity on the same connection share a session until they are
 * more than `idleGapMs` apart. The map is bounded: idle entries are swept as new ones arrive.
 */
const MAX_AGENT_SESSION_ID = 128;
const SESSION_ID_PATTERN = /^[A-Za-z0-9._:-]+$/;

export class SessionTracker {
  /**
   * By connection, then by identity key. Two levels instead of one concatenated key: a fresh string
   * per request would be hashed for every lookup, while the connection name (config) and the key
   * from identityKey() (the same string object for a cached identity) keep their hash.
   */
  private readonly lastSeen = new Map<string, Map<string, { id: string; atMs: number }>>();
  private sweepAtMs = 0;

  constructor(private readonly idleGapMs: number) {}

  /**
   * @param agentSessionId the x-tapegate-session request header, if any
   * @param identityKey a stable key for the caller (subject@issuer, or the client address when anonymous)
   */
  resolve(agentSessionId: string | undefined, identityKey: string, connection: string, nowMs: number): string {
    if (agentSessionId && agentSessionId.length <= MAX_AGENT_SESSION_ID && SESSION_ID_PATTERN.test(agentSessionId)) {
      return agentSessionId;
    }
    let byIdentity = this.lastSeen.get(connection);
    if (byIdentity === undefined) {
      byIdentity = new Map();
      this.lastSeen.set(connection, byIdentity);
    }
    const seen = byIdentity.get(identityKey);
    if (seen && nowMs - seen.atMs <= this.idleGapMs) {
      seen.atMs = nowMs;
      return seen.id;
    }
    const id = `s-${newExchangeId(nowMs)}`;
    byIdentity.set(identityKey, { id, atMs: nowMs });
    if (nowMs >= this.sweepAtMs) this.sweep(nowMs);
    return id;
  }

  /** Number of tracked (identity, connection) sessions (tests). */
  get size(): number {
    let n = 0;
    for (const byIdentity of this.lastSeen.values()) n += byIdentity.size;
    return n;
  }

  private sweep(nowMs: number): void {
    for (const [connection, byIdentity] of this.lastSeen) {
      for (const [key, seen] of byIdentity) {
        if (nowMs - seen.atMs > this.idleGapMs) byIdentity.delete(key);
      }
      if (byIdentity.size === 0) this.lastSeen.delete(connection);
    }
    this.sweepAtMs = nowMs + this.idleGapMs;
  }
}

const identityKeys = new WeakMap<Identity, string>();

/**
 * The session key of a verified caller, `subject@issuer`, built once per identity object (the token
 * cache hands out the same object for every request with that token), so its hash is computed once.
 */
export function identityKey(identity: Identity): string {
  let key = identityKeys.get(identity);
  if (key === undefined) {
    key = `${identity.subject}@${identity.issuer}`;
    identityKeys.set(identity, key);
  }
  return key;
}
