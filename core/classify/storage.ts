import { boundaryOf, splitParts } from './multipart.js';
import { queryParam, safeDecode } from './query.js';
import { classifyRest, unknownEffect, verbEffect } from './rest.js';
import type { Effect, OperationItem } from './types.js';

/**
 * Cloud Storage JSON API: /storage/v1/…, /upload/storage/v1/… (media, multipart, resumable
 * uploads: objects.insert), /download/storage/v1/… (objects.get) and /batch/storage/v1 (every part).
 * Resources are `buckets/B` and `buckets/B/objects/O` with names decoded.
 */

export type StorageKind = 'json' | 'upload' | 'download';

export interface StorageResult {
  items: OperationItem[];
  uploadId?: string;
  createsUploadSession?: boolean;
  /** The body is needed for the object name (multipart or resumable upload without ?name=). */
  nameFromBody?: boolean;
}

const BUCKET_COLLECTIONS: Readonly<Record<string, string>> = {
  acl: 'bucketAccessControls',
  defaultObjectAcl: 'defaultObjectAccessControls',
  notificationConfigs: 'notifications',
  managedFolders: 'managedFolders',
  folders: 'folders',
  anywhereCaches: 'anywhereCaches',
  operations: 'operations',
};

function item(operation: string, resource: string, effect: Effect): OperationItem {
  return { operation, resource, effect };
}

function unknown(method: string, path: string): OperationItem {
  return item('storage.unknown', `${method} ${path}`, unknownEffect(method));
}

/** True when an insert cannot replace an existing object (ifGenerationMatch=0). */
function createOnly(query: string): boolean {
  return queryParam(query, 'ifGenerationMatch') === '0';
}

/**
 * @param segs the path split on '/', e.g. ['', 'storage', 'v1', 'b', 'B', 'o', 'O']
 * @param from index of the first segment after the version ('b' above)
 */
export function classifyStorage(kind: StorageKind, method: string, path: string, segs: readonly string[], from: number, query: string): StorageResult {
  const n = segs.length - from;
  const s0 = segs[from];
  if (s0 === 'b') {
    if (n === 1 || (n === 2 && segs[from + 1] === '')) {
      if (method === 'GET') return { items: [item('storage.buckets.list', `projects/${queryParam(query, 'project') ?? '_'}`, 'read')] };
      if (method === 'POST') return { items: [item('storage.buckets.insert', `projects/${queryParam(query, 'project') ?? '_'}`, 'write')] };
      return { items: [unknown(method, path)] };
    }
    const bucket = safeDecode(segs[from + 1]!);
    const bucketRes = `buckets/${bucket}`;
    if (n === 2) {
      switch (method) {
        case 'GET':
        case 'HEAD':
          return { items: [item('storage.buckets.get', bucketRes, 'read')] };
        case 'PATCH':
          return { items: [item('storage.buckets.patch', bucketRes, 'admin')] };
        case 'PUT':
          return { items: [item('storage.buckets.update', bucketRes, 'admin')] };
        case 'DELETE':
          return { items: [item('storage.buckets.delete', bucketRes, 'remove')] };
        default:
          return { items: [unknown(method, path)] };
      }
    }
    const s2 = segs[from + 2]!;
    if (s2 === 'o') return classifyObjects(kind, method, path, segs, from, bucket, query);
    if (n === 3 && s2 === 'iam') {
      if (method === 'GET') return { items: [item('storage.buckets.getIamPolicy', bucketRes, 'read')] };
      if (method === 'PUT') return { items: [item('storage.buckets.setIamPolicy', bucketRes, 'admin')] };
    }
    if (n === 4 && s2 === 'iam' && segs[from + 3] === 'testPermissions') return { items: [item('storage.buckets.testIamPermissions', bucketRes, 'read')] };
    if (n === 3 && method === 'POST') {
      if (s2 === 'lockRetentionPolicy') return { items: [item('storage.buckets.lockRetentionPolicy', bucketRes, 'admin')] };
      if (s2 === 'restore') return { items: [item('storage.buckets.restore', bucketRes, 'write')] };
      if (s2 === 'relocate') return { items: [item('storage.buckets.relocate', bucketRes, 'admin')] };
    }
    const collection = BUCKET_COLLECTIONS[s2];
    if (collection) {
      const rest = classifyRest('storage', method, segs, from + 2);
      const verb = rest.operation.slice(rest.operation.lastIndexOf('.') + 1);
      // Access-control changes are admin whatever the verb.
      const effect: Effect = collection.endsWith('AccessControls') && verb !== 'get' && verb !== 'list' ? 'admin' : verbEffect(verb);
      return { items: [item(`storage.${collection}.${verb}`, `${bucketRes}/${rest.resource}`, effect)] };
    }
    return { items: [unknown(method, path)] };
  }
  if (s0 === 'projects' && n >= 3) {
    const project = safeDecode(segs[from + 1]!);
    const s2 = segs[from + 2];
    if (s2 === 'serviceAccount' && method === 'GET') return { items: [item('storage.projects.serviceAccount.get', `projects/${project}`, 'read')] };
    if (s2 === 'hmacKeys') {
      const rest = classifyRest('storage', method, segs, from);
      const verb = rest.operation.slice(rest.operation.lastIndexOf('.') + 1);
      return { items: [item(`storage.hmacKeys.${verb === 'insert' ? 'create' : verb}`, rest.resource, verb === 'get' || verb === 'list' ? 'read' : 'admin')] };
    }
  }
  if (s0 === 'channels' && segs[from + 1] === 'stop' && method === 'POST') return { items: [item('storage.channels.stop', 'channels', 'read')] };
  return { items: [unknown(method, path)] };
}

