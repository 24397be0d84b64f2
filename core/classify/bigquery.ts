import { boundaryOf, splitParts } from './multipart.js';
import { safeDecode } from './query.js';
import { classifyRest } from './rest.js';
import { STATEMENT_EFFECT, sqlStatementKinds } from './sql.js';
import type { Effect, OperationItem } from './types.js';

/**
 * BigQuery v2. Job creation (jobs.insert, jobs.query) is classified by what the job does: one item
 * per SQL statement kind (`bigquery.jobs.query.drop`), or the job type for load/copy/extract jobs
 * (`bigquery.jobs.insert.load`), with WRITE_TRUNCATE destinations marked as overwrites.
 */

export interface BigQueryResult {
  items: OperationItem[];
  statements?: string[];
  /** The job body was needed but not (fully) readable. */
  incomplete?: boolean;
  /** jobs.insert / jobs.query: classification needs the body. */
  needsBody?: boolean;
}

/** segs: path split on '/'; from: index of 'projects' after /bigquery/v2. */
export function classifyBigQuery(method: string, segs: readonly string[], from: number, upload: boolean): BigQueryResult {
  const n = segs.length - from;
  if (segs[from] === 'projects' && n === 3 && method === 'POST') {
    const project = safeDecode(segs[from + 1]!);
    if (segs[from + 2] === 'jobs') return { items: [{ operation: 'bigquery.jobs.insert', resource: `projects/${project}`, effect: 'write' }], needsBody: true };
    if (segs[from + 2] === 'queries' && !upload) return { items: [{ operation: 'bigquery.jobs.query', resource: `projects/${project}`, effect: 'write' }], needsBody: true };
  }
  if (segs[from] === 'projects' && n === 4 && segs[from + 2] === 'queries' && method === 'GET') {
    return { items: [{ operation: 'bigquery.jobs.getQueryResults', resource: `projects/${safeDecode(segs[from + 1]!)}/jobs/${safeDecode(segs[from + 3]!)}`, effect: 'read' }] };
  }
  if (n === 7 && segs[from + 4] === 'tables') {
    const last = segs[from + 6];
    if (last === 'data' && method === 'GET') return { items: [tabledata('list', segs, from, 'read')] };
    if (last === 'insertAll' && method === 'POST') return { items: [tabledata('insertAll', segs, from, 'write')] };
  }
  return { items: [classifyRest('bigquery', method, segs, from)] };
}

function tabledata(verb: string, segs: readonly string[], from: number, effect: Effect): OperationItem {
  const resource = segs.slice(from, from + 6).map(safeDecode).join('/');
  return { operation: `bigquery.tabledata.${verb}`, resource, effect };
}

interface JobConfiguration {
  dryRun?: boolean;
  query?: { query?: unknown; destinationTable?: TableRef; writeDisposition?: unknown };
  load?: { destinationTable?: TableRef; writeDisposition?: unknown };
  copy?: { destinationTable?: TableRef; writeDisposition?: unknown };
  extract?: { sourceTable?: TableRef };
}
interface TableRef {
  projectId?: unknown;
  datasetId?: unknown;
  tableId?: unknown;
}

function tableResource(t: TableRef | undefined, project: string): string | undefined {
  if (!t || typeof t.datasetId !== 'string' || typeof t.tableId !== 'string') return undefined;
  return `projects/${typeof t.projectId === 'string' ? t.projectId : project}/datasets/${t.datasetId}/tables/${t.tableId}`;
}

function truncates(disposition: unknown): boolean {
  return typeof disposition === 'string' && disposition.startsWith('WRITE_TRUNCATE');
}

/**
 * Refines jobs.insert / jobs.query from the request body (JSON, or the metadata part of a
 * multipart job upload). `complete` says whether `text` is the whole body.
 */
export function refineJob(base: OperationItem, text: string, contentType: string | undefined, complete: boolean): BigQueryResult {
  const project = base.resource.slice('projects/'.length);
  let json = text;
  if (!text.trimStart().startsWith('{')) {
    const boundary = boundaryOf(contentType, text);
    const first = boundary ? splitParts(text, boundary, 1)[0] : undefined;
    if (!first || first.cut) return incomplete(base);
    json = first.content;
  } else if (!complete) {
    return incomplete(base);
  }
  let body: { query?: unknown; configuration?: JobConfiguration };
  try {
    body = JSON.parse(json) as typeof body;
  } catch {
    return incomplete(base);
  }
  if (typeof body !== 'object' || body === null) return incomplete(base);
  const items: OperationItem[] = [];
  let statements: string[] | undefined;
  const addSql = (sql: unknown) => {
    if (typeof sql !== 'string') return;
    statements = sqlStatementKinds(sql);
    for (const kind of statements) items.push({ operation: `${base.operation}.${kind.toLowerCase()}`, resource: base.resource, effect: STATEMENT_EFFECT[kind] ?? 'admin' });
  };
  if (base.operation === 'bigquery.jobs.query') {
    addSql(body.query);
  } else {
    const cfg = body.configuration ?? {};
    if (cfg.query) {
      addSql(cfg.query.query);
      const dest = tableResource(cfg.query.destinationTable, project);
      if (dest && truncates(cfg.query.writeDisposition)) items.push({ operation: `${base.operation}.write_truncate`, resource: dest, effect: 'overwrite' });
    }
    if (cfg.load) {
      const t = truncates(cfg.load.writeDisposition);
      items.push({ operation: `${base.operation}.load`, resource: tableResource(cfg.load.destinationTable, project) ?? base.resource, effect: t ? 'overwrite' : 'write' });
    }
    if (cfg.copy) {
      const t = truncates(cfg.copy.writeDisposition);
      items.push({ operation: `${base.operation}.copy`, resource: tableResource(cfg.copy.destinationTable, project) ?? base.resource, effect: t ? 'overwrite' : 'write' });
    }
    if (cfg.extract) items.push({ operation: `${base.operation}.extract`, resource: tableResource(cfg.extract.sourceTable, project) ?? base.resource, effect: 'write' });
  }
  if (items.length === 0) items.push(base);
  return statements ? { items, statements } : { items };
}

function incomplete(base: OperationItem): BigQueryResult {
  return { items: [{ operation: `${base.operation}.unreadable`, resource: base.resource, effect: 'admin' }], incomplete: true };
}
