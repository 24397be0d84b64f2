import { classifyBigQuery, refineJob } from './bigquery.js';
import { queryParam } from './query.js';
import { classifyRest, unknownEffect } from './rest.js';
import { batchRequests, classifyStorage, uploadNameFromBody, type StorageKind } from './storage.js';
import { EFFECT_RANK, type Classification, type ClassifyInput, type OperationItem } from './types.js';

export type { Classification, ClassifyInput, Effect, OperationItem } from './types.js';
export { EFFECT_RANK } from './types.js';
export { sqlStatementKinds } from './sql.js';

/** Body bytes read before deciding on a BigQuery job or a /batch request. */
export const JOB_BODY_BYTES = 256 * 1024;
/** Body bytes read before deciding on a multipart or resumable upload (its JSON metadata comes first). */
export const UPLOAD_METADATA_BYTES = 16 * 1024;
/** Cloud Storage accepts at most 100 calls per batch. */
export const MAX_BATCH_PARTS = 100;

/**
 * How many leading body bytes classification needs (0 for almost everything). Only job creation in
 * BigQuery, /batch and uploads whose object name is in the body are inspected. Without the query
 * string an upload POST is assumed to need its metadata.
 */
export function classifyBodyNeeded(method: string, path: string, query?: string): number {
  if (method !== 'POST') return 0;
  if (path.startsWith('/batch/')) return JOB_BODY_BYTES;
  if (path.startsWith('/bigquery/v2/projects/') || path.startsWith('/upload/bigquery/v2/projects/')) {
    return path.endsWith('/jobs') || path.endsWith('/queries') ? JOB_BODY_BYTES : 0;
  }
  if (path.startsWith('/upload/storage/v1/b/')) {
    if (query === undefined) return UPLOAD_METADATA_BYTES;
    const t = queryParam(query, 'uploadType');
    return (t === 'multipart' || t === 'resumable') && queryParam(query, 'name') === undefined && queryParam(query, 'upload_id') === undefined ? UPLOAD_METADATA_BYTES : 0;
  }
  return 0;
}

function finish(service: string, items: OperationItem[], extra?: Partial<Classification>): Classification {
  if (items.length > 1) items.sort((a, b) => EFFECT_RANK[b.effect] - EFFECT_RANK[a.effect]);
  const top = items[0]!;
  const c: Classification = { service, operation: top.operation, resource: top.resource, effect: top.effect, items };
  return extra === undefined ? c : Object.assign(c, extra); // no object spread per plain request
}

function bodyText(body: Uint8Array): string {
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1');
}

/**
 * Maps a request to the Google Cloud operation(s) it performs. Pure and synchronous; a GET costs one
 * split of the path and a few string comparisons.
 */
export function classifyGcpOperation(input: ClassifyInput): Classification {
  const { method, path, query } = input;
  const segs = path.split('/');
  const s1 = segs[1];
  if ((path.includes('/.') || path.includes('%2') || path.includes('%5')) && hasDotSegment(segs)) {
    // A front end may normalise "." and ".." (or their encodings) into another resource than the
    // one classified here; such names are invalid on Google APIs anyway, so never guess.
    return finish(s1 || 'unknown', [{ operation: `${s1 || 'unknown'}.unknown`, resource: `${method} ${path}`, effect: 'admin' }]);
  }
  if (s1 === 'storage' && segs[2] === 'v1') return storage('json', input, segs, 3);
  if ((s1 === 'upload' || s1 === 'download') && segs[2] === 'storage' && segs[3] === 'v1') return storage(s1, input, segs, 4);
  if (s1 === 'batch' && segs[2] === 'storage' && method === 'POST') return batch(input);
  if (s1 === 'bigquery' && segs[2] === 'v2') return bigquery(input, segs, 3, false);
  if (s1 === 'upload' && segs[2] === 'bigquery' && segs[3] === 'v2') return bigquery(input, segs, 4, true);
  if (s1 === 'compute' && (segs[2] === 'v1' || segs[2] === 'beta')) return finish('compute', [classifyRest('compute', method, segs, 3)]);
  const service = (s1 === 'upload' || s1 === 'download' || s1 === 'batch' ? segs[2] : s1) || 'unknown';
  void query;
  return finish(service, [{ operation: `${service}.unknown`, resource: `${method} ${path}`, effect: unknownEffect(method) }]);
}

