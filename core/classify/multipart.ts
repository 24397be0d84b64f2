/**
 * Just enough multipart parsing to classify: the parts of a /batch request (each an embedded HTTP
 * request line) and the JSON metadata part that leads a multipart upload. Works on a prefix of the
 * body; a part cut off by the prefix is reported as such.
 */

export function boundaryOf(contentType: string | undefined, body: string): string | undefined {
  if (contentType) {
    const m = /boundary=(?:"([^"]+)"|([^;,\s]+))/i.exec(contentType);
    if (m) return m[1] ?? m[2];
  }
  // Without the header, the body's first line is "--boundary".
  const m = /^\s*--([^\r\n]+?)\s*\r?\n/.exec(body);
  return m?.[1];
}

export interface Part {
  /** The part's own headers (lower-case names) and its content. */
  headers: Array<[string, string]>;
  content: string;
  /** The part did not end inside the seen prefix. */
  cut: boolean;
}

/** Splits a multipart body (as latin1 text) into parts; at most `maxParts`. */
export function splitParts(body: string, boundary: string, maxParts: number): Part[] {
  const delim = `--${boundary}`;
  const parts: Part[] = [];
  let pos = body.indexOf(delim);
  while (pos !== -1 && parts.length < maxParts) {
    let start = pos + delim.length;
    if (body.startsWith('--', start)) break; // closing delimiter
    const lineEnd = body.indexOf('\n', start);
    if (lineEnd === -1) break;
    start = lineEnd + 1;
    const next = body.indexOf(`\n${delim}`, start);
    const cut = next === -1;
    const end = cut ? body.length : next > start && body.charCodeAt(next - 1) === 13 ? next - 1 : next;
    const raw = body.slice(start, end);
    const sep = /\r?\n\r?\n/.exec(raw);
    const headText = sep ? raw.slice(0, sep.index) : raw;
    const content = sep ? raw.slice(sep.index + sep[0].length) : '';
    const headers: Array<[string, string]> = [];
    for (const line of headText.split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
    }
    parts.push({ headers, content, cut: cut || !sep });
    if (cut) break;
    pos = next + 1;
  }
  return parts;
}
