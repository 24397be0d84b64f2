import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { File, Storage, StorageOptions } from '@google-cloud/storage';
import type { GcsStoreConfig } from '../../core/config/store.js';
import { TapegateError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { checkBucketRetention, isTransientStoreFailure, terraformHint, unlockedBucketError } from './retention.js';
import { StoreError, type ListResult, type ObjectInfo, type PutFileOptions, type Store, type StoreFailure } from './types.js';

/**
 * A GCS bucket through @google-cloud/storage 7. Every upload is create-only (ifGenerationMatch=0) and
 * carries the file's CRC32C (and MD5 for single-request uploads) in its metadata, so GCS rejects bytes
 * that do not match before an object exists. The client's own validation is off: on a mismatch it
 * would try to delete the object, and nothing in tapegate deletes. Large files use resumable uploads
 * whose session URI the caller persists, so a restarted gateway resumes instead of restarting.
 * The client's retries are off too: the uploader retries forever with its own backoff and metrics.
 */
export interface GcsStoreOptions {
  /** Overrides the credentials built from config (tests pass an emulator token client). */
  storage?: Storage;
  logger: Logger;
  allowUnlockedBucket?: boolean;
  /** Readers (replay, review tooling): build the client without the retention-lock check. */
  readOnly?: boolean;
  /** How long the retention check waits for the bucket's metadata (default min(15 s, upload.stallTimeoutMs)). */
  checkTimeoutMs?: number;
  now?: () => number;
}

export class GcsStore implements Store {
  readonly kind = 'gcs' as const;
  readonly description: string;
  readonly prefix: string;
  private storage: Storage | undefined;
  private objectRetention = false;
  private headForbiddenLogged = false;
  private readonly now: () => number;

  constructor(
    private readonly cfg: GcsStoreConfig,
    private readonly opts: GcsStoreOptions,
  ) {
    this.prefix = cfg.prefix;
    this.description = `gs://${cfg.bucket}/${cfg.prefix}`;
    this.storage = opts.storage;
    this.now = opts.now ?? Date.now;
  }

  private client(): Storage {
    if (!this.storage) throw new TapegateError('TG_STORE_NOT_OPEN', 500, 'the gcs store was used before open()');
    return this.storage;
  }

  /**
   * Builds the client and runs the retention-lock check. A definite failure (no bucket, permission
   * denied, retention not locked or too short, an unusable credential) throws a TapegateError that says
   * what to fix. A transient one (network error, timeout, 5xx, 429: the answer may well be yes a
   * moment later) throws a StoreError of that kind (isTransientStoreFailure): the uploader then starts
   * anyway, keeps segments in the spool and calls open() again with its backoff.
   */
  async open(): Promise<void> {
    if (!this.storage) {
      // The client library (and the google-auth-library it bundles) loads here, not at import: a
      // gateway recording into a local store never holds these modules (with SAML, ~20 MiB of its idle RSS).
      const [{ Storage }, { storeAuthClient }] = await Promise.all([import('@google-cloud/storage'), import('./gcs-auth.js')]);
      let authClient: Awaited<ReturnType<typeof storeAuthClient>>;
      try {
        authClient = await storeAuthClient(this.cfg.credentials);
      } catch (err) {
        // Impersonation asks the source credential for a client, which may go to the network.
        const kind = classifyGcsError(err);
        if (isTransientStoreFailure(kind)) throw new StoreError(kind, `cannot set up the store's credentials (store.credentials: ${this.cfg.credentials.type}) (${kind}): ${errorMessage(err)}`, { cause: err });
        throw err;
      }
      this.storage = new Storage({
        // Typed against google-auth-library 10; at run time it is the library storage itself uses.
        authClient: authClient as unknown as StorageOptions['authClient'],
        retryOptions: { autoRetry: false },
        // An emulator endpoint gets no credentials (the client's default for custom endpoints), so
        // tests and local replays never look for ADC on the network.
        ...(this.cfg.apiEndpoint ? { apiEndpoint: this.cfg.apiEndpoint } : {}),
      });
    }
    if (this.opts.readOnly) return;
    let meta: Record<string, unknown>;
    try {
      [meta] = await this.bucketMetadata();
    } catch (err) {
      const kind = classifyGcsError(err);
      const hint = terraformHint(this.cfg.bucket, this.cfg.minRetentionDays);
      if (kind === 'not_found') {
        throw new TapegateError('TG_STORE_BUCKET_MISSING', 500, `store bucket gs://${this.cfg.bucket} does not exist: create it (store.bucket), e.g. in Terraform:\n${hint}`, { cause: err });
      }
      if (kind === 'permission') {
        throw new TapegateError(
          'TG_STORE_BUCKET_FORBIDDEN',
          500,
          `the store's credentials (store.credentials: ${this.cfg.credentials.type}) cannot read gs://${this.cfg.bucket}'s metadata: grant its service account storage.buckets.get on the bucket (plus roles/storage.objectCreator) — ${errorMessage(err)}`,
          { cause: err },
        );
      }
      if (isTransientStoreFailure(kind)) {
        throw new StoreError(kind, `cannot check gs://${this.cfg.bucket}'s retention lock now (${kind}): ${errorMessage(err)}`, { cause: err });
      }
      throw new TapegateError('TG_STORE_UNREACHABLE', 503, `cannot check gs://${this.cfg.bucket} (${kind}): ${errorMessage(err)}; check network access and store.credentials`, { cause: err });
    }
    const verdict = checkBucketRetention(meta as never, this.cfg.minRetentionDays);
    this.objectRetention = verdict.objectRetention;
    if (verdict.problems.length) {
      if (!(this.opts.allowUnlockedBucket || this.cfg.allowUnlockedBucket)) throw unlockedBucketError(this.cfg.bucket, this.cfg.minRetentionDays, verdict.problems);
      this.opts.logger.warn(
        { event: 'store_bucket_unlocked', bucket: this.cfg.bucket, problems: verdict.problems },
        `DEVELOPMENT ONLY: recording into gs://${this.cfg.bucket} although ${verdict.problems.join('; ')} (--allow-unlocked-bucket); recordings there can be altered or deleted`,
      );
    }
    this.opts.logger.info(
      { event: 'store_opened', store: this.description, retentionPeriodSeconds: verdict.periodSeconds, objectRetention: verdict.objectRetention },
      'gcs store ready',
    );
  }

  /** The bucket's metadata, or a 'timeout' StoreError after checkTimeoutMs (a black-holed endpoint must not hold the start). */
  private async bucketMetadata(): Promise<[Record<string, unknown>]> {
    const ms = this.opts.checkTimeoutMs ?? Math.min(15_000, this.cfg.upload.stallTimeoutMs);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.client().bucket(this.cfg.bucket).getMetadata() as unknown as Promise<[Record<string, unknown>]>,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new StoreError('timeout', `no answer within ${ms} ms`)), ms);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private metadataFor(opts: PutFileOptions): Record<string, unknown> {
    const md: Record<string, unknown> = { contentType: opts.contentType, crc32c: opts.hashes.crc32c };
    if (this.objectRetention) {
      // https://cloud.google.com/storage/docs/object-lock: a Locked retention cannot be shortened or removed.
      const days = this.cfg.objectRetentionDays ?? this.cfg.minRetentionDays;
      md.retention = { mode: 'Locked', retainUntilTime: new Date(this.now() + days * 86_400_000).toISOString() };
    }
    return md;
  }

  async putFile(name: string, path: string, opts: PutFileOptions): Promise<ObjectInfo> {
    const file = this.client().bucket(this.cfg.bucket).file(name);
    const resumable = opts.hashes.size >= this.cfg.upload.resumableThresholdBytes;
    try {
      if (!resumable) {
        const ws = file.createWriteStream({
          resumable: false,
          validation: false,
          metadata: { ...this.metadataFor(opts), md5Hash: opts.hashes.md5Hash },
          preconditionOpts: { ifGenerationMatch: 0 },
        });
        const rs = createReadStream(path);
        if (opts.onProgress) rs.on('data', opts.onProgress);
        await pipeline(rs, ws, { signal: opts.signal });
      } else {
        await this.putResumable(file, path, opts);
      }
    } catch (err) {
      throw toStoreError(err, `upload of ${name}`, opts.resumeSession !== undefined);
    }
    return infoOf(name, file.metadata as Record<string, unknown>);
  }

  /**
   * Resumable upload: the session is opened by the client (createResumableUpload: authenticated,
   * create-only, with the CRC32C in the metadata), then the chunks are PUT here, one request per
   * chunk. We send the chunks ourselves rather than through file.createWriteStream: an aborted
   * client stream does not abort its in-flight chunk and keeps sending the next ones, which after
   * a stall or a stop would race the next attempt on the same session.
   * https://cloud.google.com/storage/docs/performing-resumable-uploads#chunked-upload
   */
  private async putResumable(file: File, path: string, opts: PutFileOptions): Promise<void> {
    let uri = opts.resumeSession;
    let offset = 0;
    if (uri) {
      const status = await sessionStatus(uri, opts.signal);
      if ('object' in status) {
        // The earlier process finished the upload but died before recording it.
        file.metadata = status.object;
        return;
      }
      offset = status.persisted;
    } else {
      [uri] = await file.createResumableUpload({
        metadata: { ...this.metadataFor(opts), contentLength: opts.hashes.size },
        preconditionOpts: { ifGenerationMatch: 0 },
      });
      await opts.onSession?.(uri);
    }
    const size = opts.hashes.size;
    const chunkSize = this.cfg.upload.chunkSizeBytes;
    const buf = Buffer.allocUnsafe(Math.min(chunkSize, size));
    const fh = await open(path, 'r');
    try {
      let stuck = 0;
      while (true) {
        const end = Math.min(offset + chunkSize, size);
        const n = end - offset;
        const { bytesRead } = await fh.read(buf, 0, n, offset);
        if (bytesRead !== n) throw new StoreError('local_io', `${path} is shorter than its recorded size ${size}`);
        // No explicit Content-Length: fetch derives it from the body. Setting it too sends the header twice,
        // which undici 7's dispatcher (installed globally as soon as core/upstream imports undici, so in
        // every gateway process) refuses with "invalid content-length header" before anything is sent.
        const headers: Record<string, string> = { 'content-range': `bytes ${offset}-${end - 1}/${size}`, 'user-agent': 'tapegate-uploader' };
        // The final request carries the whole object's hashes; GCS refuses to finish on a mismatch.
        if (end === size) headers['x-goog-hash'] = `crc32c=${opts.hashes.crc32c},md5=${opts.hashes.md5Hash}`;
        const res = await fetch(uri, { method: 'PUT', headers, body: buf.subarray(0, n), redirect: 'manual', signal: opts.signal });
        if (res.status === 308) {
          await res.body?.cancel();
          const persisted = persistedOf(res.headers.get('range'));
          // GCS may keep less than was sent: continue from what it holds, never past it.
          stuck = persisted > offset ? 0 : stuck + 1;
          if (stuck >= 3) throw new StoreError('unavailable', `resumable session keeps none of the bytes sent at offset ${offset}`);
          offset = persisted;
          opts.onProgress?.();
          continue;
        }
        if (res.status === 200 || res.status === 201) {
          file.metadata = (await res.json()) as Record<string, unknown>;
          return;
        }
        throw await httpError(res, 'resumable chunk');
      }
    } finally {
      await fh.close();
    }
  }

  async head(name: string): Promise<ObjectInfo | undefined> {
    try {
      const [md] = await this.client().bucket(this.cfg.bucket).file(name).getMetadata();
      return infoOf(name, md as Record<string, unknown>);
    } catch (err) {
      const kind = classifyGcsError(err);
      if (kind === 'not_found') return undefined;
      if (kind === 'permission' && !this.headForbiddenLogged) {
        this.headForbiddenLogged = true;
        this.opts.logger.info(
          { event: 'store_head_forbidden' },
          'the store credentials lack storage.objects.get: uploads are verified from the create responses only',
        );
      }
      throw toStoreError(err, `metadata of ${name}`, false);
    }
  }

  async read(name: string, range?: { start: number; end?: number }): Promise<Buffer> {
    try {
      const [buf] = await this.client()
        .bucket(this.cfg.bucket)
        .file(name)
        .download(range ? { start: range.start, ...(range.end !== undefined ? { end: range.end } : {}), validation: false } : {});
      return buf;
    } catch (err) {
      throw toStoreError(err, `read of ${name}`, false);
    }
  }

  async list(prefix: string, opts: { delimiter?: string; pageToken?: string; maxResults?: number } = {}): Promise<ListResult> {
    try {
      const [files, next, raw] = await this.client()
        .bucket(this.cfg.bucket)
        .getFiles({ prefix, autoPaginate: false, ...(opts.delimiter ? { delimiter: opts.delimiter } : {}), ...(opts.pageToken ? { pageToken: opts.pageToken } : {}), maxResults: opts.maxResults ?? 1000 });
      const resp = (raw ?? {}) as { prefixes?: string[]; nextPageToken?: string };
      return {
        objects: files.map((f) => infoOf(f.name, f.metadata as Record<string, unknown>)),
        prefixes: resp.prefixes ?? [],
        ...((next as { pageToken?: string } | null)?.pageToken ? { nextPageToken: (next as { pageToken: string }).pageToken } : {}),
      };
    } catch (err) {
      throw toStoreError(err, `list of ${prefix}`, false);
    }
  }
}

