import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { symbols } from 'pino';
import { credentialsSchema } from '../../../core/config/credentials.js';
import { createCredentialProvider } from '../../../core/credentials/index.js';
import { TapegateError } from '../../../core/errors.js';
import { log } from '../../../core/log.js';
import { SA_EMAIL, startFakeGoogle, type FakeGoogle } from './fake-google.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every log line written while the tests run, to check no token ever reaches a log. */
const logged: string[] = [];
const stream = (log as unknown as Record<symbol, { write(s: string): boolean }>)[symbols.streamSym]!;
const realWrite = stream.write;

describe('credential injection (google-auth-library against fake Google token services)', { timeout: 60_000 }, () => {
  let google: FakeGoogle;
  let dir: string;
  let keyFile: string;

  before(async () => {
    google = await startFakeGoogle();
    dir = mkdtempSync(path.join(tmpdir(), 'tg-cred-'));
    keyFile = google.writeKeyFile(dir);
    stream.write = function (s: string) {
      logged.push(s);
      return realWrite.call(this, s);
    };
  });
  after(async () => {
    stream.write = realWrite;
    await google.close();
    rmSync(dir, { recursive: true, force: true });
    // No access token the fakes issued ever appeared in a log line.
    const all = logged.join('');
    assert.ok(all.includes('credentials.refreshed'), 'log lines were captured');
    for (const t of google.issued) assert.ok(!all.includes(t), 'a token reached the log');
    assert.ok(!all.includes('PRIVATE KEY'), 'the key reached the log');
  });
  beforeEach(() => {
    google.expiresIn = 3600;
    google.delayMs = 0;
    google.failWith = null;
  });

  it('no credentials configured: null (nothing injected)', async () => {
    assert.equal(await createCredentialProvider(undefined).authorization(), null);
  });

  it('key file: fetches from the key file\'s token_uri and caches the token', async () => {
    const before = google.oauthCalls;
    const p = createCredentialProvider(credentialsSchema.parse({ type: 'keyFile', keyFile }));
    const a = await p.authorization();
    assert.match(a!, /^Bearer ya29\.sa-/);
    for (let i = 0; i < 5; i++) assert.equal(await p.authorization(), a);
    assert.equal(google.oauthCalls - before, 1);
  });

  it('one refresh in flight under concurrent calls', async () => {
    google.delayMs = 200;
    const before = google.oauthCalls;
    const p = createCredentialProvider(credentialsSchema.parse({ type: 'keyFile', keyFile }));
    const all = await Promise.all(Array.from({ length: 25 }, () => p.authorization()));
    assert.equal(new Set(all).size, 1);
    assert.equal(google.oauthCalls - before, 1);
  });

  it('refreshes ahead of expiry, serving the still-valid token meanwhile', async () => {
    google.expiresIn = 4; // refresh point: half-way (2 s); never hand out the last second
    const before = google.oauthCalls;
    const p = createCredentialProvider(credentialsSchema.parse({ type: 'keyFile', keyFile }));
    const first = await p.authorization();
    await sleep(1000);
    assert.equal(await p.authorization(), first);
    assert.equal(google.oauthCalls - before, 1);
    await sleep(1300); // past the refresh point, token still valid for ~1.7 s
    google.delayMs = 300;
    const t0 = Date.now();
    assert.equal(await p.authorization(), first, 'the current token is served without waiting');
    assert.ok(Date.now() - t0 < 200);
    await sleep(500);
    assert.equal(google.oauthCalls - before, 2, 'exactly one background refresh');
    const second = await p.authorization();
    assert.notEqual(second, first);
    assert.match(second!, /^Bearer ya29\.sa-/);
  });

  it('impersonation: the source token calls IAM Credentials generateAccessToken for the target', async () => {
    const p = createCredentialProvider(
      credentialsSchema.parse({
        type: 'impersonate',
        source: { type: 'keyFile', keyFile },
        targetPrincipal: 'bucket-writer@test-project.iam.gserviceaccount.com',
        delegates: ['middle@test-project.iam.gserviceaccount.com'],
        scopes: ['https://www.googleapis.com/auth/devstorage.read_write'],
        lifetimeSeconds: 1200,
        endpoint: google.origin,
      }),
    );
    const a = await p.authorization();
    assert.match(a!, /^Bearer ya29\.impersonated-/);
    const call = google.iamCalls.at(-1)!;
    assert.equal(call.principal, 'bucket-writer@test-project.iam.gserviceaccount.com');
    assert.match(call.authorization, /^Bearer ya29\.sa-/);
    assert.deepEqual(call.body.scope, ['https://www.googleapis.com/auth/devstorage.read_write']);
    assert.equal(call.body.lifetime, '1200s');
    assert.deepEqual(call.body.delegates, ['projects/-/serviceAccounts/middle@test-project.iam.gserviceaccount.com']);
    assert.equal(await p.authorization(), a);
  });

  it('workload identity federation: a credential config file exchanges the subject token at STS', async () => {
    const subjectFile = path.join(dir, 'subject-token');
    writeFileSync(subjectFile, 'eyJ.subject.token');
    const configFile = path.join(dir, 'wif.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        type: 'external_account',
        audience: '//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/agents/providers/ci',
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
        token_url: `${google.origin}/v1/token`,
        credential_source: { file: subjectFile },
      }),
    );
    const p = createCredentialProvider(credentialsSchema.parse({ type: 'externalAccount', configFile }));
    assert.match((await p.authorization())!, /^Bearer ya29\.federated-/);
    const call = google.stsCalls.at(-1)!;
    assert.equal(call.subject_token, 'eyJ.subject.token');
    assert.equal(call.grant_type, 'urn:ietf:params:oauth:grant-type:token-exchange');
    assert.match(call.audience!, /workloadIdentityPools\/agents/);
  });

  it('ADC: a key file named by GOOGLE_APPLICATION_CREDENTIALS, token_uri honoured', async () => {
    const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.GOOGLE_APPLICATION_CREDENTIALS = keyFile;
    try {
      const p = createCredentialProvider(credentialsSchema.parse({ type: 'adc' }));
      assert.match((await p.authorization())!, /^Bearer ya29\.sa-/);
    } finally {
      if (saved === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
      else process.env.GOOGLE_APPLICATION_CREDENTIALS = saved;
    }
  });

  it('failures: a 503 TapegateError saying what to check, with no secret in it, and no retry storm', async () => {
    google.failWith = { status: 400, error: 'invalid_grant' };
    const before = google.oauthCalls;
    const p = createCredentialProvider(credentialsSchema.parse({ type: 'keyFile', keyFile }));
    const errs = await Promise.allSettled(Array.from({ length: 10 }, () => p.authorization()));
    for (const r of errs) {
      assert.equal(r.status, 'rejected');
      const e = (r as PromiseRejectedResult).reason as TapegateError;
      assert.ok(e instanceof TapegateError);
      assert.equal(e.code, 'TG_CREDENTIALS_UNAVAILABLE');
      assert.equal(e.httpStatus, 503);
      assert.match(e.message, /invalid_grant/);
      assert.ok(!e.message.includes('PRIVATE KEY'));
    }
    assert.ok(google.oauthCalls - before <= 2, `${google.oauthCalls - before} token requests for 10 calls`);
    const missing = createCredentialProvider(credentialsSchema.parse({ type: 'keyFile', keyFile: path.join(dir, 'nope.json') }));
    await assert.rejects(missing.authorization(), /cannot read service-account key file .*nope\.json: ENOENT/);
    void SA_EMAIL;
  });
});
