import { createReadStream, createWriteStream, rmSync, type WriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { TapegateError } from '../errors.js';
import type { HeldBody } from '../gate.js';

/**
 * A held request's body on disk (never in memory) while a person decides. The data plane writes
 * every body byte it receives (including the prefix it already passed to the gate) and, once the
 * review is approved and the body has ended, streams the file upstream with `open()`. The file is
 * created on the first write with mode 0600 and removed by `dispose()`.
 */
export class BodySpool implements HeldBody {
  private stream: WriteStream | null = null;
  private drainListener: (() => void) | null = null;
  private ended: Promise<void> | null = null;
  private disposed = false;
  bytes = 0;

  constructor(
    readonly file: string,
    private readonly maxBytes: number,
  ) {}

  private open_(): WriteStream {
    const s = createWriteStream(this.file, { flags: 'wx', mode: 0o600 });
    s.on('drain', () => {
      if (!this.disposed) this.drainListener?.();
    });
    // Errors surface through end(); keep the process alive on a write error.
    s.on('error', () => {});
    return s;
  }

  /** Appends a copy of `chunk`. False: pause reading until `onDrain`. Throws 413 past the limit. */
  write(chunk: Uint8Array): boolean {
    if (this.disposed) return true;
    if (this.ended) throw new Error('BodySpool.write after end()');
    this.bytes += chunk.byteLength;
    if (this.bytes > this.maxBytes) {
      throw new TapegateError('TG_REVIEW_BODY_TOO_LARGE', 413, `a request held for review may carry at most ${this.maxBytes} body bytes (approvals.spoolMaxBytes)`);
    }
    const s = (this.stream ??= this.open_());
    return s.write(Buffer.from(chunk));
  }

  /**
   * Sets the listener called every time the spool has caught up after write() returned false
   * (replacing any earlier one): register once, resume reading in it.
   */
  onDrain(callback: () => void): void {
    this.drainListener = callback;
  }

  /** No more body; resolves once every byte is on disk. */
  end(): Promise<void> {
    if (!this.ended) {
      const s = (this.stream ??= this.open_());
      this.ended = new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.end(() => resolve());
      });
    }
    return this.ended;
  }

  /** The spooled body, from the start. Call after end() has resolved. */
  open(): Readable {
    return createReadStream(this.file);
  }

  /** Removes the file; idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stream?.destroy();
    this.drainListener = null;
    rmSync(this.file, { force: true });
  }
}