// Asks a resumable session how much it holds (an empty PUT with "Content-Range: bytes */*"): 308 with
// "Range: bytes=0-N" (none when nothing is persisted), or 200/201 with the object once complete. The
// session URI is its own credential. https://cloud.google.com/storage/docs/performing-resumable-uploads#status-check
async function sessionStatus(uri: string, signal: AbortSignal | undefined): Promise<{ persisted: number } | { object: Record<string, unknown> }> {
  // fetch sends "Content-Length: 0" for a PUT without a body (see putResumable on why not to set it).
  const res = await fetch(uri, { method: 'PUT', headers: { 'content-range': 'bytes */*' }, redirect: 'manual', signal });
  if (res.status === 308) {
    await res.body?.cancel();
    return { persisted: persistedOf(res.headers.get('range')) };
  }
  if (res.status === 200 || res.status === 201) return { object: (await res.json()) as Record<string, unknown> };
  throw await httpError(res, 'resumable session status');
}

/** "Range: bytes=0-N" → N+1 bytes persisted; no header → none. */
function persistedOf(range: string | null): number {
  const m = range ? /bytes=0-(\d+)/.exec(range) : null;
  return m ? Number(m[1]) + 1 : 0;
}

/** An Error carrying the HTTP status (as `code`) and Google's error message, for classifyGcsError. */
async function httpError(res: Response, what: string): Promise<Error> {
  const text = await res.text().catch(() => '');
  let message = text.slice(0, 300);
  try {
    message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
  } catch {
    // not JSON
  }
  return Object.assign(new Error(`${what}: ${res.status} ${message}`), { code: res.status });
}

