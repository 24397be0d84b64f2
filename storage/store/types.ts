import { TapegateError } from '../../core/errors.js';

/**
 * Where sealed segments end up. Stores only create: nothing in tapegate deletes or overwrites an
 * object, so the interface has no delete and every put is create-only.
 */
export interface ObjectInfo {
  name: string;
  size: number;
  /** Base64 of the big-endian CRC32C, as GCS reports it ('' in the local store's listings, which do not hash). */
  crc32c: string;
  /** Base64 MD5, when the store has one. */
  md5Hash?: string;
  generation?: string;
}

export interface LocalFileHashes {
  size: number;
  crc32c: string;
  md5Hash: string;
}

export interface PutFileOptions {
  contentType: string;
  /** Hashes of the local file; the store validates the upload against them. */
  hashes: LocalFileHashes;
  /** A resumable session persisted by an earlier attempt (possibly by an earlier process). */
  resumeSession?: string;
  /** Called when a new resumable session starts; awaited before the first chunk is sent (the caller persists the URI). */
  onSession?: (uri: string) => void | Promise<void>;
  /** Called as bytes go out; the uploader uses it to detect stalls. */
  onProgress?: () => void;
  signal?: AbortSignal;
}

export interface ListResult {
  objects: ObjectInfo[];
  prefixes: string[];
  nextPageToken?: string;
}

export interface Store {
  readonly kind: 'local' | 'gcs';
  /** Human description for logs: a directory or gs://bucket/prefix. */
  readonly description: string;
  /** The prefix every object name starts with ('' for none). */
  readonly prefix: string;
  /** Prepares the store and checks it is fit to hold recordings (gcs: the retention lock). */
  open(): Promise<void>;
  /** Create-only upload of a local file. Throws StoreError kind 'exists' when the name is taken. */
  putFile(name: string, path: string, opts: PutFileOptions): Promise<ObjectInfo>;
  /** Metadata of an object, or undefined if there is none. */
  head(name: string): Promise<ObjectInfo | undefined>;
  /** Reads an object (or the inclusive byte range [start, end]). */
  read(name: string, range?: { start: number; end?: number }): Promise<Buffer>;
  list(prefix: string, opts?: { delimiter?: string; pageToken?: string; maxResults?: number }): Promise<ListResult>;
}

/** Why a store operation failed; the uploader's failure metric uses these as the `cause` label. */
export type StoreFailure =
  | 'exists'
  | 'unavailable'
  | 'rate_limited'
  | 'network'
  | 'timeout'
  | 'permission'
  | 'not_found'
  | 'session_expired'
  | 'checksum'
  | 'verify_mismatch'
  | 'local_io'
  | 'other';

export class StoreError extends TapegateError {
  readonly kind: StoreFailure;
  constructor(kind: StoreFailure, message: string, options?: { cause?: unknown }) {
    super(`TG_STORE_${kind.toUpperCase()}`, kind === 'permission' ? 403 : kind === 'exists' ? 412 : 503, message, options);
    this.kind = kind;
  }
}
