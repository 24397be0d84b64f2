import { readFile, stat } from 'node:fs/promises';
import { statSync } from 'node:fs';
import type { Registry } from 'prom-client';
import type { UploadConfig } from '../../core/config/store.js';
import type { Logger } from '../../core/log.js';
import { hashFile } from '../store/hash.js';
import { indexContentType, indexObjectName, keyObjectName, publicKeyId, segmentObjectName } from '../store/names.js';
import { StoreError, type LocalFileHashes, type ObjectInfo, type Store, type StoreFailure } from '../store/types.js';
import type { SealedSegment, SegmentSealedListener, SpoolGauge } from '../types.js';
import { backoffDelayMs } from './backoff.js';
import { createUploaderMetrics, STORE_CHECK_STATES, type UploaderMetrics } from './metrics.js';
import { isTransientStoreFailure } from '../store/retention.js';
import { quarantine, removeSpoolFiles, scanSpool, type UploadState } from './spool.js';
import { StateWrites } from './state-writes.js';

export interface UploaderOptions {
  store: Store;
  spoolDir: string;
  instanceId: string;
  /** Backlog size (segments + indexes) at which overLimit() turns true. */
  spoolMaxBytes: number;
  upload: UploadConfig;
  registry: Registry;
  logger: Logger;
  /** The instance's public key, for segments found in the spool without their upload state. */
  publicKeyPath?: string;
  now?: () => number;
}

/**
 * The store's start-up check (gcs: the bucket's retention lock): passed; pending (the store could not
 * be asked yet — network, timeout, 5xx, 429 — so segments wait in the spool while it is retried); or
 * failed (a retry got a definite answer such as "not locked": uploads are stopped until a restart).
 */
export type StoreCheckState = 'passed' | 'pending' | 'failed';

export interface UploaderStatus {
  storeCheck: StoreCheckState;
  /** Why the store check is pending or failed (what to fix, for failed). */
  storeCheckError?: string;
  backlogSegments: number;
  backlogBytes: number;
  overLimit: boolean;
  /** Segments moved to spool/conflicts because the store holds different bytes under their name. */
  conflicts: number;
  /** Cause of the last failed attempt while the head of the queue is being retried. */
  lastFailure?: StoreFailure;
}

/** The store already holds different bytes under an object name we own: an alarm, never retried. */
class ConflictError extends Error {
  constructor(
    readonly objectName: string,
    readonly reason: 'different_bytes' | 'unverifiable',
    message: string,
  ) {
    super(message);
  }
}

const SEGMENT_CONTENT_TYPE = 'application/octet-stream';
const KEY_CONTENT_TYPE = 'application/x-pem-file';

function sameBytes(remote: ObjectInfo, local: LocalFileHashes): boolean {
  if (remote.size !== local.size || remote.crc32c !== local.crc32c) return false;
  return !remote.md5Hash || remote.md5Hash === local.md5Hash;
}

/**
 * The segment's (or its index's) size, CRC32C and MD5 as the writer thread computed them from the
 * bytes it wrote (no second read of the file on the event loop), if known and the file still has
 * that size. The store checks the bytes it receives against them, so a spool file changed since
 * fails the upload.
 */
async function writerDigests(entry: UploadState, path: string): Promise<LocalFileHashes | undefined> {
  const seg = entry.segment;
  const d = path === seg.path ? seg.storeDigests : path === seg.indexPath ? seg.indexStoreDigests : undefined;
  if (!d) return undefined;
  const size = (await stat(path)).size;
  return size === d.size ? { size: d.size, crc32c: d.crc32c, md5Hash: d.md5Hash } : undefined;
}

/**
 * Moves sealed segments from the spool to the store, one at a time in sequence order: public key
 * (once per key), segment, index; each create-only and verified (size + CRC32C) before the local
 * copies are deleted. Failures are retried forever with exponential backoff and jitter; the only
 * segments that leave the queue without being uploaded are conflicts (the store already holds other
 * bytes under the name), which are moved to spool/conflicts, counted and logged as errors, so the
 * rest keep flowing. overLimit() is what the recorder consults to fail closed.
 */
