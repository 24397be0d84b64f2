import { readFileSync } from 'node:fs';

/** Resident set size of a process, from /proc (0 if it has no VmRSS line, e.g. a zombie). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Samples a process's RSS every 25 ms until stopped; returns the maximum. */
export function sampleRss(pid: number): { stop(): number } {
  let max = rssBytes(pid);
  const timer = setInterval(() => {
    try {
      max = Math.max(max, rssBytes(pid));
    } catch {
      /* exited */
    }
  }, 25);
  return {
    stop() {
      clearInterval(timer);
      return max;
    },
  };
}
