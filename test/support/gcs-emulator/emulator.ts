import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { crc32c } from '@node-rs/crc32';
import { boundaryOf, parseMultipartRelated } from './multipart.js';

/**
 * A faithful subset of the Cloud Storage JSON API on node:http, for tests, the replay tool's tests
 * and a shared review store. Drive it through the real @google-cloud/storage client with
 * `new Storage({ apiEndpoint: await emulator.start() })`. Each behaviour cites the GCS page it follows.
 *
 * Not covered: ACLs, IAM, composition, rewrites, XML API, HMAC, notifications, soft delete.
 */

/** The routes faults can target. */
export type GcsRoute =
  | 'buckets.get'
  | 'objects.list'
  | 'objects.get'
  | 'objects.download'
  | 'objects.delete'
  | 'objects.insert'
  | 'resumable.initiate'
  | 'resumable.put';

export interface RequestInfo {
  route: GcsRoute | 'unknown';
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
}

export type GcsFault =
  /** Answer with this status in Google's error shape (503, 429, 500…), without processing the request. */
  | { kind: 'status'; status: number }
  /** Destroy the connection after reading `afterBytes` of the request body (0: at once). For a resumable
   * chunk, the bytes received so far are committed first (rounded down to 256 KiB, as GCS persists). */
  | { kind: 'reset'; afterBytes?: number }
  /** Hold the request this long before processing it normally. */
  | { kind: 'delay'; ms: number };

export interface GcsFaultRule {
  route: GcsRoute | '*';
  fault: GcsFault;
  /** How many matching requests it affects (default 1). */
  times?: number;
  /** Further narrows which requests match (e.g. only chunk PUTs that carry data). */
  when?: (req: RequestInfo) => boolean;
}

export interface GcsEmulatorOptions {
  faults?: GcsFaultRule[];
  /** Answer 401 to JSON API calls that carry no `Authorization: Bearer …` (session URIs need none). */
  requireAuth?: boolean;
  /** Clock for retention checks (tests can move time forward). */
  now?: () => number;
}

export interface RequestLogEntry {
  route: GcsRoute | 'unknown';
  method: string;
  path: string;
  query: Record<string, string>;
  contentRange?: string;
  /** Body bytes actually received. */
  bodyBytes: number;
  status: number | 'reset';
  /** The `Range` header of a 308 answer (bytes persisted in a resumable session). */
  range?: string;
  authorized: boolean;
  apiClient?: string;
}

export interface BucketOptions {
  /** Bucket retention policy, seconds. https://cloud.google.com/storage/docs/bucket-lock */
  retentionPeriodSeconds?: number;
  locked?: boolean;
  /** Object Retention Lock enabled. https://cloud.google.com/storage/docs/object-lock */
  objectRetention?: boolean;
}

interface StoredObject {
  bucket: string;
  name: string;
  data: Buffer;
  generation: string;
  metageneration: string;
  contentType: string;
  crc32c: string;
  md5Hash: string;
  timeCreated: Date;
  metadata?: Record<string, string>;
  retention?: { mode: string; retainUntilTime: string };
}

interface BucketState {
  name: string;
  timeCreated: Date;
  retentionPolicy?: { retentionPeriod: number; effectiveTime: Date; isLocked: boolean };
  objectRetention: boolean;
  objects: Map<string, StoredObject>;
}

interface UploadSession {
  id: string;
  bucket: string;
  name: string;
  metadata: Record<string, unknown>;
  contentType: string;
  ifGenerationMatch?: string;
  total?: number;
  chunks: Buffer[];
  committed: number;
  result?: StoredObject;
  failed?: { status: number; reason: string; message: string };
}

const QUANTUM = 256 * 1024;

