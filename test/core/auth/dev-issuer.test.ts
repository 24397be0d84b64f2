import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { symbols } from 'pino';
import { log } from '../../../core/log.js';
import { DEV_ISSUER, createAuthenticator, verifyAdminToken, type Authenticator } from '../../../core/auth/index.js';
import { parseTtl } from '../../../core/auth/dev-token-cli.js';
import { isLoopbackHost } from '../../../core/auth/loopback.js';
import { authSchema } from '../../../core/config/auth.js';
import { TapegateError } from '../../../core/errors.js';
import { cliCommand } from '../../support/cli.js';

const run = promisify(execFile);

async function devToken(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { command, args: argv } = cliCommand(['dev-token', ...args]);
  try {
    const { stdout, stderr } = await run(command, argv, { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const admin = (routes: ReturnType<Authenticator['adminRoutes']>, p: string) => {
  const r = routes.find((x) => x.path === p);
  assert.ok(r, `admin route ${p}`);
  return r;
};

describe('development issuer', { timeout: 90_000 }, () => {
  let dataDir: string;
  let auth: Authenticator;

  const startLog: string[] = [];

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'tg-dev-'));
    const stream = (log as unknown as Record<symbol, { write(s: string): boolean }>)[symbols.streamSym]!;
    const realWrite = stream.write;
    stream.write = function (line: string) {
      startLog.push(line);
      return realWrite.call(this, line);
    };
    try {
      auth = await createAuthenticator(authSchema.parse({}), { dataDir, listenHosts: ['127.0.0.1', '::1'] });
    } finally {
      stream.write = realWrite;
    }
  });
  after(() => {
    auth?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('says clearly at start that it is on', () => {
    const line = startLog.map((l) => JSON.parse(l) as { event?: string; level: number; msg: string }).find((l) => l.event === 'auth.dev_issuer_enabled');
    assert.ok(line, startLog.join(''));
    assert.equal(line.level, 40);
    assert.match(line.msg, /DEVELOPMENT ISSUER ENABLED/);
  });

  it('keeps its Ed25519 key in the data dir, readable by the owner only', () => {
    const st = statSync(path.join(dataDir, 'auth', 'dev-issuer-key.pem'));
    assert.equal(st.mode & 0o077, 0);
  });

  it('`tapegate dev-token` prints a token the gateway accepts, and the admin API too', async () => {
    const out = await devToken(['--sub', 'alice', '--groups', 'ops,dev', '--ttl', '10m', '--data-dir', dataDir]);
    assert.equal(out.code, 0, out.stderr);
    const token = out.stdout.trim();
    const id = await auth.authenticate([['authorization', `Bearer ${token}`]]);
    assert.deepEqual({ ...id, groups: [...id.groups] }, { subject: 'alice', issuer: DEV_ISSUER, groups: ['ops', 'dev'] });
    assert.equal((await verifyAdminToken(`Bearer ${token}`)).subject, 'alice');

    // The token verifies against the discovery + JWKS the admin port serves.
    const routes = auth.adminRoutes();
    const disc = await admin(routes, '/.well-known/openid-configuration').handle({ method: 'GET', path: '/.well-known/openid-configuration', query: new URLSearchParams(), headers: [['host', '127.0.0.1:9090']], body: Buffer.alloc(0) });
    const doc = JSON.parse(String(disc.body)) as { issuer: string; jwks_uri: string };
    assert.equal(doc.issuer, DEV_ISSUER);
    assert.equal(doc.jwks_uri, 'http://127.0.0.1:9090/.well-known/jwks.json');
    const jwks = await admin(routes, '/.well-known/jwks.json').handle({ method: 'GET', path: '/.well-known/jwks.json', query: new URLSearchParams(), headers: [], body: Buffer.alloc(0) });
    const { payload } = await jwtVerify(token, createLocalJWKSet(JSON.parse(String(jwks.body))), { issuer: DEV_ISSUER, audience: 'tapegate' });
    assert.equal(payload.sub, 'alice');
    assert.ok(payload.exp! - payload.iat! === 600);
  });

  it('dev-token refuses bad arguments and a config whose development issuer is off', async () => {
    assert.equal((await devToken(['--groups', 'ops'])).code, 2);
    assert.equal((await devToken(['--sub', 'a', '--ttl', 'soon', '--data-dir', dataDir])).code, 2);
    const cfgFile = path.join(dataDir, 'cfg.json');
    writeFileSync(cfgFile, JSON.stringify({ dataDir, connections: [{ name: 's', match: { pathPrefixes: ['/'] }, upstream: 'https://storage.googleapis.com' }], auth: { issuers: [{ issuer: 'https://accounts.google.com', audience: 'x' }] } }));
    const off = await devToken(['--sub', 'a', '--config', cfgFile]);
    assert.equal(off.code, 1);
    assert.match(off.stderr, /development issuer is off/);
  });

  it('is refused at start unless every listener is loopback', async () => {
    for (const hosts of [['0.0.0.0', '127.0.0.1'], ['127.0.0.1', '::'], ['10.0.0.5', '127.0.0.1']]) {
      await assert.rejects(
        createAuthenticator(authSchema.parse({}), { dataDir, listenHosts: hosts }),
        (err: unknown) => err instanceof TapegateError && err.code === 'TG_CONFIG_DEV_ISSUER_EXPOSED' && /not loopback/.test(err.message),
      );
    }
    // Explicitly enabled next to real issuers: still refused off loopback.
    await assert.rejects(
      createAuthenticator(authSchema.parse({ issuers: [{ issuer: 'https://accounts.google.com', audience: 'x' }], development: { enabled: true } }), { dataDir, listenHosts: ['0.0.0.0'] }),
      /not loopback/,
    );
    // Off by default once real issuers are configured.
    const prod = await createAuthenticator(authSchema.parse({ issuers: [{ issuer: 'https://accounts.google.com', audience: 'x' }] }), { dataDir, listenHosts: ['0.0.0.0'] });
    assert.ok(!prod.adminRoutes().some((r) => r.path === '/.well-known/jwks.json'));
    prod.close();
  });

  it('recognises loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) assert.ok(isLoopbackHost(h), h);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '::ffff:10.0.0.1']) assert.ok(!isLoopbackHost(h), h);
  });

  it('parses --ttl durations', () => {
    assert.equal(parseTtl('90'), 90);
    assert.equal(parseTtl('15m'), 900);
    assert.equal(parseTtl('1h'), 3600);
    assert.equal(parseTtl('2d'), 172800);
    assert.equal(parseTtl('1 hour'), null);
  });
});
