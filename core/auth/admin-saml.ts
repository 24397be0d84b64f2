import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import type { z } from 'zod';
import type { AdminRequest, AdminResponse, AdminRoute } from '../admin/routes.js';
import type { adminSamlSchema } from '../config/auth.js';
import { log } from '../log.js';
import type { AdminTokens } from './admin-token.js';
import { json } from './admin-oidc.js';
import { unauthenticated } from './errors.js';

type AdminSamlConfig = z.infer<typeof adminSamlSchema>;

/**
 * SAML sign-in for the admin API: GET /admin/auth/saml/login redirects to the IdP, which posts the
 * response to /admin/auth/saml/acs. Assertions must be signed by the configured IdP certificate
 * (wantAssertionsSigned); the audience must be our SP entity id. Answers with an admin token.
 */
export class AdminSaml {
  private readonly saml: SAML;

  constructor(
    private readonly cfg: AdminSamlConfig,
    private readonly tokens: AdminTokens,
  ) {
    this.saml = new SAML({
      entryPoint: cfg.entryPoint,
      issuer: cfg.spEntityId,
      audience: cfg.spEntityId,
      callbackUrl: cfg.callbackUrl,
      idpCert: cfg.idpCert,
      ...(cfg.idpIssuer ? { idpIssuer: cfg.idpIssuer } : {}),
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: false,
      acceptedClockSkewMs: cfg.clockSkewSeconds * 1000,
      validateInResponseTo: ValidateInResponseTo.never,
      identifierFormat: null,
    });
  }

  /** Validates a base64 SAMLResponse and issues an admin token for the person it names. */
  async acs(samlResponse: string): Promise<AdminResponse> {
    let profile;
    try {
      ({ profile } = await this.saml.validatePostResponseAsync({ SAMLResponse: samlResponse }));
    } catch (err) {
      log.warn({ event: 'auth.saml_refused', err: (err as Error).message }, 'SAML response refused');
      throw unauthenticated('SAML', `the SAML response was refused: ${(err as Error).message}`);
    }
    if (!profile) throw unauthenticated('SAML', 'the SAML response carries no assertion');
    const rawSubject = this.cfg.subjectAttribute ? profile[this.cfg.subjectAttribute] : profile.nameID;
    const subject = typeof rawSubject === 'string' ? rawSubject : '';
    if (!subject) throw unauthenticated('SUBJECT', `the SAML assertion has no ${this.cfg.subjectAttribute ?? 'NameID'}`);
    const rawGroups = profile[this.cfg.groupsAttribute];
    const groups = typeof rawGroups === 'string' ? [rawGroups] : Array.isArray(rawGroups) ? rawGroups.filter((g): g is string => typeof g === 'string') : [];
    const identity = { subject, issuer: profile.issuer || this.cfg.idpIssuer || this.cfg.entryPoint, groups: Object.freeze(groups) };
    const grant = await this.tokens.issue(identity, 'saml');
    log.info({ event: 'auth.admin_sign_in', method: 'saml', subject, groups }, 'admin signed in');
    return json(200, grant);
  }

  routes(): AdminRoute[] {
    return [
      {
        method: 'GET',
        path: '/admin/auth/saml/login',
        handle: async (req) => {
          const host = req.headers.find(([n]) => n === 'host')?.[1] ?? '';
          const location = await this.saml.getAuthorizeUrlAsync(req.query.get('RelayState') ?? '', host, {});
          return { status: 302, headers: { location, 'cache-control': 'no-store' }, body: '' };
        },
      },
      {
        method: 'POST',
        path: '/admin/auth/saml/acs',
        handle: async (req: AdminRequest) => {
          const samlResponse = new URLSearchParams(req.body.toString('utf8')).get('SAMLResponse');
          if (!samlResponse) throw unauthenticated('SAML', 'POST a form with the SAMLResponse field from the identity provider', { noCredentials: true });
          return this.acs(samlResponse);
        },
      },
      {
        method: 'GET',
        path: '/admin/auth/saml/metadata',
        handle: async () => ({ status: 200, headers: { 'content-type': 'application/samlmetadata+xml' }, body: this.saml.generateServiceProviderMetadata(null, null) }),
      },
    ];
  }
}
