/**
 * Deterministic payloads shared by the fake upstream, the load generator and the micro suites, so
 * every target and every library baseline sees the same bytes.
 */

/** Small deterministic PRNG (mulberry32): the same seed gives the same payload in every process. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One Cloud Storage object resource, as JSON, padded to exactly `size` bytes (default 1 KiB). */
export function objectMetadataJson(name: string, size = 1024, objectSize = 1024): Buffer {
  const base = {
    kind: 'storage#object',
    id: `bench-bucket/${name}/1732550000000000`,
    selfLink: `https://www.googleapis.com/storage/v1/b/bench-bucket/o/${encodeURIComponent(name)}`,
    mediaLink: `https://storage.googleapis.com/download/storage/v1/b/bench-bucket/o/${encodeURIComponent(name)}?generation=1732550000000000&alt=media`,
    name,
    bucket: 'bench-bucket',
    generation: '1732550000000000',
    metageneration: '1',
    contentType: 'application/octet-stream',
    storageClass: 'STANDARD',
    size: String(objectSize),
    md5Hash: 'XrY7u+Ae7tCTyyK7j1rNww==',
    crc32c: 'yZRlqg==',
    etag: 'CIDs5Jfkq4kDEAE=',
    timeCreated: '2026-11-25T16:00:00.000Z',
    updated: '2026-11-25T16:00:00.000Z',
    timeStorageClassUpdated: '2026-11-25T16:00:00.000Z',
    metadata: { owner: 'agent-7', purpose: 'benchmark' } as Record<string, string>,
  };
  let json = JSON.stringify(base);
  if (json.length < size) {
    base.metadata.padding = 'x'.repeat(Math.max(0, size - json.length - ',"padding":""'.length));
    json = JSON.stringify(base);
  }
  return Buffer.from(json);
}

/** A `storage#objects` list response with `count` items (about 1 KiB each). */
export function objectListJson(count = 10): Buffer {
  const items: unknown[] = [];
  for (let i = 0; i < count; i++) items.push(JSON.parse(objectMetadataJson(`logs/2026/11/25/part-${String(i).padStart(5, '0')}.json`).toString()));
  return Buffer.from(JSON.stringify({ kind: 'storage#objects', nextPageToken: 'Q0FFU0FnZ0JFS', items }));
}

/**
 * `size` bytes of JSON-lines text with random numbers and ids: compresses like API traffic (about
 * 3-5x with zstd level 1), not like zeros and not like random noise.
 */
export function jsonLines(size: number, seed = 1): Buffer {
  const rnd = prng(seed);
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
  let n = 0;
  while (pos < size) {
    const line =
      `{"seq":${n++},"ts":"2026-11-25T16:${String(Math.floor(rnd() * 60)).padStart(2, '0')}:${(rnd() * 60).toFixed(6)}Z",` +
      `"id":"${Math.floor(rnd() * 2 ** 52).toString(36)}","op":"${words[Math.floor(rnd() * words.length)]}",` +
      `"bytes":${Math.floor(rnd() * 1e6)},"ratio":${rnd().toFixed(8)},"ok":${rnd() < 0.9}}\n`;
    pos += out.write(line, pos, 'latin1');
  }
  return out;
}

/** A 64 KiB upload body (the "64 KB uploads" scenario) and the pattern streamed for 1 GiB transfers. */
export const UPLOAD_64K = 64 * 1024;
export const PATTERN_BYTES = 8 * 1024 * 1024;