function classifyObjects(kind: StorageKind, method: string, path: string, segs: readonly string[], from: number, bucket: string, query: string): StorageResult {
  const n = segs.length - from;
  const bucketRes = `buckets/${bucket}`;
  if (n === 3 || (n === 4 && segs[from + 3] === '')) {
    if (method === 'GET') return { items: [item('storage.objects.list', bucketRes, 'read')] };
    if (method === 'POST' || (kind === 'upload' && (method === 'PUT' || method === 'DELETE'))) return classifyInsert(kind, method, bucket, query);
    return { items: [unknown(method, path)] };
  }
  const s3 = segs[from + 3]!;
  if (n === 4 && method === 'POST') {
    if (s3 === 'watch') return { items: [item('storage.objects.watchAll', bucketRes, 'read')] };
    if (s3 === 'bulkRestore') return { items: [item('storage.objects.bulkRestore', bucketRes, 'write')] };
  }
  // The object name is one encoded segment; a client that did not encode '/' gets the rest joined.
  const actionAt = findObjectAction(segs, from + 4);
  const objectName = safeDecode(actionAt === from + 4 ? s3 : segs.slice(from + 3, actionAt).join('/'));
  const objectRes = `${bucketRes}/objects/${objectName}`;
  if (actionAt >= segs.length) {
    if (kind === 'download') return { items: [item('storage.objects.get', objectRes, 'read')] };
    switch (method) {
      case 'GET':
      case 'HEAD':
        return { items: [item('storage.objects.get', objectRes, 'read')] };
      case 'DELETE':
        return { items: [item('storage.objects.delete', objectRes, 'remove')] };
      case 'PATCH':
        return { items: [item('storage.objects.patch', objectRes, 'write')] };
      case 'PUT':
        return { items: [item('storage.objects.update', objectRes, 'write')] };
      default:
        return { items: [unknown(method, path)] };
    }
  }
  const action = segs[actionAt]!;
  const m = segs.length - actionAt;
  if (method === 'POST' && action === 'compose' && m === 1) {
    return { items: [item('storage.objects.compose', objectRes, createOnly(query) ? 'write' : 'overwrite')] };
  }
  if (method === 'POST' && action === 'restore' && m === 1) return { items: [item('storage.objects.restore', objectRes, 'write')] };
  if (method === 'POST' && (action === 'copyTo' || action === 'rewriteTo') && m === 5 && segs[actionAt + 1] === 'b' && segs[actionAt + 3] === 'o') {
    const dest = `buckets/${safeDecode(segs[actionAt + 2]!)}/objects/${safeDecode(segs[actionAt + 4]!)}`;
    const op = action === 'copyTo' ? 'storage.objects.copy' : 'storage.objects.rewrite';
    return { items: [item(op, dest, createOnly(query) ? 'write' : 'overwrite'), item('storage.objects.get', objectRes, 'read')] };
  }
  if (method === 'POST' && action === 'moveTo' && m === 3 && segs[actionAt + 1] === 'o') {
    const dest = `${bucketRes}/objects/${safeDecode(segs[actionAt + 2]!)}`;
    return { items: [item('storage.objects.move', objectRes, 'remove'), item('storage.objects.move', dest, createOnly(query) ? 'write' : 'overwrite')] };
  }
  if (action === 'acl') {
    const rest = classifyRest('storage', method, segs, actionAt);
    const verb = rest.operation.slice(rest.operation.lastIndexOf('.') + 1);
    return { items: [item(`storage.objectAccessControls.${verb}`, `${objectRes}/${rest.resource}`, verb === 'get' || verb === 'list' ? 'read' : 'admin')] };
  }
  return { items: [unknown(method, path)] };
}

