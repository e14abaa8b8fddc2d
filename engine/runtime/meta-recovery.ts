// What a container's meta.json would say, rebuilt from what the running system shows, for when it is
// incomplete (the daemon was killed while the monitor was starting the container: no pid in it) or
// cannot be parsed. A torn file is state to recover, never an error to retry: the container's init
// pid is in the pid file the runtime wrote (atomically); its monitor is the init's parent, or is
// found among the processes by its own arguments (--exit-file names this container's file alone);
// the monitor's arguments name the bundle and the cgroup; a live init's /proc/<pid>/cgroup does too.
import { readdir, readFile, stat } from 'node:fs/promises';
import { readSmallFile, readSmallFileOrThrow } from '../read-small.ts';
import { writeFileAtomic } from '../fs-atomic.ts';
import { isoTime } from '../../specs/timestamps.ts';

/** containers/<id>/meta.json: what the runtime records of a container it started. */
export interface Meta {
  id: string;
  bundle: string;
  createdAt: string;
  startedAt?: string;
  pid?: number;
  /** The monitor process: while it lives, an exit without exit.json is still being recorded. */
  monitorPid?: number;
  /** cgroupsPath of the bundle's config: where stats and OOM kills are read. */
  cgroup?: string;
  /** The process runs on a terminal (process.terminal), whose master the monitor holds. */
  tty?: boolean;
  /** Its stdin is kept open by the monitor (annotation dev.berth.stdin). */
  stdin?: boolean;
}

export interface RecoveredMeta {
  pid?: number;
  monitorPid?: number;
  bundle?: string;
  cgroup?: string;
  createdAt?: string;
  tty?: boolean;
  stdin?: boolean;
}

export interface MonitorProcess {
  pid: number;
  args: string[];
}

/** The value of `--name VALUE` in an argument list. */
export function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Read synchronously (procfs, a few hundred bytes): delete looks at its monitor's until it has
 * ended, and through the thread pool each look was four round trips, milliseconds on a busy host. */
function cmdline(pid: number): string[] {
  return (readSmallFile(`/proc/${pid}/cmdline`) ?? '').split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
}

function isMonitorArgs(args: string[]): boolean {
  return args[0]?.endsWith('berth-monitor') ?? false;
}

/** The process `pid` when it is the monitor whose exit file is `exitFile` (a reused pid is not). */
export async function monitorOf(pid: number, exitFile: string): Promise<MonitorProcess | undefined> {
  const args = cmdline(pid);
  return isMonitorArgs(args) && argValue(args, '--exit-file') === exitFile ? { pid, args } : undefined;
}

/** The live monitor (the starting parent or the monitor proper) whose exit file is `exitFile`: a scan of /proc. */
export async function findMonitor(exitFile: string): Promise<MonitorProcess | undefined> {
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((p) => /^\d+$/.test(p)).map(Number);
  let found: MonitorProcess | undefined;
  for (const pid of pids) {
    // Two processes carry the arguments while it starts (the parent that reports, the monitor it
    // forked): the forked one has the higher pid and outlives the other.
    const m = await monitorOf(pid, exitFile);
    if (m && (!found || pid > found.pid)) found = m;
  }
  return found;
}

export async function readPidFile(path: string): Promise<number | undefined> {
  const n = Number((await readFile(path, 'utf8').catch(() => '')).trim());
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The parent of a live, not yet reaped process. */
async function parentOf(pid: number): Promise<number | undefined> {
  const s = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (!s) return undefined;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return f[0] === 'Z' ? undefined : Number(f[1]);
}

/** A live process's cgroup: the v2 path, else the v1 memory (or pids) controller's. */
async function cgroupOf(pid: number): Promise<string | undefined> {
  const lines = (await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '')).split('\n');
  const path = (l: string | undefined) => l?.split(':').slice(2).join(':');
  const v1 = lines.find((l) => /^\d+:[^:]*\bmemory\b/.test(l)) ?? lines.find((l) => /^\d+:[^:]*\bpids\b/.test(l));
  const p = path(v1) ?? path(lines.find((l) => l.startsWith('0::')));
  return p && p !== '/' ? p : undefined;
}

/**
 * Fills in what `known` lacks of a container's meta from its files under `paths` and the live
 * processes. `known` is what could be read of meta.json ({} when it could not be parsed).
 */
export async function recoverMeta(known: RecoveredMeta, paths: { dir: string; pid: string; exit: string }): Promise<RecoveredMeta> {
  const out: RecoveredMeta = { ...known };
  out.pid ??= await readPidFile(paths.pid);
  const parent = out.pid ? await parentOf(out.pid) : undefined;
  const hinted = out.monitorPid ?? parent;
  // The scan of every process only when meta.json was lost (the bundle and cgroup are wanted).
  const monitor = (hinted ? await monitorOf(hinted, paths.exit) : undefined) ?? (out.bundle ? undefined : await findMonitor(paths.exit));
  if (monitor) {
    out.monitorPid ??= monitor.pid;
    out.bundle ??= argValue(monitor.args, '--bundle');
    const cg = argValue(monitor.args, '--cgroup');
    if (cg) out.cgroup ??= `/${cg}`;
    if (monitor.args.includes('--terminal')) out.tty ??= true;
    if (monitor.args.includes('--stdin')) out.stdin ??= true;
  }
  if (out.pid && !out.cgroup) {
    const cg = await cgroupOf(out.pid);
    if (cg) out.cgroup = cg;
  }
  const dirStat = out.createdAt ? undefined : await stat(paths.dir).catch(() => undefined);
  if (dirStat) out.createdAt = isoTime(dirStat.mtime);
  return out;
}

/**
 * containers/<id>/meta.json, undefined when there is none. What it lacks (a pid: the daemon died
 * while the monitor started the container) or all of it (it cannot be parsed) is recovered from
 * the pid file and the live processes, and written back whole. `launching`: this process is
 * starting it, so no pid yet is no loss.
 */
export async function readMeta(id: string, paths: { dir: string; meta: string; pid: string; exit: string }, launching: boolean): Promise<Meta | undefined> {
  const text = readSmallFileOrThrow(paths.meta);
  if (text === undefined) return undefined;
  let known: Partial<Meta> | undefined;
  try {
    known = JSON.parse(text) as Partial<Meta>;
  } catch {
    known = undefined;
  }
  if (known?.id === id && known.bundle && (known.pid || launching)) return known as Meta;
  const got = await recoverMeta(known ?? {}, paths);
  const meta: Meta = { ...got, id, bundle: got.bundle ?? '', createdAt: got.createdAt ?? isoTime() };
  // Kept once something was learnt; a launch that died before its pid file stays as it was.
  if (meta.pid || !known) await writeFileAtomic(paths.meta, JSON.stringify(meta)).catch(() => undefined);
  return meta;
}
