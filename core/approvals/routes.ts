import type { AdminRequest, AdminResponse, AdminRoute } from '../admin/routes.js';
import { googleErrorBody, TapegateError } from '../errors.js';
import type { Identity } from '../exchange.js';
import { log } from '../log.js';
import { reviewSummary } from './notify.js';
import type { Reviews } from './reviews.js';
import type { ReviewRecord } from './types.js';

/**
 * The approvers' admin API:
 *   GET  /reviews[?state=pending|all]     held requests (pending by default)
 *   GET  /reviews/<id>                    one review
 *   POST /reviews/<id>/approve  {"reason": "…"}
 *   POST /reviews/<id>/deny     {"reason": "…"}
 * Every call needs `Authorization: Bearer <admin token>` of a member of approvals.approverGroup.
 */
export type VerifyAdminToken = (authorizationHeader: string) => Promise<Identity>;

function json(status: number, value: unknown): AdminResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

function errorResponse(err: unknown): AdminResponse {
  const e = err instanceof TapegateError ? err : new TapegateError('TG_INTERNAL', 500, (err as Error).message ?? String(err));
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const www = (err as { headers?: Record<string, string> }).headers?.['www-authenticate'];
  if (e.httpStatus === 401) headers['www-authenticate'] = www ?? 'Bearer realm="tapegate-admin"';
  return { status: e.httpStatus, headers, body: googleErrorBody(e, '') };
}

export function publicReview(r: ReviewRecord) {
  return {
    ...reviewSummary(r),
    ...(r.decidedBy !== undefined ? { decidedBy: r.decidedBy } : {}),
    ...(r.decidedAtMs !== undefined ? { decidedAt: new Date(r.decidedAtMs).toISOString() } : {}),
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
  };
}

export function reviewRoutes(reviews: Reviews, verifyAdminToken: VerifyAdminToken): AdminRoute[] {
  async function approver(req: AdminRequest): Promise<Identity> {
    let header = '';
    for (const [name, value] of req.headers) if (name === 'authorization') header = value;
    if (!header) throw new TapegateError('TG_ADMIN_UNAUTHENTICATED', 401, 'send Authorization: Bearer <admin token> (sign in to the admin API first)');
    const identity = await verifyAdminToken(header);
    reviews.checkApprover(identity);
    return identity;
  }

  const guarded = (fn: (req: AdminRequest, who: Identity) => Promise<AdminResponse>) => async (req: AdminRequest) => {
    try {
      return await fn(req, await approver(req));
    } catch (err) {
      return errorResponse(err);
    }
  };

  return [
    {
      method: 'GET',
      path: '/reviews',
      handle: guarded(async (req) => {
        const state = req.query.get('state') ?? 'pending';
        if (state !== 'pending' && state !== 'all') throw new TapegateError('TG_BAD_REQUEST', 400, 'state must be "pending" or "all"');
        const limit = Math.min(Math.max(Number(req.query.get('limit') ?? 100) || 100, 1), 1000);
        const list = await reviews.list(state === 'pending', limit);
        return json(200, { reviews: list.map(publicReview) });
      }),
    },
    {
      method: 'GET',
      path: '/reviews/*',
      handle: guarded(async (req) => {
        const id = req.path.slice('/reviews/'.length);
        const r = /^[A-Za-z0-9-]+$/.test(id) ? await reviews.get(id) : null;
        if (!r) throw new TapegateError('TG_REVIEW_NOT_FOUND', 404, `no review ${id}`);
        return json(200, publicReview(r));
      }),
    },
    {
      method: 'POST',
      path: '/reviews/*',
      handle: guarded(async (req, who) => {
        const m = /^\/reviews\/([A-Za-z0-9-]+)\/(approve|deny)$/.exec(req.path);
        if (!m) throw new TapegateError('TG_NOT_FOUND', 404, 'expected POST /reviews/<id>/approve or /reviews/<id>/deny');
        let reason = '';
        if (req.body.length > 0) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(req.body.toString('utf8'));
          } catch {
            throw new TapegateError('TG_BAD_REQUEST', 400, 'expected a JSON body like {"reason": "…"}');
          }
          const r = (parsed as { reason?: unknown } | null)?.reason;
          if (typeof r === 'string') reason = r;
        }
        const record = await reviews.decide(m[1]!, m[2] === 'approve', who, reason);
        log.info({ event: 'review_decided', reviewId: record.id, state: record.state, decidedBy: record.decidedBy }, `review ${record.id} ${record.state} by ${record.decidedBy}`);
        return json(200, publicReview(record));
      }),
    },
  ];
}
