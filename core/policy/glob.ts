/**
 * Globs for policy rules: `*` matches any run of characters (dots and slashes included), `?` one
 * character, everything else itself. A list compiles once, at config load, to a Set of literals
 * plus one anchored RegExp, so a match per request is a hash lookup or one regex test.
 */
export interface GlobSet {
  test(value: string): boolean;
}

const MATCH_ALL: GlobSet = { test: () => true };

function escapeRegex(s: string): string {
  return s.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

export function globToRegexSource(glob: string): string {
  return escapeRegex(glob).replace(/\*/g, '.*').replace(/\?/g, '.');
}

export function compileGlobs(globs: readonly string[] | undefined): GlobSet | null {
  if (!globs) return null;
  if (globs.includes('*')) return MATCH_ALL;
  const literals = new Set<string>();
  const patterns: string[] = [];
  for (const g of globs) {
    if (g.includes('*') || g.includes('?')) patterns.push(globToRegexSource(g));
    else literals.add(g);
  }
  const re = patterns.length > 0 ? new RegExp(`^(?:${patterns.join('|')})$`) : null;
  if (!re) return { test: (v) => literals.has(v) };
  if (literals.size === 0) return { test: (v) => re.test(v) };
  return { test: (v) => literals.has(v) || re.test(v) };
}
