// Container statistics read straight from its cgroup's files (cgroup v1 or v2, detected at run time),
// as cAdvisor and the kubelet do: cheaper than asking the runtime (`runc events --stats` costs a
// process per call, and /metrics reads every container on each scrape).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Stats } from '../../specs/api/containers.ts';

const ROOT = '/sys/fs/cgroup';
/** v2 when the unified hierarchy is mounted at the root and has controllers; v1 (or hybrid) otherwise. */
export const cgroupVersion: 1 | 2 = existsSync(join(ROOT, 'cgroup.controllers')) && !existsSync(join(ROOT, 'memory')) ? 2 : 1;

async function num(path: string): Promise<number | undefined> {
  try {
    const t = (await readFile(path, 'utf8')).trim();
    if (t === 'max') return undefined;
    const n = Number(t);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

async function keyed(path: string): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  try {
    for (const line of (await readFile(path, 'utf8')).split('\n')) {
      const [k, v] = line.split(' ');
      if (k && v !== undefined) m.set(k, Number(v));
    }
  } catch {
    // A missing controller reads as empty.
  }
  return m;
}

/** Memory limits at or above this are "unlimited" (v1 writes PAGE_COUNTER_MAX * page size). */
const UNLIMITED = 2 ** 60;

/** Stats of the cgroup at `path` (relative to each hierarchy's root, e.g. "berth/<id>"). */
export async function readCgroupStats(path: string): Promise<Stats> {
  const rel = path.replace(/^\/+/, '');
  if (cgroupVersion === 2) {
    const dir = join(ROOT, rel);
    const cpu = await keyed(join(dir, 'cpu.stat'));
    const mem = await keyed(join(dir, 'memory.stat'));
    const usage = (await num(join(dir, 'memory.current'))) ?? 0;
    const limit = (await num(join(dir, 'memory.max'))) ?? 0;
    return {
      cpuUsageSeconds: (cpu.get('usage_usec') ?? 0) / 1e6,
      memoryUsageBytes: usage,
      memoryWorkingSetBytes: Math.max(0, usage - (mem.get('inactive_file') ?? 0)),
      memoryLimitBytes: limit >= UNLIMITED ? 0 : limit,
      pids: (await num(join(dir, 'pids.current'))) ?? 0,
      readAt: new Date().toISOString(),
    };
  }
  const mem = await keyed(join(ROOT, 'memory', rel, 'memory.stat'));
  const usage = (await num(join(ROOT, 'memory', rel, 'memory.usage_in_bytes'))) ?? 0;
  const limit = (await num(join(ROOT, 'memory', rel, 'memory.limit_in_bytes'))) ?? 0;
  return {
    cpuUsageSeconds: ((await num(join(ROOT, 'cpuacct', rel, 'cpuacct.usage'))) ?? 0) / 1e9,
    memoryUsageBytes: usage,
    memoryWorkingSetBytes: Math.max(0, usage - (mem.get('total_inactive_file') ?? 0)),
    memoryLimitBytes: limit >= UNLIMITED ? 0 : limit,
    pids: (await num(join(ROOT, 'pids', rel, 'pids.current'))) ?? 0,
    readAt: new Date().toISOString(),
  };
}
