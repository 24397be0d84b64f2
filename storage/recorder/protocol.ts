import type { FrameMeta, SegmentWriterOptions } from '../segment/writer.js';
import type { SealedSegment } from '../types.js';

/** Messages between the recorder (event loop) and its writer thread (worker.ts). */
export interface WorkerInit extends Omit<SegmentWriterOptions, 'key' | 'onSealed'> {
  /** The thread loads (or generates) the signing key itself. */
  signingKeyFile?: string;
  retryIntervalMs: number;
  failureReserveBytes: number;
  /** Frame slots shared with the recorder (slot i = bytes [i*frameBytes, (i+1)*frameBytes)). */
  shared: SharedArrayBuffer;
  frameBytes: number;
}

export type ToWorker =
  | { t: 'init'; init: WorkerInit }
  /**
   * A frame of `length` bytes, in shared slot `slot` (or, when slot is -1, in `buf`, transferred:
   * an oversized record or all slots busy); `sync` asks for fdatasync after writing it. `inline`: no
   * other recorded exchange was running when this commit was cut, so no next commit is coming to
   * overlap with: the thread may fdatasync on itself instead of on the thread pool.
   */
  | { t: 'frame'; id: number; slot: number; buf: ArrayBuffer | null; length: number; meta: FrameMeta; sync: boolean; inline: boolean }
  | { t: 'close'; id: number };

export type ToMain =
  | { t: 'ready'; keyId: string; publicKeyPath: string; recovered: number }
  | { t: 'initError'; message: string; code: string }
  /**
   * One per frame message, in order: the frame is written (not yet durable) or, with `err`, could
   * not be; its slot is free again either way.
   */
  | { t: 'ack'; id: number; err?: string; code?: string }
  /**
   * Every `sync` frame with id ≤ upTo that was acknowledged without error is now on disk (an
   * fdatasync that started after it was written returned), or, with `err`, may not be. A success
   * may come before the `ack` of frame upTo (the thread synced it inline, before indexing it); a
   * failure always comes after.
   */
  | { t: 'durable'; upTo: number; err?: string }
  | { t: 'sealed'; segment: SealedSegment }
  | { t: 'failed'; message: string; code: string }
  | { t: 'healthy' }
  | { t: 'closed'; id: number; err?: string };
