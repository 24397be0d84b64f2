import { TapegateError } from '../../core/errors.js';
import { StoreError, type StoreFailure } from './types.js';

/**
 * The retention-lock check run when the gcs store opens: the bucket must exist, its retention policy
 * must be locked, and its period must be at least the configured minimum. A refusal says what to fix
 * and which Terraform resource fixes it. https://cloud.google.com/storage/docs/bucket-lock
 */
export interface BucketRetentionFacts {
  retentionPolicy?: { retentionPeriod?: string | number; isLocked?: boolean; effectiveTime?: string } | null;
  objectRetention?: { mode?: string } | null;
}

export interface RetentionVerdict {
  problems: string[];
  /** Object Retention Lock is enabled: each object can carry its own Locked retention. */
  objectRetention: boolean;
  periodSeconds: number;
}

export function checkBucketRetention(bucket: BucketRetentionFacts, minRetentionDays: number): RetentionVerdict {
  const minSeconds = minRetentionDays * 86_400;
  const problems: string[] = [];
  const policy = bucket.retentionPolicy ?? undefined;
  const periodSeconds = policy?.retentionPeriod !== undefined ? Number(policy.retentionPeriod) : 0;
  if (!policy) {
    problems.push('it has no retention policy, so objects could be deleted or overwritten');
  } else {
    if (policy.isLocked !== true) problems.push('its retention policy is not locked, so it can be shortened or removed');
    if (!(periodSeconds >= minSeconds)) {
      problems.push(`its retention period is ${periodSeconds}s (${(periodSeconds / 86_400).toFixed(1)} days), shorter than store.minRetentionDays = ${minRetentionDays} (${minSeconds}s)`);
    }
  }
  return { problems, objectRetention: bucket.objectRetention?.mode === 'Enabled', periodSeconds };
}

export function terraformHint(bucket: string, minRetentionDays: number): string {
  return [
    `# as in terraform/bucket.tf: bucket_name = "${bucket}", retention_days >= ${minRetentionDays} (see terraform/README.md)`,
    'resource "google_storage_bucket" "tapegate_recordings" {',
    `  name = "${bucket}"`,
    '  retention_policy {',
    '    is_locked        = true',
    `    retention_period = ${minRetentionDays * 86_400} # seconds, >= store.minRetentionDays`,
    '  }',
    '}',
  ].join('\n');
}

export function unlockedBucketError(bucket: string, minRetentionDays: number, problems: string[]): TapegateError {
  return new TapegateError(
    'TG_STORE_BUCKET_NOT_LOCKED',
    500,
    `refusing to record into gs://${bucket}: ${problems.join('; ')}. Recordings there could be altered or lost. ` +
      `Fix the bucket with a locked retention policy (locking is irreversible), e.g. in Terraform:\n${terraformHint(bucket, minRetentionDays)}\n` +
      `(or: gcloud storage buckets update gs://${bucket} --retention-period=${minRetentionDays}d && gcloud storage buckets update gs://${bucket} --lock-retention-period). ` +
      'For development only, --allow-unlocked-bucket (store.allowUnlockedBucket) starts anyway with a warning.',
  );
}

/**
 * Failures of the retention check that say nothing about the bucket: the store could not be asked
 * (network error, timeout) or could not answer now (5xx, 429). The gateway starts anyway and the
 * uploader asks again; anything else (no bucket, permission denied, not locked, too short) is a
 * definite answer and refuses the start.
 */
const TRANSIENT_CHECK_FAILURES: ReadonlySet<StoreFailure> = new Set<StoreFailure>(['unavailable', 'rate_limited', 'network', 'timeout']);

/** True for a failure kind (or a StoreError of one) after which the check is worth retrying. */
export function isTransientStoreFailure(failure: unknown): boolean {
  const kind = failure instanceof StoreError ? failure.kind : failure;
  return typeof kind === 'string' && TRANSIENT_CHECK_FAILURES.has(kind as StoreFailure);
}
