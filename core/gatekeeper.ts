import type { AdminRoute } from './admin/routes.js';
import { Reviews, type Hold } from './approvals/reviews.js';
import type { UploadBinding } from './approvals/types.js';
import { reviewRoutes } from './approvals/routes.js';
import { classifyBodyNeeded, classifyGcpOperation, type Classification } from './classify/index.js';
import { queryParam } from './classify/query.js';
import type { Config } from './config/index.js';
import type { ConnectionConfig } from './config/connections.js';
import { TapegateError } from './errors.js';
import type { HeaderList, Identity, PolicyDecision } from './exchange.js';
import type { Admission, Gate, RequestFacts } from './gate.js';
import { log } from './log.js';
import { createCredentialProvider } from './credentials/index.js';
import { compilePolicy, type Policy } from './policy/index.js';

/**
 * The real Gate: authenticate → classify → policy → (hold for review) → credential. One instance per
 * gateway; the data plane calls bodyNeeded() and admit() per request and onUploadSession() when a
 * resumable upload session was created.
 */

/** What the gate needs from core/auth (its Authenticator satisfies it). */
export interface CallerAuthenticator {
  authenticate(headers: HeaderList): Promise<Identity>;
  /** The identity when the caller's token is already verified and cached, else undefined (no Promise: the hot path). */
  authenticateCached?(headers: HeaderList): Identity | undefined;
}

/** What the gate needs from core/credentials (its CredentialProvider satisfies it). */
export interface UpstreamCredential {
  authorization(): Promise<string | null>;
  /** The current value when it is fresh and needs no refresh, else undefined (no Promise: the hot path). */
  cachedAuthorization?(): string | null | undefined;
}

export interface GateDeps {
  config: Config;
  authenticator: CallerAuthenticator;
  /** By connection name; a connection without an entry injects no credential. */
  credentialsByConnection: ReadonlyMap<string, UpstreamCredential> | Readonly<Record<string, UpstreamCredential>>;
  reviews: Reviews;
  /** Defaults to compilePolicy(config.policy). */
  policy?: Policy;
}

/** Resumable sessions live up to a week on GCS; bindings are dropped after that, oldest first past the cap. */
const UPLOAD_BINDING_TTL_MS = 7 * 24 * 3600_000;
const MAX_UPLOAD_BINDINGS = 100_000;

/** A chunk PUT may reach an instance before the creating one has shared the binding: look again. */
const SHARED_BINDING_LOOKUPS = 3;
const SHARED_BINDING_RETRY_MS = 250;

/** The upload_id of a resumable session URI (the Location of the response that created it). */
export function uploadIdFromLocation(location: string): string | undefined {
  const q = location.indexOf('?');
  if (q === -1) return undefined;
  const hash = location.indexOf('#', q);
  return queryParam(hash === -1 ? location.slice(q + 1) : location.slice(q + 1, hash), 'upload_id');
}

function header(headers: HeaderList, name: string): string | undefined {
  for (let i = 0; i < headers.length; i++) if (headers[i]![0] === name) return headers[i]![1];
  return undefined;
}

