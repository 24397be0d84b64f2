import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Classification } from '../classify/index.js';
import type { ApprovalsConfig } from '../config/policy.js';
import { TapegateError } from '../errors.js';
import type { Identity } from '../exchange.js';
import { newExchangeId } from '../ids.js';
import { log } from '../log.js';
import { GcsReviewStore } from './gcs-store.js';
import { MemoryReviewStore } from './memory-store.js';
import { ReviewNotifier } from './notify.js';
import { BodySpool } from './spool.js';
import type { ReviewDecision, ReviewRecord, ReviewState, ReviewStore } from './types.js';

/**
 * Holds requests that the policy sends to review until an approver decides or the wait runs out.
 * The holder watches its review in the shared store (subscription for the in-process store,
 * polling for GCS); approvers decide through any instance (decide()). Exactly one outcome wins:
 * every transition is a compare-and-set from pending.
 */

export interface HoldSubject {
  identity: Identity | null;
  connection: string;
  method: string;
  target: string;
  classification: Pick<Classification, 'operation' | 'resource' | 'items'>;
  rule: string;
  exchangeId?: string;
}

export interface HoldOutcome {
  approved: boolean;
  record: ReviewRecord;
}

export interface Hold {
  readonly id: string;
  readonly body: BodySpool;
  cancel(reason: string): void;
}

export interface ReviewsOptions {
  config: ApprovalsConfig;
  instanceId: string;
  dataDir: string;
  /** Overrides the store from config (tests share one store between two gateways). */
  store?: ReviewStore;
  now?: () => number;
}

const MAX_ITEMS = 20;
/** Instances' clocks may differ by this much. */
const CLOCK_SLACK_MS = 5 * 60_000;

export function createReviewStore(config: ApprovalsConfig): ReviewStore {
  const s = config.store;
  if (s.type === 'memory') return new MemoryReviewStore();
  return new GcsReviewStore({
    bucket: s.bucket,
    prefix: s.prefix,
    storage: { ...(s.apiEndpoint ? { apiEndpoint: s.apiEndpoint } : {}), ...(s.keyFile ? { keyFilename: s.keyFile } : {}) },
  });
}

export class Reviews {
  readonly store: ReviewStore;
  readonly config: ApprovalsConfig;
  private readonly notifier: ReviewNotifier;
  private readonly spoolDir: string;
  private readonly now: () => number;
  private readonly active = new Set<ActiveHold>();

  constructor(private readonly options: ReviewsOptions) {
    this.config = options.config;
    this.store = options.store ?? createReviewStore(options.config);
    this.notifier = new ReviewNotifier(options.config);
    this.now = options.now ?? Date.now;
    this.spoolDir = path.join(options.dataDir, 'review-spool');
    mkdirSync(this.spoolDir, { recursive: true, mode: 0o700 });
    // Bodies of requests held by an earlier run of this instance can never be released: remove them.
    for (const f of readdirSync(this.spoolDir)) if (f.endsWith('.body')) rmSync(path.join(this.spoolDir, f), { force: true });
  }

  get pollMs(): number {
    return this.config.store.type === 'gcs' ? this.config.store.pollMs : 1_000;
  }

  /**
   * Creates a pending review and waits for its outcome. `onResolved` is called exactly once: with
   * the outcome, or with an error when the review could not be stored (fail closed). On any
   * outcome but approval the spooled body is disposed here.
   */
  hold(subject: HoldSubject, onResolved: (err: TapegateError | null, outcome: HoldOutcome | null) => void): Hold {
    const id = `rv-${newExchangeId(this.now())}`;
    const createdAtMs = this.now();
    const c = subject.classification;
    const record: ReviewRecord = {
      id,
      state: 'pending',
      createdAtMs,
      expiresAtMs: createdAtMs + this.config.waitMs,
      instanceId: this.options.instanceId,
      requester: subject.identity,
      connection: subject.connection,
      method: subject.method,
      target: subject.target,
      operation: c.operation,
      resource: c.resource,
      items: c.items.slice(0, MAX_ITEMS).map((i) => ({ operation: i.operation, resource: i.resource, effect: i.effect })),
      rule: subject.rule,
    };
    if (subject.exchangeId) record.exchangeId = subject.exchangeId;
    const hold = new ActiveHold(this, record, new BodySpool(path.join(this.spoolDir, `${id}.body`), this.config.spoolMaxBytes), onResolved);
    this.active.add(hold);
    hold.start();
    return hold;
  }

