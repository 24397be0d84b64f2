import { Readable } from 'node:stream';

/**
 * The agent's request body on its way upstream. uWS hands us chunks (copied by the caller, since
 * uWS reuses its memory); undici reads this stream and writes to the upstream socket. When the
 * stream's buffer is full (the upstream is slower than the agent) `push` returns false and the
 * caller pauses the agent's socket; undici's next read resumes it.
 */
export interface Pausable {
  pause(): void;
  resume(): void;
}

const HIGH_WATER_MARK = 256 * 1024;

export class AgentRequestBody extends Readable {
  private agentPaused = false;
  private agent: Pausable | null;

  constructor(agent: Pausable) {
    super({ highWaterMark: HIGH_WATER_MARK });
    this.agent = agent;
  }

  /** Queues a chunk for upstream; pauses the agent when the buffer is full. */
  feed(chunk: Buffer): void {
    if (!this.push(chunk) && !this.agentPaused && this.agent !== null) {
      this.agentPaused = true;
      this.agent.pause();
    }
  }

  /**
   * No more body. An agent paused by the last feed() is resumed at once: the stream never calls
   * _read() once ended, and a socket left paused would never read the agent's next keep-alive
   * request (it then times out and is closed with unread bytes: the agent sees ECONNRESET).
   */
  finish(): void {
    this.push(null);
    if (this.agentPaused) {
      this.agentPaused = false;
      this.agent?.resume();
    }
  }

  /** The agent's response is gone: never touch it again. */
  detach(): void {
    this.agent = null;
  }

  override _read(): void {
    if (this.agentPaused) {
      this.agentPaused = false;
      this.agent?.resume();
    }
  }
}
