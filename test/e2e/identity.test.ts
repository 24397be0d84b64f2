import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Storage, type StorageOptions } from '@google-cloud/storage';
import { SegmentReader, publicKeyFromPem, verifyChain, type DecodedRecord } from '../../storage/reader/index.js';
import { decompressedRecordBytes } from '../../storage/microbench.js';
import { storageAuthLibrary } from '../../storage/store/gcs-auth.js';
import { tempDir, withTimeout } from '../core/approvals/helpers.js';
import { startOidcProvider, type OidcFixture } from '../core/auth/oidc-fixture.js';
import { startFakeGoogle, type FakeGoogle } from '../core/credentials/fake-google.js';
import { cliCommand, repoRoot } from '../support/cli.js';
import { serveGateway, type ServedGateway } from '../support/gateway.js';
import { GcsEmulator } from '../support/gcs-emulator/index.js';
import { request } from '../support/http-client.js';

/**
 * The whole gateway, through `tapegate serve`: a real OIDC provider (oidc-provider) issues the
 * agents' and approvers' tokens, the connection injects a service-account token from a local OAuth
 * endpoint (a key file whose token_uri points at it), and the GCS emulator stands in for Google.
 * Agents use the unchanged @google-cloud/storage client, curl and gcloud as the README shows them.
 * Two instances (A and B) share review state and upload bindings through the emulator (GCS review
 * store). At the end A is stopped and its segments are read back.
 *
 * Not repeated here (test/e2e/reviews.test.ts, in-process data plane with the dev issuer): the
 * hold/approve/deny mechanics and what the data plane hands a sink for a reviewed exchange.
 */
const run = promisify(execFile);
const BUCKET = 'e2e-identity';
const REVIEWS = 'e2e-identity-reviews';
const KiB = 1024;
const MiB = 1024 * KiB;
const STORAGE_PREFIXES = ['/storage/v1/', '/upload/storage/v1/', '/download/storage/v1/'];

type StorageAuthClient = StorageOptions['authClient'];
const { IdTokenClient } = storageAuthLibrary;

/** An agent's client exactly as the README's @google-cloud/storage snippet builds it. */
function agentStorage(gatewayUrl: string, idToken: string): Storage {
  const authClient = new IdTokenClient({ targetAudience: 'tapegate', idTokenProvider: { fetchIdToken: async () => idToken } });
  return new Storage({
    apiEndpoint: gatewayUrl,
    useAuthWithCustomEndpoint: true,
    authClient: authClient as unknown as StorageAuthClient,
    projectId: 'e2e',
    retryOptions: { autoRetry: false },
  });
}

interface SeenUpstream {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
}

