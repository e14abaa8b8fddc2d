// `berth update` in Docker's words: its flags → a ContainerUpdate (the body of Docker's POST
// /containers/{id}/update, in camelCase), and a ContainerUpdate applied to a Container's spec with
// Docker's rules. The engine then applies the new limits to the running container's cgroup.
import { InvalidArgumentError } from '../errdefs.ts';
import { parseMemory } from '../quantity.ts';
import type { ContainerUpdate } from '../api/containers.ts';
import type { ContainerSpec } from '../schema.ts';
import { dockerMemory } from './run.ts';
import { parseDockerRestart } from './restart.ts';

export interface DockerUpdateFlags {
  memory?: string;
  memorySwap?: string;
  cpus?: string;
  cpuShares?: string;
  pidsLimit?: string;
  restart?: string;
}

/** Docker's smallest memory limit (daemon/daemon_unix.go linuxMinMemory). */
export const MIN_MEMORY = 6 * 1024 * 1024;

function bytes(v: string, flag: string): number {
  try {
    return parseMemory(dockerMemory(v, flag));
  } catch (err) {
    if (err instanceof InvalidArgumentError && err.message.startsWith(flag)) throw err;
    throw new InvalidArgumentError(`${flag} "${v}" is not a size (e.g. 64m, 1g, or 64Mi)`);
  }
}

function integer(v: string, flag: string, what: string): number {
  if (!/^-?\d+$/.test(v.trim())) throw new InvalidArgumentError(`${flag} "${v}" is not a whole number (${what})`);
  return Number(v);
}

/** The flags as the CLI got them → what to change; nothing given is an error, as Docker's. */
export function dockerUpdateRequest(o: DockerUpdateFlags): ContainerUpdate {
  const u: ContainerUpdate = {};
  if (o.memory !== undefined) u.memory = bytes(o.memory, '--memory');
  if (o.memorySwap !== undefined) u.memorySwap = o.memorySwap.trim() === '-1' ? -1 : bytes(o.memorySwap, '--memory-swap');
  if (o.cpus !== undefined) {
    const n = Number(o.cpus);
    if (o.cpus.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`--cpus "${o.cpus}" is not a number of CPUs; give one like 0.5 or 2 (0: no limit)`);
    u.nanoCpus = Math.round(n * 1e9);
  }
  if (o.cpuShares !== undefined) u.cpuShares = integer(o.cpuShares, '--cpu-shares', 'a relative weight, e.g. 512; the default is 1024');
  if (o.pidsLimit !== undefined) u.pidsLimit = integer(o.pidsLimit, '--pids-limit', '-1: unlimited');
  if (o.restart !== undefined) u.restartPolicy = parseDockerRestart(o.restart).dockerRestartPolicy;
  if (Object.keys(u).length === 0) {
    throw new InvalidArgumentError('you must provide one or more flags when using this command (e.g. --memory 64m, --cpus 0.5, --pids-limit 100, --restart always)');
  }
  return u;
}

/** A byte count as the quantity a manifest would say ("64Mi" rather than 67108864). */
export function bytesQuantity(n: number): string {
  for (const [unit, size] of [['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) if (n % size === 0) return `${n / size}${unit}`;
  return String(n);
}

/** Billionths of CPUs as a cpu quantity ("1500m", "2"). */
function cpuQuantityOf(nano: number): string {
  const milli = Math.round(nano / 1e6);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/**
 * The spec with the update applied, checked as Docker's daemon checks it (`hostCPUs`: the CPUs a
 * limit may reach). A memory raised above an existing memory+swap limit needs a new one too.
 */
export function applyContainerUpdate(spec: ContainerSpec, u: ContainerUpdate, hostCPUs: number): ContainerSpec {
  const limits = { ...spec.resources?.limits };
  const out: ContainerSpec = { ...spec };
  if (u.memory !== undefined && u.memory !== 0) {
    if (!Number.isSafeInteger(u.memory) || u.memory < MIN_MEMORY) throw new InvalidArgumentError(`Minimum memory limit allowed is 6MB (asked: ${u.memory} bytes); give --memory 6m or more`);
    const swap = u.memorySwap ?? spec.memorySwap;
    if (u.memorySwap === undefined && swap !== undefined && swap !== -1 && u.memory > parseMemory(swap)) {
      throw new InvalidArgumentError(`Memory limit should be smaller than already set memoryswap limit (${swap}), update the memoryswap at the same time (--memory-swap, or -1 for unlimited swap)`);
    }
    limits.memory = bytesQuantity(u.memory);
  }
  if (u.memorySwap !== undefined && u.memorySwap !== 0) {
    if (u.memorySwap !== -1) {
      if (limits.memory === undefined) throw new InvalidArgumentError('You should always set the Memory limit when using Memoryswap limit (--memory with --memory-swap)');
      if (!Number.isSafeInteger(u.memorySwap) || u.memorySwap < parseMemory(limits.memory)) {
        throw new InvalidArgumentError(`Minimum memoryswap limit should be larger than memory limit (${limits.memory}); give a larger --memory-swap, or -1 for unlimited swap`);
      }
    }
    out.memorySwap = u.memorySwap === -1 ? -1 : bytesQuantity(u.memorySwap);
  }
  if (u.nanoCpus !== undefined) {
    if (!Number.isSafeInteger(u.nanoCpus) || u.nanoCpus < 0 || (u.nanoCpus > 0 && (u.nanoCpus < 1e7 || u.nanoCpus > hostCPUs * 1e9))) {
      throw new InvalidArgumentError(`Range of CPUs is from 0.01 to ${hostCPUs}.00, as there are only ${hostCPUs} CPUs available (asked: ${u.nanoCpus / 1e9})`);
    }
    if (u.nanoCpus === 0) delete limits.cpu;
    else limits.cpu = cpuQuantityOf(u.nanoCpus);
  }
  if (u.cpuShares !== undefined) {
    if (u.cpuShares === 0) delete out.cpuShares;
    else if (!Number.isSafeInteger(u.cpuShares) || u.cpuShares < 2 || u.cpuShares > 262144) throw new InvalidArgumentError(`--cpu-shares ${u.cpuShares} is outside 2..262144 (the default weight is 1024; 0 keeps the default)`);
    else out.cpuShares = u.cpuShares;
  }
  if (u.pidsLimit !== undefined) {
    if (!Number.isSafeInteger(u.pidsLimit)) throw new InvalidArgumentError(`--pids-limit ${u.pidsLimit} is not a whole number (-1: unlimited)`);
    limits.pids = u.pidsLimit <= 0 ? -1 : u.pidsLimit;
  }
  if (u.restartPolicy !== undefined) {
    if (spec.autoRemove) throw new InvalidArgumentError('Restart policy cannot be updated because AutoRemove is enabled for the container (it was run with --rm)');
    const text = u.restartPolicy.name + (u.restartPolicy.maximumRetryCount ? `:${u.restartPolicy.maximumRetryCount}` : '');
    Object.assign(out, parseDockerRestart(text, 'RestartPolicy'));
  }
  if (Object.keys(limits).length) out.resources = { ...spec.resources, limits };
  return out;
}
