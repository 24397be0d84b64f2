/**
 * Parses a `multipart/related` body as the JSON API's multipart upload sends it: a JSON metadata
 * part followed by the media part.
 * https://cloud.google.com/storage/docs/uploading-objects (JSON API, uploadType=multipart)
 * https://cloud.google.com/storage/docs/json_api/v1/objects/insert
 */
export interface MultipartParts {
  metadata: Record<string, unknown>;
  media: Buffer;
  mediaContentType: string | undefined;
}

export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2])!.trim() : undefined;
}

export function parseMultipartRelated(body: Buffer, boundary: string): MultipartParts {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new Error('multipart body has no boundary');
  for (let guard = 0; guard < 16; guard++) {
    const start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) throw new Error('multipart body is not terminated');
    // Each part sits between "\r\n" after the delimiter and "\r\n" before the next one.
    let partStart = start;
    if (body[partStart] === 0x0d && body[partStart + 1] === 0x0a) partStart += 2;
    let partEnd = next;
    if (body[partEnd - 2] === 0x0d && body[partEnd - 1] === 0x0a) partEnd -= 2;
    parts.push(body.subarray(partStart, partEnd));
    pos = next;
  }
  if (parts.length !== 2) throw new Error(`expected 2 multipart parts, got ${parts.length}`);
  const [meta, media] = parts.map(splitPart) as [ReturnType<typeof splitPart>, ReturnType<typeof splitPart>];
  return {
    metadata: JSON.parse(meta.body.toString('utf8') || '{}') as Record<string, unknown>,
    media: media.body,
    mediaContentType: media.headers['content-type'],
  };
}

function splitPart(part: Buffer): { headers: Record<string, string>; body: Buffer } {
  const sep = part.indexOf('\r\n\r\n');
  const headerText = sep < 0 ? '' : part.subarray(0, sep).toString('utf8');
  const body = sep < 0 ? part : part.subarray(sep + 4);
  const headers: Record<string, string> = {};
  for (const line of headerText.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { headers, body };
}
