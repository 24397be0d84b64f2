import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Storage, type StorageOptions } from '@google-cloud/storage';
import { createAdminServer, type AdminServer } from '../../core/admin/server.js';
import { createAuthenticator, type Authenticator } from '../../core/auth/index.js';
import { DevIssuer } from '../../core/auth/dev-issuer.js';
import { parseConfig, type Config } from '../../core/config/index.js';
import type { ExchangeEnd, ExchangeHead, ExchangeSink } from '../../core/exchange.js';
import { assembleGate, type AssembledGate } from '../../core/gatekeeper.js';
import { Metrics } from '../../core/metrics.js';
import { createDataPlane, type DataPlane } from '../../core/server/app.js';
import { storageAuthLibrary } from '../../storage/store/gcs-auth.js';
import { tempDir, withTimeout } from '../core/approvals/helpers.js';
import { GcsEmulator } from '../support/gcs-emulator/index.js';

/**
 * Whole-gateway runs of the review flow: the real @google-cloud/storage client, through the uWS data
 * plane and the real gate (development issuer tokens), to the GCS emulator standing in for Google.
 * A delete is held until an approver decides through the admin API; two gateway instances share
 * review state through a bucket.
 */
const BUCKET = 'e2e-data';
const REVIEW_BUCKET = 'e2e-reviews';

/** Keeps what the data plane reports, to check what a recording would hold. */
class CapturingSink implements ExchangeSink {
  readonly exchanges: Array<{ head: ExchangeHead; end?: ExchangeEnd }> = [];
  readonly healthy = true;
  begin(head: ExchangeHead) {
    const entry: { head: ExchangeHead; end?: ExchangeEnd } = { head: structuredClone(head) };
    this.exchanges.push(entry);
    return {
      requestBody() {},
      responseHead() {},
      responseBody() {},
      end(end: ExchangeEnd, onDurable: (err: Error | null) => void) {
        entry.end = structuredClone(end);
        onDurable(null);
      },
    };
  }
  reject() {}
  async close() {}
}

interface Gateway {
  url: string;
  adminUrl: string;
  sink: CapturingSink;
  close(): Promise<void>;
}

function gatewayConfig(dataDir: string, upstream: string, reviewStore: unknown): Config {
  return parseConfig({
    dataDir,
    listen: { host: '127.0.0.1', port: 0, adminHost: '127.0.0.1', adminPort: 0 },
    connections: [
      { name: 'storage', match: { pathPrefixes: ['/storage/v1/', '/upload/storage/v1/', '/download/storage/v1/'] }, upstream, recording: 'metadata' },
    ],
    policy: {
      rules: [
        { name: 'ops-review-dangerous', groups: ['ops'], effects: ['remove', 'admin'], action: 'review' },
        { name: 'ops-allow', groups: ['ops'], action: 'allow' },
      ],
    },
    approvals: { waitMs: 20_000, approverGroup: 'approvers', store: reviewStore },
  });
}

async function startGateway(config: Config): Promise<Gateway> {
  const auth: Authenticator = await createAuthenticator(config.auth, { dataDir: config.dataDir, listenHosts: ['127.0.0.1'] });
  const assembled: AssembledGate = assembleGate(config, auth);
  const sink = new CapturingSink();
  const metrics = new Metrics();
  const plane: DataPlane = createDataPlane({ config, sink, gate: assembled.gate, metrics });
  const admin: AdminServer = createAdminServer({ metrics, notReadyReason: () => null, routes: [...auth.adminRoutes(), ...assembled.adminRoutes] });
  const port = await plane.listen('127.0.0.1', 0);
  const adminPort = await admin.listen('127.0.0.1', 0);
  return {
    url: `http://127.0.0.1:${port}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    sink,
    async close() {
      assembled.close();
      await plane.close();
      await admin.close();
      auth.close();
    },
  };
}

/** An agent's client: unchanged library, pointed at the gateway, sending a dev-issuer ID token. */
function agentStorage(gatewayUrl: string, token: string): Storage {
  const authClient = new storageAuthLibrary.OAuth2Client();
  authClient.setCredentials({ access_token: token, expiry_date: Date.now() + 3600_000, token_type: 'Bearer' });
  return new Storage({
    apiEndpoint: gatewayUrl,
    projectId: 'e2e',
    authClient: authClient as unknown as StorageOptions['authClient'],
    useAuthWithCustomEndpoint: true,
    retryOptions: { autoRetry: false },
  });
}

async function pendingReview(adminUrl: string, token: string, resource: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const res = await fetch(`${adminUrl}/reviews`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    const found = ((await res.json()) as { reviews: Array<{ id: string; resource: string }> }).reviews.find((r) => r.resource === resource);
    if (found) return found.id;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no pending review for ${resource}`);
}

