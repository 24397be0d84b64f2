import type { Effect } from './types.js';

/**
 * Finds the kinds of the statements in a BigQuery (GoogleSQL) script: DROP, DELETE, TRUNCATE,
 * ALTER, CREATE_OR_REPLACE, MERGE, UPDATE, INSERT, SELECT… Comments, string literals (quoted,
 * triple-quoted, raw, bytes) and backtick identifiers are skipped, so `SELECT 'DROP TABLE x'` is a
 * SELECT and `/* DELETE *\/ SELECT 1` too. Statements are found at the start of the text, after `;`
 * and inside script blocks (after BEGIN, THEN, ELSE, DO, LOOP, REPEAT). Errs on the side of
 * reporting: an unrecognised statement is OTHER (treated as admin), EXECUTE IMMEDIATE and CALL
 * are opaque (admin), and the literal after EXECUTE IMMEDIATE is scanned too.
 */

export const STATEMENT_EFFECT: Readonly<Record<string, Effect>> = {
  SELECT: 'read',
  ASSERT: 'read',
  INSERT: 'write',
  CREATE: 'write',
  EXPORT: 'write',
  LOAD: 'write',
  UNDROP: 'write',
  UPDATE: 'overwrite',
  MERGE: 'overwrite',
  CREATE_OR_REPLACE: 'overwrite',
  LOAD_OVERWRITE: 'overwrite',
  DELETE: 'remove',
  TRUNCATE: 'remove',
  DROP: 'remove',
  ALTER: 'remove',
  GRANT: 'admin',
  REVOKE: 'admin',
  CALL: 'admin',
  EXECUTE_IMMEDIATE: 'admin',
  OTHER: 'admin',
};

const DIRECT = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'TRUNCATE', 'DROP', 'ALTER', 'GRANT', 'REVOKE', 'EXPORT', 'CALL', 'ASSERT', 'UNDROP']);
/** Scripting statements: not data operations themselves; their bodies are scanned. */
const SCRIPTING = new Set([
  'BEGIN', 'END', 'DECLARE', 'SET', 'IF', 'ELSEIF', 'ELSE', 'WHILE', 'LOOP', 'REPEAT', 'UNTIL', 'FOR', 'BREAK', 'LEAVE',
  'CONTINUE', 'ITERATE', 'RETURN', 'RAISE', 'COMMIT', 'ROLLBACK', 'TRANSACTION', 'EXCEPTION', 'WHEN', 'CASE',
]);
/** After these words a new statement may start (script blocks). */
const OPENS_BLOCK = new Set(['BEGIN', 'THEN', 'ELSE', 'DO', 'LOOP', 'REPEAT']);
const WITH_BODY = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE']);

const enum T {
  Word,
  Str,
  Punct,
}
interface Token {
  t: T;
  /** Upper-cased word, string contents, or the punctuation character. */
  v: string;
}

const MAX_DEPTH = 3;

export function sqlStatementKinds(sql: string): string[] {
  const found: string[] = [];
  scan(sql, found, 0);
  return found;
}

function add(found: string[], kind: string): void {
  if (!found.includes(kind)) found.push(kind);
}