  /** @internal */
  released(hold: ActiveHold, record: ReviewRecord | null): void {
    this.active.delete(hold);
    if (record && record.state !== 'pending') this.notifier.resolved(record, record.state);
  }

  /** @internal */
  notifyPending(record: ReviewRecord): void {
    this.notifier.pending(record);
  }

  /** Newest first. Pending ones are looked for only as far back as the wait (plus clock slack). */
  list(pendingOnly: boolean, limit = 100): Promise<ReviewRecord[]> {
    return pendingOnly ? this.store.list(true, limit, this.now() - this.config.waitMs - CLOCK_SLACK_MS) : this.store.list(false, limit);
  }

  get(id: string): Promise<ReviewRecord | null> {
    return this.store.get(id);
  }

  /** Checks the approver may decide; throws a TapegateError (403) saying why not. */
  checkApprover(approver: Identity): void {
    if (!approver.groups.includes(this.config.approverGroup)) {
      throw new TapegateError('TG_NOT_APPROVER', 403, `${approver.subject} is not in the approver group "${this.config.approverGroup}" (approvals.approverGroup)`);
    }
  }

  /** An approver's decision. Throws 400 (no reason), 403, 404 (unknown review) or 409 (already decided). */
  async decide(id: string, approve: boolean, approver: Identity, reason: string): Promise<ReviewRecord> {
    this.checkApprover(approver);
    if (!reason.trim()) throw new TapegateError('TG_REVIEW_REASON_REQUIRED', 400, 'give a reason for the decision (--reason or {"reason": …})');
    const current = await this.store.get(id);
    if (!current) throw new TapegateError('TG_REVIEW_NOT_FOUND', 404, `no review ${id}; list pending ones with "tapegate reviews list"`);
    if (current.state !== 'pending') throw alreadyDecided(current);
    if (!this.config.allowSelfApproval && current.requester && current.requester.subject === approver.subject && current.requester.issuer === approver.issuer) {
      throw new TapegateError('TG_SELF_APPROVAL', 403, `${approver.subject} made the held request and cannot decide on it; ask another approver`);
    }
    const result = await this.store.decide(id, { state: approve ? 'approved' : 'denied', decidedBy: approver.subject, decidedAtMs: this.now(), reason: reason.trim() });
    if (!result) throw new TapegateError('TG_REVIEW_NOT_FOUND', 404, `no review ${id}`);
    if (!result.applied) throw alreadyDecided(result.record);
    return result.record;
  }

  /** Shutdown: every request still held is refused (its review expires) and the store closed. */
  close(): void {
    for (const h of [...this.active]) h.expire('the gateway is shutting down');
    this.store.close();
  }
}

function decisionOf(r: ReviewRecord): ReviewDecision {
  return { state: r.state === 'pending' ? 'cancelled' : r.state, decidedBy: r.decidedBy ?? 'tapegate', decidedAtMs: r.decidedAtMs ?? Date.now(), reason: r.reason ?? '' };
}

function alreadyDecided(r: ReviewRecord): TapegateError {
  return new TapegateError('TG_REVIEW_DECIDED', 409, `review ${r.id} is already ${r.state}${r.decidedBy ? ` by ${r.decidedBy}` : ''}${r.reason ? `: ${r.reason}` : ''}`);
}

