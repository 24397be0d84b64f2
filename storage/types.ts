import type { StoreDigests } from './segment/digests.js';

/**
 * What the segment writer hands to the uploader. The writer seals a segment into the spool
 * directory (<dataDir>/spool) together with its index; the uploader moves it to the store and
 * deletes the local copies only after verifying the upload.
 */
export interface SealedSegment {
  instanceId: string;
  seq: number;
  /** Hex SHA-256 of the whole sealed file. */
  sha256: string;
  /** Segment creation time (epoch ms); the store's object path uses its UTC date and hour. */
  createdAtMs: number;
  sizeBytes: number;
  /** Absolute path of the sealed .tgseg file in the spool. */
  path: string;
  /** Absolute path of its index (.index.jsonl.zst: JSON lines, one per exchange, zstd-compressed). */
  indexPath: string;
  /** Absolute path of the instance's public signing key (PEM). */
  publicKeyPath: string;
  /**
   * Size, CRC32C and MD5 (GCS's base64 forms) of the sealed file, computed by the writer thread from
   * the bytes it wrote. Absent when unknown (segments found in the spool at start); the uploader
   * then hashes the file itself.
   */
  storeDigests?: StoreDigests;
  /** The same for the index file, as the writer thread wrote it. */
  indexStoreDigests?: StoreDigests;
}

export interface SegmentSealedListener {
  onSealed(segment: SealedSegment): void;
}

/** Lets the recorder fail closed when the spool of unuploaded segments is over its limit. */
export interface SpoolGauge {
  overLimit(): boolean;
}
