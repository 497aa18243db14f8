import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';

// Reads a process's CPU time and memory from Linux's /proc, so the benchmark measures the
// gateway from outside without any agent or dependency. The parsers are pure and take the
// file text; the readers below are the thin edge.

export interface ProcCpu {
  /** User-mode CPU time, clock ticks. */
  utimeTicks: number;
  /** Kernel-mode CPU time, clock ticks. */
  stimeTicks: number;
}

/**
 * Parses /proc/<pid>/stat. The second field (the command name) is in parentheses and may hold
 * spaces or parentheses itself, so fields are counted from the last ')'. utime and stime are
 * fields 14 and 15 of the file, i.e. the 12th and 13th after the name.
 */
export function parseProcStat(text: string): ProcCpu | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return { utimeTicks: utime, stimeTicks: stime };
}

export interface ProcMemory {
  /** Resident set size now, bytes. */
  rssBytes: number;
  /** Peak resident set size over the process's life (VmHWM), bytes. */
  peakRssBytes: number;
}

/** Parses VmRSS and VmHWM (kB) from /proc/<pid>/status. */
export function parseProcStatus(text: string): ProcMemory | null {
  const kb = (name: string): number | null => {
    const match = new RegExp(`^${name}:\\s+(\\d+)\\s+kB$`, 'm').exec(text);
    return match?.[1] === undefined ? null : Number(match[1]) * 1024;
  };
  const rss = kb('VmRSS');
  const hwm = kb('VmHWM');
  if (rss === null || hwm === null) return null;
  return { rssBytes: rss, peakRssBytes: hwm };
}

export interface SystemCpu {
  /** Ticks all CPUs spent doing anything but idling or waiting for I/O. */
  busyTicks: number;
  totalTicks: number;
}

/**
 * Parses the aggregate `cpu` line of /proc/stat: user nice system idle iowait irq softirq
 * steal guest guest_nice. Guest time is already included in user/nice, so it is not added
 * again; steal counts as busy (another tenant had the CPU).
 */
export function parseSystemCpu(text: string): SystemCpu | null {
  const line = /^cpu\s+([\d\s]+)$/m.exec(text)?.[1];
  if (line === undefined) return null;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .map(Number);
  const busyTicks = user + nice + system + irq + softirq + steal;
  return { busyTicks, totalTicks: busyTicks + idle + iowait };
}

/** First `model name` of /proc/cpuinfo, or null. */
export function parseCpuModel(text: string): string | null {
  return /^model name\s*:\s*(.+)$/m.exec(text)?.[1]?.trim() ?? null;
}

let clockTicks: number | undefined;

/** USER_HZ, the unit of /proc CPU times (100 on practically every Linux build). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5_000 });
    const value = Number(out.stdout?.trim());
    clockTicks = Number.isInteger(value) && value > 0 ? value : 100;
  }
  return clockTicks;
}

/**
 * CPU seconds (user + system) a process has used so far, all its threads together; with
 * `mainThreadOnly`, only its main thread's (for Node, the JavaScript thread). Null once it is gone.
 */
export async function readProcessCpuSeconds(pid: number, mainThreadOnly = false): Promise<number | null> {
  const path = mainThreadOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`;
  const text = await readFile(path, 'utf8').catch(() => null);
  const cpu = text === null ? null : parseProcStat(text);
  return cpu === null ? null : (cpu.utimeTicks + cpu.stimeTicks) / clockTicksPerSecond();
}

export async function readProcessMemory(pid: number): Promise<ProcMemory | null> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  return text === null ? null : parseProcStatus(text);
}

/** Busy and total CPU seconds of the whole machine (all cores) since boot. */
export async function readSystemCpuSeconds(): Promise<{ busy: number; total: number } | null> {
  const text = await readFile('/proc/stat', 'utf8').catch(() => null);
  const cpu = text === null ? null : parseSystemCpu(text);
  if (cpu === null) return null;
  const hz = clockTicksPerSecond();
  return { busy: cpu.busyTicks / hz, total: cpu.totalTicks / hz };
}

/** Direct children of a process (a cluster primary's workers); empty when it has none or is gone. */
export async function readChildPids(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return parseChildPids(text);
}

/** `/proc/PID/task/TID/children`: space-separated PIDs. */
export function parseChildPids(text: string): number[] {
  return text
    .trim()
    .split(/\s+/)
    .filter((field) => /^\d+$/.test(field))
    .map(Number);
}
