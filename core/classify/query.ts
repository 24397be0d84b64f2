/**
 * Reads one parameter from a raw query string without building a map: classification runs on every
 * request and usually needs at most two parameters.
 */
export function queryParam(query: string, name: string): string | undefined {
  if (query.length === 0) return undefined;
  let start = 0;
  while (start <= query.length) {
    let end = query.indexOf('&', start);
    if (end === -1) end = query.length;
    if (end - start > name.length && query.charCodeAt(start + name.length) === 61 /* = */ && query.startsWith(name, start)) {
      return safeDecode(query.slice(start + name.length + 1, end).replace(/\+/g, ' '));
    }
    if (end - start === name.length && query.startsWith(name, start)) return '';
    start = end + 1;
  }
  return undefined;
}

export function safeDecode(s: string): string {
  if (s.indexOf('%') === -1) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
