/** The end-to-end scenarios, by id (`--only 1kb-50,mixed`). */
import { UPLOAD_64K, jsonLines } from './data.js';
import type { RequestSpec } from './load.js';

export interface LoadScenario {
  kind: 'load';
  id: string;
  title: string;
  connections: number;
  requests: RequestSpec[];
}

export interface TransferScenario {
  kind: 'transfer';
  id: string;
  title: string;
  direction: 'download' | 'upload';
}

export type Scenario = LoadScenario | TransferScenario;

const BUCKET = '/storage/v1/b/bench-bucket/o';
const GET_1KB: RequestSpec = { method: 'GET', path: `${BUCKET}/bench%2Fobject-1kb.json` };

function insert(name: string, body: Buffer): RequestSpec {
  return {
    method: 'POST',
    path: `/upload/storage/v1/b/bench-bucket/o?uploadType=media&name=${encodeURIComponent(name)}`,
    body,
    headers: { 'content-type': 'application/octet-stream' },
  };
}

export function scenarios(): Scenario[] {
  const body64k = jsonLines(UPLOAD_64K, 3);
  const body4k = jsonLines(4096, 5);
  return [
    { kind: 'load', id: '1kb-1', title: '1 KB JSON GET, 1 connection', connections: 1, requests: [GET_1KB] },
    { kind: 'load', id: '1kb-50', title: '1 KB JSON GET, 50 connections', connections: 50, requests: [GET_1KB] },
    { kind: 'load', id: '1kb-256', title: '1 KB JSON GET, 256 connections', connections: 256, requests: [GET_1KB] },
    { kind: 'load', id: 'upload-64k', title: '64 KB media inserts, 16 connections', connections: 16, requests: [insert('bench/upload-64k.jsonl', body64k)] },
    {
      kind: 'load',
      id: 'mixed',
      title: 'GCS-like mix (list, 3× get metadata, 16 KB media get, 4 KB insert), 50 connections',
      connections: 50,
      requests: [
        { method: 'GET', path: `${BUCKET}?prefix=logs%2F2026%2F11%2F25%2F&maxResults=10` },
        GET_1KB,
        { method: 'GET', path: `${BUCKET}/logs%2F2026%2F11%2F25%2Fpart-00001.json` },
        { method: 'GET', path: `/download/storage/v1/b/bench-bucket/o/logs%2Fpart-00002.jsonl?alt=media&size=16384` },
        { method: 'GET', path: `${BUCKET}/logs%2F2026%2F11%2F25%2Fpart-00003.json` },
        insert('logs/2026/11/25/new.jsonl', body4k),
      ],
    },
    { kind: 'transfer', id: 'download-1g', title: 'one streamed media download (size: --big-size, default 1 GiB)', direction: 'download' },
    { kind: 'transfer', id: 'upload-1g', title: 'one streamed media insert (size: --big-size, default 1 GiB)', direction: 'upload' },
  ];
}

export const SCENARIO_IDS = scenarios().map((s) => s.id);
