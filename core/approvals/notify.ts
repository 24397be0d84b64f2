import { Counter, Gauge, register } from 'prom-client';
import { request } from 'undici';
import type { ApprovalsConfig } from '../config/policy.js';
import { log } from '../log.js';
import type { ReviewRecord, ReviewState } from './types.js';

/**
 * Approvers learn of a new review three ways: a webhook (POST JSON, bounded retries), a log line and
 * the tapegate_reviews_* metrics on the admin port's /metrics.
 */

function counter(): Counter<'outcome'> {
  const existing = register.getSingleMetric('tapegate_reviews_total');
  if (existing) return existing as Counter<'outcome'>;
  return new Counter({ name: 'tapegate_reviews_total', help: 'Requests held for review, by outcome (created, approved, denied, expired, cancelled)', labelNames: ['outcome'] });
}

function gauge(): Gauge {
  const existing = register.getSingleMetric('tapegate_reviews_pending');
  if (existing) return existing as Gauge;
  return new Gauge({ name: 'tapegate_reviews_pending', help: 'Requests held on this instance waiting for an approver' });
}

export const reviewMetrics = {
  get total(): Counter<'outcome'> {
    return counter();
  },
  get pending(): Gauge {
    return gauge();
  },
};

export function reviewSummary(r: ReviewRecord) {
  return {
    id: r.id,
    state: r.state,
    requester: r.requester,
    connection: r.connection,
    method: r.method,
    target: r.target,
    operation: r.operation,
    resource: r.resource,
    items: r.items,
    rule: r.rule,
    exchangeId: r.exchangeId,
    instanceId: r.instanceId,
    createdAt: new Date(r.createdAtMs).toISOString(),
    expiresAt: new Date(r.expiresAtMs).toISOString(),
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export class ReviewNotifier {
  constructor(private readonly config: ApprovalsConfig) {}

  /** Log line, metric and (in the background) the webhook. Never throws. */
  pending(r: ReviewRecord): void {
    reviewMetrics.total.inc({ outcome: 'created' });
    reviewMetrics.pending.inc();
    log.warn(
      { event: 'review_pending', reviewId: r.id, subject: r.requester?.subject, operation: r.operation, resource: r.resource, connection: r.connection, rule: r.rule, expiresAt: new Date(r.expiresAtMs).toISOString() },
      `request held for review ${r.id}: approve with "tapegate reviews approve ${r.id} --reason …"`,
    );
    if (this.config.webhook) void this.post(this.config.webhook, { type: 'tapegate.review.pending', review: reviewSummary(r) });
  }

  resolved(r: ReviewRecord, outcome: Exclude<ReviewState, 'pending'>): void {
    reviewMetrics.total.inc({ outcome });
    reviewMetrics.pending.dec();
    log.info({ event: 'review_resolved', reviewId: r.id, state: r.state, decidedBy: r.decidedBy, reason: r.reason, operation: r.operation }, `review ${r.id} ${r.state}`);
  }

  /** POSTs JSON, retrying on network errors and 5xx/429 with backoff, at most maxAttempts times. */
  async post(webhook: NonNullable<ApprovalsConfig['webhook']>, payload: unknown): Promise<boolean> {
    const body = JSON.stringify(payload);
    for (let attempt = 1; attempt <= webhook.maxAttempts; attempt++) {
      let status = 0;
      try {
        const res = await request(webhook.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'tapegate-approvals' },
          body,
          headersTimeout: webhook.timeoutMs,
          bodyTimeout: webhook.timeoutMs,
          signal: AbortSignal.timeout(webhook.timeoutMs),
        });
        status = res.statusCode;
        await res.body.dump();
        if (status >= 200 && status < 300) return true;
        if (status < 500 && status !== 429) break;
      } catch (err) {
        log.warn({ event: 'review_webhook_error', attempt, err: (err as Error).message }, 'review webhook failed');
      }
      if (attempt < webhook.maxAttempts) await sleep(250 * 2 ** (attempt - 1));
    }
    log.error({ event: 'review_webhook_gave_up', url: new URL(webhook.url).origin }, 'review webhook not delivered; approvers still see the log line and metric');
    return false;
  }
}
