import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignedXml } from 'xml-crypto';
import type { AdminRoute } from '../../../core/admin/routes.js';
import { createAuthenticator, verifyAdminToken, type Authenticator } from '../../../core/auth/index.js';
import { authSchema } from '../../../core/config/auth.js';

/**
 * A test SAML IdP: an RSA key from node:crypto, a self-signed certificate (openssl, as node:crypto
 * cannot issue X.509), and assertions signed with xml-crypto (the library node-saml verifies with).
 */
const SP = 'urn:tapegate:test-sp';
const ACS = 'http://127.0.0.1:1/admin/auth/saml/acs';
const IDP = 'https://idp.test.example/saml';

interface TestIdp {
  keyPem: string;
  certPem: string;
}

function makeIdp(dir: string, name: string): TestIdp {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const keyFile = path.join(dir, `${name}.key`);
  writeFileSync(keyFile, keyPem, { mode: 0o600 });
  const certFile = path.join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-key', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${name}`], { timeout: 20_000, stdio: 'ignore' });
  return { keyPem, certPem: readFileSync(certFile, 'utf8') };
}

function assertionXml(subject: string, groups: string[], opts: { audience?: string } = {}): string {
  const now = new Date();
  const iso = (ms: number) => new Date(now.getTime() + ms).toISOString();
  const attrs = groups.map((g) => `<saml:AttributeValue>${g}</saml:AttributeValue>`).join('');
  return (
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_${randomUUID()}" Version="2.0" IssueInstant="${iso(0)}" Destination="${ACS}">` +
    `<saml:Issuer>${IDP}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    `<saml:Assertion ID="_${randomUUID()}" Version="2.0" IssueInstant="${iso(0)}">` +
    `<saml:Issuer>${IDP}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${subject}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${iso(300_000)}" Recipient="${ACS}"/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${iso(-60_000)}" NotOnOrAfter="${iso(300_000)}"><saml:AudienceRestriction><saml:Audience>${opts.audience ?? SP}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${iso(0)}" SessionIndex="_s1"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    `<saml:AttributeStatement><saml:Attribute Name="groups">${attrs}</saml:Attribute></saml:AttributeStatement>` +
    `</saml:Assertion></samlp:Response>`
  );
}

function signAssertion(xml: string, idp: TestIdp): string {
  const sig = new SignedXml({
    privateKey: idp.keyPem,
    publicCert: idp.certPem,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  sig.addReference({
    xpath: "//*[local-name(.)='Assertion']",
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  sig.computeSignature(xml, { location: { reference: "//*[local-name(.)='Assertion']/*[local-name(.)='Issuer']", action: 'after' } });
  return sig.getSignedXml();
}

describe('admin sign-in with SAML', { timeout: 60_000 }, () => {
  let dir: string;
  let idp: TestIdp;
  let impostor: TestIdp;
  let auth: Authenticator;
  let acs: AdminRoute;

  const post = async (xml: string) => {
    const body = new URLSearchParams({ SAMLResponse: Buffer.from(xml).toString('base64') }).toString();
    const res = await acs.handle({ method: 'POST', path: '/admin/auth/saml/acs', query: new URLSearchParams(), headers: [['content-type', 'application/x-www-form-urlencoded']], body: Buffer.from(body) });
    return { status: res.status, json: JSON.parse(String(res.body)) as Record<string, any> };
  };

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tg-saml-'));
    idp = makeIdp(dir, 'idp');
    impostor = makeIdp(dir, 'impostor');
    auth = await createAuthenticator(
      authSchema.parse({
        issuers: [{ issuer: 'https://accounts.google.com', audience: 'tapegate' }],
        admin: { saml: { entryPoint: 'https://idp.test.example/sso', idpIssuer: IDP, idpCert: idp.certPem, spEntityId: SP, callbackUrl: ACS } },
      }),
      { dataDir: dir, listenHosts: ['0.0.0.0'] },
    );
    acs = auth.adminRoutes().find((r) => r.path === '/admin/auth/saml/acs')!;
    assert.ok(acs);
  });
  after(() => {
    auth?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a signed assertion and issues an admin token with NameID and groups', async () => {
    const res = await post(signAssertion(assertionXml('alice@example.com', ['approvers', 'ops']), idp));
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const id = await verifyAdminToken(`Bearer ${res.json.token}`);
    assert.deepEqual({ ...id, groups: [...id.groups] }, { subject: 'alice@example.com', issuer: IDP, groups: ['approvers', 'ops'] });
  });

  it('refuses a tampered assertion (subject or groups changed after signing)', async () => {
    const signed = signAssertion(assertionXml('bob@example.com', ['readers']), idp);
    for (const tampered of [signed.replace('bob@example.com', 'alice@example.com'), signed.replace('>readers<', '>approvers<')]) {
      assert.notEqual(tampered, signed);
      const res = await post(tampered);
      assert.equal(res.status, 401);
      assert.equal(res.json.error.errors[0].reason, 'TG_UNAUTHENTICATED_SAML');
    }
  });

  it('refuses unsigned assertions, other signers and other audiences', async () => {
    assert.equal((await post(assertionXml('alice@example.com', ['approvers']))).status, 401);
    assert.equal((await post(signAssertion(assertionXml('alice@example.com', ['approvers']), impostor))).status, 401);
    assert.equal((await post(signAssertion(assertionXml('alice@example.com', ['approvers'], { audience: 'urn:someone-else' }), idp))).status, 401);
  });

  it('serves SP metadata and redirects sign-in to the IdP', async () => {
    const meta = await auth.adminRoutes().find((r) => r.path === '/admin/auth/saml/metadata')!.handle({ method: 'GET', path: '/admin/auth/saml/metadata', query: new URLSearchParams(), headers: [], body: Buffer.alloc(0) });
    assert.match(String(meta.body), /WantAssertionsSigned="true"/);
    assert.ok(String(meta.body).includes(ACS));
    const login = await auth.adminRoutes().find((r) => r.path === '/admin/auth/saml/login')!.handle({ method: 'GET', path: '/admin/auth/saml/login', query: new URLSearchParams(), headers: [], body: Buffer.alloc(0) });
    assert.equal(login.status, 302);
    assert.match(login.headers!.location!, /^https:\/\/idp\.test\.example\/sso\?SAMLRequest=/);
  });
});