/** A fake GCE metadata server: hands out the OIDC provider's ID tokens, as Google's does. */
async function startMetadataServer(mint: (audience: string) => Promise<string>): Promise<{ host: string; calls: string[]; close(): Promise<void> }> {
  const calls: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://metadata');
    calls.push(url.pathname);
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'metadata-flavor': 'Google', 'content-type': 'application/text' });
      res.end(body);
    };
    if (req.headers['metadata-flavor'] !== 'Google') return send(403, 'missing Metadata-Flavor');
    if (url.pathname === '/computeMetadata/v1/instance/service-accounts/default/identity') {
      mint(url.searchParams.get('audience') ?? '').then((t) => send(200, t), (e: Error) => send(500, e.message));
      return;
    }
    if (url.pathname === '/computeMetadata/v1/project/project-id') return send(200, 'e2e-project');
    send(404, 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The fenced block that follows `marker` in the README. */
function readmeSnippet(marker: string): string {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const at = readme.indexOf(marker);
  assert.ok(at >= 0, `README has no "${marker}"`);
  const m = /```[a-z]*\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(m, `no code block after "${marker}"`);
  return m[1]!;
}

/** Every sealed segment under a data dir (spool or uploaded store), in sequence order. */
function segmentFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.tgseg')) out.push(p);
    }
  };
  walk(dir);
  return out.sort((a, b) => path.basename(a).localeCompare(path.basename(b)));
}

describe('e2e: identity, injected credentials and approvals through `tapegate serve`', { timeout: 120_000 }, () => {
  const tmp = tempDir('tg-e2e-identity-');
  const dirA = path.join(tmp.dir, 'a');
  const dirB = path.join(tmp.dir, 'b');
  const emulator = new GcsEmulator({
    // A spy, not a fault: `when` sees every request's headers and never matches.
    faults: [{ route: '*', times: Number.POSITIVE_INFINITY, fault: { kind: 'delay', ms: 0 }, when: (info) => (seen.push({ method: info.method, path: info.path, query: new URLSearchParams(info.query), authorization: info.headers.authorization }), false) }],
  });
  const seen: SeenUpstream[] = [];
  let idp: OidcFixture;
  let google: FakeGoogle;
  let a: ServedGateway;
  let b: ServedGateway;
  let agentToken: string;
  let approverIdToken: string;
  /** Every secret that must never reach a recording. */
  const secrets: string[] = [];
  /** carol's admin token from A's OIDC sign-in. */
  let adminTokenA = '';

  function config(name: 'a' | 'b', keyFile: string): Record<string, unknown> {
    return {
      instanceId: `e2e-identity-${name}`,
      drainTimeoutMs: 5_000,
      listen: { host: '127.0.0.1', port: 8080, adminHost: '127.0.0.1', adminPort: 9090 },
      connections: [
        {
          name: 'storage',
          match: { pathPrefixes: STORAGE_PREFIXES },
          upstream: emulator.baseUrl,
          recording: 'full',
          credentials: { type: 'keyFile', keyFile, scopes: ['https://www.googleapis.com/auth/devstorage.read_write'] },
        },
      ],
      store: { type: 'local' },
      auth: {
        issuers: [{ issuer: idp.issuer, audience: 'tapegate' }],
        // On next to the real issuer so that the README's `tapegate dev-token` snippets work as written.
        development: { enabled: true },
        admin: { oidc: { issuer: idp.issuer, clientId: 'tapegate-admin' } },
      },
      policy: {
        rules: [
          { name: 'agents-review-deletes', groups: ['agents'], operations: ['storage.objects.delete'], action: 'review' },
          { name: 'agents-storage', groups: ['agents'], operations: ['storage.objects.*', 'storage.buckets.get'], action: 'allow' },
          { name: 'ops-read', groups: ['ops'], effects: ['read'], action: 'allow' },
          { name: 'alice-read', subjects: ['alice'], effects: ['read'], action: 'allow' },
        ],
      },
      approvals: { waitMs: 20_000, approverGroup: 'approvers', store: { type: 'gcs', bucket: REVIEWS, apiEndpoint: emulator.baseUrl, pollMs: 100 } },
    };
  }

  /** Signs an approver in to a gateway's admin API with an ID token (audience: the admin client). */
  async function adminSignIn(gw: ServedGateway, idToken: string): Promise<string> {
    const res = await fetch(`${gw.adminUrl}/admin/auth/oidc/token`, { method: 'POST', headers: { authorization: `Bearer ${idToken}` }, signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 200, await res.clone().text());
    const grant = (await res.json()) as { token: string; subject: string; groups: string[] };
    assert.equal(grant.subject, 'carol@example.com');
    secrets.push(grant.token);
    return grant.token;
  }

  async function pendingReview(gw: ServedGateway, adminToken: string, resource: string): Promise<string> {
    for (let i = 0; i < 200; i++) {
      const res = await fetch(`${gw.adminUrl}/reviews`, { headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(5_000) });
      assert.equal(res.status, 200);
      const found = ((await res.json()) as { reviews: Array<{ id: string; resource: string }> }).reviews.find((r) => r.resource === resource);
      if (found) return found.id;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no pending review for ${resource}`);
  }

  async function decideOverHttp(gw: ServedGateway, adminToken: string, id: string, verdict: 'approve' | 'deny', reason: string): Promise<void> {
    const res = await fetch(`${gw.adminUrl}/reviews/${id}/${verdict}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason }),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(res.status, 200, await res.text());
  }

  /** `tapegate <args>` as a child process, bounded. */
  async function tapegate(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const { command, args: full } = cliCommand(args);
    return run(command, full, { timeout: 30_000, env: { ...process.env, ...env } }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
    );
  }

  /** A directory with a `tapegate` executable that runs this checkout's CLI (for the shell snippets). */
  function tapegateBin(): string {
    const bin = path.join(tmp.dir, 'bin');
    mkdirSync(bin, { recursive: true });
    // tsx by absolute URL: the snippets run in another working directory.
    const { command, args } = cliCommand([]);
    const tsxAt = args.indexOf('tsx');
    if (tsxAt > 0 && args[tsxAt - 1] === '--import') args[tsxAt] = import.meta.resolve('tsx');
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    writeFileSync(path.join(bin, 'tapegate'), `#!/bin/sh\nexec ${[command, ...args].map(quote).join(' ')} "$@"\n`);
    chmodSync(path.join(bin, 'tapegate'), 0o755);
    return bin;
  }

  before(async () => {
    mkdirSync(dirA);
    mkdirSync(dirB);
    await emulator.start();
    emulator.createBucket(BUCKET);
    emulator.createBucket(REVIEWS);
    idp = await startOidcProvider({
      clients: [
        { client_id: 'tapegate', client_secret: 'tapegate-secret', redirect_uris: ['http://127.0.0.1/cb'], grant_types: ['authorization_code'], response_types: ['code'] },
        { client_id: 'tapegate-admin', client_secret: 'admin-secret', redirect_uris: ['http://127.0.0.1/cb'], grant_types: ['authorization_code'], response_types: ['code'] },
        { client_id: 'someone-else', client_secret: 'other-secret', redirect_uris: ['http://127.0.0.1/cb'], grant_types: ['authorization_code'], response_types: ['code'] },
      ],
    });
    google = await startFakeGoogle();
    const keyFile = google.writeKeyFile(tmp.dir);
    agentToken = await idp.idToken({ sub: 'agent-7', groups: ['agents'] });
    approverIdToken = await idp.idToken({ sub: 'carol', email: 'carol@example.com', groups: ['approvers'] }, { client: 'tapegate-admin' });
    secrets.push(agentToken, approverIdToken);
    // The `.data` name lets the README's `tapegate dev-token` (no --config) find A's development key from dirA.
    const started = await Promise.allSettled([
      serveGateway({ config: config('a', keyFile), dir: tmp.dir, name: 'a', dataDir: path.join(dirA, '.data') }),
      serveGateway({ config: config('b', keyFile), dir: tmp.dir, name: 'b', dataDir: path.join(dirB, '.data') }),
    ]);
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      // Never leave the other instance running.
      await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.kill() : undefined)));
      throw failed.reason;
    }
    [a, b] = started.map((r) => (r as PromiseFulfilledResult<ServedGateway>).value) as [ServedGateway, ServedGateway];
    adminTokenA = await adminSignIn(a, approverIdToken);
  });

  after(async () => {
    await Promise.all([a?.kill(), b?.kill()]);
    await emulator.stop();
    await idp?.close();
    await google?.close();
    tmp.remove();
  });

  it('the README @google-cloud/storage snippet runs as written (ID token from the metadata server) through the gateway', async () => {
    emulator.putObject(BUCKET, 'hello.txt', Buffer.from('hello'));
    const metadata = await startMetadataServer((aud) => idp.idToken({ sub: 'agent-7', groups: ['agents'] }, { client: aud }));
    try {
      const project = path.join(tmp.dir, 'agent-project');
      const modules = path.join(project, 'node_modules');
      mkdirSync(path.join(modules, '@google-cloud'), { recursive: true });
      // The agent's project: @google-cloud/storage 7 with google-auth-library 9 next to it, as the README says.
      const storageDir = path.dirname(path.dirname(path.dirname(path.dirname(createRequire(import.meta.url).resolve('@google-cloud/storage')))));
      symlinkSync(storageDir, path.join(modules, '@google-cloud', 'storage'));
      symlinkSync(path.join(storageDir, 'node_modules', 'google-auth-library'), path.join(modules, 'google-auth-library'));
      const snippet = readmeSnippet('**@google-cloud/storage** (tested)')
        .replaceAll('http://127.0.0.1:8080', a.url)
        .replaceAll('my-bucket', BUCKET);
      // …followed by the README's resumable-upload snippet, with 600 KiB of data.
      const resumable = readmeSnippet('Resumable uploads: start the session with').replaceAll('my-bucket', BUCKET);
      writeFileSync(
        path.join(project, 'agent.mjs'),
        `${snippet}\nconsole.log(JSON.stringify(files.map((f) => f.name)));\nconst data = Buffer.alloc(600 * 1024, 7);\n${resumable}\n`,
      );
      const out = await run(process.execPath, [path.join(project, 'agent.mjs')], {
        cwd: project,
        timeout: 30_000,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: project, GCE_METADATA_HOST: metadata.host, METADATA_SERVER_DETECTION: 'assume-present', GOOGLE_CLOUD_PROJECT: 'e2e-project' },
      });
      assert.deepEqual(JSON.parse(out.stdout.trim().split('\n').at(-1)!), ['hello.txt']);
      assert.deepEqual(emulator.getObject(BUCKET, 'big.bin')?.data, Buffer.alloc(600 * 1024, 7));
      assert.ok(metadata.calls.includes('/computeMetadata/v1/instance/service-accounts/default/identity'), `the snippet asked the metadata server for an ID token: ${metadata.calls.join(', ')}`);
    } finally {
      await metadata.close();
    }
  });

  it('the README @googleapis/storage snippet runs as written (ID token from the metadata server) through the gateway', async () => {
    emulator.putObject(BUCKET, 'hello.txt', Buffer.from('hello'));
    const minted: string[] = [];
    const metadata = await startMetadataServer(async (aud) => {
      const t = await idp.idToken({ sub: 'agent-7', groups: ['agents'] }, { client: aud });
      minted.push(t);
      secrets.push(t);
      return t;
    });
    try {
      const project = path.join(tmp.dir, 'googleapis-project');
      mkdirSync(path.join(project, 'node_modules', '@googleapis'), { recursive: true });
      // The agent's project holds only @googleapis/storage (its google-auth-library comes with it).
      const pkgDir = path.dirname(path.dirname(createRequire(import.meta.url).resolve('@googleapis/storage')));
      symlinkSync(pkgDir, path.join(project, 'node_modules', '@googleapis', 'storage'));
      const snippet = readmeSnippet('**@googleapis/storage** (tested').replaceAll('http://127.0.0.1:8080', a.url).replaceAll('my-bucket', BUCKET);
      // gaxios 7 hands back a fetch Headers object.
      const report = `const id = (r) => r.headers.get('x-tapegate-exchange-id');\nconsole.log(JSON.stringify({ names: (list.data.items ?? []).map((o) => o.name), object: object.data.name, size: object.data.size, ids: [id(list), id(object)] }));`;
      writeFileSync(path.join(project, 'agent.mjs'), `${snippet}\n${report}\n`);
      const from = seen.length;
      const out = await run(process.execPath, [path.join(project, 'agent.mjs')], {
        cwd: project,
        timeout: 30_000,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: project, GCE_METADATA_HOST: metadata.host, METADATA_SERVER_DETECTION: 'assume-present', GOOGLE_CLOUD_PROJECT: 'e2e-project' },
      });
      const got = JSON.parse(out.stdout.trim().split('\n').at(-1)!) as { names: string[]; object: string; size: string; ids: Array<string | undefined> };
      assert.ok(got.names.includes('hello.txt'), out.stdout);
      assert.deepEqual([got.object, got.size], ['hello.txt', '5']);
      // The gateway answered both calls (its exchange id), not something else on the port.
      assert.equal(got.ids.length, 2);
      for (const id of got.ids) assert.match(String(id), /^\S{8,}$/, `x-tapegate-exchange-id: ${String(id)}`);
      assert.notEqual(got.ids[0], got.ids[1]);
      assert.ok(minted.length >= 1, `the snippet asked the metadata server for an ID token: ${metadata.calls.join(', ')}`);
      // Upstream: the list and the metadata get, each with the injected token and never the agent's.
      const upstream = seen.slice(from).filter((s) => s.method === 'GET' && (s.path === `/storage/v1/b/${BUCKET}/o` || s.path === `/storage/v1/b/${BUCKET}/o/hello.txt`));
      assert.deepEqual(upstream.map((s) => s.path).sort(), [`/storage/v1/b/${BUCKET}/o`, `/storage/v1/b/${BUCKET}/o/hello.txt`]);
      for (const s of upstream) {
        const token = s.authorization?.replace(/^Bearer /, '');
        assert.ok(token && google.issued.includes(token), `${s.method} ${s.path}: ${s.authorization === undefined ? 'no Authorization' : 'not the injected token'}`);
        assert.equal(minted.includes(token), false, 'the agent’s ID token never reaches Google');
      }
    } finally {
      await metadata.close();
    }
  });

  it('simple, multipart, download, ranged download, list — the emulator sees only the injected token', async () => {
    const bucket = agentStorage(a.url, agentToken).bucket(BUCKET);
    const from = seen.length;

    // Simple (uploadType=media): the client library always uses multipart, so this one is plain HTTP.
    const media = Buffer.from('simple upload body');
    const simple = await request(a.port, {
      method: 'POST',
      path: `/upload/storage/v1/b/${BUCKET}/o?uploadType=media&name=simple.txt`,
      headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'text/plain' },
      body: media,
    });
    assert.equal(simple.status, 200, simple.body.toString());
    assert.deepEqual(emulator.getObject(BUCKET, 'simple.txt')?.data, media);

    const multipart = Buffer.alloc(100 * KiB, 'm');
    await bucket.file('multipart.bin').save(multipart, { resumable: false, metadata: { contentType: 'application/octet-stream' } });
    assert.deepEqual(emulator.getObject(BUCKET, 'multipart.bin')?.data, multipart);
    assert.ok(seen.slice(from).some((s) => s.query.get('uploadType') === 'multipart'), 'the library used a multipart upload');

    const [whole] = await bucket.file('multipart.bin').download();
    assert.deepEqual(whole, multipart);
    const [part] = await bucket.file('simple.txt').download({ start: 7, end: 12 });
    assert.equal(part.toString(), 'upload');

    const [files] = await bucket.getFiles();
    assert.deepEqual(files.map((f) => f.name).sort(), ['big.bin', 'hello.txt', 'multipart.bin', 'simple.txt']);

    const upstream = seen.slice(from).filter((s) => s.path.includes(`/b/${BUCKET}/`));
    assert.ok(upstream.length >= 5, `saw ${upstream.length} upstream requests`);
    for (const s of upstream) {
      const token = s.authorization?.replace(/^Bearer /, '');
      assert.ok(token && google.issued.includes(token), `${s.method} ${s.path} carried ${s.authorization === undefined ? 'no Authorization' : 'a token the OAuth endpoint did not issue'}`);
    }
    assert.ok(google.oauthCalls >= 1 && google.oauthCalls <= 2, `tokens are cached: ${google.oauthCalls} OAuth calls`);
  });

  it('resumable multi-chunk upload: chunk PUTs carry no Authorization and pass under the session binding; forged upload_ids are refused', async () => {
    const file = agentStorage(a.url, agentToken).bucket(BUCKET).file('resumable.bin');
    // @google-cloud/storage 7 starts a save()'s own session without Authorization to a custom endpoint.
    const unauthenticated = await file.save(Buffer.alloc(10), { resumable: true }).then(
      () => null,
      (e: { status?: unknown; message?: string }) => e,
    );
    assert.equal(Number(unauthenticated?.status), 401, `save() without a uri is refused, as the README says: ${String(unauthenticated?.message)}`);

    const data = Buffer.alloc(2 * MiB + 100 * KiB);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    const [uri] = await file.createResumableUpload();
    assert.ok(uri.startsWith(a.url), `the session URI points at the gateway: ${uri}`);
    const from = seen.length;
    await withTimeout(file.save(data, { resumable: true, chunkSize: 256 * KiB, uri }), 30_000, 'resumable upload');
    assert.deepEqual(emulator.getObject(BUCKET, 'resumable.bin')?.data, data);
    const puts = seen.slice(from).filter((s) => s.method === 'PUT' && s.query.has('upload_id'));
    assert.ok(puts.length >= 9, `${puts.length} chunk PUTs`);
    for (const p of puts) assert.ok(p.authorization && google.issued.includes(p.authorization.slice(7)), 'each chunk PUT goes upstream with the injected token');

    // An upload_id never created through the gateway: a session opened directly on the emulator.
    const direct = await fetch(`${emulator.baseUrl}/upload/storage/v1/b/${BUCKET}/o?uploadType=resumable&name=sneaky.bin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-upload-content-length': '10' },
      body: '{}',
    });
    const uploadId = new URL(direct.headers.get('location')!).searchParams.get('upload_id')!;
    assert.ok(uploadId);
    const before = seen.length;
    const forged = await request(a.port, {
      method: 'PUT',
      path: `/upload/storage/v1/b/${BUCKET}/o?uploadType=resumable&name=sneaky.bin&upload_id=${encodeURIComponent(uploadId)}`,
      headers: { 'content-range': 'bytes 0-9/10', 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(10, 1),
    });
    assert.equal(forged.status, 401, forged.body.toString());
    assert.match(String(forged.headers['www-authenticate']), /^Bearer realm="tapegate"/);
    // A real session's upload_id on another path is not covered by its binding either.
    const realId = new URL(uri).searchParams.get('upload_id')!;
    const elsewhere = await request(a.port, {
      method: 'PUT',
      path: `/upload/storage/v1/b/${REVIEWS}/o?uploadType=resumable&upload_id=${encodeURIComponent(realId)}`,
      headers: { 'content-range': 'bytes 0-9/10' },
      body: Buffer.alloc(10, 1),
    });
    assert.equal(elsewhere.status, 401);
    // …nor is another kind of request on the session's own path: the binding admits the session's PUTs only.
    const sideload = await request(a.port, {
      method: 'POST',
      path: `/upload/storage/v1/b/${BUCKET}/o?uploadType=media&name=evil.txt&upload_id=${encodeURIComponent(realId)}`,
      headers: { 'content-type': 'text/plain' },
      body: 'not reviewed by anyone',
    });
    assert.equal(sideload.status, 401, sideload.body.toString());
    // (The review store's own reads of shared upload bindings go to the emulator too: not counted.)
    const forwarded = seen.slice(before).filter((s) => s.query.has('upload_id') || s.path.includes(`/b/${BUCKET}/`));
    assert.deepEqual(forwarded, [], 'refused PUTs never reach Google');
    assert.equal(emulator.getObject(BUCKET, 'sneaky.bin'), undefined);
    assert.equal(emulator.getObject(BUCKET, 'evil.txt'), undefined);
  });

  it('a resumable session created through A continues through B (binding shared in the review store)', async () => {
    const file = agentStorage(a.url, agentToken).bucket(BUCKET).file('across.bin');
    const [uri] = await file.createResumableUpload();
    const viaB = uri.replace(a.url, b.url);
    assert.notEqual(viaB, uri);
    const data = Buffer.alloc(600 * KiB, 0x42);
    await withTimeout(agentStorage(b.url, agentToken).bucket(BUCKET).file('across.bin').save(data, { resumable: true, chunkSize: 256 * KiB, uri: viaB }), 20_000, 'upload through B');
    assert.deepEqual(emulator.getObject(BUCKET, 'across.bin')?.data, data);
  });

  it('expired and wrong-audience tokens: 401 with WWW-Authenticate, nothing upstream', async () => {
    const expired = await idp.idToken({ sub: 'agent-7', groups: ['agents'] }, { expiresAt: Math.floor(Date.now() / 1000) - 600 });
    const wrongAudience = await idp.idToken({ sub: 'agent-7', groups: ['agents'] }, { client: 'someone-else' });
    secrets.push(expired, wrongAudience);
    const before = seen.length;
    for (const [token, why] of [
      [expired, /exp/i],
      [wrongAudience, /aud/i],
    ] as const) {
      const r = await request(a.port, { path: `/storage/v1/b/${BUCKET}/o/hello.txt`, headers: { authorization: `Bearer ${token}` } });
      assert.equal(r.status, 401);
      const www = String(r.headers['www-authenticate']);
      assert.match(www, /^Bearer realm="tapegate", error="invalid_token", error_description="/);
      assert.match(www, why);
      assert.equal((JSON.parse(r.body.toString()) as { error: { code: number } }).error.code, 401);
    }
    // The library surfaces the same 401.
    const err = await agentStorage(a.url, expired).bucket(BUCKET).file('hello.txt').download().then(
      () => null,
      (e: { code?: unknown }) => e,
    );
    assert.equal(Number(err?.code), 401);
    assert.equal(seen.length, before);
  });

  it('deletes are held: approved over the admin API, approved with `tapegate reviews approve`, then denied with `tapegate reviews deny`', async () => {
    const bucket = agentStorage(a.url, agentToken).bucket(BUCKET);
    for (const n of ['doomed-1.txt', 'doomed-2.txt', 'precious.txt']) emulator.putObject(BUCKET, n, Buffer.from(n));

    const del1 = bucket.file('doomed-1.txt').delete();
    const id1 = await pendingReview(a, adminTokenA, `buckets/${BUCKET}/objects/doomed-1.txt`);
    assert.ok(emulator.getObject(BUCKET, 'doomed-1.txt'), 'nothing reaches Google while held');
    // An agent's token is not an admin token.
    const notAdmin = await fetch(`${a.adminUrl}/reviews/${id1}/approve`, { method: 'POST', headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json' }, body: '{"reason":"me"}' });
    assert.equal(notAdmin.status, 401);
    await decideOverHttp(a, adminTokenA, id1, 'approve', 'cleanup OPS-1');
    await withTimeout(del1, 10_000, 'approved delete 1');
    assert.equal(emulator.getObject(BUCKET, 'doomed-1.txt'), undefined);

    const del2 = bucket.file('doomed-2.txt').delete();
    const id2 = await pendingReview(a, adminTokenA, `buckets/${BUCKET}/objects/doomed-2.txt`);
    const listed = await tapegate(['reviews', 'list', '--admin', a.adminUrl, '--json'], { TAPEGATE_ADMIN_TOKEN: adminTokenA });
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(listed.stdout.includes(id2), listed.stdout);
    const approved = await tapegate(['reviews', 'approve', id2, '--reason', 'cleanup OPS-2', '--admin', a.adminUrl], { TAPEGATE_ADMIN_TOKEN: adminTokenA });
    assert.equal(approved.code, 0, approved.stderr);
    await withTimeout(del2, 10_000, 'approved delete 2');
    assert.equal(emulator.getObject(BUCKET, 'doomed-2.txt'), undefined);

    const del3 = bucket.file('precious.txt').delete().then(
      () => null,
      (e: { code?: unknown; message: string }) => e,
    );
    const id3 = await pendingReview(a, adminTokenA, `buckets/${BUCKET}/objects/precious.txt`);
    const denied = await tapegate(['reviews', 'deny', id3, '--reason', 'still needed', '--admin', a.adminUrl, '--token', adminTokenA]);
    assert.equal(denied.code, 0, denied.stderr);
    const err = await withTimeout(del3, 10_000, 'denied delete');
    assert.ok(err, 'the denied delete fails');
    assert.equal(Number(err.code), 403);
    assert.ok(err.message.includes(id3) && err.message.includes('still needed'), err.message);
    assert.ok(emulator.getObject(BUCKET, 'precious.txt'));
    // Deciding again: already decided.
    const again = await tapegate(['reviews', 'approve', id3, '--reason', 'changed my mind', '--admin', a.adminUrl, '--token', adminTokenA]);
    assert.equal(again.code, 4, again.stderr);
  });

  it('a delete held on A is approved through B (shared GCS review store, approver signed in on B)', async () => {
    emulator.putObject(BUCKET, 'shared.txt', Buffer.from('x'));
    const deletion = agentStorage(a.url, agentToken).bucket(BUCKET).file('shared.txt').delete();
    const adminTokenB = await adminSignIn(b, approverIdToken);
    const id = await pendingReview(b, adminTokenB, `buckets/${BUCKET}/objects/shared.txt`);
    await decideOverHttp(b, adminTokenB, id, 'approve', 'approved on B');
    await withTimeout(deletion, 10_000, 'delete approved on the other instance');
    assert.equal(emulator.getObject(BUCKET, 'shared.txt'), undefined);
  });

  it('the README curl snippet runs as written through the gateway', async () => {
    const script = readmeSnippet('**curl** (tested)').replaceAll('http://127.0.0.1:8080', a.url).replaceAll('my-bucket', BUCKET);
    const out = await run('sh', ['-c', script], { cwd: dirA, timeout: 30_000, env: { ...process.env, PATH: `${tapegateBin()}:${process.env.PATH ?? '/usr/bin:/bin'}` } });
    const names = ((JSON.parse(out.stdout) as { items?: Array<{ name: string }> }).items ?? []).map((i) => i.name);
    assert.ok(names.includes('hello.txt'), out.stdout);
  });

  it('the README gcloud snippet runs as written through the gateway (token file from `tapegate dev-token`)', async () => {
    const home = path.join(tmp.dir, 'gcloud-home');
    mkdirSync(home);
    // The snippet's first line offers `gcloud auth print-identity-token` (needs a Google account) or
    // `tapegate dev-token`; offline only the second can run.
    const lines = readmeSnippet('**gcloud** (tested').split('\n');
    assert.match(lines[0]!, /# or: (tapegate dev-token .*)$/);
    const script = [/# or: (.*)$/.exec(lines[0]!)![1]!, ...lines.slice(1)]
      .join('\n')
      .replaceAll('http://127.0.0.1:8080', a.url)
      .replaceAll('my-bucket', BUCKET);
    const out = await run('sh', ['-c', script], {
      cwd: dirA,
      timeout: 60_000,
      env: { PATH: `${tapegateBin()}:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: home, CLOUDSDK_CONFIG: path.join(home, 'gcloud'), CLOUDSDK_CORE_DISABLE_PROMPTS: '1' },
    });
    assert.match(out.stdout, new RegExp(`gs://${BUCKET}/hello\\.txt`));
  });

  it('every request Google saw carried the injected token, never a caller’s', () => {
    // All traffic for the data bucket and every chunk PUT, from every test above (the review store's
    // own objects live in another bucket; the one session opened directly on the emulator is excluded).
    const toGoogle = seen.filter((s) => (s.path.includes(`/b/${BUCKET}/`) || s.query.has('upload_id')) && !(s.method === 'POST' && s.query.get('name') === 'sneaky.bin'));
    assert.ok(toGoogle.length >= 20, `${toGoogle.length} upstream requests`);
    const kinds = new Set(toGoogle.map((s) => `${s.method} ${s.query.get('uploadType') ?? ''}`));
    for (const k of ['GET ', 'DELETE ', 'POST media', 'POST multipart', 'POST resumable', 'PUT resumable']) assert.ok(kinds.has(k), `saw ${k}: ${[...kinds].join(', ')}`);
    for (const s of toGoogle) {
      const token = s.authorization?.replace(/^Bearer /, '');
      assert.ok(token && google.issued.includes(token), `${s.method} ${s.path}: ${s.authorization === undefined ? 'no Authorization' : 'not the injected token'}`);
      assert.equal(secrets.includes(token), false);
    }
  });

  it('after SIGTERM, A’s segments hold identity, operation, decision and reviewer — and no token', async () => {
    assert.equal(await a.stop(), 0, a.stderr());
    const files = segmentFiles(a.dataDir);
    assert.ok(files.length >= 1, 'A sealed at least one segment');
    // The instance's public keys, as uploaded next to the segments (<prefix>/keys/<instance>/<keyid>.pub).
    const keysDir = path.join(a.dataDir, 'store', 'tapegate', 'keys', 'e2e-identity-a');
    const keys = (keyId: string) => {
      try {
        return publicKeyFromPem(readFileSync(path.join(keysDir, `${keyId}.pub`)));
      } catch {
        return undefined;
      }
    };
    const chain = await verifyChain(files, { keys });
    assert.deepEqual(chain.damage, []);
    const recs: DecodedRecord[] = [];
    for (const f of files) for await (const e of new SegmentReader(f, { keys }).events()) if (e.type === 'record') recs.push(e.record);
    const starts = recs.filter((r): r is Extract<DecodedRecord, { type: 'start' }> => r.type === 'start');
    const ends = new Map(recs.filter((r): r is Extract<DecodedRecord, { type: 'end' }> => r.type === 'end').map((r) => [r.exchangeId, r]));

    // Identity and operation on an allowed call.
    const list = starts.find((s) => s.method === 'GET' && s.target.startsWith(`/storage/v1/b/${BUCKET}/o?`) && s.identity?.subject === 'agent-7');
    assert.ok(list, 'the agent’s list is recorded');
    assert.deepEqual([list.identity!.issuer, list.operation, list.decision?.action, list.decision?.rule], [idp.issuer, 'storage.objects.list', 'allow', 'agents-storage']);
    assert.match(list.requestHeaders.find(([n]) => n === 'authorization')?.[1] ?? '', /^\[redacted sha256:/, 'a caller’s Authorization is recorded redacted');

    // The 401s: recorded as denied, with the reason, without identity.
    const refused = starts.filter((s) => s.identity === null && s.decision?.action === 'deny' && s.target === `/storage/v1/b/${BUCKET}/o/hello.txt`);
    assert.ok(refused.length >= 2, `${refused.length} refused exchanges recorded`);
    for (const s of refused) {
      assert.equal(ends.get(s.exchangeId)?.outcome, 'denied');
      assert.ok(s.decision!.reason, 'the reason is recorded');
    }
    // The forged chunk PUT: denied too.
    assert.ok(starts.some((s) => s.method === 'PUT' && s.target.includes('name=sneaky.bin') && ends.get(s.exchangeId)?.outcome === 'denied'));

    // Chunk PUTs: no Authorization arrived, yet they carry the identity and decision of the session.
    const chunks = starts.filter((s) => s.method === 'PUT' && s.target.includes('upload_id=') && ends.get(s.exchangeId)?.outcome === 'completed');
    assert.ok(chunks.length >= 9, `${chunks.length} chunk PUTs recorded`);
    for (const c of chunks) {
      assert.equal(c.requestHeaders.some(([n]) => n === 'authorization'), false);
      assert.deepEqual([c.identity?.subject, c.operation, c.decision?.action], ['agent-7', 'storage.objects.insert', 'allow']);
    }

    // Reviews: who decided, when and why.
    const deletes = starts.filter((s) => s.method === 'DELETE' && s.operation === 'storage.objects.delete');
    const decisionOf = (name: string) => {
      const s = deletes.find((d) => d.target.split('?')[0]!.endsWith(`/o/${name}`));
      assert.ok(s, `the delete of ${name} is recorded`);
      return { start: s, end: ends.get(s.exchangeId)!, decision: ends.get(s.exchangeId)?.decision ?? s.decision! };
    };
    for (const [name, reason] of [
      ['doomed-1.txt', 'cleanup OPS-1'],
      ['doomed-2.txt', 'cleanup OPS-2'],
      ['shared.txt', 'approved on B'],
    ] as const) {
      const { end, decision, start } = decisionOf(name);
      assert.equal(start.identity?.subject, 'agent-7');
      assert.equal(end.outcome, 'completed');
      assert.deepEqual([decision.action, decision.rule, decision.reviewedBy, decision.reviewReason], ['allow', 'agents-review-deletes', 'carol@example.com', reason]);
      assert.ok(decision.reviewId && decision.reviewedAtMs);
    }
    const precious = decisionOf('precious.txt');
    assert.equal(precious.end.outcome, 'denied');
    assert.deepEqual([precious.decision.action, precious.decision.reviewedBy, precious.decision.reviewReason], ['deny', 'carol@example.com', 'still needed']);

    // No secret in the decompressed bytes: neither the agents' and approvers' tokens nor the injected ones.
    const raw = Buffer.concat(files.map((f) => decompressedRecordBytes(f)));
    assert.ok(raw.includes('agent-7') && raw.includes('[redacted sha256:'), 'the bytes were decompressed');
    assert.ok(google.issued.length >= 1);
    for (const s of [...secrets, ...google.issued]) {
      assert.equal(raw.includes(s), false, `a ${s.startsWith('ya29.') ? 'injected' : 'caller'} token is in the recording`);
      assert.equal(raw.includes(s.slice(-24)), false, 'not even a token’s tail');
    }
  });
});
