/**
 * CPU time and resident memory of a process and its descendants, from /proc (Linux). CPU comes from
 * utime+stime in /proc/<pid>/stat (all threads, so worker threads count); peak RSS from VmHWM in
 * /proc/<pid>/status, reset per scenario through /proc/<pid>/clear_refs when we may, and otherwise
 * from sampling VmRSS every 100 ms.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';

let ticksPerSecond = 0;
function clockTicks(): number {
  if (!ticksPerSecond) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

function statFields(pid: number, tid?: number): string[] | null {
  try {
    const s = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: fields start after the last ')'.
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** The pid and all its descendants (nginx master + worker, a shell's children). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [root];
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const f = statFields(Number(e));
    if (!f) continue;
    const ppid = Number(f[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(e));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length && out.length < 1000) {
    const p = todo.pop()!;
    out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}

/**
 * User+system CPU seconds used so far by one process's main thread: for a Node process, its event
 * loop (worker threads, V8's GC helpers and the libuv pool are other tasks of the process).
 */
export function mainThreadCpuSeconds(pid: number): number {
  const f = statFields(pid, pid);
  return f ? (Number(f[11]) + Number(f[12])) / clockTicks() : 0;
}

/** User+system CPU seconds used so far by the processes. */
export function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const f = statFields(pid);
    // after "pid (comm) ": state=0 ppid=1 … utime=11 stime=12 (0-based from state)
    if (f) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / clockTicks();
}

function statusKb(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Watches a process tree during one scenario. */
export class ProcessMeter {
  private readonly pids: number[];
  private cpuStart = 0;
  private loopStart = 0;
  private sampledPeakKb = 0;
  private hwmReset = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(rootPid: number) {
    this.pids = processTree(rootPid);
  }

  start(): void {
    this.hwmReset = this.pids.every((pid) => {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
        return true;
      } catch {
        return false;
      }
    });
    this.sampledPeakKb = this.rssKb();
    this.cpuStart = cpuSeconds(this.pids);
    this.loopStart = mainThreadCpuSeconds(this.pids[0]!);
    this.timer = setInterval(() => {
      this.sampledPeakKb = Math.max(this.sampledPeakKb, this.rssKb());
    }, 100);
    this.timer.unref();
  }

  private rssKb(): number {
    return this.pids.reduce((sum, pid) => sum + statusKb(pid, 'VmRSS'), 0);
  }

  /**
   * CPU seconds since start() (the whole tree, and the root process's main thread alone) and the
   * peak resident set in MiB (sum over the tree).
   */
  stop(): { cpuSeconds: number; mainThreadCpuSeconds: number; peakRssMiB: number } {
    clearInterval(this.timer);
    const cpu = cpuSeconds(this.pids) - this.cpuStart;
    const loop = mainThreadCpuSeconds(this.pids[0]!) - this.loopStart;
    let peakKb = Math.max(this.sampledPeakKb, this.rssKb());
    if (this.hwmReset) peakKb = Math.max(peakKb, this.pids.reduce((sum, pid) => sum + statusKb(pid, 'VmHWM'), 0));
    return { cpuSeconds: cpu, mainThreadCpuSeconds: loop, peakRssMiB: peakKb / 1024 };
  }
}