class ActiveHold implements Hold {
  private settled = false;
  private deadline: NodeJS.Timeout | null = null;
  private poll: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private stored = false;
  private finalRecord: ReviewRecord | null = null;

  constructor(
    private readonly reviews: Reviews,
    private readonly record: ReviewRecord,
    readonly body: BodySpool,
    private readonly onResolved: (err: TapegateError | null, outcome: HoldOutcome | null) => void,
  ) {}

  get id(): string {
    return this.record.id;
  }

  start(): void {
    const store = this.reviews.store;
    store.create(this.record).then(
      () => {
        if (this.settled) {
          // Withdrawn while the record was being written: do not leave it pending in the store.
          if (this.finalRecord) void store.decide(this.record.id, decisionOf(this.finalRecord)).catch(() => undefined);
          return;
        }
        this.stored = true;
        this.reviews.notifyPending(this.record);
        if (store.subscribe) this.unsubscribe = store.subscribe(this.record.id, (r) => this.settle(r));
        else this.schedulePoll();
        const left = Math.max(0, this.record.expiresAtMs - Date.now());
        this.deadline = setTimeout(() => this.expire(`no approver decided within ${Math.round(this.reviews.config.waitMs / 1000)} s`), left);
      },
      (err: unknown) => {
        log.error({ event: 'review_store_error', reviewId: this.record.id, err: (err as Error).message }, 'cannot store review; refusing the request');
        this.finish(new TapegateError('TG_REVIEW_STORE_UNAVAILABLE', 503, `the request needs review but the review store is unavailable (${(err as Error).message}); retry later`, { cause: err }), null);
      },
    );
  }

  private schedulePoll(): void {
    this.poll = setTimeout(() => {
      this.poll = null;
      this.reviews.store.get(this.record.id).then(
        (r) => {
          if (this.settled) return;
          if (r && r.state !== 'pending') this.settle(r);
          else this.schedulePoll();
        },
        (err: unknown) => {
          log.warn({ event: 'review_poll_error', reviewId: this.record.id, err: (err as Error).message }, 'cannot read review; retrying');
          if (!this.settled) this.schedulePoll();
        },
      );
    }, this.reviews.pollMs);
    this.poll.unref();
  }

  /** Moves the review out of pending (if still pending) and settles with whatever won. */
  private transition(state: Exclude<ReviewState, 'pending' | 'approved' | 'denied'>, decidedBy: string, reason: string): void {
    if (this.settled) return;
    if (!this.stored) {
      this.settle({ ...this.record, state, decidedBy, decidedAtMs: Date.now(), reason });
      return;
    }
    this.reviews.store.decide(this.record.id, { state, decidedBy, decidedAtMs: Date.now(), reason }).then(
      (result) => this.settle(result ? result.record : { ...this.record, state, decidedBy, decidedAtMs: Date.now(), reason }),
      (err: unknown) => {
        // Fail closed: the request is refused even if the store could not record why.
        log.error({ event: 'review_store_error', reviewId: this.record.id, err: (err as Error).message }, 'cannot record review outcome');
        this.settle({ ...this.record, state, decidedBy, decidedAtMs: Date.now(), reason });
      },
    );
  }

  expire(reason: string): void {
    this.transition('expired', 'tapegate', reason);
  }

  cancel(reason: string): void {
    this.transition('cancelled', 'agent', reason);
  }

  private settle(record: ReviewRecord): void {
    if (this.settled || record.state === 'pending') return;
    this.finish(null, record);
  }

  private finish(err: TapegateError | null, record: ReviewRecord | null): void {
    if (this.settled) return;
    this.settled = true;
    this.finalRecord = record;
    if (this.deadline) clearTimeout(this.deadline);
    if (this.poll) clearTimeout(this.poll);
    this.unsubscribe?.();
    this.reviews.released(this, this.stored ? record : null);
    const approved = record?.state === 'approved';
    if (!approved) this.body.dispose();
    this.onResolved(err, record ? { approved, record } : null);
  }
}