export class Uploader implements SegmentSealedListener, SpoolGauge {
  readonly metrics: UploaderMetrics;
  private readonly store: Store;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly queue: Array<UploadState & { bytes: number }> = [];
  private readonly queued = new Set<string>();
  private readonly keysDone = new Set<string>();
  private backlogBytes = 0;
  private over = false;
  private conflicts = 0;
  private lastFailure: StoreFailure | undefined;
  private storeCheck: StoreCheckState = 'pending';
  private storeCheckError: string | undefined;
  /** Upload state files, written off the event loop and in order per segment. */
  private readonly stateWrites = new StateWrites();
  /** Aborted by stop(): ends a parked loop and an in-flight store check. */
  private readonly stopSignal = new AbortController();
  private started = false;
  private stopping = false;
  private loopDone: Promise<void> | undefined;
  /** Wakes the loop waiting for work (a new segment, or stop). */
  private wakeIdle: (() => void) | undefined;
  /** Cuts a backoff sleep short (stop only: new segments must not hurry a retry). */
  private wakeSleep: (() => void) | undefined;
  private idleWaiters: Array<() => void> = [];
  private attemptAbort: AbortController | undefined;

  constructor(private readonly opts: UploaderOptions) {
    this.store = opts.store;
    this.log = opts.logger;
    this.now = opts.now ?? Date.now;
    this.metrics = createUploaderMetrics(opts.registry, () => this.oldestAgeSeconds());
  }

  /**
   * Opens the store (for gcs: the retention-lock check), queues whatever an earlier run left in the
   * spool, and starts uploading. A definite refusal of the check (a TapegateError that says what to
   * fix) is thrown. If the store cannot be asked now (network, timeout, 5xx, 429), it starts anyway
   * with one warning: segments stay in the spool, nothing is uploaded, and the check is retried with
   * the upload backoff until it passes (or gets a definite refusal: then uploads stop, see status()).
   */
  async start(): Promise<void> {
    if (this.started) return;
    try {
      await this.store.open();
      this.setStoreCheck('passed');
    } catch (err) {
      if (!isTransientStoreFailure(err)) throw err;
      const cause = (err as StoreError).kind;
      this.setStoreCheck('pending', (err as Error).message);
      this.lastFailure = cause;
      this.metrics.failures.inc({ cause });
      this.log.warn(
        { event: 'store_check_deferred', store: this.store.description, cause, err: (err as Error).message },
        `cannot check ${this.store.description} now (${cause}): starting anyway; exchanges are recorded into the spool and nothing is uploaded until the check passes (retried with backoff)`,
      );
    }
    const leftovers = await scanSpool(this.opts.spoolDir, { instanceId: this.opts.instanceId, publicKeyPath: this.opts.publicKeyPath });
    for (const s of leftovers) this.enqueue(s);
    if (leftovers.length) {
      this.log.info({ event: 'spool_recovered', segments: leftovers.length, bytes: this.backlogBytes }, 'uploading segments left in the spool by an earlier run');
    }
    this.started = true;
    this.loopDone = this.loop();
  }

  /** SegmentSealedListener: the writer sealed a segment into the spool. */
  onSealed(segment: SealedSegment): void {
    if (this.queued.has(segment.path)) {
      // Found by the start-up scan before its announcement: the writer's description (creation time,
      // key) wins as long as nothing of it has been sent yet.
      const e = this.queue.find((q) => q.segment.path === segment.path);
      if (e && e.done.length === 0 && Object.keys(e.sessions).length === 0 && e !== this.queue[0]) {
        e.segment = segment;
        // Best effort: the queue in memory has the description; a restart rescans the files.
        this.stateWrites.write(e).catch(() => undefined);
      }
      return;
    }
    const state: UploadState = { version: 1, segment, sessions: {}, done: [] };
    // Written off the event loop (the recorder calls this on it); the upload loop's own state
    // writes of this segment queue behind this one.
    this.stateWrites.write(state).catch((err: Error) => {
      // Still queued from memory; after a restart the scan rebuilds the description from the files.
      this.log.warn({ event: 'upload_state_write_failed', segment: segment.path, err: err.message }, 'cannot persist upload state');
    });
    this.enqueue(state);
  }

  /** SpoolGauge: true while the backlog is at or over the spool limit (the recorder then answers 503). */
  overLimit(): boolean {
    return this.over;
  }

