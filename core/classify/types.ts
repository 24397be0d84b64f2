/**
 * What a request does to Google Cloud, as far as the gateway can tell from method, path, query and
 * (for the few kinds that need it) the first bytes of the body.
 */

/**
 * The worst thing an operation can do to data, ordered: read < write < overwrite < remove < admin.
 * `overwrite` can replace existing data (copy onto an existing object, UPDATE, CREATE OR REPLACE);
 * `remove` can delete it (objects.delete, DROP, move); `admin` changes who may do what or is
 * irreversible (setIamPolicy, lockRetentionPolicy, GRANT) or is opaque (EXECUTE IMMEDIATE).
 */
export type Effect = 'read' | 'write' | 'overwrite' | 'remove' | 'admin';

export const EFFECT_RANK: Readonly<Record<Effect, number>> = { read: 0, write: 1, overwrite: 2, remove: 3, admin: 4 };

/** One thing the request does; the policy decides on every one of them. */
export interface OperationItem {
  /** e.g. storage.objects.delete, bigquery.jobs.query.drop, compute.instances.stop, storage.unknown */
  operation: string;
  /** e.g. buckets/b/objects/a.txt, projects/p/datasets/d/tables/t; decoded. */
  resource: string;
  effect: Effect;
}

export interface Classification extends OperationItem {
  /** First dotted component of the operation: storage, bigquery, compute… */
  service: string;
  /**
   * Everything the request does, most dangerous first. One item for simple calls; one per part of a
   * /batch request; one per SQL statement kind of a BigQuery query job. The top-level operation,
   * resource and effect are those of items[0].
   */
  items: OperationItem[];
  /** SQL statement kinds found in a BigQuery query (DROP, DELETE, CREATE_OR_REPLACE…), in order of first appearance. */
  statements?: string[];
  /** Resumable upload session this request continues (upload_id query parameter). */
  uploadId?: string;
  /** True for the POST that creates a resumable upload session (its response carries the upload_id). */
  createsUploadSession?: boolean;
  /** The body was needed but only partly seen (larger than the inspection limit) or unparsable. */
  incomplete?: boolean;
}

export interface ClassifyInput {
  method: string;
  /** Raw path, still percent-encoded, no query. */
  path: string;
  /** Raw query string without '?'. */
  query: string;
  /** The first bytes of the request body, when bodyNeeded() asked for them. */
  body?: Uint8Array;
  /** True when `body` holds the whole request body (not a prefix). Default: assumed whole. */
  bodyComplete?: boolean;
  /** The request's Content-Type (multipart boundary), when known. */
  contentType?: string;
}
