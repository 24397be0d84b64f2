import { writeState, type UploadState } from './spool.js';

interface Chain {
  /** The write after the running one, not started yet: later requests join it. */
  queued: Promise<void> | undefined;
  /** The last write requested (settled or not); never rejects. */
  tail: Promise<void>;
}

/**
 * The upload state files, written off the event loop (writeState: temp + fsync + rename) in order:
 * the writes of one segment run one after another, each writing the state as it is when that write
 * starts, so the file only ever moves forward and ends at the newest state. A request made while a
 * write of the same segment is already waiting joins that write (one fsync for both). The promise a
 * request returns resolves once a write that includes the request's change is durable.
 */
export class StateWrites {
  private readonly chains = new WeakMap<UploadState, Chain>();
  private readonly inFlight = new Set<Promise<void>>();

  write(state: UploadState): Promise<void> {
    let chain = this.chains.get(state);
    if (!chain) {
      chain = { queued: undefined, tail: Promise.resolve() };
      this.chains.set(state, chain);
    }
    if (chain.queued) return chain.queued;
    const c = chain;
    const p = c.tail.then(() => {
      // From here on, a new request needs a write of its own: this one may already have read the state.
      c.queued = undefined;
      return writeState(state);
    });
    c.queued = p;
    const settled = p.then(
      () => undefined,
      () => undefined,
    );
    c.tail = settled;
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    return p;
  }

  /** Resolves when every write requested so far for this segment has finished (whatever the outcome). */
  settled(state: UploadState): Promise<void> {
    return this.chains.get(state)?.tail ?? Promise.resolve();
  }

  /** Resolves when every write requested so far has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }
}