  status(): UploaderStatus {
    return {
      storeCheck: this.storeCheck,
      ...(this.storeCheckError !== undefined ? { storeCheckError: this.storeCheckError } : {}),
      backlogSegments: this.queue.length,
      backlogBytes: this.backlogBytes,
      overLimit: this.over,
      conflicts: this.conflicts,
      ...(this.lastFailure ? { lastFailure: this.lastFailure } : {}),
    };
  }

  /** Resolves when the queue is empty (or after timeoutMs); true if it emptied. */
  async flush(timeoutMs: number): Promise<boolean> {
    if (this.queue.length === 0) return true;
    // Nothing will upload until a restart: no point waiting.
    if (this.storeCheck === 'failed') return false;
    let timer: NodeJS.Timeout | undefined;
    const emptied = await Promise.race([
      new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true))),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return emptied;
  }

  /**
   * Stops uploading. With flushTimeoutMs, first waits that long for the backlog to drain (call it
   * after the recorder sealed its last segment). An upload in flight is abandoned; a resumable one
   * continues from its persisted session at the next start. Nothing is lost: the spool keeps the rest.
   */
  async stop(opts: { flushTimeoutMs?: number } = {}): Promise<void> {
    if (this.started && opts.flushTimeoutMs && opts.flushTimeoutMs > 0) await this.flush(opts.flushTimeoutMs);
    this.stopping = true;
    this.stopSignal.abort();
    this.attemptAbort?.abort(new StoreError('timeout', 'uploader stopping'));
    this.wakeIdle?.();
    this.wakeSleep?.();
    await this.loopDone;
    // A session URI or a `done` mark on its way to disk is what the next start resumes from.
    await this.stateWrites.idle();
    if (this.queue.length) {
      this.log.info({ event: 'uploader_stopped', backlogSegments: this.queue.length, backlogBytes: this.backlogBytes }, 'uploader stopped; the spool keeps the rest for the next start');
    }
  }

  // ---- queue ------------------------------------------------------------------------------------

  private enqueue(state: UploadState): void {
    if (this.queued.has(state.segment.path)) return;
    let bytes = state.segment.sizeBytes;
    try {
      bytes += statSync(state.segment.indexPath).size;
    } catch {
      // no index (yet): counted when it is uploaded
    }
    const entry = Object.assign(state, { bytes });
    this.queued.add(state.segment.path);
    // Keep sequence order even if announcements arrive out of order.
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.segment.seq > state.segment.seq) i--;
    this.queue.splice(i, 0, entry);
    this.backlogBytes += bytes;
    this.updateGauges();
    this.wakeIdle?.();
  }

  private dequeue(entry: UploadState & { bytes: number }): void {
    const i = this.queue.indexOf(entry);
    if (i >= 0) this.queue.splice(i, 1);
    this.queued.delete(entry.segment.path);
    this.backlogBytes -= entry.bytes;
    this.updateGauges();
    if (this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private updateGauges(): void {
    const over = this.backlogBytes >= this.opts.spoolMaxBytes;
    if (over !== this.over) {
      this.over = over;
      if (over) {
        this.log.error(
          { event: 'spool_over_limit', backlogBytes: this.backlogBytes, limit: this.opts.spoolMaxBytes, store: this.store.description },
          'spool is full: new exchanges are refused (503) until uploads catch up; check the store',
        );
      } else {
        this.log.info({ event: 'spool_below_limit', backlogBytes: this.backlogBytes, limit: this.opts.spoolMaxBytes }, 'spool below its limit again: accepting exchanges');
      }
    }
    this.metrics.backlogSegments.set(this.queue.length);
    this.metrics.backlogBytes.set(this.backlogBytes);
    this.metrics.overLimit.set(over ? 1 : 0);
  }

  private oldestAgeSeconds(): number {
    let oldest = Infinity;
    for (const e of this.queue) oldest = Math.min(oldest, e.segment.createdAtMs);
    return oldest === Infinity ? 0 : Math.max(0, (this.now() - oldest) / 1000);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wakeSleep = done;
    });
  }

  // ---- the upload loop --------------------------------------------------------------------------

  private setStoreCheck(state: StoreCheckState, error?: string): void {
    this.storeCheck = state;
    this.storeCheckError = state === 'passed' ? undefined : error;
    for (const s of STORE_CHECK_STATES) this.metrics.storeCheck.set({ state: s }, s === state ? 1 : 0);
  }

  /**
   * After a start with the store unreachable: asks again with the upload backoff until the check
   * passes (then uploads begin) or gets a definite answer (then uploads stop; the spool keeps filling
   * and the recorder fails closed at its limit, as in any long outage).
   */
  private async retryStoreCheck(): Promise<void> {
    let attempt = 0;
    while (!this.stopping) {
      attempt++;
      await this.sleep(backoffDelayMs(attempt, this.opts.upload.backoffInitialMs, this.opts.upload.backoffMaxMs));
      if (this.stopping) return;
      try {
        await untilAborted(this.store.open(), this.stopSignal.signal);
      } catch (err) {
        if (this.stopping) return;
        if (isTransientStoreFailure(err)) {
          const cause = (err as StoreError).kind;
          this.lastFailure = cause;
          this.storeCheckError = (err as Error).message;
          this.metrics.failures.inc({ cause });
          this.log.debug({ event: 'store_check_retry_failed', attempt, cause, err: (err as Error).message }, 'store still cannot be checked; retrying');
          continue;
        }
        const message = (err as Error).message;
        this.setStoreCheck('failed', message);
        this.log.error(
          { event: 'store_check_failed', store: this.store.description, code: (err as { code?: string }).code, err: message, backlogSegments: this.queue.length },
          `${message}\nUploads are stopped: segments stay in the spool, and new exchanges are refused once it reaches recording.spoolMaxBytes. Fix the store, then restart the gateway.`,
        );
        return;
      }
      this.setStoreCheck('passed');
      this.lastFailure = undefined;
      this.log.info({ event: 'store_check_passed', store: this.store.description, attempts: attempt, backlogSegments: this.queue.length }, 'store check passed: uploading the spool');
      return;
    }
  }

  private async loop(): Promise<void> {
    if (this.storeCheck === 'pending') await this.retryStoreCheck();
    if (this.storeCheck !== 'passed') {
      // Failed for good (or stopping): park until stop(); the spool keeps everything.
      if (!this.stopping) await new Promise<void>((resolve) => this.stopSignal.signal.addEventListener('abort', () => resolve(), { once: true }));
      return;
    }
    let attempt = 0;
    while (!this.stopping) {
      const entry = this.queue[0];
      if (!entry) {
        await new Promise<void>((resolve) => {
          this.wakeIdle = resolve;
        });
        this.wakeIdle = undefined;
        continue;
      }
      const t0 = this.now();
      try {
        const method = await this.uploadSegment(entry);
        // A state write still on its way would put the state file back after the removal.
        await this.stateWrites.settled(entry);
        await removeSpoolFiles(entry);
        this.metrics.latency.observe({ method }, (this.now() - t0) / 1000);
        this.metrics.uploadedSegments.inc();
        this.metrics.uploadedBytes.inc(entry.bytes);
        this.dequeue(entry);
        this.lastFailure = undefined;
        attempt = 0;
        this.log.info({ event: 'segment_uploaded', seq: entry.segment.seq, bytes: entry.bytes, method, ms: this.now() - t0 }, 'segment stored and verified');
      } catch (err) {
        if (err instanceof ConflictError) {
          await this.handleConflict(entry, err);
          attempt = 0;
          continue;
        }
        if (this.stopping) break;
        attempt++;
        const cause: StoreFailure = err instanceof StoreError ? err.kind : (err as NodeJS.ErrnoException)?.syscall ? 'local_io' : 'other';
        this.lastFailure = cause;
        this.metrics.failures.inc({ cause });
        const delay = backoffDelayMs(attempt, this.opts.upload.backoffInitialMs, this.opts.upload.backoffMaxMs);
        this.log.warn(
          { event: 'upload_failed', seq: entry.segment.seq, attempt, cause, retryInMs: delay, err: (err as Error)?.message },
          'segment upload failed; retrying',
        );
        await this.sleep(delay);
      }
    }
  }

  private async handleConflict(entry: UploadState & { bytes: number }, err: ConflictError): Promise<void> {
    let where = '';
    try {
      await this.stateWrites.settled(entry);
      where = await quarantine(entry);
    } catch (qErr) {
      this.log.error({ event: 'conflict_quarantine_failed', err: (qErr as Error).message }, 'cannot move the conflicting segment aside');
    }
    this.conflicts++;
    this.metrics.conflicts.inc({ kind: err.reason });
    this.dequeue(entry);
    this.log.error(
      { event: 'upload_conflict', seq: entry.segment.seq, object: err.objectName, reason: err.reason, keptIn: where, sha256: entry.segment.sha256 },
      `ALARM: ${err.message}; the local copy is kept in ${where || 'the spool'} and will not be retried`,
    );
  }

  /** Uploads key, segment and index of one spool entry; returns the upload method for the latency metric. */
  private async uploadSegment(entry: UploadState): Promise<'simple' | 'resumable'> {
    const seg = entry.segment;
    const prefix = this.store.prefix;
    if (seg.publicKeyPath && !this.keysDone.has(`${seg.instanceId}\0${seg.publicKeyPath}`)) await this.uploadKey(seg);
    const segName = segmentObjectName(prefix, seg);
    await this.uploadObject(entry, segName, seg.path, SEGMENT_CONTENT_TYPE);
    const idxName = indexObjectName(prefix, seg);
    if (!entry.done.includes(idxName)) {
      const hasIndex = await stat(seg.indexPath).then(
        () => true,
        () => false,
      );
      if (hasIndex) await this.uploadObject(entry, idxName, seg.indexPath, indexContentType(seg.indexPath));
      else this.log.error({ event: 'index_missing', seq: seg.seq, index: seg.indexPath }, 'segment has no index file in the spool; uploading the segment alone');
    }
    return seg.sizeBytes >= this.opts.upload.resumableThresholdBytes && this.store.kind === 'gcs' ? 'resumable' : 'simple';
  }

  /** The instance's public key, create-only and idempotent; never blocks segments on a conflict. */
  private async uploadKey(seg: SealedSegment): Promise<void> {
    let pem: Buffer;
    try {
      pem = await readFile(seg.publicKeyPath);
    } catch (err) {
      this.log.error({ event: 'public_key_missing', path: seg.publicKeyPath, err: (err as Error).message }, 'cannot read the public signing key to upload it');
      this.keysDone.add(`${seg.instanceId}\0${seg.publicKeyPath}`);
      return;
    }
    const name = keyObjectName(this.store.prefix, seg.instanceId, publicKeyId(pem, seg.publicKeyPath));
    const scratch: UploadState = { version: 1, segment: seg, sessions: {}, done: [] };
    try {
      await this.uploadObject(scratch, name, seg.publicKeyPath, KEY_CONTENT_TYPE, false);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      if (err.reason === 'unverifiable') {
        // The key id is a hash of the key itself, so a taken name is this key (uploaded by an earlier run).
        this.log.info({ event: 'key_already_present', object: name }, 'public key already in the store');
        this.keysDone.add(`${seg.instanceId}\0${seg.publicKeyPath}`);
        return;
      }
      this.conflicts++;
      this.metrics.conflicts.inc({ kind: 'key' });
      this.log.error({ event: 'key_conflict', object: name, err: err.message }, 'ALARM: the store holds a different public key under this key id');
    }
    this.keysDone.add(`${seg.instanceId}\0${seg.publicKeyPath}`);
  }

  private async persist(entry: UploadState, persistState: boolean): Promise<void> {
    if (!persistState) return;
    try {
      await this.stateWrites.write(entry);
    } catch (err) {
      throw new StoreError('local_io', `cannot write upload state for ${entry.segment.path}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** One create-only upload, verified; a name taken by the same bytes counts as done. */
  private async uploadObject(entry: UploadState, name: string, path: string, contentType: string, persistState = true): Promise<void> {
    if (entry.done.includes(name)) return;
    let hashes: LocalFileHashes;
    try {
      hashes = (await writerDigests(entry, path)) ?? (await hashFile(path));
    } catch (err) {
      throw new StoreError('local_io', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
    }
    let created: ObjectInfo;
    try {
      created = await this.putGuarded(name, path, contentType, hashes, entry, persistState);
    } catch (err) {
      const kind = err instanceof StoreError ? err.kind : 'other';
      // The store saw other bytes than the writer hashed (the spool file changed since): later
      // attempts hash the file as it is, as before writer digests existed (its trailer still tells).
      if (kind === 'checksum' && path === entry.segment.path) delete entry.segment.storeDigests;
      if (kind === 'checksum' && path === entry.segment.indexPath) delete entry.segment.indexStoreDigests;
      if (kind === 'session_expired' || kind === 'checksum' || kind === 'exists') {
        // The next attempt starts a fresh session (a 412 means there is nothing left to resume).
        if (entry.sessions[name]) {
          delete entry.sessions[name];
          await this.persist(entry, persistState);
        }
      }
      if (kind !== 'exists') throw err;
      created = await this.resolveExisting(name, hashes);
    }
    if (!sameBytes(created, hashes)) {
      throw new ConflictError(name, 'different_bytes', `store object ${name} (size ${created.size}, crc32c ${created.crc32c}) differs from local ${path} (size ${hashes.size}, crc32c ${hashes.crc32c})`);
    }
    // Independent check: read the object's metadata back (needs storage.objects.get; without it the
    // create response above is the verification).
    let readBack: ObjectInfo | undefined;
    try {
      readBack = await this.store.head(name);
    } catch (err) {
      if (!(err instanceof StoreError && err.kind === 'permission')) throw err;
      readBack = created;
    }
    if (!readBack) throw new StoreError('verify_mismatch', `object ${name} is not in ${this.store.description} right after its upload`);
    if (!sameBytes(readBack, hashes)) {
      throw new ConflictError(name, 'different_bytes', `store object ${name} reads back as size ${readBack.size}, crc32c ${readBack.crc32c}; local ${path} is size ${hashes.size}, crc32c ${hashes.crc32c}`);
    }
    entry.done.push(name);
    delete entry.sessions[name];
    await this.persist(entry, persistState);
  }

  /** After a precondition failure: same bytes → done; different → conflict; unknown → conflict (kept locally). */
  private async resolveExisting(name: string, hashes: LocalFileHashes): Promise<ObjectInfo> {
    let remote: ObjectInfo | undefined;
    try {
      remote = await this.store.head(name);
    } catch (err) {
      if (err instanceof StoreError && err.kind === 'permission') {
        throw new ConflictError(name, 'unverifiable', `store object ${name} already exists and the store credentials cannot read its metadata to compare (grant storage.objects.get)`);
      }
      throw err;
    }
    if (!remote) throw new StoreError('unavailable', `store refused to create ${name} as existing, yet it cannot be found; retrying`);
    if (!sameBytes(remote, hashes)) {
      throw new ConflictError(name, 'different_bytes', `store object ${name} already exists with different bytes (size ${remote.size}, crc32c ${remote.crc32c}; local size ${hashes.size}, crc32c ${hashes.crc32c})`);
    }
    this.log.info({ event: 'upload_already_present', object: name }, 'object already in the store with the same bytes');
    return remote;
  }

  /** putFile with an abort on stop and on stalls (no progress for stallTimeoutMs). */
  private async putGuarded(name: string, path: string, contentType: string, hashes: LocalFileHashes, entry: UploadState, persistState: boolean): Promise<ObjectInfo> {
    const abort = new AbortController();
    this.attemptAbort = abort;
    const stallMs = this.opts.upload.stallTimeoutMs;
    const timer = setTimeout(() => abort.abort(new StoreError('timeout', `no upload progress for ${stallMs} ms`)), stallMs);
    try {
      return await this.store.putFile(name, path, {
        contentType,
        hashes,
        resumeSession: entry.sessions[name],
        // Durable before the first chunk: a restart resumes this session instead of opening another.
        onSession: (uri) => {
          entry.sessions[name] = uri;
          return this.persist(entry, persistState);
        },
        onProgress: () => timer.refresh(),
        signal: abort.signal,
      });
    } catch (err) {
      if (abort.signal.aborted && abort.signal.reason instanceof StoreError) throw abort.signal.reason;
      throw err;
    } finally {
      clearTimeout(timer);
      if (this.attemptAbort === abort) this.attemptAbort = undefined;
    }
  }
}

/** `p`, or a rejection as soon as `signal` aborts (p keeps running; its outcome is ignored then). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(new StoreError('timeout', 'uploader stopping'));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new StoreError('timeout', 'uploader stopping'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
