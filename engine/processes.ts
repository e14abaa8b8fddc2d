// The /proc reader behind `top`: the processes sharing a container's pid namespace, as
// `docker top` lists them (pid, ppid, user, cpu time, command). Read from the host's /proc, so it
// works the same for every runtime.
import { readFile, readdir, readlink } from 'node:fs/promises';
import type { ProcessInfo } from '../specs/api/containers.ts';
import { isoTime } from '../specs/timestamps.ts';

/** USER_HZ on Linux: the unit of utime and stime in /proc/<pid>/stat. */
const TICKS_PER_SECOND = 100;

/** tty_nr of /proc/<pid>/stat as ps names it: "?" for none, pts/N, ttyN. */
function ttyName(nr: number): string {
  if (!nr) return '?';
  const major = (nr >> 8) & 0xfff;
  const minor = (nr & 0xff) | ((nr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 256 + minor}`;
  return major === 4 ? `tty${minor}` : '?';
}

/** The processes sharing the pid namespace of `pid` (the container's init), sorted by pid. */
export async function processesInPidNamespaceOf(pid: number): Promise<ProcessInfo[]> {
  const ns = await readlink(`/proc/${pid}/ns/pid`).catch(() => undefined);
  if (!ns) return [];
  const users = await readFile('/etc/passwd', 'utf8').then(
    (t) => new Map(t.split('\n').map((l) => l.split(':')).filter((f) => f.length > 2).map((f) => [f[2]!, f[0]!])),
    () => new Map<string, string>(),
  );
  const btime = Number(/^btime (\d+)$/m.exec(await readFile('/proc/stat', 'utf8').catch(() => ''))?.[1] ?? 0);
  const out: ProcessInfo[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if ((await readlink(`/proc/${entry}/ns/pid`)) !== ns) continue;
      out.push(await processInfo(entry, users, btime));
    } catch {
      // The process ended while we looked.
    }
  }
  return out.sort((a, b) => a.pid - b.pid);
}

async function processInfo(pid: string, users: Map<string, string>, btime: number): Promise<ProcessInfo> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The fields after "(comm)": comm may hold spaces and parentheses, so split after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1] ?? '0';
  const cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean).join(' ');
  return {
    pid: Number(pid),
    ppid: Number(rest[1]),
    user: users.get(uid) ?? uid,
    cpuSeconds: (Number(rest[11]) + Number(rest[12])) / TICKS_PER_SECOND,
    cmd: cmd || `[${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}]`,
    ...(btime ? { startedAt: isoTime((btime + Number(rest[19]) / TICKS_PER_SECOND) * 1000) } : {}),
    tty: ttyName(Number(rest[4])),
  };
}
