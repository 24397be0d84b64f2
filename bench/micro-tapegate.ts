/**
 * Micro suites over tapegate's own hot-path modules, next to the library each is built on. Modules
 * are loaded with importOptional (no static import), so a module still being written, or one whose
 * exports changed, skips its suite with a reason instead of breaking the build.
 */
import { generateKeyPairSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { SignJWT, createLocalJWKSet, exportJWK, jwtVerify, type JWK } from 'jose';
import type { ExchangeEnd, ExchangeHead, ResponseHead } from '../core/exchange.js';
import { jsonLines, objectMetadataJson } from './data.js';
import { fnExport, importOptional, type MicroCase, type SuiteFactory } from './micro.js';

type Fn = (...args: never[]) => unknown;
type Ctor = new (...args: never[]) => unknown;

async function load(rel: string, names: string[]): Promise<Record<string, unknown> | string> {
  const mod = await importOptional(rel);
  if (typeof mod === 'string') return mod;
  const missing = names.filter((n) => mod[n] === undefined);
  return missing.length ? `${rel} no longer exports ${missing.join(', ')}` : mod;
}

const EXCHANGE_ID = '01JDZ0B2ZQ8Y5T9X3N7K4M6P2R';

function sampleExchange(): { head: ExchangeHead; response: ResponseHead; end: ExchangeEnd; body: Buffer } {
  const body = objectMetadataJson('bench/object-1kb.json');
  const now = BigInt(Date.now()) * 1_000_000n;
  return {
    head: {
      exchangeId: EXCHANGE_ID,
      sessionId: '01JDZ0AZZZ5T9X3N7K4M6P2RQ8',
      connection: 'storage',
      mode: 'full',
      clientAddress: '127.0.0.1',
      identity: { subject: 'agent-7@example.iam.gserviceaccount.com', issuer: 'https://accounts.google.com', groups: ['agents', 'ci'] },
      operation: 'storage.objects.get',
      resource: 'buckets/bench-bucket/objects/bench/object-1kb.json',
      decision: { action: 'allow', rule: 'agents-read' },
      method: 'GET',
      target: '/storage/v1/b/bench-bucket/o/bench%2Fobject-1kb.json?alt=json&prettyPrint=false',
      requestHeaders: [
        ['host', 'storage.googleapis.com'],
        ['user-agent', 'google-cloud-node/7.17.0 gl-node/20.20.2'],
        ['x-goog-api-client', 'gl-node/20.20.2 gccl/7.17.0 gccl-invocation-id/6a0b1c2d'],
        ['authorization', '[redacted sha256:3f2a9c1e]'],
        ['accept', 'application/json'],
        ['accept-encoding', 'gzip'],
      ],
      receivedNs: now,
    },
    response: {
      status: 200,
      headers: [
        ['content-type', 'application/json; charset=UTF-8'],
        ['etag', 'CIDs5Jfkq4kDEAE='],
        ['x-guploader-uploadid', 'ABPtcPp2g6Lz0d9m1xq'],
        ['content-length', String(body.length)],
        ['date', 'Wed, 25 Nov 2026 16:00:00 GMT'],
      ],
      upstreamConnectedNs: now + 100_000n,
      firstByteNs: now + 900_000n,
    },
    end: { outcome: 'completed', error: '', completedNs: now + 1_000_000n, requestBytes: 0, responseBytes: body.length },
    body,
  };
}

interface FrameBuilderLike {
  pos: number;
  addRecord(bytes: Uint8Array): void;
  addBody(id: string, idBytes: Uint8Array, direction: number, offset: number, chunk: Uint8Array): void;
  detach(next: Buffer): { buf: Buffer; length: number };
}

/** A FrameBuilder that recycles its buffer when full (what the recorder does, minus the handoff). */
function frameBuilder(FrameBuilder: Ctor, size = 4 * 1024 * 1024): FrameBuilderLike {
  const spare = Buffer.allocUnsafe(size);
  let fb: FrameBuilderLike;
  const C = FrameBuilder as unknown as new (buf: Buffer, onFull: () => void) => FrameBuilderLike;
  fb = new C(Buffer.allocUnsafe(size), () => {
    const out = fb.detach(spare);
    void out;
  });
  return fb;
}

// ------------------------------------------------------------------ record encoding

export const recordSuite: SuiteFactory = async () => {
  const rec = await load('storage/segment/records', ['encodeStart', 'encodeResponse', 'encodeEnd']);
  const fbm = await load('storage/microbench', ['FrameBuilder', 'encodeBodyChunk', 'encodeBodyChunkWithProtobufjs']);
  if (typeof rec === 'string') return { skip: rec };
  if (typeof fbm === 'string') return { skip: fbm };
  const encodeStart = fnExport<(h: ExchangeHead) => Uint8Array>(rec, 'encodeStart')!;
  const encodeResponse = fnExport<(id: string, r: ResponseHead) => Uint8Array>(rec, 'encodeResponse')!;
  const encodeEnd = fnExport<(id: string, e: ExchangeEnd) => Uint8Array>(rec, 'encodeEnd')!;
  const encodeBodyChunk = fnExport<(out: Buffer, idBytes: Uint8Array, dir: 1 | 2, off: number, data: Uint8Array) => number>(fbm, 'encodeBodyChunk')!;
  const encodeBodyChunkPb = fnExport<(id: string, dir: 1 | 2, off: number, data: Uint8Array) => Uint8Array>(fbm, 'encodeBodyChunkWithProtobufjs')!;
  const scratch = Buffer.allocUnsafe(64 * 1024);
  const ex = sampleExchange();
  const idBytes = Buffer.from(EXCHANGE_ID);
  const fb = frameBuilder(fbm.FrameBuilder as Ctor);
  const encodeExchange = (): void => {
    fb.addRecord(encodeStart(ex.head));
    fb.addRecord(encodeResponse(EXCHANGE_ID, ex.response));
    fb.addBody(EXCHANGE_ID, idBytes, 2, 0, ex.body);
    fb.addRecord(encodeEnd(EXCHANGE_ID, ex.end));
  };
  // Bytes of records one exchange produces (for MB/s).
  const before = fb.pos;
  encodeExchange();
  const perExchange = fb.pos - before;
  const chunk = ex.body;
  return [
    { name: 'tapegate: one 1 KiB-JSON exchange → framed records (start, response, body, end; CRC32C each)', baseline: false, bytesPerOp: perExchange, fn: encodeExchange },
    { name: 'tapegate: body chunk 1 KiB, hand-rolled BodyChunk encoder (encodeBodyChunk)', baseline: false, bytesPerOp: chunk.length, fn: () => encodeBodyChunk(scratch, idBytes, 2, 0, chunk) },
    { name: 'tapegate: body chunk 1 KiB into the frame (FrameBuilder.addBody: encode + CRC32C)', baseline: false, bytesPerOp: chunk.length, fn: () => fb.addBody(EXCHANGE_ID, idBytes, 2, 0, chunk) },
    { name: 'protobufjs: body chunk 1 KiB, Record.encode().finish()', baseline: true, bytesPerOp: chunk.length, fn: () => encodeBodyChunkPb(EXCHANGE_ID, 2, 0, chunk) },
    { name: 'reference: JSON.stringify of the same head (no body)', baseline: true, bytesPerOp: null, fn: () => JSON.stringify(ex.head, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) },
  ];
};

// ------------------------------------------------------------------ CRC32C

export const crcTapegateCases = async (): Promise<MicroCase[] | string> => {
  const fbm = await load('storage/microbench', ['FrameBuilder']);
  if (typeof fbm === 'string') return fbm;
  const fb = frameBuilder(fbm.FrameBuilder as Ctor);
  const data = jsonLines(64 * 1024, 21);
  const idBytes = Buffer.from(EXCHANGE_ID);
  return [{ name: 'tapegate: FrameBuilder.addBody 64 KiB (record + copy + CRC32C)', baseline: false, bytesPerOp: data.length, fn: () => fb.addBody(EXCHANGE_ID, idBytes, 2, 0, data) }];
};

// ------------------------------------------------------------------ zstd frames

export const zstdTapegateCases = async (): Promise<MicroCase[] | string> => {
  const mb = await load('storage/microbench', ['compressFrame', 'FrameBuilder']);
  if (typeof mb === 'string') return mb;
  const compressFrame = fnExport<(raw: Uint8Array, level?: number) => number>(mb, 'compressFrame')!;
  const data = jsonLines(1024 * 1024, 23);
  // The same 1 MiB as 1 KiB response-body records, the way the recorder frames them.
  const fb = frameBuilder(mb.FrameBuilder as Ctor, 2 * 1024 * 1024);
  const idBytes = Buffer.from(EXCHANGE_ID);
  for (let off = 0; off < data.length; off += 1024) fb.addBody(EXCHANGE_ID, idBytes, 2, off, data.subarray(off, off + 1024));
  const detached = fb.detach(Buffer.allocUnsafe(16));
  const framed = Buffer.from(detached.buf.subarray(0, detached.length));
  return [
    { name: 'tapegate: compressFrame level 1 (writer path: CCtx, reused output), 1 MiB JSON lines', baseline: false, bytesPerOp: data.length, fn: () => compressFrame(data, 1) },
    { name: 'tapegate: compressFrame level 1, the same 1 MiB as 1 KiB body records', baseline: false, bytesPerOp: data.length, fn: () => compressFrame(framed, 1) },
  ];
};

// ------------------------------------------------------------------ SHA-256 of a segment

/** storage/microbench hashSegment over a 64 MiB file (page cache warm) vs node:crypto in memory. */
export const shaTapegateCases = async (chunk: Buffer, segmentBytes: number): Promise<MicroCase[] | string> => {
  const mb = await load('storage/microbench', ['hashSegment']);
  if (typeof mb === 'string') return mb;
  const hashSegment = fnExport<(file: string) => Promise<string>>(mb, 'hashSegment')!;
  const dir = mkdtempSync(path.join(tmpdir(), 'tapegate-bench-sha-'));
  const file = path.join(dir, 'segment.tgs');
  const fd = openSync(file, 'w');
  for (let i = 0; i < segmentBytes / chunk.length; i++) writeSync(fd, chunk);
  closeSync(fd);
  await hashSegment(file);
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return [{ name: 'tapegate: hashSegment, 64 MiB segment file (streamed, page cache warm)', baseline: false, bytesPerOp: segmentBytes, fn: () => hashSegment(file) }];
};

// ------------------------------------------------------------------ policy

export const policySuite: SuiteFactory = async () => {
  const pol = await load('core/policy/index', ['compilePolicy']);
  if (typeof pol === 'string') return { skip: pol };
  const compilePolicy = fnExport<(cfg: unknown) => { decide(input: unknown): { action: string } }>(pol, 'compilePolicy')!;
  // A realistic rule set: a few denies, reviews for destructive operations, then allows by group.
  const rules: unknown[] = [
    { name: 'no-iam', operations: ['*.setIamPolicy', '*.lockRetentionPolicy'], action: 'deny' },
    { name: 'prod-deletes-reviewed', operations: ['storage.objects.delete', 'storage.buckets.delete'], resources: ['buckets/prod-*'], action: 'review' },
    { name: 'bq-drop-reviewed', operations: ['bigquery.jobs.query.drop', 'bigquery.tables.delete'], action: 'review' },
    { name: 'compute-stop-reviewed', operations: ['compute.instances.stop', 'compute.instances.delete'], action: 'review' },
  ];
  for (let i = 0; i < 12; i++) rules.push({ name: `team-${i}-read`, groups: [`team-${i}`], operations: ['storage.objects.*', 'storage.buckets.get'], effects: ['read'], action: 'allow' });
  rules.push({ name: 'agents-read', groups: ['agents'], operations: ['storage.*', 'bigquery.*'], effects: ['read'], action: 'allow' });
  rules.push({ name: 'agents-write-scratch', groups: ['agents'], resources: ['buckets/scratch-*', 'buckets/scratch-*/**'], effects: ['write', 'overwrite'], action: 'allow' });
  const policy = compilePolicy({ rules });
  const identity = { subject: 'agent-7@example.iam.gserviceaccount.com', issuer: 'https://accounts.google.com', groups: ['agents', 'ci'] };
  const read = { identity, connection: 'storage', classification: { items: [{ operation: 'storage.objects.get', resource: 'buckets/bench-bucket/objects/bench/object-1kb.json', effect: 'read' }] } };
  const del = { identity, connection: 'storage', classification: { items: [{ operation: 'storage.objects.delete', resource: 'buckets/prod-logs/objects/a.json', effect: 'remove' }] } };
  if (policy.decide(read).action !== 'allow') return { skip: 'policy: the sample rule set did not allow the sample read (rule syntax changed?)' };
  return [
    { name: `tapegate: decide, allow matched by rule ${rules.length - 1} of ${rules.length}`, baseline: false, bytesPerOp: null, fn: () => policy.decide(read) },
    { name: 'tapegate: decide, review matched by rule 2', baseline: false, bytesPerOp: null, fn: () => policy.decide(del) },
  ];
};

// ------------------------------------------------------------------ classification

export const classifySuite: SuiteFactory = async () => {
  const cls = await load('core/classify/index', ['classifyGcpOperation']);
  if (typeof cls === 'string') return { skip: cls };
  const classify = fnExport<(i: { method: string; path: string; query: string; body?: Uint8Array; contentType?: string }) => { operation: string }>(cls, 'classifyGcpOperation')!;
  const get = { method: 'GET', path: '/storage/v1/b/bench-bucket/o/bench%2Fobject-1kb.json', query: 'alt=json&prettyPrint=false' };
  const list = { method: 'GET', path: '/storage/v1/b/bench-bucket/o', query: 'prefix=logs%2F2026%2F&maxResults=1000' };
  const insert = { method: 'POST', path: '/upload/storage/v1/b/bench-bucket/o', query: 'uploadType=media&name=logs%2Fnew.jsonl' };
  const sql = Buffer.from(JSON.stringify({ configuration: { query: { query: 'SELECT user_id, COUNT(*) FROM `p.d.events` WHERE ts > CURRENT_TIMESTAMP() - INTERVAL 1 DAY GROUP BY 1', useLegacySql: false } } }));
  const bq = { method: 'POST', path: '/bigquery/v2/projects/p/jobs', query: '', body: sql, contentType: 'application/json' };
  const op = classify(get).operation;
  if (!op.startsWith('storage.')) return { skip: `classify: unexpected operation "${op}" for an object GET` };
  const re = /^\/storage\/v1\/b\/([^/]+)\/o\/([^/]+)$/;
  return [
    { name: 'tapegate: storage objects.get', baseline: false, bytesPerOp: null, fn: () => classify(get) },
    { name: 'tapegate: storage objects.list', baseline: false, bytesPerOp: null, fn: () => classify(list) },
    { name: 'tapegate: storage media insert', baseline: false, bytesPerOp: null, fn: () => classify(insert) },
    { name: 'tapegate: bigquery jobs.insert with a SELECT', baseline: false, bytesPerOp: null, fn: () => classify(bq) },
    { name: 'reference: one RegExp.exec on the objects.get path', baseline: true, bytesPerOp: null, fn: () => re.exec(get.path) },
  ];
};

// ------------------------------------------------------------------ JWT

export const jwtSuite: SuiteFactory = async () => {
  const ver = await load('core/auth/verifier', ['JwtVerifier']);
  if (typeof ver === 'string') return { skip: ver };
  const JwtVerifier = ver.JwtVerifier as new (o: unknown) => { verify(token: string): Promise<unknown> };
  const issuer = 'https://accounts.google.com';
  const audience = 'https://tapegate.example.com';
  const cases: MicroCase[] = [];
  for (const alg of ['RS256', 'EdDSA'] as const) {
    const { privateKey, publicKey } = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid: `bench-${alg}`, alg, use: 'sig' };
    const token = await new SignJWT({ email: 'agent-7@example.iam.gserviceaccount.com', groups: ['agents'] })
      .setProtectedHeader({ alg, kid: jwk.kid })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject('112233445566778899')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
    const verifier = new JwtVerifier({ issuer, audience, algorithms: [alg], clockSkewSeconds: 60, jwks: { keys: [jwk] } });
    await verifier.verify(token); // warm: keys imported and cached
    const localSet = createLocalJWKSet({ keys: [jwk] });
    await jwtVerify(token, localSet, { issuer, audience, algorithms: [alg] });
    cases.push(
      { name: `tapegate: JwtVerifier.verify ${alg}, warm key set`, baseline: false, bytesPerOp: null, fn: () => verifier.verify(token) },
      { name: `jose: jwtVerify ${alg}, local JWK set`, baseline: true, bytesPerOp: null, fn: () => jwtVerify(token, localSet, { issuer, audience, algorithms: [alg] }) },
    );
  }
  return cases;
};