function infoOf(name: string, md: Record<string, unknown>): ObjectInfo {
  return {
    name,
    size: Number(md.size),
    crc32c: String(md.crc32c ?? ''),
    ...(md.md5Hash ? { md5Hash: String(md.md5Hash) } : {}),
    ...(md.generation !== undefined ? { generation: String(md.generation) } : {}),
  };
}

/** Error text for logs, without resumable session ids (a session URI lets anyone upload into it). */
function errorMessage(err: unknown): string {
  let text = err instanceof Error ? err.message : String(err);
  // fetch() says only "fetch failed"; the socket error that explains it is in `cause`.
  const cause = (err as { cause?: { code?: unknown; message?: unknown } })?.cause;
  if (text === 'fetch failed' && cause) text += ` (${[cause.code, cause.message].filter((x) => typeof x === 'string' && x).join(': ')})`;
  return text.replace(/upload_id=[^&\s"']+/g, 'upload_id=[redacted]');
}

function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; status?: unknown; response?: { status?: unknown } };
  for (const v of [e?.code, e?.status, e?.response?.status]) if (typeof v === 'number' && v >= 100 && v < 600) return v;
  const m = /status: (\d{3})/.exec(errorMessage(err));
  return m ? Number(m[1]) : undefined;
}

/** Maps client errors (ApiError, GaxiosError, resumable "Retry limit exceeded", socket errors) to a cause. */
export function classifyGcsError(err: unknown): StoreFailure {
  if (err instanceof StoreError) return err.kind;
  const e = err as { name?: string; code?: unknown };
  if (e?.name === 'AbortError' || e?.code === 'ABORT_ERR') return 'timeout';
  const status = statusOf(err);
  const msg = errorMessage(err);
  if (status === 412) return 'exists';
  if (status === 429) return 'rate_limited';
  if (status === 408 || (status !== undefined && status >= 500)) return 'unavailable';
  if (status === 401 || status === 403) return 'permission';
  if (status === 404 || status === 410) return 'not_found';
  if (status === 400 && /crc32c|md5/i.test(msg)) return 'checksum';
  const code = typeof e?.code === 'string' ? e.code : '';
  if (/^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|ECONNABORTED|UND_ERR_.*)$/.test(code)) return 'network';
  if (/socket hang up|ECONNRESET|ECONNREFUSED|EPIPE|premature close|network|fetch failed|aborted/i.test(msg)) return 'network';
  if (/offset is lower than the number of bytes written/i.test(msg)) return 'session_expired';
  if (e && typeof e === 'object' && 'syscall' in e) return 'local_io';
  return 'other';
}

function toStoreError(err: unknown, what: string, resumedSession: boolean): StoreError {
  if (err instanceof StoreError) return err;
  let kind = classifyGcsError(err);
  // A persisted session GCS no longer knows (expired after a week, or cancelled): start a new one.
  if (resumedSession && kind === 'not_found') kind = 'session_expired';
  return new StoreError(kind, `${what} failed (${kind}): ${errorMessage(err)}`, { cause: err });
}
