import { STATUS_CODES } from 'node:http';

/** "200 OK" lines for uWS writeStatus, built once per status code. */
const cache = new Map<number, string>();

export function statusLine(status: number, reason: string): string {
  let line = cache.get(status);
  if (line === undefined) {
    line = `${status} ${STATUS_CODES[status] ?? (reason || 'Unknown')}`;
    if (cache.size < 1000) cache.set(status, line);
  }
  return line;
}
