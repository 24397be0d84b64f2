import type { ConnectionConfig } from './config/connections.js';

/**
 * Which connection a request belongs to, decided on the raw (still percent-encoded) path and the
 * Host header. The upstream origin always comes from config: the agent's Host header only selects
 * among configured connections and is never forwarded, so no request can reach an unconfigured
 * origin. `checkTarget` refuses targets that could be re-interpreted upstream (absolute-form,
 * dot segments, encoded dot segments or backslashes), because a prefix match on
 * `/storage/v1/../../compute/v1/…` would otherwise slip past the gate's classification.
 */

/** Why a request target is refused; null when it is safe to route. */
export function checkTarget(path: string): string | null {
  if (path.length === 0 || path.charCodeAt(0) !== 47 /* / */) {
    return 'the request target must be a path starting with "/" (absolute-form and authority-form are not accepted)';
  }
  if (path.length > 1 && path.charCodeAt(1) === 47) return 'the request path must not start with "//"';
  // Fast path: nothing that can form a dot segment or a separator in disguise.
  if (path.indexOf('.') === -1 && path.indexOf('%') === -1 && path.indexOf('\\') === -1) return null;
  if (path.indexOf('\\') !== -1 || /%5c/i.test(path)) return 'the request path must not contain a backslash';
  if (hasDotSegment(path)) return 'the request path must not contain "." or ".." segments (plain or percent-encoded)';
  return null;
}

/**
 * True when the path, with %2e read as "." and %2f as "/" (what a lenient server may decode), has a
 * "." or ".." segment. One pass without building the decoded string: most object names contain a
 * dot or an encoded slash, so this runs for most requests.
 */
function hasDotSegment(path: string): boolean {
  let dots = 0; // dots in the current segment so far, -1 once it has anything else
  const n = path.length;
  for (let i = 0; i <= n; i++) {
    let c = i === n ? 47 /* end: like "/" */ : path.charCodeAt(i);
    if (c === 37 /* % */ && i + 2 < n && path.charCodeAt(i + 1) === 50 /* 2 */) {
      const e = path.charCodeAt(i + 2) | 0x20;
      if (e === 101 /* e */) {
        c = 46;
        i += 2;
      } else if (e === 102 /* f */) {
        c = 47;
        i += 2;
      }
    }
    if (c === 47) {
      if (dots === 1 || dots === 2) return true;
      dots = 0;
    } else if (c === 46 && dots >= 0) dots++;
    else dots = -1;
  }
  return false;
}

/** Lower-case host without port; '' when absent. Handles bracketed IPv6 literals. */
export function hostName(hostHeader: string): string {
  if (!hostHeader) return '';
  let h = hostHeader;
  if (h.charCodeAt(0) === 91 /* [ */) {
    const end = h.indexOf(']');
    return end === -1 ? h.toLowerCase() : h.slice(0, end + 1).toLowerCase();
  }
  const colon = h.indexOf(':');
  if (colon !== -1) h = h.slice(0, colon);
  return h.toLowerCase();
}

interface Rule<T> {
  prefix: string;
  hosts: ReadonlySet<string> | null;
  target: T;
}

/**
 * Longest path prefix wins; a rule that names hosts only matches those hosts and beats a rule that
 * does not at the same prefix length. A connection with hosts and no path prefixes matches every
 * path on those hosts.
 */
export class Router<T extends { config: ConnectionConfig } = { config: ConnectionConfig }> {
  private readonly rules: Rule<T>[] = [];

  constructor(targets: readonly T[]) {
    for (const target of targets) {
      const m = target.config.match;
      const hosts = m.hosts.length > 0 ? new Set(m.hosts.map((h) => hostName(h))) : null;
      const prefixes = m.pathPrefixes.length > 0 ? m.pathPrefixes : ['/'];
      for (const prefix of prefixes) this.rules.push({ prefix, hosts, target });
    }
    this.rules.sort((a, b) => b.prefix.length - a.prefix.length || (b.hosts ? 1 : 0) - (a.hosts ? 1 : 0));
  }

  /** `path` is the raw path without the query; `host` the lower-case host without port. */
  match(path: string, host: string): T | null {
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if (r.hosts !== null && !r.hosts.has(host)) continue;
      if (path.startsWith(r.prefix)) return r.target;
    }
    return null;
  }
}
