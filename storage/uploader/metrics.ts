import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { StoreFailure } from '../store/types.js';

/**
 * Uploader metrics. A second uploader on the same registry (a restart within one process, tests)
 * takes the names over instead of failing on "already registered".
 */
export interface UploaderMetrics {
  backlogSegments: Gauge;
  backlogBytes: Gauge;
  oldestAge: Gauge;
  overLimit: Gauge;
  latency: Histogram<'method'>;
  failures: Counter<'cause'>;
  conflicts: Counter<'kind'>;
  uploadedSegments: Counter;
  uploadedBytes: Counter;
  storeCheck: Gauge<'state'>;
}

/** The states of the store's start-up check, one series each (1 for the current state). */
export const STORE_CHECK_STATES = ['passed', 'pending', 'failed'] as const;

export function createUploaderMetrics(registry: Registry, oldestAgeSeconds: () => number): UploaderMetrics {
  const names = [
    'tapegate_upload_backlog_segments',
    'tapegate_upload_backlog_bytes',
    'tapegate_upload_oldest_unuploaded_age_seconds',
    'tapegate_upload_spool_over_limit',
    'tapegate_upload_duration_seconds',
    'tapegate_upload_failures_total',
    'tapegate_upload_conflicts_total',
    'tapegate_uploaded_segments_total',
    'tapegate_uploaded_bytes_total',
    'tapegate_upload_store_check',
  ];
  for (const n of names) registry.removeSingleMetric(n);
  const registers = [registry];
  return {
    backlogSegments: new Gauge({ name: names[0]!, help: 'sealed segments in the spool not yet verified in the store', registers }),
    backlogBytes: new Gauge({ name: names[1]!, help: 'bytes (segments + indexes) in the spool not yet verified in the store', registers }),
    oldestAge: new Gauge({
      name: names[2]!,
      help: 'age of the oldest segment not yet in the store (0 when none)',
      registers,
      collect() {
        this.set(oldestAgeSeconds());
      },
    }),
    overLimit: new Gauge({ name: names[3]!, help: '1 while the spool is over its size limit and new exchanges are refused', registers }),
    latency: new Histogram({
      name: names[4]!,
      help: 'time to upload and verify one segment with its index',
      labelNames: ['method'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    }),
    failures: new Counter({ name: names[5]!, help: 'failed upload attempts by cause (each is retried)', labelNames: ['cause'], registers }),
    conflicts: new Counter({
      name: names[6]!,
      help: 'objects that already exist in the store with different bytes (alarm: the local copy is kept in spool/conflicts)',
      labelNames: ['kind'],
      registers,
    }),
    uploadedSegments: new Counter({ name: names[7]!, help: 'segments uploaded, verified and removed from the spool', registers }),
    uploadedBytes: new Counter({ name: names[8]!, help: 'bytes (segments + indexes) uploaded and verified', registers }),
    storeCheck: new Gauge({
      name: names[9]!,
      help: "1 for the state of the store's start-up check (gcs: retention lock): passed; pending (store unreachable at start: segments wait in the spool, retried); failed (definite refusal on a retry: uploads stopped until a restart)",
      labelNames: ['state'],
      registers,
    }),
  };
}

export const FAILURE_CAUSES: readonly StoreFailure[] = [
  'unavailable',
  'rate_limited',
  'network',
  'timeout',
  'permission',
  'not_found',
  'session_expired',
  'checksum',
  'verify_mismatch',
  'local_io',
  'other',
];