const OBJECT_ACTIONS = new Set(['compose', 'restore', 'copyTo', 'rewriteTo', 'moveTo', 'acl']);

function findObjectAction(segs: readonly string[], start: number): number {
  for (let i = start; i < segs.length; i++) if (OBJECT_ACTIONS.has(segs[i]!)) return i;
  return segs.length;
}

function classifyInsert(kind: StorageKind, method: string, bucket: string, query: string): StorageResult {
  const uploadId = kind === 'upload' ? queryParam(query, 'upload_id') : undefined;
  const name = queryParam(query, 'name');
  const resource = name !== undefined ? `buckets/${bucket}/objects/${name}` : `buckets/${bucket}/objects`;
  const effect: Effect = createOnly(query) ? 'write' : 'overwrite';
  const result: StorageResult = { items: [item('storage.objects.insert', resource, effect)] };
  if (uploadId !== undefined) {
    result.uploadId = uploadId;
    return result;
  }
  const uploadType = queryParam(query, 'uploadType');
  if (method === 'POST' && uploadType === 'resumable') result.createsUploadSession = true;
  if (method === 'POST' && name === undefined && (uploadType === 'multipart' || uploadType === 'resumable')) result.nameFromBody = true;
  return result;
}

/** Reads the object name of a multipart upload (first part) or resumable start (JSON body). */
export function uploadNameFromBody(text: string, contentType: string | undefined): string | undefined {
  let json = text;
  if (!text.trimStart().startsWith('{')) {
    const boundary = boundaryOf(contentType, text);
    if (!boundary) return undefined;
    const first = splitParts(text, boundary, 1)[0];
    if (!first) return undefined;
    json = first.content;
  }
  try {
    const meta = JSON.parse(json) as { name?: unknown };
    return typeof meta.name === 'string' ? meta.name : undefined;
  } catch {
    return undefined;
  }
}

/** Embedded requests of a /batch/storage/v1 body; `cut` when the seen prefix ended inside the parts. */
export function batchRequests(text: string, contentType: string | undefined, maxParts: number): { requests: Array<{ method: string; path: string; query: string }>; cut: boolean } {
  const boundary = boundaryOf(contentType, text);
  if (!boundary) return { requests: [], cut: true };
  const parts = splitParts(text, boundary, maxParts + 1);
  const requests: Array<{ method: string; path: string; query: string }> = [];
  let cut = parts.length > maxParts || !text.includes(`--${boundary}--`);
  for (const part of parts.slice(0, maxParts)) {
    const m = /^\s*([A-Z]+) (\S+)/.exec(part.content);
    if (!m) {
      cut = true;
      continue;
    }
    let target = m[2]!;
    if (!target.startsWith('/')) {
      try {
        const u = new URL(target);
        target = u.pathname + u.search;
      } catch {
        cut = true;
        continue;
      }
    }
    const q = target.indexOf('?');
    requests.push({ method: m[1]!, path: q === -1 ? target : target.slice(0, q), query: q === -1 ? '' : target.slice(q + 1) });
  }
  return { requests, cut };
}
