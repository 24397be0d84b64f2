/**
 * Micro suites (tinybench): each tapegate hot-path function next to the raw library it is built on,
 * on the same data, so the overhead of our wrapping is visible (ops/s, and MB/s where bytes are
 * involved). A tapegate module that does not exist yet (or no longer exports what the suite calls)
 * is skipped with a line saying so; the library baselines always run.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { crc32c } from '@node-rs/crc32';
import { Bench } from 'tinybench';
import { Compressor } from 'zstd-napi';
import { benchDir, fromSource } from './child.js';
import { jsonLines } from './data.js';

export interface MicroRow {
  suite: string;
  name: string;
  /** True for the raw library on the same data. */
  baseline: boolean;
  opsPerSec: number;
  /** Input bytes per second, when the operation consumes bytes. */
  mbPerSec: number | null;
  bytesPerOp: number | null;
  meanUs: number;
  p99Us: number | null;
  rmePct: number;
  samples: number;
}

export interface MicroResult {
  rows: MicroRow[];
  skipped: string[];
  notes: string[];
}

export interface MicroCase {
  name: string;
  baseline: boolean;
  bytesPerOp: number | null;
  fn: () => unknown | Promise<unknown>;
}

/** The cases to run, or the reason some or all are missing (`skip`), or a remark on them (`note`). */
export type SuiteFactory = () => Promise<MicroCase[] | { skip?: string; note?: string; cases?: MicroCase[] }>;

/**
 * Imports one of tapegate's own modules by repo-relative path without a static import, so the bench
 * builds (and the baselines run) while that module is still being written.
 */
export async function importOptional(rel: string): Promise<Record<string, unknown> | string> {
  // Next to the bench's own build output (dist/bench → dist/<rel>.js), or the .ts source under tsx.
  const file = path.join(benchDir, '..', `${rel}${fromSource ? '.ts' : '.js'}`);
  if (!existsSync(file)) return `${rel} does not exist yet`;
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    return `${rel} failed to load: ${(err as Error).message.split('\n')[0]}`;
  }
}

export function fnExport<T extends (...args: never[]) => unknown>(mod: Record<string, unknown>, name: string): T | null {
  return typeof mod[name] === 'function' ? (mod[name] as T) : null;
}

// ------------------------------------------------------------------ library-backed suites

const crcSuite: SuiteFactory = async () => {
  const data = jsonLines(64 * 1024, 21);
  const cases: MicroCase[] = [{ name: '@node-rs/crc32 crc32c, 64 KiB', baseline: true, bytesPerOp: data.length, fn: () => crc32c(data) }];
  const small = jsonLines(1024, 22);
  cases.push({ name: '@node-rs/crc32 crc32c, 1 KiB', baseline: true, bytesPerOp: small.length, fn: () => crc32c(small) });
  return cases;
};

const zstdSuite: SuiteFactory = async () => {
  const data = jsonLines(1024 * 1024, 23);
  const c = new Compressor();
  c.setParameters({ compressionLevel: 1 });
  return [{ name: 'zstd-napi Compressor level 1, 1 MiB JSON lines', baseline: true, bytesPerOp: data.length, fn: () => c.compress(data) }];
};

let shaChunk: Buffer | undefined;
const shaData = (): Buffer => (shaChunk ??= jsonLines(1024 * 1024, 24));
const shaSuite: SuiteFactory = async () => {
  // A 64 MiB segment hashed in 1 MiB updates.
  const chunk = shaData();
  const segmentBytes = 64 * 1024 * 1024;
  return [
    {
      name: 'node:crypto sha256, 64 MiB segment in 1 MiB updates',
      baseline: true,
      bytesPerOp: segmentBytes,
      fn: () => {
        const h = createHash('sha256');
        for (let i = 0; i < segmentBytes / chunk.length; i++) h.update(chunk);
        return h.digest();
      },
    },
  ];
};

/** Library baseline cases first, then tapegate's (or the reason they are missing). */
function withTapegate(base: SuiteFactory, extra: () => Promise<MicroCase[] | string>): SuiteFactory {
  return async () => {
    const b = await base();
    const baseCases = Array.isArray(b) ? b : (b.cases ?? []);
    const t = await extra();
    return typeof t === 'string' ? { skip: `tapegate cases: ${t}`, cases: baseCases } : [...t, ...baseCases];
  };
}

export const SUITES: Record<string, SuiteFactory> = {
  crc32c: withTapegate(crcSuite, async () => (await import('./micro-tapegate.js')).crcTapegateCases()),
  zstd: withTapegate(zstdSuite, async () => (await import('./micro-tapegate.js')).zstdTapegateCases()),
  sha256: withTapegate(shaSuite, async () => (await import('./micro-tapegate.js')).shaTapegateCases(shaData(), 64 * 1024 * 1024)),
  record: async () => (await import('./micro-tapegate.js')).recordSuite(),
  policy: async () => (await import('./micro-tapegate.js')).policySuite(),
  classify: async () => (await import('./micro-tapegate.js')).classifySuite(),
  jwt: async () => (await import('./micro-tapegate.js')).jwtSuite(),
};

export async function runCases(suite: string, cases: MicroCase[], quick: boolean): Promise<MicroRow[]> {
  const bench = new Bench({ time: quick ? 200 : 1000, warmupTime: quick ? 50 : 200, iterations: 4 });
  for (const c of cases) bench.add(c.name, c.fn);
  await bench.run();
  return cases.map((c, i) => {
    const r = bench.tasks[i]!.result;
    if (!r || r.error) throw new Error(`micro ${suite} / ${c.name}: ${r?.error?.message ?? 'no result'}`);
    const ops = r.throughput.mean;
    return {
      suite,
      name: c.name,
      baseline: c.baseline,
      opsPerSec: ops,
      mbPerSec: c.bytesPerOp === null ? null : (ops * c.bytesPerOp) / 1e6,
      bytesPerOp: c.bytesPerOp,
      meanUs: r.latency.mean * 1000,
      p99Us: r.latency.p99 === undefined ? null : r.latency.p99 * 1000,
      rmePct: r.latency.rme,
      samples: r.latency.samples?.length ?? 0,
    };
  });
}

export async function runMicro(o: { suites: string[]; quick: boolean; log: (l: string) => void }): Promise<MicroResult> {
  const rows: MicroRow[] = [];
  const skipped: string[] = [];
  const notes: string[] = [];
  for (const name of o.suites) {
    const factory = SUITES[name];
    if (!factory) {
      skipped.push(`${name}: no such suite`);
      continue;
    }
    o.log(`micro ${name}`);
    const got = await factory();
    const cases = Array.isArray(got) ? got : (got.cases ?? []);
    if (!Array.isArray(got) && got.skip) skipped.push(`${name}: ${got.skip}`);
    if (!Array.isArray(got) && got.note) notes.push(`${name}: ${got.note}`);
    if (cases.length) rows.push(...(await runCases(name, cases, o.quick)));
  }
  return { rows, skipped, notes };
}
