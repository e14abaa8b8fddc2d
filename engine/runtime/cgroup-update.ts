// `update`: new limits written into a running container's cgroup files (v1: one directory per
// controller; v2: the unified one), in the orders the kernel accepts — as runc's `update` does, by
// hand: no maintained npm package writes cgroups, and it is a few writes. The launcher sets the same
// limits at start (native/cgroup.c) from the bundle, which `update` rewrites too.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FailedPreconditionError, InvalidArgumentError, UnavailableError } from '../../specs/errdefs.ts';
import type { OciLimits } from '../bundle.ts';
import { cgroupVersion } from './cgroup-stats.ts';

export interface CgroupWriteOptions {
  /** Where the hierarchies are mounted (default /sys/fs/cgroup). */
  root?: string;
  version?: 1 | 2;
}

function mib(n: number): string {
  return `${Math.round((n / 2 ** 20) * 10) / 10} MiB`;
}

/** The kernel could not reclaim the container's memory down to a new limit (v1's EBUSY; runc says "unable to set memory limit"). */
export function memoryRefused(limit: number): FailedPreconditionError {
  return new FailedPreconditionError(`the container uses more memory than the new limit (${mib(limit)}) and the kernel could not reclaim enough: give a larger --memory, or free memory in the container first`);
}

async function write(file: string, value: string | number, explain?: (code: string) => Error | undefined): Promise<void> {
  try {
    await writeFile(file, String(value));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw explain?.(code) ?? new UnavailableError(`update: the kernel refused "${value}" in ${file} (${code || (err as Error).message})`, { cause: err });
  }
}

/** The limits that are set (-1: none) in the container's cgroup `path` (relative to each hierarchy, e.g. "berth/<id>"). */
export async function applyCgroupLimits(path: string, limits: OciLimits, o: CgroupWriteOptions = {}): Promise<void> {
  const rel = path.replace(/^\/+/, '');
  if (!rel || rel.split('/').includes('..')) throw new InvalidArgumentError(`cgroup path "${path}" is not a container's cgroup`);
  const root = o.root ?? '/sys/fs/cgroup';
  if ((o.version ?? cgroupVersion) === 2) await writeV2(join(root, rel), limits);
  else await writeV1(root, rel, limits);
}

/** v1 rejects a memory limit above memory+swap (EINVAL) and one the kernel cannot reclaim down to (EBUSY). */
async function writeV1(root: string, rel: string, l: OciLimits): Promise<void> {
  const dir = (controller: string) => join(root, controller, rel);
  const mem = l.memory;
  if (mem) {
    const d = dir('memory');
    const memsw = join(d, 'memory.memsw.limit_in_bytes');
    const setMemory = async () => {
      if (mem.limit === undefined) return;
      await write(join(d, 'memory.limit_in_bytes'), mem.limit, (code) => {
        if (code === 'EBUSY') return memoryRefused(mem.limit!);
        if (code === 'EINVAL') return new InvalidArgumentError(`the memory limit ${mib(mem.limit!)} is above the container's memory+swap limit: raise --memory-swap at the same time (or -1)`);
        return undefined;
      });
    };
    const setSwap = async () => {
      if (mem.swap === undefined) return;
      if (!existsSync(memsw)) {
        if (mem.swap === -1) return; // no swap accounting: swap is not limited anyway
        throw new FailedPreconditionError('this kernel does not account swap (no memory.memsw.limit_in_bytes): --memory-swap cannot be applied; boot with swapaccount=1, or leave --memory-swap out');
      }
      await write(memsw, mem.swap, (code) => {
        if (code === 'EBUSY') return new FailedPreconditionError(`the container uses more memory+swap than the new limit (${mib(mem.swap!)}) and the kernel could not reclaim enough: give a larger --memory-swap, or free memory in the container first`);
        return code === 'EINVAL' ? new InvalidArgumentError(`memory+swap (${mib(mem.swap!)}) must not be below the memory limit: give a larger --memory-swap, or -1`) : undefined;
      });
    };
    // runc's order: memory+swap first when it grows (or goes), so memory never exceeds it between the writes.
    const current = Number((await readFile(join(d, 'memory.limit_in_bytes'), 'utf8').catch(() => '0')).trim());
    if (mem.swap !== undefined && (mem.swap === -1 || current < mem.swap)) {
      await setSwap();
      await setMemory();
    } else {
      await setMemory();
      await setSwap();
    }
  }
  if (l.cpu) await writeCpuV1(dir('cpu'), l.cpu);
  if (l.pids) await write(join(dir('pids'), 'pids.max'), l.pids.limit > 0 ? l.pids.limit : 'max');
}

async function writeCpuV1(d: string, cpu: NonNullable<OciLimits['cpu']>): Promise<void> {
  if (cpu.shares !== undefined) await write(join(d, 'cpu.shares'), cpu.shares);
  if (cpu.quota === undefined && cpu.period === undefined) return;
  // No quota first: any period is then accepted, and the new quota is checked against the new period.
  await write(join(d, 'cpu.cfs_quota_us'), -1);
  if (cpu.period !== undefined) await write(join(d, 'cpu.cfs_period_us'), cpu.period);
  if (cpu.quota !== undefined && cpu.quota > 0) await write(join(d, 'cpu.cfs_quota_us'), cpu.quota);
}

async function writeV2(d: string, l: OciLimits): Promise<void> {
  const mem = l.memory;
  if (mem?.limit !== undefined) await write(join(d, 'memory.max'), mem.limit > 0 ? mem.limit : 'max');
  if (mem?.swap !== undefined) {
    // OCI's swap is memory+swap (v1's memsw); v2's memory.swap.max is the swap alone.
    const swap = mem.swap > 0 && mem.limit !== undefined && mem.limit > 0 ? mem.swap - mem.limit : 'max';
    if (existsSync(join(d, 'memory.swap.max'))) await write(join(d, 'memory.swap.max'), swap);
    else if (swap !== 'max') throw new FailedPreconditionError('this kernel does not account swap (no memory.swap.max): --memory-swap cannot be applied; leave it out');
  }
  const cpu = l.cpu;
  // runc's conversion of v1 shares [2, 262144] to v2 weight [1, 10000].
  if (cpu?.shares !== undefined) await write(join(d, 'cpu.weight'), 1 + Math.floor(((cpu.shares - 2) * 9999) / 262142));
  if (cpu?.quota !== undefined || cpu?.period !== undefined) {
    await write(join(d, 'cpu.max'), `${cpu.quota !== undefined && cpu.quota > 0 ? cpu.quota : 'max'} ${cpu.period ?? 100000}`);
  }
  if (l.pids) await write(join(d, 'pids.max'), l.pids.limit > 0 ? l.pids.limit : 'max');
}
