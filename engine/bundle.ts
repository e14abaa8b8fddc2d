// The OCI runtime config (config.json) of a container's bundle: the engine → native contract.
// Built from the container's run config (engine/container-config.ts) with Docker's defaults for
// what a Container object does not say (capabilities, mounts, masked and read-only paths), so
// `runc run` and berth's native launcher give the same result on the same bundle.
import type { ContainerRunConfig, ResolvedUser } from './container-config.ts';

/** Docker's default capability set (moby oci/caps/defaults.go): what a `docker run` process holds. */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

export const MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
];

export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

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
    resources: {
      devices: Array<{ allow: boolean; access: string }>;
      memory?: { limit: number };
      cpu?: { quota: number; period: number };
      pids?: { limit: number };
    };
    cgroupsPath?: string;
    maskedPaths: string[];
    readonlyPaths: string[];
  };
}

export interface BundleOptions {
  run: ContainerRunConfig;
  user: ResolvedUser;
  /** Absolute path of the (mounted) root filesystem. */
  rootfs: string;
  /** The network namespace to join; undefined: share the host's network. */
  netnsPath?: string;
  /** Host files bind-mounted over the container's /etc/hosts, /etc/hostname, /etc/resolv.conf. */
  etcFiles: { hosts?: string; hostname?: string; resolvConf?: string };
  annotations: Record<string, string>;
  /** cgroupsPath for the runtime; undefined lets it choose (it puts one under its own parent). */
  cgroupsPath?: string;
}

export function ociConfig(o: BundleOptions): OciConfig {
  const { run } = o;
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  ];
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
  const namespaces: OciConfig['linux']['namespaces'] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (o.netnsPath) namespaces.push({ type: 'network', path: o.netnsPath });
  const resources: OciConfig['linux']['resources'] = { devices: [{ allow: false, access: 'rwm' }] };
  if (run.resources.memoryBytes !== undefined) resources.memory = { limit: run.resources.memoryBytes };
  if (run.resources.cpuQuota !== undefined) resources.cpu = { quota: run.resources.cpuQuota, period: run.resources.cpuPeriod! };
  if (run.resources.pidsLimit !== undefined) resources.pids = { limit: run.resources.pidsLimit };
  // A non-root user gets no capabilities in its effective and permitted sets, as Docker does.
  const caps = o.user.uid === 0 ? DEFAULT_CAPABILITIES : [];
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: run.terminal ?? false,
      user: { uid: o.user.uid, gid: o.user.gid, ...(o.user.additionalGids.length ? { additionalGids: o.user.additionalGids } : {}) },
      args: run.args,
      env: run.env,
      cwd: run.cwd,
      capabilities: { bounding: DEFAULT_CAPABILITIES, effective: caps, permitted: caps },
      noNewPrivileges: true,
    },
    root: { path: o.rootfs, readonly: run.readonlyRootfs },
    hostname: run.hostname,
    mounts,
    annotations: o.annotations,
    linux: {
      namespaces,
      resources,
      ...(o.cgroupsPath ? { cgroupsPath: o.cgroupsPath } : {}),
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
    },
  };
}
