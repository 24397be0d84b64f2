import type { Bucket, File, GetFilesOptions, StorageOptions } from '@google-cloud/storage';
import { createHash } from 'node:crypto';
import type { ReviewDecision, ReviewRecord, ReviewStore, UploadBinding } from './types.js';

/**
 * Review state shared by gateway instances through a Cloud Storage bucket the deployment already
 * has: one JSON object per review (`<prefix><id>.json`). Creation uses ifGenerationMatch=0 and a
 * decision is a compare-and-set on the generation it read (ifGenerationMatch=<generation>), so an
 * approval and the holder's timeout can race and exactly one wins. The holding instance polls.
 * The object's custom metadata carries the state so listings can skip decided reviews unread.
 */
const MAX_CAS_ATTEMPTS = 5;
const LIST_CONCURRENCY = 8;
/** Listing stops after this many pages (of `pageSize` objects): a bound, not an expected size. */
const MAX_LIST_PAGES = 50;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The 10-character time prefix of a review id (ULID-shaped, core/ids) for epoch ms. */
export function encodeTime(ms: number): string {
  let t = Math.max(0, Math.floor(ms));
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[t % 32]! + out;
    t = Math.floor(t / 32);
  }
  return out;
}

export interface GcsReviewStoreOptions {
  bucket: string;
  prefix: string;
  /** Passed to `new Storage()`: apiEndpoint for emulators, keyFilename… */
  storage?: StorageOptions;
  /** Objects per listing page (default 1000, the API's maximum). */
  pageSize?: number;
}

function errorCode(err: unknown): number | undefined {
  const c = (err as { code?: unknown }).code;
  return typeof c === 'number' ? c : undefined;
}

export class GcsReviewStore implements ReviewStore {
  readonly kind = 'gcs' as const;
  private readonly bucketReady: Promise<Bucket>;
  private readonly prefix: string;
  private readonly pageSize: number;

  constructor(options: GcsReviewStoreOptions) {
    // The client library loads (from here, at start) only when reviews are kept in GCS.
    this.bucketReady = import('@google-cloud/storage').then(({ Storage }) => new Storage(options.storage).bucket(options.bucket));
    this.bucketReady.catch(() => undefined); // a load failure surfaces at the first use, not as an unhandled rejection
    this.prefix = options.prefix;
    this.pageSize = options.pageSize ?? 1000;
  }

  private name(id: string): string {
    if (!/^[A-Za-z0-9-]+$/.test(id)) throw new Error(`invalid review id "${id}"`);
    return `${this.prefix}${id}.json`;
  }

  private async write(record: ReviewRecord, ifGenerationMatch: number): Promise<void> {
    await (await this.bucketReady).file(this.name(record.id)).save(JSON.stringify(record), {
      resumable: false,
      contentType: 'application/json',
      metadata: { metadata: { state: record.state } },
      preconditionOpts: { ifGenerationMatch },
    });
  }

  async create(record: ReviewRecord): Promise<void> {
    await this.write(record, 0);
  }

  /** The record and the generation it was read at; null if absent. */
  private async read(id: string): Promise<{ record: ReviewRecord; generation: number } | null> {
    const file = (await this.bucketReady).file(this.name(id));
    try {
      const [meta] = await file.getMetadata();
      const generation = Number(meta.generation);
      const [bytes] = await (await this.bucketReady).file(this.name(id), { generation }).download();
      return { record: JSON.parse(bytes.toString('utf8')) as ReviewRecord, generation };
    } catch (err) {
      if (errorCode(err) === 404) return null;
      throw err;
    }
  }

  async get(id: string): Promise<ReviewRecord | null> {
    try {
      const [bytes] = await (await this.bucketReady).file(this.name(id)).download();
      return JSON.parse(bytes.toString('utf8')) as ReviewRecord;
    } catch (err) {
      if (errorCode(err) === 404) return null;
      throw err;
    }
  }

  async list(pendingOnly: boolean, limit: number, sinceMs?: number): Promise<ReviewRecord[]> {
    // Ids are time-ordered, so names sort oldest first; a pending review is never older than the
    // wait, so `sinceMs` lets GCS skip the decided past (startOffset) and the pages stay few.
    const candidates: File[] = [];
    let query: GetFilesOptions | null = { prefix: this.prefix, autoPaginate: false, maxResults: this.pageSize };
    if (sinceMs !== undefined) query.startOffset = `${this.prefix}rv-${encodeTime(sinceMs)}`;
    for (let page = 0; query && page < MAX_LIST_PAGES; page++) {
      const [files, next]: [File[], GetFilesOptions | null] = (await (await this.bucketReady).getFiles(query)) as unknown as [File[], GetFilesOptions | null];
      for (const f of files) {
        if (!f.name.endsWith('.json')) continue;
        if (pendingOnly && (f.metadata.metadata?.['state'] ?? 'pending') !== 'pending') continue;
        candidates.push(f);
      }
      query = next;
    }
    candidates.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
    const out: ReviewRecord[] = [];
    for (let i = 0; i < candidates.length && out.length < limit; i += LIST_CONCURRENCY) {
      const batch = candidates.slice(i, i + LIST_CONCURRENCY);
      const records = await Promise.all(
        batch.map(async (f) => {
          try {
            const [bytes] = await f.download();
            return JSON.parse(bytes.toString('utf8')) as ReviewRecord;
          } catch (err) {
            if (errorCode(err) === 404) return null;
            throw err;
          }
        }),
      );
      for (const r of records) if (r && (!pendingOnly || r.state === 'pending') && out.length < limit) out.push(r);
    }
    return out;
  }

  async decide(id: string, decision: ReviewDecision): Promise<{ record: ReviewRecord; applied: boolean } | null> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await this.read(id);
      if (!current) return null;
      if (current.record.state !== 'pending') return { record: current.record, applied: false };
      const next: ReviewRecord = { ...current.record, ...decision };
      try {
        await this.write(next, current.generation);
        return { record: next, applied: true };
      } catch (err) {
        if (errorCode(err) !== 412) throw err;
        // Someone else wrote first: read again and see what they decided.
      }
    }
    throw new Error(`review ${id}: too many concurrent updates`);
  }

  /**
   * Upload bindings live under `<prefix>uploads/<sha256(upload_id)>.json`: the upload_id is a
   * capability, so it is not written into an object name.
   */
  private bindingName(uploadId: string): string {
    return `${this.prefix}uploads/${createHash('sha256').update(uploadId).digest('hex')}.json`;
  }

  async saveUploadBinding(uploadId: string, binding: UploadBinding): Promise<void> {
    await (await this.bucketReady).file(this.bindingName(uploadId)).save(JSON.stringify(binding), { resumable: false, contentType: 'application/json', preconditionOpts: { ifGenerationMatch: 0 } });
  }

  async loadUploadBinding(uploadId: string): Promise<UploadBinding | null> {
    try {
      const [bytes] = await (await this.bucketReady).file(this.bindingName(uploadId)).download();
      return JSON.parse(bytes.toString('utf8')) as UploadBinding;
    } catch (err) {
      if (errorCode(err) === 404) return null;
      throw err;
    }
  }

  close(): void {}
}
