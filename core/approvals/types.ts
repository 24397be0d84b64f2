import type { OperationItem } from '../classify/index.js';
import type { Identity, PolicyDecision } from '../exchange.js';

export type ReviewState = 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled';

/** One held request as approvers see it; stored as JSON (one object per review in the GCS store). */
export interface ReviewRecord {
  id: string;
  state: ReviewState;
  createdAtMs: number;
  expiresAtMs: number;
  /** The gateway instance holding the agent's connection. */
  instanceId: string;
  exchangeId?: string;
  requester: Identity | null;
  connection: string;
  method: string;
  target: string;
  operation: string;
  resource: string;
  /** Everything the request does (batch parts, SQL statements), most dangerous first; at most 20. */
  items: OperationItem[];
  /** The policy rule that asked for review. */
  rule: string;
  decidedBy?: string;
  decidedAtMs?: number;
  reason?: string;
}

export interface ReviewDecision {
  state: Exclude<ReviewState, 'pending'>;
  decidedBy: string;
  decidedAtMs: number;
  reason: string;
}

/**
 * A resumable upload session bound to the request that created it (see core/gatekeeper). Shared
 * through the store so a chunk PUT may reach any instance.
 */
export interface UploadBinding {
  connection: string;
  path: string;
  identity: Identity | null;
  operation: string;
  resource: string;
  decision: PolicyDecision;
  expiresAtMs: number;
}

/**
 * Where reviews live. Instances behind one load balancer share a store, so an approval given
 * through any instance's admin API reaches the instance holding the request.
 */
export interface ReviewStore {
  readonly kind: 'memory' | 'gcs';
  /** Stores a new pending review; fails if the id exists. */
  create(record: ReviewRecord): Promise<void>;
  get(id: string): Promise<ReviewRecord | null>;
  /**
   * Reviews, newest first, at most `limit`; `pendingOnly` skips decided ones. `sinceMs`: reviews
   * created before it may be skipped (a pending review is never older than the wait).
   */
  list(pendingOnly: boolean, limit: number, sinceMs?: number): Promise<ReviewRecord[]>;
  /**
   * Compare-and-set from pending: applies the decision only if the review is still pending. Returns
   * the record as stored afterwards (someone else's decision when they were first), null if unknown.
   */
  decide(id: string, decision: ReviewDecision): Promise<{ record: ReviewRecord; applied: boolean } | null>;
  /** Calls `listener` when the review is decided (memory store); null when the holder must poll. */
  subscribe?(id: string, listener: (record: ReviewRecord) => void): () => void;
  /** Shares an upload-session binding with other instances (absent: bindings stay in-process). */
  saveUploadBinding?(uploadId: string, binding: UploadBinding): Promise<void>;
  loadUploadBinding?(uploadId: string): Promise<UploadBinding | null>;
  close(): void;
}
