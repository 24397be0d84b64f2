import { newExchangeId } from './ids.js';

/**
 * Sessions group one agent's run. An agent that sends `x-tapegate-session` names its own session;
 * otherwise exchanges from the same identity on the same connection share a session until they are
 * more than `idleGapMs` apart. The map is bounded: idle entries are swept as new ones arrive.
 */
const MAX_AGENT_SESSION_ID = 128;
const SESSION_ID_PATTERN = /^[A-Za-z0-9._:-]+$/;

export class SessionTracker {
  private readonly lastSeen = new Map<string, { id: string; atMs: number }>();
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
    const key = `${identityKey}\u0000${connection}`;
    const seen = this.lastSeen.get(key);
    if (seen && nowMs - seen.atMs <= this.idleGapMs) {
      seen.atMs = nowMs;
      return seen.id;
    }
    const id = `s-${newExchangeId(nowMs)}`;
    this.lastSeen.set(key, { id, atMs: nowMs });
    if (nowMs >= this.sweepAtMs) this.sweep(nowMs);
    return id;
  }

  private sweep(nowMs: number): void {
    for (const [key, seen] of this.lastSeen) {
      if (nowMs - seen.atMs > this.idleGapMs) this.lastSeen.delete(key);
    }
    this.sweepAtMs = nowMs + this.idleGapMs;
  }
}
