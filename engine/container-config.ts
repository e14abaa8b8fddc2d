// How a Container object and its image's config become the process and mounts of an OCI bundle,
// with Kubernetes' rules (pure: bundle-assembly.ts reads the image config and the rootfs's passwd
// files, calls these, and hands the result to bundle.ts's ociConfig):
//  - command replaces the image's Entrypoint (and drops its Cmd); args replace Cmd;
//  - $(VAR) in command/args expands from the container's env, $$(VAR) is a literal $(VAR);
//  - env: the image's Env, then spec.env overriding by name; PATH and HOSTNAME as Docker sets them;
//  - workingDir / user / stop signal: the spec's, else the image's, else /, root, SIGTERM;
//    securityContext.runAsUser / runAsGroup override the user and group;
//  - a pids limit always: the spec's, else berth's default (-1: none);
//  - volumeMounts: each a mount request (hostPath, emptyDir, emptyDir Memory, a named volume),
//    checked here; engine/volumes/ turns them into the bundle's mounts (that needs the host: made
//    directories, named volumes, subPaths resolved inside their volume, the image's VOLUMEs).
import { isAbsolute, normalize } from 'node:path';
import type { ContainerSpec } from '../specs/schema.ts';
import { InvalidArgumentError } from '../specs/errdefs.ts';
import { parseCpu, parseMemory } from '../specs/quantity.ts';
import { mergeTmpfsOptions } from '../specs/tmpfs.ts';
import { DEFAULT_PIDS_LIMIT } from './security/security-plan.ts';

/** The part of an OCI image config (config.config) a container is made from. */
export interface ImageRunConfig {
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  User?: string;
  StopSignal?: string;
  /** The image's VOLUMEs: each path not mounted otherwise gets an anonymous volume. */
  Volumes?: Record<string, unknown> | null;
}

export interface MountPlan {
  destination: string;
  type: 'bind' | 'tmpfs';
  source: string;
  options: string[];
}

export interface ContainerRunConfig {
  args: string[];
  env: string[];
  cwd: string;
  /** As written ("1000", "1000:1000", "nobody"); resolveUser() turns it into ids. */
  user: string;
  hostname: string;
  /** The process runs on a terminal (spec.tty). */
  terminal?: boolean;
  stopSignal: string;
  readonlyRootfs: boolean;
  mounts: MountPlan[];
  resources: ContainerResources;
}

/** The limits of a container's cgroup (what `update` changes live). */
export interface ContainerResources {
  memoryBytes?: number;
  /** Memory plus swap (v1 memsw); -1: unlimited swap. */
  memorySwapBytes?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpuShares?: number;
  pidsLimit?: number;
}

/** What one volumeMount asks for, before the host is looked at. */
export type MountRequest = { destination: string; readOnly: boolean } & (
  | { kind: 'bind'; hostPath: string; hostType?: string; subPath?: string }
  /** An emptyDir on disk: a directory of the container named after the volume. */
  | { kind: 'emptyDir'; volume: string; subPath?: string }
  | { kind: 'tmpfs'; options: string[] }
  | { kind: 'volume'; volume: string; subPath?: string; noCopy: boolean }
);

/** A container's run config with its mounts still requests (engine/volumes/ makes them mounts). */
export type ContainerRunPlan = Omit<ContainerRunConfig, 'mounts'> & { mountRequests: MountRequest[] };

/** A tmpfs of a container: Docker's and Kubernetes' defaults, then what the spec adds. */
export const TMPFS_DEFAULTS = ['nosuid', 'nodev', 'mode=1777'];

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const CPU_PERIOD_US = 100_000;

/** Kubernetes' $(VAR) expansion: known variables only; $$ escapes. */
export function expandVars(s: string, env: Map<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return env.has(name!) ? env.get(name!)! : m;
  });
}

function envMap(list: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of list) {
    const i = kv.indexOf('=');
    m.set(i < 0 ? kv : kv.slice(0, i), i < 0 ? '' : kv.slice(i + 1));
  }
  return m;
}

export function containerRunConfig(o: { name: string; spec: ContainerSpec; image: ImageRunConfig }): ContainerRunPlan {
  const { spec, image, name } = o;
  const hostname = spec.hostname ?? name;

  const env = envMap(image.Env ?? []);
  if (!env.has('PATH')) env.set('PATH', DEFAULT_PATH);
  env.set('HOSTNAME', hostname);
  // On a terminal, a TERM its programs understand, as Docker sets it.
  if (spec.tty && !env.has('TERM')) env.set('TERM', 'xterm');
  for (const e of spec.env ?? []) env.set(e.name, expandVars(e.value, env));

  const entrypoint = spec.command ?? image.Entrypoint ?? [];
  const cmd = spec.args ?? (spec.command ? [] : (image.Cmd ?? []));
  const args = [...entrypoint, ...cmd].map((a) => expandVars(a, env));
  if (args.length === 0) {
    throw new InvalidArgumentError(
      `container "${name}": no command to run: the image has neither Entrypoint nor Cmd; set spec.command (e.g. ["sleep", "3600"])`,
    );
  }

  const mountRequests = mountRequestsOf(name, spec);

  const resources = containerResources(spec);

  const sc = spec.securityContext;
  let user = spec.user ?? (image.User || '');
  if (sc?.runAsUser !== undefined) user = String(sc.runAsUser);
  if (sc?.runAsGroup !== undefined) user = `${user.split(':')[0] || '0'}:${sc.runAsGroup}`;

  return {
    args,
    env: [...env].map(([k, v]) => `${k}=${v}`),
    cwd: spec.workingDir ?? (image.WorkingDir || '/'),
    user,
    hostname,
    terminal: spec.tty ?? false,
    stopSignal: spec.stopSignal ?? (image.StopSignal || 'SIGTERM'),
    readonlyRootfs: spec.readOnlyRootFilesystem || sc?.readOnlyRootFilesystem === true,
    mountRequests,
    resources,
  };
}