async function decide(adminUrl: string, token: string, id: string, verdict: 'approve' | 'deny', reason: string): Promise<void> {
  const res = await fetch(`${adminUrl}/reviews/${id}/${verdict}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ reason }) });
  assert.equal(res.status, 200, await res.text());
}

describe('e2e: dangerous calls wait for a person', () => {
  const emulator = new GcsEmulator();
  const tmpA = tempDir('tg-e2e-rev-a-');
  const tmpB = tempDir('tg-e2e-rev-b-');
  let upstream: string;
  let agentToken: string;
  let approverToken: string;
  before(async () => {
    upstream = await emulator.start();
    emulator.createBucket(BUCKET);
    emulator.createBucket(REVIEW_BUCKET);
  });
  after(async () => {
    await emulator.stop();
    tmpA.remove();
    tmpB.remove();
  });

  async function tokens(config: Config) {
    const dev = await DevIssuer.open(config.auth, config.dataDir);
    agentToken = await dev.mint('agent-7', ['ops'], 600);
    approverToken = await dev.mint('carol', ['approvers'], 600);
  }

  it('delete held for review then approved; then another held and denied (403 with review id)', async () => {
    const config = gatewayConfig(tmpA.dir, upstream, { type: 'memory' });
    const gw = await startGateway(config);
    try {
      await tokens(config);
      const bucket = agentStorage(gw.url, agentToken).bucket(BUCKET);
      await bucket.file('precious.txt').save('keep me', { resumable: false });
      await bucket.file('doomed.txt').save('remove me', { resumable: false });
      const [files] = await bucket.getFiles();
      assert.deepEqual(files.map((f) => f.name).sort(), ['doomed.txt', 'precious.txt']);
      // Multipart uploads arrive whole (the gate reads their leading bytes before deciding).
      assert.equal(emulator.getObject(BUCKET, 'precious.txt')!.data.toString(), 'keep me');

      // Approved: the delete goes through, once.
      const deletion = bucket.file('doomed.txt').delete();
      const id = await pendingReview(gw.adminUrl, approverToken, `buckets/${BUCKET}/objects/doomed.txt`);
      assert.ok(emulator.getObject(BUCKET, 'doomed.txt'), 'nothing reaches Google while the request is held');
      await decide(gw.adminUrl, approverToken, id, 'approve', 'cleanup, ticket OPS-7');
      await withTimeout(deletion, 10_000, 'approved delete');
      assert.equal(emulator.getObject(BUCKET, 'doomed.txt'), undefined);
      const recorded = gw.sink.exchanges.find((e) => e.head.decision?.reviewId === id);
      assert.ok(recorded, 'the exchange is recorded with its review');
      const decision = recorded.end?.decision ?? recorded.head.decision!;
      assert.deepEqual([decision.reviewedBy, decision.reviewReason, decision.action], ['carol', 'cleanup, ticket OPS-7', 'allow']);
      assert.equal(recorded.head.operation, 'storage.objects.delete');

      // Denied: 403 naming the review and the reason; the object stays.
      // Catch at once: the rejection arrives while the approver's call is still in flight.
      const refused = bucket.file('precious.txt').delete().then(
        () => null,
        (e: { code?: unknown; message: string }) => e,
      );
      const id2 = await pendingReview(gw.adminUrl, approverToken, `buckets/${BUCKET}/objects/precious.txt`);
      await decide(gw.adminUrl, approverToken, id2, 'deny', 'still needed');
      const err = await withTimeout(refused, 10_000, 'denied delete');
      assert.ok(err, 'the denied delete must fail');
      assert.equal(Number(err.code), 403);
      assert.ok(err.message.includes(id2) && err.message.includes('still needed'), err.message);
      assert.ok(emulator.getObject(BUCKET, 'precious.txt'));
    } finally {
      await gw.close();
    }
  });

  it('a resumable (multi-chunk) upload continues under the session binding', async () => {
    const config = gatewayConfig(tmpA.dir, upstream, { type: 'memory' });
    const gw = await startGateway(config);
    try {
      await tokens(config);
      const bucket = agentStorage(gw.url, agentToken).bucket(BUCKET);
      const data = Buffer.alloc(600 * 1024, 7);
      // @google-cloud/storage sends Authorization to a custom endpoint only from createResumableUpload()
      // (file.save/createWriteStream start sessions without it); the chunk PUTs to the session URI
      // never carry it: the gateway admits them under the session binding.
      const [uri] = await bucket.file('big.bin').createResumableUpload();
      assert.ok(uri.startsWith(gw.url), `the session URI points at the gateway: ${uri}`);
      await withTimeout(bucket.file('big.bin').save(data, { resumable: true, chunkSize: 256 * 1024, uri }), 20_000, 'resumable upload');
      assert.equal(emulator.getObject(BUCKET, 'big.bin')!.data.length, data.length);
      const chunks = gw.sink.exchanges.filter((e) => e.head.method === 'PUT' && e.head.target.includes('upload_id='));
      assert.ok(chunks.length >= 3, `expected several chunk PUTs, saw ${chunks.length}`);
      for (const c of chunks) assert.equal(c.head.identity?.subject, 'agent-7', 'each chunk is recorded under the identity that created the session');
    } finally {
      await gw.close();
    }
  });

  it('a delete held on gateway A is approved through gateway B (shared GCS review store)', async () => {
    const store = { type: 'gcs', bucket: REVIEW_BUCKET, apiEndpoint: upstream, pollMs: 100 };
    const a = await startGateway(gatewayConfig(tmpA.dir, upstream, store));
    const b = await startGateway(gatewayConfig(tmpB.dir, upstream, store));
    try {
      // Both gateways share one development key only if they share a data dir; mint per gateway.
      const devA = await DevIssuer.open(gatewayConfig(tmpA.dir, upstream, store).auth, tmpA.dir);
      const devB = await DevIssuer.open(gatewayConfig(tmpB.dir, upstream, store).auth, tmpB.dir);
      const bucket = agentStorage(a.url, await devA.mint('agent-7', ['ops'], 600)).bucket(BUCKET);
      await bucket.file('shared.txt').save('x', { resumable: false });
      const deletion = bucket.file('shared.txt').delete();
      const approverOnB = await devB.mint('dave', ['approvers'], 600);
      const id = await pendingReview(b.adminUrl, approverOnB, `buckets/${BUCKET}/objects/shared.txt`);
      await decide(b.adminUrl, approverOnB, id, 'approve', 'approved on B');
      await withTimeout(deletion, 10_000, 'delete approved on the other instance');
      assert.equal(emulator.getObject(BUCKET, 'shared.txt'), undefined);
      const recorded = a.sink.exchanges.find((e) => e.head.decision?.reviewId === id)!;
      assert.equal((recorded.end?.decision ?? recorded.head.decision!).reviewedBy, 'dave');
    } finally {
      await a.close();
      await b.close();
    }
  });
});
