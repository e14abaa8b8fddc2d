// The OCI runtime config (config.json) of a container's bundle: the engine → native contract.
// Built from the container's run config (engine/container-config.ts) and its security plan
// (security/security-plan.ts: capabilities, seccomp, masked paths, sysctls, Docker's defaults for
// what a Container object does not say), and its user namespace when it has one, so `runc run` and
// berth's native launcher give the same result on the same bundle.
import { CPU_PERIOD_US, type ContainerResources, type ContainerRunConfig, type ResolvedUser } from './container-config.ts';
import type { OciSeccomp } from './security/seccomp.ts';
import { securityPlan, type OciDevice, type SecurityPlan } from './security/security-plan.ts';
import type { UsernsMapping } from './security/userns.ts';

export { DEFAULT_CAPABILITIES, MASKED_PATHS, READONLY_PATHS } from './security/security-plan.ts';

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

export interface OciConfig {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: Record<'bounding' | 'effective' | 'permitted', string[]>;
    noNewPrivileges: boolean;
  };
  root: { path: string; readonly: boolean };
  hostname?: string;
  mounts: OciMount[];
  annotations: Record<string, string>;
  linux: {
    namespaces: Array<{ type: string; path?: string }>;
    uidMappings?: IdMapping[];
    gidMappings?: IdMapping[];
    sysctl?: Record<string, string>;
    seccomp?: OciSeccomp;
    devices?: OciDevice[];
    resources: {
      devices: Array<{ allow: boolean; access: string }>;
    } & OciLimits;
    cgroupsPath?: string;
    maskedPaths: string[];
    readonlyPaths: string[];
  };
}

/** linux.resources' limits (OCI runtime-spec); -1 is "no limit". */
export interface OciLimits {
  memory?: { limit?: number; swap?: number };
  cpu?: { shares?: number; quota?: number; period?: number };
  pids?: { limit: number };
}

/** The OCI limits of a container's resources (only those it sets). */
export function ociLimits(r: ContainerResources): OciLimits {
  const out: OciLimits = {};
  if (r.memoryBytes !== undefined || r.memorySwapBytes !== undefined) out.memory = strip({ limit: r.memoryBytes, swap: r.memorySwapBytes });
  if (r.cpuShares !== undefined || r.cpuQuota !== undefined) out.cpu = strip({ shares: r.cpuShares, quota: r.cpuQuota, period: r.cpuPeriod });
  if (r.pidsLimit !== undefined) out.pids = { limit: r.pidsLimit };
  return out;
}

/** Every limit written, unset ones as "none" (-1, the default weight): what an `update` writes, so that it also lifts a limit. */
export function explicitLimits(l: OciLimits): Required<OciLimits> {
  return {
    memory: { limit: l.memory?.limit ?? -1, swap: l.memory?.swap ?? -1 },
    cpu: { shares: l.cpu?.shares ?? 1024, quota: l.cpu?.quota ?? -1, period: l.cpu?.period ?? CPU_PERIOD_US },
    pids: { limit: l.pids?.limit ?? -1 },
  };
}

function strip<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface BundleOptions {
  run: ContainerRunConfig;
  user: ResolvedUser;
  /** Absolute path of the (mounted) root filesystem. */
  rootfs: string;
  /** The network namespace to join; undefined: share the host's network. */
  netnsPath?: string;
  /** A Pod's IPC and UTS namespaces to join (its members share them); undefined: new ones. */
  ipcPath?: string;
  utsPath?: string;
  /** Host files bind-mounted over the container's /etc/hosts, /etc/hostname, /etc/resolv.conf. */
  etcFiles: { hosts?: string; hostname?: string; resolvConf?: string };
  annotations: Record<string, string>;
  /** cgroupsPath for the runtime; undefined lets it choose (it puts one under its own parent). */
  cgroupsPath?: string;
  /** Capabilities, seccomp, masked paths…; default: the plan of an empty securityContext. */
  security?: SecurityPlan;
  /** A user namespace of its own, its root host IDs uid/gid (the rootfs is mapped to match). */
  userns?: UsernsMapping;
  /**
   * In a user namespace that does not own the network namespace it joins, the kernel refuses to
   * mount sysfs: a sysfs the engine mounted for that network namespace, bound read-only instead.
   */
  sysfsSource?: string;
  /** A privileged container's device nodes (the host's). */
  devices?: OciDevice[];
}

export function ociConfig(o: BundleOptions): OciConfig {
  const { run } = o;
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  ];
  const security = o.security ?? securityPlan({ name: run.hostname, sc: undefined, uid: o.user.uid, networkMode: o.netnsPath ? 'private' : 'host' });
  if (o.sysfsSource) mounts.push({ destination: '/sys', type: 'bind', source: o.sysfsSource, options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
  // A privileged container's /sys is writable, as Docker's.
  else mounts.push({ destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', security.privileged ? 'rw' : 'ro'] });
  // Docker's order: the /etc files, then the user's volumes (which may shadow them on purpose).
  const etc: Array<[string, string | undefined]> = [
    ['/etc/resolv.conf', o.etcFiles.resolvConf],
    ['/etc/hostname', o.etcFiles.hostname],
    ['/etc/hosts', o.etcFiles.hosts],
  ];
  for (const [destination, source] of etc) {
    if (source) mounts.push({ destination, type: 'bind', source, options: ['rbind', 'rprivate', 'nosuid', 'nodev', 'noexec', ...(run.readonlyRootfs ? ['ro'] : [])] });
  }
  for (const m of run.mounts) {
    mounts.push({ destination: m.destination, type: m.type, source: m.source, options: m.type === 'bind' ? [...m.options, 'rprivate'] : m.options });
  }
  const namespaces: OciConfig['linux']['namespaces'] = [
    { type: 'pid' },
    { type: 'ipc', ...(o.ipcPath ? { path: o.ipcPath } : {}) },
    { type: 'uts', ...(o.utsPath ? { path: o.utsPath } : {}) },
    { type: 'mount' },
  ];
  if (o.netnsPath) namespaces.push({ type: 'network', path: o.netnsPath });
  if (o.userns) namespaces.push({ type: 'user' });
  // Docker's device cgroup: deny all (the runtime then allows the default nodes); privileged: allow all.
  const resources: OciConfig['linux']['resources'] = { devices: [{ allow: security.privileged, access: 'rwm' }] };
  Object.assign(resources, ociLimits(run.resources));
  const idmap = (hostID: number): IdMapping[] => [{ containerID: 0, hostID, size: o.userns!.size }];
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: run.terminal ?? false,
      user: { uid: o.user.uid, gid: o.user.gid, ...(o.user.additionalGids.length ? { additionalGids: o.user.additionalGids } : {}) },
      args: run.args,
      env: run.env,
      cwd: run.cwd,
      capabilities: security.capabilities,
      noNewPrivileges: security.noNewPrivileges,
    },
    root: { path: o.rootfs, readonly: run.readonlyRootfs },
    hostname: run.hostname,
    mounts,
    annotations: o.annotations,
    linux: {
      namespaces,
      ...(o.userns ? { uidMappings: idmap(o.userns.uid), gidMappings: idmap(o.userns.gid) } : {}),
      ...(security.sysctl ? { sysctl: security.sysctl } : {}),
      ...(security.seccomp ? { seccomp: security.seccomp } : {}),
      ...(o.devices?.length ? { devices: o.devices } : {}),
      resources,
      ...(o.cgroupsPath ? { cgroupsPath: o.cgroupsPath } : {}),
      maskedPaths: security.maskedPaths,
      readonlyPaths: security.readonlyPaths,
    },
  };
}