function hasDotSegment(segs: readonly string[]): boolean {
  for (let i = 1; i < segs.length; i++) {
    const s = segs[i]!;
    if (s === '.' || s === '..') return true;
    if (s.length >= 3 && s.length <= 9 && s.includes('%')) {
      const d = s.replace(/%2e/gi, '.');
      if (d === '.' || d === '..') return true;
    }
    if (s.includes('%2F') || s.includes('%2f') || s.includes('%5C') || s.includes('%5c')) {
      // an encoded separator inside an object name is normal; an encoded "../" in it is not
      if (/(^|%2f|%5c)(\.|%2e){1,2}(%2f|%5c|$)/i.test(s)) return true;
    }
  }
  return false;
}

function storage(kind: StorageKind, input: ClassifyInput, segs: string[], from: number): Classification {
  const r = classifyStorage(kind, input.method, input.path, segs, from, input.query);
  if (r.nameFromBody && input.body && input.body.length > 0) {
    const name = uploadNameFromBody(bodyText(input.body), input.contentType);
    if (name !== undefined) r.items[0]!.resource = `${r.items[0]!.resource}/${name}`;
  }
  const c = finish('storage', r.items);
  if (r.uploadId !== undefined) c.uploadId = r.uploadId;
  if (r.createsUploadSession) c.createsUploadSession = true;
  return c;
}

function bigquery(input: ClassifyInput, segs: string[], from: number, upload: boolean): Classification {
  if (upload) {
    // Later requests of a resumable job upload carry only data; the session's creator was classified.
    const uploadId = queryParam(input.query, 'upload_id');
    if (uploadId !== undefined) {
      const project = segs[from] === 'projects' && segs[from + 1] ? `projects/${segs[from + 1]}` : 'projects/_';
      return finish('bigquery', [{ operation: 'bigquery.jobs.insert', resource: project, effect: 'write' }], { uploadId });
    }
  }
  const r = classifyBigQuery(input.method, segs, from, upload);
  if (!r.needsBody) return finish('bigquery', r.items);
  if (!input.body || input.body.length === 0) {
    // A job with no body at all (or a resumable job upload's later chunk) has nothing to inspect.
    return finish('bigquery', [{ ...r.items[0]!, operation: `${r.items[0]!.operation}.unreadable`, effect: 'admin' }], { incomplete: true });
  }
  const refined = refineJob(r.items[0]!, bodyText(input.body), input.contentType, input.bodyComplete !== false);
  const extra: Partial<Classification> = {};
  if (upload && input.method === 'POST' && queryParam(input.query, 'uploadType') === 'resumable') extra.createsUploadSession = true;
  if (refined.statements) extra.statements = refined.statements;
  if (refined.incomplete) extra.incomplete = true;
  return finish('bigquery', refined.items, extra);
}

function batch(input: ClassifyInput): Classification {
  if (!input.body || input.body.length === 0) {
    return finish('storage', [{ operation: 'storage.batch.unreadable', resource: 'batch', effect: 'admin' }], { incomplete: true });
  }
  const { requests, cut } = batchRequests(bodyText(input.body), input.contentType, MAX_BATCH_PARTS);
  const items: OperationItem[] = [];
  for (const r of requests) {
    const c = classifyGcpOperation({ method: r.method, path: r.path, query: r.query });
    for (const it of c.items) items.push(it);
  }
  const incomplete = cut || input.bodyComplete === false;
  if (incomplete || items.length === 0) items.push({ operation: 'storage.batch.unreadable', resource: 'batch', effect: 'admin' });
  return finish('storage', items, incomplete ? { incomplete: true } : undefined);
}