/** GCS hashes: base64 of the big-endian CRC32C and of the MD5 digest. https://cloud.google.com/storage/docs/hashes-etags */
export function gcsCrc32c(data: Uint8Array): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc32c(data) >>> 0);
  return b.toString('base64');
}
export function gcsMd5(data: Uint8Array): string {
  return createHash('md5').update(data).digest('base64');
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export class GcsEmulator {
  readonly requests: RequestLogEntry[] = [];
  private readonly buckets = new Map<string, BucketState>();
  private readonly sessions = new Map<string, UploadSession>();
  private readonly faults: Array<GcsFaultRule & { left: number }> = [];
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private generationCounter = 0;
  private inFlight = 0;
  private readonly requireAuth: boolean;
  readonly now: () => number;
  baseUrl = '';

  constructor(opts: GcsEmulatorOptions = {}) {
    for (const f of opts.faults ?? []) this.addFault(f);
    this.requireAuth = opts.requireAuth ?? false;
    this.now = opts.now ?? Date.now;
  }

  /** Listens on 127.0.0.1, an ephemeral port; resolves to the base URL to use as `apiEndpoint`. */
  async start(): Promise<string> {
    const server = createServer((req, res) => {
      this.inFlight++;
      this.handle(req, res)
        .catch((err: unknown) => {
          if (!res.headersSent) this.sendError(res, new HttpError(500, 'backendError', String(err)));
          else res.destroy();
        })
        .finally(() => this.inFlight--);
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Resolves once no request is being handled (e.g. a delayed chunk from a client that went away). */
  async idle(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight > 0) {
      if (Date.now() > deadline) throw new Error(`emulator still handling ${this.inFlight} request(s) after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  addFault(rule: GcsFaultRule): void {
    this.faults.push({ ...rule, left: rule.times ?? 1 });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  // ---- helpers for tests ------------------------------------------------------------------------

  createBucket(name: string, opts: BucketOptions = {}): void {
    const now = new Date(this.now());
    this.buckets.set(name, {
      name,
      timeCreated: now,
      retentionPolicy:
        opts.retentionPeriodSeconds !== undefined
          ? { retentionPeriod: opts.retentionPeriodSeconds, effectiveTime: now, isLocked: opts.locked ?? false }
          : undefined,
      objectRetention: opts.objectRetention ?? false,
      objects: new Map(),
    });
  }

  /** https://cloud.google.com/storage/docs/json_api/v1/buckets/lockRetentionPolicy */
  lockRetentionPolicy(bucket: string): void {
    const b = this.mustBucket(bucket);
    if (!b.retentionPolicy) throw new Error(`bucket ${bucket} has no retention policy to lock`);
    b.retentionPolicy.isLocked = true;
  }

  /** Seeds an object directly (e.g. a conflicting copy), bypassing the API. */
  putObject(bucket: string, name: string, data: Buffer, contentType = 'application/octet-stream'): void {
    const b = this.mustBucket(bucket);
    b.objects.set(name, this.newObject(b, name, data, contentType, {}));
  }

  getObject(bucket: string, name: string): { data: Buffer; metadata: Record<string, unknown> } | undefined {
    const o = this.buckets.get(bucket)?.objects.get(name);
    return o ? { data: o.data, metadata: this.objectResource(o) } : undefined;
  }

  objectNames(bucket: string): string[] {
    return [...(this.buckets.get(bucket)?.objects.keys() ?? [])].sort();
  }

  /** Bytes committed so far for each open resumable session. */
  openSessions(): Array<{ bucket: string; name: string; committed: number; total?: number }> {
    return [...this.sessions.values()]
      .filter((s) => !s.result && !s.failed)
      .map((s) => ({ bucket: s.bucket, name: s.name, committed: s.committed, total: s.total }));
  }

  // ---- request handling -------------------------------------------------------------------------

  private mustBucket(name: string): BucketState {
    const b = this.buckets.get(name);
    if (!b) throw new HttpError(404, 'notFound', 'The specified bucket does not exist.');
    return b;
  }

  private classify(method: string, path: string, query: URLSearchParams): { route: GcsRoute | 'unknown'; bucket?: string; object?: string } {
    let m = /^\/(?:storage\/v1|download\/storage\/v1)\/b\/([^/]+)\/o\/(.+)$/.exec(path);
    if (m) {
      const bucket = decodeURIComponent(m[1]!);
      const object = decodeURIComponent(m[2]!);
      if (method === 'GET') return { route: query.get('alt') === 'media' || path.startsWith('/download/') ? 'objects.download' : 'objects.get', bucket, object };
      if (method === 'DELETE') return { route: 'objects.delete', bucket, object };
      return { route: 'unknown' };
    }
    m = /^\/storage\/v1\/b\/([^/]+)\/o\/?$/.exec(path);
    if (m && method === 'GET') return { route: 'objects.list', bucket: decodeURIComponent(m[1]!) };
    m = /^\/storage\/v1\/b\/([^/]+)\/?$/.exec(path);
    if (m && method === 'GET') return { route: 'buckets.get', bucket: decodeURIComponent(m[1]!) };
    m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o\/?$/.exec(path);
    if (m) {
      const bucket = decodeURIComponent(m[1]!);
      if (method === 'PUT' && query.get('upload_id')) return { route: 'resumable.put', bucket };
      if (method === 'POST' && query.get('uploadType') === 'resumable') return { route: 'resumable.initiate', bucket };
      if (method === 'POST') return { route: 'objects.insert', bucket };
    }
    return { route: 'unknown' };
  }

  private takeFault(info: RequestInfo): GcsFault | undefined {
    for (const f of this.faults) {
      if (f.left <= 0) continue;
      if (f.route !== '*' && f.route !== info.route) continue;
      if (f.when && !f.when(info)) continue;
      f.left--;
      return f.fault;
    }
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = req.method ?? 'GET';
    // Kept now: once a body read is abandoned the request no longer points at its socket.
    const socket = req.socket;
    const { route, bucket, object } = this.classify(method, url.pathname, url.searchParams);
    const info: RequestInfo = { route, method, path: url.pathname, query: url.searchParams, headers: req.headers };
    const auth = req.headers.authorization;
    const entry: RequestLogEntry = {
      route,
      method,
      path: url.pathname,
      query: Object.fromEntries([...url.searchParams].filter(([k]) => k !== 'upload_id')),
      contentRange: req.headers['content-range'],
      bodyBytes: 0,
      status: 0,
      authorized: typeof auth === 'string' && /^Bearer \S+/.test(auth),
      apiClient: req.headers['x-goog-api-client'] as string | undefined,
    };
    this.requests.push(entry);
    res.on('finish', () => {
      entry.status = res.statusCode;
      const range = res.getHeader('range');
      if (typeof range === 'string') entry.range = range;
    });

    const fault = this.takeFault(info);
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
    if (fault?.kind === 'status') {
      await this.readBody(req, entry); // drain so the client sees the answer, not a broken pipe
      return this.sendError(res, new HttpError(fault.status, fault.status === 429 ? 'rateLimitExceeded' : 'backendError', fault.status === 429 ? 'The rate of change requests to the object is too high.' : 'Backend Error'));
    }
    const resetAfter = fault?.kind === 'reset' ? (fault.afterBytes ?? 0) : undefined;

    try {
      if (this.requireAuth && route !== 'resumable.put' && !entry.authorized) {
        throw new HttpError(401, 'required', 'Anonymous caller does not have storage access.');
      }
      switch (route) {
        case 'buckets.get':
          return this.sendJson(res, 200, this.bucketResource(this.mustBucket(bucket!)));
        case 'objects.list':
          return this.sendJson(res, 200, this.list(this.mustBucket(bucket!), url.searchParams));
        case 'objects.get':
          return this.sendJson(res, 200, this.objectResource(this.getChecked(bucket!, object!, url.searchParams)));
        case 'objects.download':
          return this.download(req, res, this.getChecked(bucket!, object!, url.searchParams));
        case 'objects.delete':
          this.remove(bucket!, object!, url.searchParams);
          res.writeHead(204).end();
          return;
        case 'objects.insert': {
          const body = await this.readBody(req, entry, resetAfter);
          if (body === undefined) return void socket.destroy();
          return this.sendJson(res, 200, this.objectResource(this.insert(bucket!, url.searchParams, req.headers, body)));
        }
        case 'resumable.initiate': {
          const body = await this.readBody(req, entry, resetAfter);
          if (body === undefined) return void socket.destroy();
          return this.initiate(req, res, bucket!, url.searchParams, body);
        }
        case 'resumable.put':
          return await this.resumablePut(req, res, entry, url.searchParams.get('upload_id')!, resetAfter, socket);
        default:
          throw new HttpError(404, 'notFound', `Not Found: ${method} ${url.pathname}`);
      }
    } catch (err) {
      if (err instanceof HttpError) {
        if (!req.readableEnded) await this.readBody(req, entry);
        return this.sendError(res, err);
      }
      throw err;
    }
  }

  /** Reads the whole body; with `resetAfter`, stops after that many bytes and returns undefined. */
  private async readBody(req: IncomingMessage, entry: RequestLogEntry, resetAfter?: number): Promise<Buffer | undefined> {
    const chunks: Buffer[] = [];
    let n = 0;
    if (resetAfter === 0) {
      entry.status = 'reset';
      return undefined;
    }
    for await (const chunk of req as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      n += chunk.length;
      entry.bodyBytes = n;
      if (resetAfter !== undefined && n >= resetAfter) {
        entry.status = 'reset';
        return undefined;
      }
    }
    return Buffer.concat(chunks);
  }

  private sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  /** Google's JSON error shape. https://cloud.google.com/storage/docs/json_api/v1/status-codes */
  private sendError(res: ServerResponse, err: HttpError): void {
    if (res.headersSent) return void res.destroy();
    this.sendJson(res, err.status, {
      error: { code: err.status, message: err.message, errors: [{ message: err.message, domain: 'global', reason: err.reason }] },
    });
  }

  /** https://cloud.google.com/storage/docs/json_api/v1/buckets (resource), …/buckets/get */
  private bucketResource(b: BucketState): Record<string, unknown> {
    return {
      kind: 'storage#bucket',
      id: b.name,
      selfLink: `${this.baseUrl}/storage/v1/b/${b.name}`,
      name: b.name,
      projectNumber: '123456789012',
      metageneration: '1',
      location: 'US',
      storageClass: 'STANDARD',
      etag: 'CAE=',
      timeCreated: b.timeCreated.toISOString(),
      updated: b.timeCreated.toISOString(),
      ...(b.retentionPolicy
        ? {
            retentionPolicy: {
              retentionPeriod: String(b.retentionPolicy.retentionPeriod),
              effectiveTime: b.retentionPolicy.effectiveTime.toISOString(),
              isLocked: b.retentionPolicy.isLocked,
            },
          }
        : {}),
      // https://cloud.google.com/storage/docs/object-lock: objectRetention.mode is "Enabled" when on.
      ...(b.objectRetention ? { objectRetention: { mode: 'Enabled' } } : {}),
    };
  }

  /** https://cloud.google.com/storage/docs/json_api/v1/objects (resource) */
  private objectResource(o: StoredObject): Record<string, unknown> {
    const b = this.buckets.get(o.bucket);
    const enc = encodeURIComponent(o.name);
    const res: Record<string, unknown> = {
      kind: 'storage#object',
      id: `${o.bucket}/${o.name}/${o.generation}`,
      selfLink: `${this.baseUrl}/storage/v1/b/${o.bucket}/o/${enc}`,
      mediaLink: `${this.baseUrl}/download/storage/v1/b/${o.bucket}/o/${enc}?generation=${o.generation}&alt=media`,
      name: o.name,
      bucket: o.bucket,
      generation: o.generation,
      metageneration: o.metageneration,
      contentType: o.contentType,
      storageClass: 'STANDARD',
      size: String(o.data.length),
      md5Hash: o.md5Hash,
      crc32c: o.crc32c,
      etag: Buffer.from(o.generation).toString('base64'),
      timeCreated: o.timeCreated.toISOString(),
      updated: o.timeCreated.toISOString(),
      timeStorageClassUpdated: o.timeCreated.toISOString(),
    };
    if (o.metadata) res.metadata = o.metadata;
    if (o.retention) res.retention = o.retention;
    // https://cloud.google.com/storage/docs/bucket-lock: retentionExpirationTime = creation + period.
    if (b?.retentionPolicy) res.retentionExpirationTime = new Date(o.timeCreated.getTime() + b.retentionPolicy.retentionPeriod * 1000).toISOString();
    return res;
  }

  /** Generation preconditions. https://cloud.google.com/storage/docs/request-preconditions */
  private checkPreconditions(existing: StoredObject | undefined, q: URLSearchParams | Record<string, string | undefined>): void {
    const get = (k: string): string | null | undefined => (q instanceof URLSearchParams ? q.get(k) : q[k]);
    const match = get('ifGenerationMatch');
    const notMatch = get('ifGenerationNotMatch');
    const current = existing ? existing.generation : '0';
    if (match !== null && match !== undefined && match !== current) {
      throw new HttpError(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.');
    }
    if (notMatch !== null && notMatch !== undefined && notMatch === current) {
      throw new HttpError(304, 'notModified', 'Not Modified');
    }
  }

  private getChecked(bucket: string, name: string, q: URLSearchParams): StoredObject {
    const b = this.mustBucket(bucket);
    const o = b.objects.get(name);
    const gen = q.get('generation');
    if (!o || (gen && gen !== o.generation)) throw new HttpError(404, 'notFound', `No such object: ${bucket}/${name}`);
    this.checkPreconditions(o, q);
    return o;
  }

  /** https://cloud.google.com/storage/docs/json_api/v1/objects/list (prefix, delimiter → prefixes, pageToken, maxResults) */
  private list(b: BucketState, q: URLSearchParams): Record<string, unknown> {
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? '';
    const maxResults = Math.max(1, Math.min(1000, Number(q.get('maxResults') ?? 1000) || 1000));
    const after = q.get('pageToken') ? Buffer.from(q.get('pageToken')!, 'base64url').toString('utf8') : '';
    const names = [...b.objects.keys()].filter((n) => n.startsWith(prefix)).sort();
    const entries: Array<{ key: string; prefix?: string; obj?: StoredObject }> = [];
    const seenPrefixes = new Set<string>();
    for (const n of names) {
      if (delimiter) {
        const i = n.indexOf(delimiter, prefix.length);
        if (i >= 0) {
          const p = n.slice(0, i + delimiter.length);
          if (!seenPrefixes.has(p)) {
            seenPrefixes.add(p);
            entries.push({ key: p, prefix: p });
          }
          continue;
        }
      }
      entries.push({ key: n, obj: b.objects.get(n)! });
    }
    entries.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
    const page = entries.filter((e) => e.key > after).slice(0, maxResults + 1);
    const more = page.length > maxResults;
    if (more) page.pop();
    const items = page.filter((e) => e.obj).map((e) => this.objectResource(e.obj!));
    const prefixes = page.filter((e) => e.prefix).map((e) => e.prefix!);
    return {
      kind: 'storage#objects',
      ...(items.length ? { items } : {}),
      ...(prefixes.length ? { prefixes } : {}),
      ...(more ? { nextPageToken: Buffer.from(page[page.length - 1]!.key).toString('base64url') } : {}),
    };
  }

  /** alt=media with optional Range. https://cloud.google.com/storage/docs/json_api/v1/objects/get,
   * https://cloud.google.com/storage/docs/downloading-objects#download-object-portion */
  private download(req: IncomingMessage, res: ServerResponse, o: StoredObject): void {
    const total = o.data.length;
    const headers: Record<string, string> = {
      'content-type': o.contentType,
      'x-goog-generation': o.generation,
      'x-goog-metageneration': o.metageneration,
      'x-goog-stored-content-length': String(total),
      'x-goog-hash': `crc32c=${o.crc32c},md5=${o.md5Hash}`,
      'accept-ranges': 'bytes',
    };
    const range = req.headers.range;
    const m = range ? /^bytes=(\d*)-(\d*)$/.exec(range) : null;
    if (m && (m[1] || m[2])) {
      let start: number;
      let end: number;
      if (!m[1]) {
        start = Math.max(0, total - Number(m[2]));
        end = total - 1;
      } else {
        start = Number(m[1]);
        end = m[2] ? Math.min(Number(m[2]), total - 1) : total - 1;
      }
      if (start >= total || end < start) {
        res.writeHead(416, { 'content-range': `bytes */${total}` }).end();
        return;
      }
      const part = o.data.subarray(start, end + 1);
      res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${total}`, 'content-length': String(part.length) });
      res.end(part);
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': String(total) });
    res.end(o.data);
  }

  /** The time until which the object may not be deleted or overwritten, if it is in the future. */
  private retainedUntil(o: StoredObject): { until: number; why: string } | undefined {
    const now = this.now();
    const b = this.buckets.get(o.bucket);
    // https://cloud.google.com/storage/docs/bucket-lock (bucket retention policy)
    if (b?.retentionPolicy) {
      const until = o.timeCreated.getTime() + b.retentionPolicy.retentionPeriod * 1000;
      if (until > now) return { until, why: "is subject to bucket's retention policy" };
    }
    // https://cloud.google.com/storage/docs/object-lock (object retention configuration)
    if (o.retention) {
      const until = Date.parse(o.retention.retainUntilTime);
      if (until > now) return { until, why: 'is subject to object retention' };
    }
    return undefined;
  }

  private assertMutable(o: StoredObject, verb: string): void {
    const r = this.retainedUntil(o);
    if (r) {
      throw new HttpError(
        403,
        'retentionPolicyNotMet',
        `Object '${o.bucket}/${o.name}' ${r.why} and cannot be ${verb} until ${new Date(r.until).toISOString()}`,
      );
    }
  }

  /** https://cloud.google.com/storage/docs/json_api/v1/objects/delete; 403 while retained. */
  private remove(bucket: string, name: string, q: URLSearchParams): void {
    const b = this.mustBucket(bucket);
    const o = b.objects.get(name);
    if (!o) throw new HttpError(404, 'notFound', `No such object: ${bucket}/${name}`);
    this.checkPreconditions(o, q);
    this.assertMutable(o, 'deleted, overwritten or archived');
    b.objects.delete(name);
  }

  private newObject(b: BucketState, name: string, data: Buffer, contentType: string, meta: Record<string, unknown>): StoredObject {
    const obj: StoredObject = {
      bucket: b.name,
      name,
      data,
      generation: String(this.now() * 1000 + (this.generationCounter++ % 1000)),
      metageneration: '1',
      contentType,
      crc32c: gcsCrc32c(data),
      md5Hash: gcsMd5(data),
      timeCreated: new Date(this.now()),
    };
    if (meta.metadata && typeof meta.metadata === 'object') obj.metadata = meta.metadata as Record<string, string>;
    if (meta.retention && typeof meta.retention === 'object') {
      // https://cloud.google.com/storage/docs/object-lock: retention needs Object Retention Lock on the bucket.
      if (!b.objectRetention) throw new HttpError(400, 'invalid', 'Object retention is not enabled for this bucket.');
      const r = meta.retention as { mode?: string; retainUntilTime?: string };
      if ((r.mode !== 'Locked' && r.mode !== 'Unlocked') || !r.retainUntilTime || Number.isNaN(Date.parse(r.retainUntilTime))) {
        throw new HttpError(400, 'invalid', 'Invalid retention: expected mode Locked|Unlocked and an RFC 3339 retainUntilTime.');
      }
      obj.retention = { mode: r.mode, retainUntilTime: new Date(Date.parse(r.retainUntilTime)).toISOString() };
    }
    return obj;
  }

  /**
   * Creates the object after checking hashes the client sent (metadata crc32c/md5Hash or X-Goog-Hash),
   * preconditions and retention. https://cloud.google.com/storage/docs/json_api/v1/objects/insert,
   * https://cloud.google.com/storage/docs/hashes-etags#json-api
   */
  private commit(bucket: string, name: string, data: Buffer, contentType: string, meta: Record<string, unknown>, pre: Record<string, string | undefined>, xGoogHash: string | undefined): StoredObject {
    const b = this.mustBucket(bucket);
    if (!name) throw new HttpError(400, 'required', 'Required parameter: name');
    const crc = gcsCrc32c(data);
    const md5 = gcsMd5(data);
    const claimed: Record<string, string | undefined> = { crc32c: meta.crc32c as string | undefined, md5: meta.md5Hash as string | undefined };
    for (const part of (xGoogHash ?? '').split(',')) {
      const i = part.indexOf('=');
      if (i > 0) claimed[part.slice(0, i).trim()] = part.slice(i + 1).trim();
    }
    if (claimed.crc32c && claimed.crc32c !== crc) {
      throw new HttpError(400, 'invalid', `Provided CRC32C "${claimed.crc32c}" doesn't match calculated CRC32C "${crc}".`);
    }
    if (claimed.md5 && claimed.md5 !== md5) {
      throw new HttpError(400, 'invalid', `Provided MD5 hash "${claimed.md5}" doesn't match calculated MD5 hash "${md5}".`);
    }
    const existing = b.objects.get(name);
    this.checkPreconditions(existing, pre);
    if (existing) this.assertMutable(existing, 'deleted, overwritten or archived');
    const obj = this.newObject(b, name, data, contentType, meta);
    b.objects.set(name, obj);
    return obj;
  }

  /** uploadType=media and uploadType=multipart. https://cloud.google.com/storage/docs/uploads */
  private insert(bucket: string, q: URLSearchParams, headers: IncomingMessage['headers'], body: Buffer): StoredObject {
    this.mustBucket(bucket);
    const type = q.get('uploadType') ?? 'media';
    const pre = { ifGenerationMatch: q.get('ifGenerationMatch') ?? undefined };
    if (type === 'media') {
      return this.commit(bucket, q.get('name') ?? '', body, headers['content-type'] ?? 'application/octet-stream', {}, pre, headers['x-goog-hash'] as string | undefined);
    }
    if (type === 'multipart') {
      const boundary = boundaryOf(headers['content-type']);
      if (!boundary) throw new HttpError(400, 'invalid', 'multipart upload needs a multipart/related Content-Type with a boundary');
      let parts;
      try {
        parts = parseMultipartRelated(body, boundary);
      } catch (err) {
        throw new HttpError(400, 'invalid', `bad multipart body: ${(err as Error).message}`);
      }
      const name = (parts.metadata.name as string | undefined) ?? q.get('name') ?? '';
      const contentType = (parts.metadata.contentType as string | undefined) ?? parts.mediaContentType ?? 'application/octet-stream';
      return this.commit(bucket, name, parts.media, contentType, parts.metadata, pre, headers['x-goog-hash'] as string | undefined);
    }
    throw new HttpError(400, 'invalid', `Unsupported uploadType ${type}`);
  }

  /** Resumable initiation: 200 + Location session URI. https://cloud.google.com/storage/docs/performing-resumable-uploads#initiate-session */
  private initiate(req: IncomingMessage, res: ServerResponse, bucket: string, q: URLSearchParams, body: Buffer): void {
    const b = this.mustBucket(bucket);
    let meta: Record<string, unknown> = {};
    if (body.length) {
      try {
        meta = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      } catch {
        throw new HttpError(400, 'parseError', 'Parse Error');
      }
    }
    const name = q.get('name') ?? (meta.name as string | undefined) ?? '';
    if (!name) throw new HttpError(400, 'required', 'Required parameter: name');
    const ifGenerationMatch = q.get('ifGenerationMatch') ?? undefined;
    // Preconditions are checked when the session starts as well as when it completes.
    this.checkPreconditions(b.objects.get(name), { ifGenerationMatch });
    const lenHeader = req.headers['x-upload-content-length'];
    const id = randomBytes(16).toString('hex');
    this.sessions.set(id, {
      id,
      bucket,
      name,
      metadata: meta,
      contentType: (req.headers['x-upload-content-type'] as string | undefined) ?? (meta.contentType as string | undefined) ?? 'application/octet-stream',
      ifGenerationMatch,
      total: lenHeader !== undefined ? Number(lenHeader) : undefined,
      chunks: [],
      committed: 0,
    });
    const host = req.headers.host ?? this.baseUrl.replace(/^http:\/\//, '');
    const location = `http://${host}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`;
    res.writeHead(200, { location, 'x-guploader-uploadid': id, 'content-length': '0' }).end();
  }

  /**
   * Chunk PUTs and status queries on a session URI: 308 with `Range: bytes=0-N` while incomplete (no
   * Range when nothing is persisted), 200 with the object when complete; non-final chunks persist in
   * multiples of 256 KiB. https://cloud.google.com/storage/docs/performing-resumable-uploads#chunked-upload,
   * https://cloud.google.com/storage/docs/performing-resumable-uploads#status-check,
   * https://cloud.google.com/storage/docs/performing-resumable-uploads#resume-upload
   */
  private async resumablePut(req: IncomingMessage, res: ServerResponse, entry: RequestLogEntry, id: string, resetAfter: number | undefined, socket: Socket): Promise<void> {
    const s = this.sessions.get(id);
    if (!s) throw new HttpError(404, 'notFound', 'No such upload session (it may have expired or been cancelled).');
    const cr = (req.headers['content-range'] as string | undefined) ?? '';
    const status = /^bytes \*\/(\d+|\*)$/.exec(cr);
    const data = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(cr);
    // "bytes N-*/TOTAL|*": the rest of the object in this one request (the client's single-request mode).
    const rest = /^bytes (\d+)-\*\/(\d+|\*)$/.exec(cr);
    if (s.failed) {
      await this.readBody(req, entry);
      throw new HttpError(s.failed.status, s.failed.reason, s.failed.message);
    }
    if (s.result) {
      await this.readBody(req, entry);
      return this.sendJson(res, 200, this.objectResource(s.result));
    }
    if (status) {
      await this.readBody(req, entry, resetAfter);
      if (resetAfter !== undefined) return void socket.destroy();
      if (status[1] !== '*') s.total = Number(status[1]);
      if (s.total !== undefined && s.committed === s.total) return this.finish(req, res, s);
      return this.send308(res, s);
    }
    if (rest) {
      const first = Number(rest[1]);
      if (first > s.committed) {
        await this.readBody(req, entry);
        throw new HttpError(400, 'invalid', `Invalid request. The data starts at ${first} but only ${s.committed} bytes are persisted.`);
      }
      const body = await this.readBody(req, entry, resetAfter);
      if (body === undefined) return void socket.destroy();
      const fresh = body.subarray(Math.min(body.length, s.committed - first));
      s.chunks.push(Buffer.from(fresh));
      s.committed += fresh.length;
      if (rest[2] === '*') s.total = s.committed;
      else s.total = Number(rest[2]);
      if (s.committed === s.total) return this.finish(req, res, s);
      return this.send308(res, s);
    }
    if (!data) {
      // A PUT without Content-Range carries the whole object in one request.
      if (!cr) {
        const body = await this.readBody(req, entry, resetAfter);
        if (body === undefined) return void socket.destroy();
        s.chunks = [body];
        s.committed = body.length;
        s.total = body.length;
        return this.finish(req, res, s);
      }
      throw new HttpError(400, 'invalid', `Invalid Content-Range: ${cr}`);
    }
    const first = Number(data[1]);
    const last = Number(data[2]);
    if (data[3] !== '*') s.total = Number(data[3]);
    if (first > s.committed) {
      await this.readBody(req, entry);
      throw new HttpError(400, 'invalid', `Invalid request. The chunk starts at ${first} but only ${s.committed} bytes are persisted.`);
    }
    // Stream the chunk in, so a reset mid-body leaves what GCS would have persisted.
    const received: Buffer[] = [];
    let n = 0;
    let reset = false;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      received.push(chunk);
      n += chunk.length;
      entry.bodyBytes = n;
      if (resetAfter !== undefined && n >= resetAfter) {
        reset = true;
        break;
      }
    }
    if (n !== last - first + 1 && !reset) throw new HttpError(400, 'invalid', `Content-Range ${cr} does not match the ${n} body bytes`);
    let body = Buffer.concat(received);
    // Bytes before the persisted offset were already received in an earlier request.
    body = body.subarray(Math.min(body.length, s.committed - first));
    const end = s.committed + body.length;
    const isFinal = !reset && s.total !== undefined && end === s.total;
    const keep = isFinal ? body.length : Math.max(0, Math.floor(end / QUANTUM) * QUANTUM - s.committed);
    if (keep > 0) {
      s.chunks.push(Buffer.from(body.subarray(0, keep)));
      s.committed += keep;
    }
    if (reset) {
      entry.status = 'reset';
      return void socket.destroy();
    }
    if (isFinal) return this.finish(req, res, s);
    return this.send308(res, s);
  }

  private send308(res: ServerResponse, s: UploadSession): void {
    res.setHeader('x-guploader-uploadid', s.id);
    if (s.committed > 0) res.setHeader('range', `bytes=0-${s.committed - 1}`);
    res.writeHead(308, { 'content-length': '0' }).end();
  }

  private finish(req: IncomingMessage, res: ServerResponse, s: UploadSession): void {
    try {
      s.result = this.commit(s.bucket, s.name, Buffer.concat(s.chunks), s.contentType, s.metadata, { ifGenerationMatch: s.ifGenerationMatch }, req.headers['x-goog-hash'] as string | undefined);
      s.chunks = [];
      this.sendJson(res, 200, this.objectResource(s.result));
    } catch (err) {
      if (err instanceof HttpError) s.failed = { status: err.status, reason: err.reason, message: err.message };
      throw err;
    }
  }
}
