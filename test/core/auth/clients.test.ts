import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Storage } from '@google-cloud/storage';
import { createAuthenticator, type Authenticator } from '../../../core/auth/index.js';
import { DevIssuer } from '../../../core/auth/dev-issuer.js';
import { authSchema } from '../../../core/config/auth.js';
import { TapegateError } from '../../../core/errors.js';
import type { HeaderList } from '../../../core/exchange.js';

const run = promisify(execFile);

/**
 * @google-cloud/storage 7 is built on google-auth-library 9 and drops the headers of a v10 client
 * (v10 returns a Headers object, v9 merges plain objects): the agent's auth client must come from
 * the google-auth-library that its storage client uses, as the README says.
 */
const storageRequire = createRequire(createRequire(import.meta.url).resolve('@google-cloud/storage'));
type StorageAuthClient = NonNullable<ConstructorParameters<typeof Storage>[0]>['authClient'];
const { IdTokenClient } = storageRequire('google-auth-library') as {
  IdTokenClient: new (o: { targetAudience: string; idTokenProvider: { fetchIdToken(aud: string): Promise<string> } }) => StorageAuthClient;
};

/**
 * The README's "Pointing agents at tapegate" snippets, run for real: each client is pointed at a
 * loopback endpoint that authenticates with core/auth (development issuer) and answers like the
 * JSON API. It proves each client sends the ID token where tapegate looks for it; the full path
 * through the gateway is covered by the end-to-end tests.
 */
describe('agent clients send their ID token to a custom endpoint', { timeout: 90_000 }, () => {
  let dataDir: string;
  let auth: Authenticator;
  let token: string;
  let server: http.Server;
  let origin: string;
  const seen: Array<{ path: string; subject: string | null; status: number }> = [];

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'tg-clients-'));
    const cfg = authSchema.parse({});
    auth = await createAuthenticator(cfg, { dataDir, listenHosts: ['127.0.0.1'] });
    token = await (await DevIssuer.open(cfg, dataDir)).mint('alice', ['ops'], 600);
    server = http.createServer((req, res) => {
      const headers: HeaderList = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i]!.toLowerCase(), req.rawHeaders[i + 1]!]);
      auth.authenticate(headers).then(
        (id) => {
          seen.push({ path: req.url!, subject: id.subject, status: 200 });
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ kind: 'storage#objects', items: [{ kind: 'storage#object', name: 'hello.txt', bucket: 'bkt', size: '5', generation: '1', metageneration: '1', timeCreated: '2026-01-01T00:00:00Z', updated: '2026-01-01T00:00:00Z' }] }));
        },
        (err: TapegateError) => {
          seen.push({ path: req.url!, subject: null, status: err.httpStatus });
          res.writeHead(err.httpStatus, { 'content-type': 'application/json', ...(err.headers ?? {}) });
          res.end(JSON.stringify({ error: { code: err.httpStatus, message: err.message } }));
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    auth?.close();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('@google-cloud/storage: apiEndpoint + useAuthWithCustomEndpoint + an ID-token auth client', async () => {
    const authClient = new IdTokenClient({ targetAudience: 'tapegate', idTokenProvider: { fetchIdToken: async () => token } });
    const storage = new Storage({ apiEndpoint: origin, useAuthWithCustomEndpoint: true, authClient, projectId: 'test', retryOptions: { autoRetry: false } });
    const [files] = await storage.bucket('bkt').getFiles();
    assert.deepEqual(files.map((f) => f.name), ['hello.txt']);
    const last = seen.at(-1)!;
    assert.equal(last.subject, 'alice');
    assert.match(last.path, /^\/storage\/v1\/b\/bkt\/o/);
  });

  it('gcloud: CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE + CLOUDSDK_AUTH_ACCESS_TOKEN_FILE', async () => {
    const cfgDir = path.join(dataDir, 'gcloud');
    const tokenFile = path.join(dataDir, 'token');
    writeFileSync(tokenFile, token, { mode: 0o600 });
    let out: { stdout: string };
    try {
      out = await run('gcloud', ['storage', 'ls', 'gs://bkt'], {
        timeout: 60_000,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: dataDir,
          CLOUDSDK_CONFIG: cfgDir,
          CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
          CLOUDSDK_CORE_PROJECT: 'test',
          CLOUDSDK_AUTH_ACCESS_TOKEN_FILE: tokenFile,
          CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE: `${origin}/`,
        },
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') assert.fail('gcloud is not installed on this machine');
      throw err;
    }
    assert.match(out.stdout, /gs:\/\/bkt\/hello\.txt/);
    assert.equal(seen.at(-1)!.subject, 'alice');
  });

  it('curl: a bearer header; without it, 401 with WWW-Authenticate', async () => {
    const ok = await run('curl', ['-sS', '--max-time', '10', '-H', `Authorization: Bearer ${token}`, `${origin}/storage/v1/b/bkt/o`], { timeout: 20_000 });
    assert.equal(JSON.parse(ok.stdout).items[0].name, 'hello.txt');
    assert.equal(seen.at(-1)!.subject, 'alice');
    const denied = await run('curl', ['-sS', '-i', '--max-time', '10', `${origin}/storage/v1/b/bkt/o`], { timeout: 20_000 });
    assert.match(denied.stdout, /^HTTP\/1\.1 401/);
    assert.match(denied.stdout, /www-authenticate: Bearer realm="tapegate"/i);
  });
});
