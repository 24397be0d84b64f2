import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { importSPKI, jwtVerify } from 'jose';

/**
 * Fakes of Google's token services on loopback: the OAuth 2.0 token endpoint (JWT-bearer grant,
 * verifying the service account's signed assertion), IAM Credentials generateAccessToken, and STS
 * (token exchange for workload identity federation). Each issues numbered tokens and counts calls.
 */
export interface FakeGoogle {
  origin: string;
  oauthCalls: number;
  iamCalls: Array<{ principal: string; authorization: string; body: Record<string, unknown> }>;
  stsCalls: Array<Record<string, string>>;
  /** Lifetime of issued tokens, seconds. */
  expiresIn: number;
  /** Delay before answering the OAuth endpoint, ms. */
  delayMs: number;
  /** Answer the OAuth endpoint with this error instead. */
  failWith: { status: number; error: string } | null;
  issued: string[];
  writeKeyFile(dir: string): string;
  close(): Promise<void>;
}

export const SA_EMAIL = 'agent-runner@test-project.iam.gserviceaccount.com';

export async function startFakeGoogle(): Promise<FakeGoogle> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const spki = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const saKey = await importSPKI(spki, 'RS256');
  let n = 0;

  const fake = {
    oauthCalls: 0,
    iamCalls: [],
    stsCalls: [],
    expiresIn: 3600,
    delayMs: 0,
    failWith: null,
    issued: [],
  } as unknown as FakeGoogle;

  const issue = (prefix: string): string => {
    const t = `ya29.${prefix}-${++n}-${randomUUID()}`;
    fake.issued.push(t);
    return t;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const url = new URL(req.url ?? '/', 'http://x');
        const send = (status: number, value: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(value));
        };
        if (req.method === 'POST' && url.pathname === '/token') {
          fake.oauthCalls++;
          if (fake.delayMs) await new Promise((r) => setTimeout(r, fake.delayMs));
          if (fake.failWith) return send(fake.failWith.status, { error: fake.failWith.error, error_description: 'refused by the fake' });
          const form = new URLSearchParams(body);
          if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return send(400, { error: 'unsupported_grant_type' });
          try {
            const { payload } = await jwtVerify(form.get('assertion') ?? '', saKey, { issuer: SA_EMAIL, audience: 'https://oauth2.googleapis.com/token' });
            if (typeof payload.scope !== 'string' || !payload.scope) return send(400, { error: 'invalid_scope' });
          } catch {
            return send(400, { error: 'invalid_grant' });
          }
          return send(200, { access_token: issue('sa'), expires_in: fake.expiresIn, token_type: 'Bearer' });
        }
        const iam = /^\/v1\/projects\/-\/serviceAccounts\/([^:]+):generateAccessToken$/.exec(url.pathname);
        if (req.method === 'POST' && iam) {
          const authorization = String(req.headers.authorization ?? '');
          fake.iamCalls.push({ principal: decodeURIComponent(iam[1]!), authorization, body: JSON.parse(body) as Record<string, unknown> });
          if (!fake.issued.includes(authorization.replace(/^Bearer /, ''))) return send(401, { error: { code: 401, message: 'bad source token' } });
          return send(200, { accessToken: issue('impersonated'), expireTime: new Date(Date.now() + fake.expiresIn * 1000).toISOString() });
        }
        if (req.method === 'POST' && url.pathname === '/v1/token') {
          const form = Object.fromEntries(new URLSearchParams(body));
          fake.stsCalls.push(form);
          return send(200, { access_token: issue('federated'), issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer', expires_in: fake.expiresIn });
        }
        send(404, { error: 'not found' });
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  fake.writeKeyFile = (dir: string) => {
    const file = path.join(dir, 'sa-key.json');
    writeFileSync(
      file,
      JSON.stringify({
        type: 'service_account',
        project_id: 'test-project',
        private_key_id: 'k1',
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        client_email: SA_EMAIL,
        client_id: '1',
        token_uri: `${fake.origin}/token`,
      }),
      { mode: 0o600 },
    );
    return file;
  };
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