function asTapegateError(err: unknown, code: string, status: number, what: string): TapegateError {
  if (err instanceof TapegateError) return err;
  return new TapegateError(code, status, `${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

export class Gatekeeper implements Gate {
  readonly policy: Policy;
  private readonly credentials: ReadonlyMap<string, UpstreamCredential>;
  private readonly uploads = new Map<string, UploadBinding>();
  /** Facts of admitted session-creating requests, until the data plane reports their upload_id. */
  private readonly sessionStarts = new WeakMap<Admission, { connection: string; path: string }>();

  constructor(private readonly deps: GateDeps) {
    this.policy = deps.policy ?? compilePolicy(deps.config.policy);
    const c = deps.credentialsByConnection;
    this.credentials = c instanceof Map ? c : new Map(Object.entries(c));
  }

  bodyNeeded(method: string, path: string, _connection: ConnectionConfig, query?: string): number {
    return classifyBodyNeeded(method, path, query);
  }

  classify(facts: RequestFacts): Classification {
    // Without body bytes the facts hold everything the classifier reads (no copy per request).
    if (facts.body === undefined) return classifyGcpOperation(facts);
    const input: Parameters<typeof classifyGcpOperation>[0] = { method: facts.method, path: facts.path, query: facts.query, body: facts.body };
    const need = classifyBodyNeeded(facts.method, facts.path, facts.query);
    const length = header(facts.headers, 'content-length');
    input.bodyComplete = facts.body.byteLength < need || (length !== undefined && Number(length) === facts.body.byteLength);
    const type = header(facts.headers, 'content-type');
    if (type !== undefined) input.contentType = type;
    return classifyGcpOperation(input);
  }

  admit(facts: RequestFacts, done: (err: TapegateError | null, admission: Admission | null) => void): void {
    let c: Classification;
    try {
      c = this.classify(facts);
    } catch (err) {
      // Classification is pure; a throw is a bug, and a bug must not let a request through.
      log.error({ event: 'classify_error', err: (err as Error).message, method: facts.method, path: facts.path }, 'classification failed');
      const e = new TapegateError('TG_CLASSIFY_FAILED', 500, 'the gateway could not classify this request; report it to the operators');
      queueMicrotask(() => done(e, null));
      return;
    }
    // Only the session's own PUTs (chunks, status queries) ride on the binding: any other request
    // carrying an upload_id (a POST media upload naming another object, say) must authenticate.
    if (c.uploadId !== undefined && facts.method === 'PUT') {
      const binding = this.uploads.get(c.uploadId);
      if (binding && binding.expiresAtMs <= Date.now()) this.uploads.delete(c.uploadId);
      else if (binding) {
        if (this.bindingApplies(binding, facts)) this.releaseBound(facts, binding, done);
        else this.authenticate(facts, c, done);
        return;
      }
      const store = this.deps.reviews.store;
      if (store.loadUploadBinding) {
        this.lookupSharedBinding(c.uploadId, SHARED_BINDING_LOOKUPS, (shared) => {
          if (shared && this.bindingApplies(shared, facts)) {
            this.remember(c.uploadId!, shared);
            this.releaseBound(facts, shared, done);
          } else this.authenticate(facts, c, done);
        });
        return;
      }
    }
    this.authenticate(facts, c, done);
  }

  private bindingApplies(binding: UploadBinding, facts: RequestFacts): boolean {
    return binding.expiresAtMs > Date.now() && facts.method === 'PUT' && binding.connection === facts.connection.name && binding.path === facts.path;
  }

  private releaseBound(facts: RequestFacts, b: UploadBinding, done: (err: TapegateError | null, admission: Admission | null) => void): void {
    this.release(facts, { identity: b.identity, operation: b.operation, resource: b.resource, decision: b.decision, upstreamAuthorization: null }, false, done);
  }

  private lookupSharedBinding(uploadId: string, attempts: number, then: (binding: UploadBinding | null) => void): void {
    this.deps.reviews.store.loadUploadBinding!(uploadId).then(
      (b) => {
        if (b || attempts <= 1) then(b);
        else setTimeout(() => this.lookupSharedBinding(uploadId, attempts - 1, then), SHARED_BINDING_RETRY_MS).unref();
      },
      (err: unknown) => {
        log.warn({ event: 'upload_binding_lookup_error', err: (err as Error).message }, 'cannot read shared upload binding; authenticating the request instead');
        then(null);
      },
    );
  }

  private authenticate(facts: RequestFacts, c: Classification, done: (err: TapegateError | null, admission: Admission | null) => void): void {
    // A token seen before decides synchronously: no Promise or closure per request.
    const known = this.deps.authenticator.authenticateCached?.(facts.headers);
    if (known !== undefined) {
      this.decide(facts, c, known, done);
      return;
    }
    this.deps.authenticator.authenticate(facts.headers).then(
      (identity) => this.decide(facts, c, identity, done),
      (err: unknown) => {
        const e = asTapegateError(err, 'TG_AUTH_UNAVAILABLE', 503, 'cannot verify the caller');
        done(e, { identity: null, operation: c.operation, resource: c.resource, decision: { action: 'deny', rule: 'authentication', reason: e.message }, upstreamAuthorization: null });
      },
    );
  }

  private decide(facts: RequestFacts, c: Classification, identity: Identity, done: (err: TapegateError | null, admission: Admission | null) => void): void {
    const result = this.policy.decide({ identity, connection: facts.connection.name, classification: c });
    const decision: PolicyDecision = { action: result.action, rule: result.rule };
    if (result.reason !== undefined) decision.reason = result.reason;
    // The admission itself, completed by release() (allow) or sent as the refusal's record (deny).
    const admission: Admission = { identity, operation: c.operation, resource: c.resource, decision, upstreamAuthorization: null };
    if (result.action === 'allow') {
      this.release(facts, admission, c.createsUploadSession === true, done);
      return;
    }
    if (result.action === 'deny') {
      done(new TapegateError('TG_POLICY_DENIED', 403, `${decision.reason} [policy rule "${result.rule}"]; if this call is needed, ask the gateway operators to change the policy`), admission);
      return;
    }
    this.hold(facts, c, identity, result.rule, done);
  }

  private hold(facts: RequestFacts, c: Classification, identity: Identity, rule: string, done: (err: TapegateError | null, admission: Admission | null) => void): void {
    const subject = { identity, connection: facts.connection.name, method: facts.method, target: facts.target, classification: c, rule, ...(facts.exchangeId ? { exchangeId: facts.exchangeId } : {}) };
    let holdRef: Hold | null = null;
    const hold = this.deps.reviews.hold(subject, (err, outcome) => {
      const reviewId = holdRef?.id ?? '';
      if (err || !outcome) {
        const e = err ?? new TapegateError('TG_REVIEW_FAILED', 503, 'the review could not be completed; retry later');
        done(e, { identity, operation: c.operation, resource: c.resource, decision: { action: 'deny', rule, reviewId, reason: e.message }, upstreamAuthorization: null });
        return;
      }
      const r = outcome.record;
      const decision: PolicyDecision = { action: outcome.approved ? 'allow' : 'deny', rule, reviewId: r.id };
      if (r.decidedBy !== undefined) decision.reviewedBy = r.decidedBy;
      if (r.decidedAtMs !== undefined) decision.reviewedAtMs = r.decidedAtMs;
      if (r.reason !== undefined) decision.reviewReason = r.reason;
      const admission: Admission = { identity, operation: c.operation, resource: c.resource, decision, upstreamAuthorization: null };
      if (outcome.approved) {
        this.release(facts, admission, c.createsUploadSession === true, done);
        return;
      }
      const why = r.state === 'denied' ? `denied by ${r.decidedBy}: ${r.reason}` : r.state === 'expired' ? `timed out: ${r.reason}` : `${r.state}: ${r.reason}`;
      decision.reason = `review ${r.id} ${why}`;
      const code = r.state === 'expired' ? 'TG_REVIEW_TIMEOUT' : 'TG_REVIEW_DENIED';
      done(new TapegateError(code, 403, `${c.operation} on ${c.resource} was held for review ${r.id} and ${why}`), admission);
    });
    holdRef = hold;
    facts.onHold?.({ reviewId: hold.id, body: hold.body, cancel: (reason) => hold.cancel(reason) });
  }

  /** Adds the upstream credential to `admission` (its upstreamAuthorization still null) and lets the request through. */
  private release(facts: RequestFacts, admission: Admission, createsUploadSession: boolean, done: (err: TapegateError | null, admission: Admission | null) => void): void {
    const provider = this.credentials.get(facts.connection.name);
    // No credential, or a fresh cached one, answers synchronously (the data plane accepts an answer
    // from inside its admit() call): no closure or Promise per request.
    const fresh = provider === undefined ? null : provider.cachedAuthorization?.();
    if (fresh !== undefined) {
      this.admitted(facts, admission, createsUploadSession, fresh, done);
      return;
    }
    provider!.authorization().then(
      (authorization) => this.admitted(facts, admission, createsUploadSession, authorization, done),
      (err: unknown) => {
        const e = asTapegateError(err, 'TG_CREDENTIAL_UNAVAILABLE', 503, `cannot obtain the credential for connection "${facts.connection.name}"`);
        done(e, admission);
      },
    );
  }

  private admitted(facts: RequestFacts, admission: Admission, createsUploadSession: boolean, authorization: string | null, done: (err: TapegateError | null, admission: Admission | null) => void): void {
    admission.upstreamAuthorization = authorization;
    if (createsUploadSession) {
      admission.createsUploadSession = true;
      this.sessionStarts.set(admission, { connection: facts.connection.name, path: facts.path });
    }
    done(null, admission);
  }

  onUploadSession(uploadId: string, admission: Admission): void {
    const start = this.sessionStarts.get(admission);
    if (!start || admission.decision.action !== 'allow' || !uploadId) return;
    this.sessionStarts.delete(admission);
    const binding: UploadBinding = {
      connection: start.connection,
      path: start.path,
      identity: admission.identity,
      operation: admission.operation,
      resource: admission.resource,
      decision: admission.decision,
      expiresAtMs: Date.now() + UPLOAD_BINDING_TTL_MS,
    };
    this.remember(uploadId, binding);
    const store = this.deps.reviews.store;
    if (store.saveUploadBinding) {
      store.saveUploadBinding(uploadId, binding).catch((err: unknown) => {
        log.warn({ event: 'upload_binding_share_error', err: (err as Error).message }, 'cannot share upload binding; chunks must reach this instance');
      });
    }
  }

  private remember(uploadId: string, binding: UploadBinding): void {
    if (this.uploads.size >= MAX_UPLOAD_BINDINGS) {
      const oldest = this.uploads.keys().next();
      if (!oldest.done) this.uploads.delete(oldest.value);
    }
    this.uploads.set(uploadId, binding);
  }

  /** Number of live resumable-upload bindings (for tests and metrics). */
  get uploadBindings(): number {
    return this.uploads.size;
  }

  close(): void {
    this.deps.reviews.close();
    this.uploads.clear();
  }
}

export function createGate(deps: GateDeps): Gatekeeper {
  return new Gatekeeper(deps);
}

/** What serve needs from core/auth's Authenticator. */
export interface GateAuthenticator extends CallerAuthenticator {
  verifyAdminToken(authorization: string | undefined): Promise<Identity>;
}

export interface AssembledGate {
  gate: Gatekeeper;
  reviews: Reviews;
  /** GET /reviews, GET /reviews/<id>, POST /reviews/<id>/approve|deny, for the admin port. */
  adminRoutes: AdminRoute[];
  /** Refuses requests still held for review and closes the review store. */
  close(): void;
}

/**
 * The whole gate from config, for `tapegate serve`: one credential provider per connection, the
 * review service (store per approvals.store), the policy, and the approvers' admin routes.
 */
export function assembleGate(config: Config, authenticator: GateAuthenticator): AssembledGate {
  const credentialsByConnection = new Map<string, UpstreamCredential>();
  for (const c of config.connections) if (c.credentials) credentialsByConnection.set(c.name, createCredentialProvider(c.credentials));
  const reviews = new Reviews({ config: config.approvals, instanceId: config.instanceId, dataDir: config.dataDir });
  const gate = createGate({ config, authenticator, credentialsByConnection, reviews });
  const adminRoutes = reviewRoutes(reviews, (h) => authenticator.verifyAdminToken(h));
  return { gate, reviews, adminRoutes, close: () => gate.close() };
}
