import type { JWTPayload } from 'jose';
import type { ClaimPath } from '../config/auth.js';
import type { Identity } from '../exchange.js';
import { unauthenticated } from './errors.js';

/** Maps verified claims to an identity: configurable subject and groups claims, nested paths allowed. */
function claimAt(payload: JWTPayload, path: ClaimPath): unknown {
  if (typeof path === 'string') return payload[path];
  let v: unknown = payload;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

export function describePath(path: ClaimPath): string {
  return typeof path === 'string' ? path : path.join('.');
}

export interface ClaimMapping {
  subjectClaim: ClaimPath;
  groupsClaim: ClaimPath;
  requireGroups: boolean;
}

export function identityFromClaims(payload: JWTPayload, issuer: string, map: ClaimMapping): Identity {
  const rawSubject = claimAt(payload, map.subjectClaim);
  const subject = typeof rawSubject === 'string' ? rawSubject : typeof rawSubject === 'number' ? String(rawSubject) : '';
  if (!subject) {
    throw unauthenticated('SUBJECT', `the token has no "${describePath(map.subjectClaim)}" claim, which issuer ${issuer} is configured to use as the subject`);
  }
  const rawGroups = claimAt(payload, map.groupsClaim);
  let groups: string[] = [];
  if (typeof rawGroups === 'string' && rawGroups) groups = [rawGroups];
  else if (Array.isArray(rawGroups)) groups = rawGroups.filter((g): g is string => typeof g === 'string' && g !== '');
  if (map.requireGroups && groups.length === 0) {
    throw unauthenticated('GROUPS', `the token has no "${describePath(map.groupsClaim)}" claim (or it is empty) and issuer ${issuer} requires groups`);
  }
  return { subject, issuer, groups: Object.freeze(groups) };
}