function scan(sql: string, found: string[], depth: number): void {
  const tokens = tokenize(sql);
  let atStart = true; // beginning of text or after ';'
  let inBlock = false; // after BEGIN/THEN/…: a statement may start, but a non-keyword is an expression
  let pendingWith = -1; // paren depth of an unresolved WITH, -1 when none
  let parens = 0;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok.t === T.Punct) {
      if (tok.v === ';') {
        if (pendingWith >= 0) add(found, 'SELECT');
        pendingWith = -1;
        parens = 0;
        atStart = true;
        inBlock = false;
      } else if (tok.v === '(') {
        if (atStart) add(found, 'SELECT');
        parens++;
        atStart = false;
        inBlock = false;
      } else {
        if (tok.v === ')') parens = Math.max(0, parens - 1);
        atStart = false;
        inBlock = false;
      }
      continue;
    }
    if (tok.t === T.Str) {
      atStart = false;
      inBlock = false;
      continue;
    }
    const w = tok.v;
    if (pendingWith >= 0 && parens === pendingWith && WITH_BODY.has(w)) {
      add(found, w);
      pendingWith = -1;
    }
    if (atStart || inBlock) {
      const wasStart = atStart;
      atStart = false;
      inBlock = false;
      if (DIRECT.has(w)) {
        add(found, w);
      } else if (w === 'WITH') {
        pendingWith = parens;
      } else if (w === 'CREATE') {
        const a = tokens[i + 1];
        const b = tokens[i + 2];
        add(found, a?.v === 'OR' && b?.v === 'REPLACE' ? 'CREATE_OR_REPLACE' : 'CREATE');
      } else if (w === 'LOAD') {
        add(found, tokens[i + 1]?.v === 'DATA' && tokens[i + 2]?.v === 'OVERWRITE' ? 'LOAD_OVERWRITE' : 'LOAD');
      } else if (w === 'EXECUTE') {
        add(found, 'EXECUTE_IMMEDIATE');
        const lit = tokens[i + 1]?.v === 'IMMEDIATE' ? tokens[i + 2] : undefined;
        if (lit && lit.t === T.Str && depth < MAX_DEPTH) scan(lit.v, found, depth + 1);
      } else if (SCRIPTING.has(w)) {
        // not a data operation; what follows inside the block is scanned as statements
      } else if (wasStart) {
        add(found, 'OTHER');
      }
    }
    if (OPENS_BLOCK.has(w)) inBlock = true;
  }
  if (pendingWith >= 0) add(found, 'SELECT');
}

function isWordStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isWordChar(c: number): boolean {
  return isWordStart(c) || (c >= 48 && c <= 57);
}

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c <= 32) {
      i++;
    } else if (c === 45 /* - */ && s.charCodeAt(i + 1) === 45) {
      i = skipLine(s, i);
    } else if (c === 35 /* # */) {
      i = skipLine(s, i);
    } else if (c === 47 /* / */ && s.charCodeAt(i + 1) === 42 /* * */) {
      const end = s.indexOf('*/', i + 2);
      i = end === -1 ? n : end + 2;
    } else if (c === 39 || c === 34) {
      i = readString(s, i, out);
    } else if (c === 96 /* ` */) {
      i = skipQuoted(s, i + 1, 96);
    } else if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && isWordChar(s.charCodeAt(j))) j++;
      const q = s.charCodeAt(j);
      if ((q === 39 || q === 34) && j - i <= 2 && /^(r|b|rb|br)$/i.test(s.slice(i, j))) {
        i = readString(s, j, out);
      } else {
        out.push({ t: T.Word, v: s.slice(i, j).toUpperCase() });
        i = j;
      }
    } else if (c >= 48 && c <= 57) {
      let j = i + 1;
      while (j < n && (isWordChar(s.charCodeAt(j)) || s.charCodeAt(j) === 46)) j++;
      out.push({ t: T.Punct, v: '0' });
      i = j;
    } else {
      out.push({ t: T.Punct, v: s[i]! });
      i++;
    }
  }
  return out;
}

function skipLine(s: string, i: number): number {
  const end = s.indexOf('\n', i);
  return end === -1 ? s.length : end + 1;
}

/** Skips to after the closing `quote`, honouring backslash escapes; returns the index after it. */
function skipQuoted(s: string, i: number, quote: number): number {
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 92) i += 2;
    else if (c === quote) return i + 1;
    else i++;
  }
  return n;
}

function readString(s: string, i: number, out: Token[]): number {
  const q = s.charCodeAt(i);
  const quoteChar = s[i]!;
  const triple = s.charCodeAt(i + 1) === q && s.charCodeAt(i + 2) === q;
  if (triple) {
    const close = quoteChar.repeat(3);
    let j = i + 3;
    while (j < s.length) {
      if (s.charCodeAt(j) === 92) j += 2;
      else if (s.startsWith(close, j)) break;
      else j++;
    }
    out.push({ t: T.Str, v: s.slice(i + 3, Math.min(j, s.length)) });
    return Math.min(j + 3, s.length);
  }
  const end = skipQuoted(s, i + 1, q);
  out.push({ t: T.Str, v: unescapeSimple(s.slice(i + 1, Math.max(i + 1, end - 1))) });
  return end;
}

function unescapeSimple(v: string): string {
  return v.indexOf('\\') === -1 ? v : v.replace(/\\(.)/g, '$1');
}
