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
   * an oversized record or all slots busy); `sync` asks for fdatasync after writing it.
   */
  | { t: 'frame'; id: number; slot: number; buf: ArrayBuffer | null; length: number; meta: FrameMeta; sync: boolean }
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
   * fdatasync that started after it was written returned), or, with `err`, may not be.
   */
  | { t: 'durable'; upTo: number; err?: string }
  | { t: 'sealed'; segment: SealedSegment }
  | { t: 'failed'; message: string; code: string }
  | { t: 'healthy' }
  | { t: 'closed'; id: number; err?: string };
