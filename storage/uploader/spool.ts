import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { SealedSegment } from '../types.js';

/**
 * The uploader's view of the spool directory. Beside each sealed `<base>.tgseg` (and its
 * `<base>.index.jsonl.zst` index) the uploader keeps `<base>.upload.json`: the SealedSegment as the writer
 * announced it, the resumable session URIs of unfinished uploads, and which objects are already
 * verified in the store. It is written atomically (temp + rename + fsync) before a session is used,
 * so a gateway killed mid-upload resumes the same session after restart.
 */
export const SEGMENT_EXT = '.tgseg';
/**
 * The writer's index name is `<base>.index.jsonl.zst` (storage/segment/index-file.ts
 * INDEX_FILE_SUFFIX); plain `<base>.index.jsonl` / `<base>.jsonl` (earlier versions) are accepted too.
 */
export const INDEX_EXTS = ['.index.jsonl.zst', '.index.jsonl', '.jsonl'];
/** The writer publishes the public key into the spool as key-<keyId>.pub.pem. */
const KEY_FILE_RE = /^key-[0-9a-f]+\.pub\.pem$/;
export const STATE_EXT = '.upload.json';
export const CONFLICTS_DIR = 'conflicts';

export interface UploadState {
  version: 1;
  segment: SealedSegment;
  /** objectName → resumable session URI. */
  sessions: Record<string, string>;
  /** Object names already verified in the store. */
  done: string[];
}

export function statePath(segment: Pick<SealedSegment, 'path'>): string {
  return segment.path.slice(0, -SEGMENT_EXT.length) + STATE_EXT;
}

/**
 * Writes the state file off the event loop: temp file, fsync, rename (crash-safe: a reader sees the
 * old or the new file, never a torn one). The document is taken from `state` synchronously, at the
 * call. Two writes of the same segment must not overlap (they share the temp file): the uploader
 * runs them one after another (storage/uploader/state-writes.ts).
 */
export async function writeState(state: UploadState): Promise<void> {
  const file = statePath(state.segment);
  const tmp = `${file}.tmp`;
  const { instanceId, seq, sha256, createdAtMs, sizeBytes, path: segPath, indexPath, publicKeyPath } = state.segment;
  // Only the known fields: whatever else rides on the objects stays out of the file.
  const doc: UploadState = {
    version: 1,
    segment: { instanceId, seq, sha256, createdAtMs, sizeBytes, path: segPath, indexPath, publicKeyPath },
    sessions: state.sessions,
    done: state.done,
  };
  const text = JSON.stringify(doc);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}

export async function readState(segmentPath: string): Promise<UploadState | undefined> {
  try {
    const s = JSON.parse(await readFile(segmentPath.slice(0, -SEGMENT_EXT.length) + STATE_EXT, 'utf8')) as UploadState;
    if (s?.version === 1 && s.segment && s.sessions && Array.isArray(s.done)) return s;
  } catch {
    // Missing or torn: rebuilt from the files themselves.
  }
  return undefined;
}

export function seqOf(baseName: string): number {
  const m = /^(\d+)/.exec(baseName);
  return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
}

async function sha256File(p: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(p) as AsyncIterable<Buffer>) h.update(c);
  return h.digest('hex');
}

export async function fileSize(p: string): Promise<number> {
  try {
    return (await stat(p)).size;
  } catch {
    return 0;
  }
}

/**
 * Sealed segments left in the spool by an earlier run, oldest sequence first. Without a state file
 * (the process died between the seal and the announcement), the segment is described from its own
 * files: seq from the name, creation time from the file's mtime (the seal), this instance's id, the
 * index beside it, and the newest key-<keyId>.pub.pem in the spool (or the configured key).
 */
export async function scanSpool(spoolDir: string, fallback: { instanceId: string; publicKeyPath?: string }): Promise<UploadState[]> {
  let names: string[];
  try {
    names = await readdir(spoolDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const found: UploadState[] = [];
  let newestKeyFile = '';
  let newestKeyMtime = -1;
  for (const n of names.filter((x) => KEY_FILE_RE.test(x))) {
    const m = (await stat(path.join(spoolDir, n))).mtimeMs;
    if (m > newestKeyMtime) {
      newestKeyMtime = m;
      newestKeyFile = path.join(spoolDir, n);
    }
  }
  const segments = new Set(names.filter((n) => n.endsWith(SEGMENT_EXT)));
  for (const n of names) {
    if (n.endsWith(STATE_EXT) && !segments.has(n.slice(0, -STATE_EXT.length) + SEGMENT_EXT)) {
      await unlink(path.join(spoolDir, n)).catch(() => undefined);
    }
  }
  for (const n of segments) {
    const segPath = path.join(spoolDir, n);
    const existing = await readState(segPath);
    if (existing) {
      // The spool may have moved (a new dataDir path): trust the directory we are scanning.
      const seg = existing.segment;
      const keyInSpool = seg.publicKeyPath !== '' && path.dirname(seg.publicKeyPath) === path.dirname(seg.path);
      existing.segment = {
        ...seg,
        path: segPath,
        indexPath: path.join(spoolDir, path.basename(seg.indexPath)),
        publicKeyPath: keyInSpool ? path.join(spoolDir, path.basename(seg.publicKeyPath)) : seg.publicKeyPath,
      };
      found.push(existing);
      continue;
    }
    const st = await stat(segPath);
    const base = n.slice(0, -SEGMENT_EXT.length);
    const indexName = INDEX_EXTS.map((e) => base + e).find((x) => names.includes(x)) ?? base + INDEX_EXTS[0]!;
    found.push({
      version: 1,
      segment: {
        instanceId: fallback.instanceId,
        seq: seqOf(base),
        sha256: await sha256File(segPath),
        createdAtMs: Math.floor(st.mtimeMs),
        sizeBytes: st.size,
        path: segPath,
        indexPath: path.join(spoolDir, indexName),
        publicKeyPath: fallback.publicKeyPath ?? newestKeyFile,
      },
      sessions: {},
      done: [],
    });
  }
  return found.sort((a, b) => a.segment.seq - b.segment.seq || a.segment.path.localeCompare(b.segment.path));
}

/** Moves a conflicting segment's files aside: kept for investigation, out of the upload queue. */
export async function quarantine(state: UploadState): Promise<string> {
  const dir = path.join(path.dirname(state.segment.path), CONFLICTS_DIR);
  await mkdir(dir, { recursive: true });
  for (const p of [state.segment.path, state.segment.indexPath, statePath(state.segment)]) {
    await rename(p, path.join(dir, path.basename(p))).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
  return dir;
}

export async function removeSpoolFiles(state: UploadState): Promise<void> {
  // Index, then segment, then state: if we die in between, a restart either finds the segment with
  // its state (everything `done`, nothing to send) or only an orphaned state file, which scanSpool removes.
  for (const p of [state.segment.indexPath, state.segment.path, statePath(state.segment)]) {
    await unlink(p).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}
