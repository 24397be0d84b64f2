import assert from 'node:assert/strict';
import type { ExchangeEnd, ExchangeHead, ExchangeRecorder, ExchangeSink, ResponseHead } from '../../core/exchange.js';

/**
 * A test fake at the storage edge: keeps every exchange in memory and asserts the call order
 * core/ promises (begin → requestBody* → responseHead → responseBody* → end, once). `durableDelayMs`
 * delays onDurable (like sync group commit); `failDurable` makes it report an error; `refuse` makes
 * begin() return null. The integrator switches the e2e tests to storage/recorder later.
 */
export interface RecordedExchange {
  head: ExchangeHead;
  requestBody: Buffer[];
  responseHead: ResponseHead | null;
  responseBody: Buffer[];
  end: ExchangeEnd | null;
  /** Set when onDurable has been called. */
  durable: boolean;
  /** Order of calls, for assertions. */
  calls: string[];
}

export class MemorySink implements ExchangeSink {
  readonly exchanges: RecordedExchange[] = [];
  readonly rejected: Array<{ head: ExchangeHead; reason: string }> = [];
  healthy = true;
  refuse = false;
  durableDelayMs = 0;
  failDurable = false;
  /** Keep body bytes (off for the 1 GiB tests: count only). */
  keepBodies = true;
  requestBytesSeen = 0;
  responseBytesSeen = 0;
  closed = false;
  /**
   * Backpressure like storage/recorder's: with `congestAfterBytes` > 0 the sink turns `congested`
   * once that many body bytes arrived since the last `drain()`, which the test calls (it plays the
   * writer thread) and which fires the one-shot onDrain listeners.
   */
  congestAfterBytes = 0;
  private sinceDrain = 0;
  private drainListeners: Array<() => void> = [];
  /** Most body bytes recorded in one congested episode beyond `congestAfterBytes` (what was not paused). */
  maxOvershoot = 0;
  /** Most onDrain listeners pending at once, and how many drains released someone. */
  maxListeners = 0;
  drains = 0;

  get congested(): boolean {
    return this.congestAfterBytes > 0 && this.sinceDrain >= this.congestAfterBytes;
  }

  onDrain(cb: () => void): void {
    if (!this.congested) {
      process.nextTick(cb);
      return;
    }
    this.drainListeners.push(cb);
    this.maxListeners = Math.max(this.maxListeners, this.drainListeners.length);
  }

  /** The backlog is written: not congested any more; calls the waiting listeners once. */
  drain(): void {
    this.sinceDrain = 0;
    const ls = this.drainListeners;
    this.drainListeners = [];
    if (ls.length > 0) this.drains++;
    for (const l of ls) l();
  }

  private noteBody(n: number): void {
    this.sinceDrain += n;
    if (this.congestAfterBytes > 0) this.maxOvershoot = Math.max(this.maxOvershoot, this.sinceDrain - this.congestAfterBytes);
  }

  begin(head: ExchangeHead): ExchangeRecorder | null {
    if (this.refuse) return null;
    const ex: RecordedExchange = { head: { ...head, requestHeaders: [...head.requestHeaders] }, requestBody: [], responseHead: null, responseBody: [], end: null, durable: false, calls: ['begin'] };
    this.exchanges.push(ex);
    const sink = this;
    return {
      requestBody(chunk) {
        assert.equal(ex.end, null, 'requestBody after end');
        assert.equal(ex.responseHead, null, 'requestBody after responseHead');
        sink.requestBytesSeen += chunk.byteLength;
        sink.noteBody(chunk.byteLength);
        if (sink.keepBodies) ex.requestBody.push(Buffer.from(chunk));
        if (ex.calls[ex.calls.length - 1] !== 'requestBody') ex.calls.push('requestBody');
      },
      responseHead(h) {
        assert.equal(ex.end, null, 'responseHead after end');
        assert.equal(ex.responseHead, null, 'responseHead twice');
        ex.responseHead = h;
        ex.calls.push('responseHead');
      },
      responseBody(chunk) {
        assert.notEqual(ex.responseHead, null, 'responseBody before responseHead');
        assert.equal(ex.end, null, 'responseBody after end');
        sink.responseBytesSeen += chunk.byteLength;
        sink.noteBody(chunk.byteLength);
        if (sink.keepBodies) ex.responseBody.push(Buffer.from(chunk));
        if (ex.calls[ex.calls.length - 1] !== 'responseBody') ex.calls.push('responseBody');
      },
      end(end, onDurable) {
        assert.equal(ex.end, null, 'end twice');
        ex.end = end;
        ex.calls.push('end');
        const fire = (): void => {
          ex.durable = true;
          onDurable(sink.failDurable ? new Error('disk on fire') : null);
        };
        if (sink.durableDelayMs > 0) setTimeout(fire, sink.durableDelayMs);
        else fire();
      },
    };
  }

  reject(head: ExchangeHead, reason: string): void {
    this.rejected.push({ head, reason });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** The exchange recorded under an id (from the x-tapegate-exchange-id response header). */
  byId(id: string | null | undefined): RecordedExchange {
    const ex = this.exchanges.find((e) => e.head.exchangeId === id);
    assert.ok(ex, `no recorded exchange ${id}`);
    return ex;
  }

  /** Waits (bounded) until the exchange has ended; recording ends after the agent may have its answer. */
  async ended(id: string | null | undefined, timeoutMs = 3000): Promise<RecordedExchange> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const ex = this.exchanges.find((e) => e.head.exchangeId === id);
      if (ex && ex.end) return ex;
      if (Date.now() > until) assert.fail(`exchange ${id} did not end within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