/** The cgroup limits a spec asks for: its resources.limits, Docker's swap and shares, berth's default pids limit. */
export function containerResources(spec: ContainerSpec): ContainerResources {
  const limits = spec.resources?.limits;
  const resources: ContainerResources = {};
  if (limits?.memory !== undefined) resources.memoryBytes = parseMemory(limits.memory);
  if (spec.memorySwap !== undefined) resources.memorySwapBytes = spec.memorySwap === -1 ? -1 : parseMemory(spec.memorySwap);
  if (limits?.cpu !== undefined) {
    resources.cpuPeriod = CPU_PERIOD_US;
    resources.cpuQuota = Math.max(1000, Math.round(parseCpu(limits.cpu) * CPU_PERIOD_US));
  }
  if (spec.cpuShares !== undefined) resources.cpuShares = spec.cpuShares;
  if (limits?.pids === undefined) resources.pidsLimit = DEFAULT_PIDS_LIMIT;
  else if (limits.pids > 0) resources.pidsLimit = limits.pids;
  return resources;
}

/** The volumeMounts as requests, in spec order; a mount of no volume, a repeated path or a subPath leaving the volume is invalid. */
export function mountRequestsOf(name: string, spec: ContainerSpec): MountRequest[] {
  const volumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
  const out: MountRequest[] = [];
  const seen = new Set<string>();
  for (const vm of spec.volumeMounts ?? []) {
    const v = volumes.get(vm.name);
    if (!v) {
      throw new InvalidArgumentError(`container "${name}": volumeMounts "${vm.name}" names no volume in spec.volumes; add {name: ${vm.name}, emptyDir: {}} or similar`);
    }
    const destination = normalize(vm.mountPath).replace(/(.)\/+$/, '$1');
    if (seen.has(destination)) throw new InvalidArgumentError(`container "${name}": two volumeMounts at ${destination}; each mountPath must be different`);
    seen.add(destination);
    let subPath: string | undefined;
    if (vm.subPath) {
      subPath = normalize(vm.subPath);
      if (isAbsolute(subPath) || subPath === '..' || subPath.startsWith('../')) {
        throw new InvalidArgumentError(`container "${name}": subPath "${vm.subPath}" of volumeMount "${vm.name}" must be a relative path inside the volume`);
      }
    }
    const sub = subPath !== undefined && subPath !== '.' ? { subPath } : {};
    const base = { destination, readOnly: vm.readOnly };
    if (v.hostPath) {
      out.push({ ...base, kind: 'bind', hostPath: v.hostPath.path, ...(v.hostPath.type ? { hostType: v.hostPath.type } : {}), ...sub });
    } else if (v.emptyDir && v.emptyDir.medium === 'Memory') {
      const size = v.emptyDir.sizeLimit !== undefined ? [`size=${parseMemory(v.emptyDir.sizeLimit)}`] : [];
      out.push({ ...base, kind: 'tmpfs', options: mergeTmpfsOptions(TMPFS_DEFAULTS, size, v.emptyDir.mountOptions ?? [], vm.readOnly ? ['ro'] : []) });
    } else if (v.emptyDir) {
      out.push({ ...base, kind: 'emptyDir', volume: v.name, ...sub });
    } else if (v.persistentVolumeClaim) {
      out.push({ ...base, readOnly: vm.readOnly || v.persistentVolumeClaim.readOnly, kind: 'volume', volume: v.persistentVolumeClaim.claimName, noCopy: vm.noCopy ?? false, ...sub });
    }
  }
  return out;
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}

/**
 * "user", "uid", "user:group", "uid:gid" → ids, looked up in the rootfs's /etc/passwd and
 * /etc/group text as Docker does (a numeric uid absent from passwd is allowed, with gid 0).
 */
export function resolveUser(user: string, passwd: string, group: string): ResolvedUser {
  if (user === '') return { uid: 0, gid: 0, additionalGids: [] };
  const [u, g] = user.split(':', 2) as [string, string | undefined];
  const pw = passwd
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 4);
  const gr = group
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 3);
  const entry = /^\d+$/.test(u) ? pw.find((f) => f[2] === u) : pw.find((f) => f[0] === u);
  if (!entry && !/^\d+$/.test(u)) {
    throw new InvalidArgumentError(`user "${u}" is not in the image's /etc/passwd; use a numeric uid (e.g. 1000) or add the user in the image`);
  }
  const uid = Number(entry ? entry[2] : u);
  let gid = entry ? Number(entry[3]) : 0;
  if (g !== undefined) {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const ge = gr.find((f) => f[0] === g);
      if (!ge) throw new InvalidArgumentError(`group "${g}" is not in the image's /etc/group; use a numeric gid or add the group in the image`);
      gid = Number(ge[2]);
    }
  }
  const name = entry?.[0];
  const additionalGids = name
    ? gr.filter((f) => (f[3] ?? '').split(',').includes(name)).map((f) => Number(f[2])).filter((x) => x !== gid)
    : [];
  return { uid, gid, additionalGids };
}
