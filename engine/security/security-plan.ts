// What a Container's securityContext makes of its OCI config, with Docker's defaults where it says
// nothing: the capability sets (Docker's 14, add/drop, ALL), no_new_privs (set only when
// allowPrivilegeEscalation is false, as Docker and Kubernetes), the seccomp profile resolved for those capabilities, Docker's masked
// and read-only paths, the sysctls, and what `privileged` lifts. Pure but for reading a Localhost
// profile; bundle.ts writes the result.
import { readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CAPABILITIES, capabilityName, type SecurityContext } from '../../specs/security.ts';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { defaultSeccompProfile, localhostSeccompProfile, ociSeccomp, type OciSeccomp, type SeccompHost } from './seccomp.ts';

/** Docker's default capability set (moby oci/caps/defaults.go): what a `docker run` process holds. */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** Docker's masked paths (moby oci/defaults.go, 28.x): unreadable in the container. */
export const MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/sched_debug',
  '/proc/scsi', '/proc/timer_list', '/proc/timer_stats', '/sys/devices/virtual/powercap', '/sys/firmware',
];

/** Docker's read-only paths: readable, never writable, even by the container's root. */
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** berth's pids limit when the spec sets none (Podman's default is 2048 too; Docker and Kubernetes set none). */
export const DEFAULT_PIDS_LIMIT = 2048;

export interface SecurityPlan {
  privileged: boolean;
  capabilities: { bounding: string[]; effective: string[]; permitted: string[] };
  noNewPrivileges: boolean;
  seccomp?: OciSeccomp;
  maskedPaths: string[];
  readonlyPaths: string[];
  sysctl?: Record<string, string>;
}

let daemonCaps: string[] | undefined;

/**
 * The capabilities this daemon holds (its permitted set): no runtime can give a container more.
 * "All" (privileged, add ALL) means these; a host without CAP_SYS_RESOURCE, say, has 40 of 41.
 */
export function hostCapabilities(): string[] {
  if (!daemonCaps) {
    const hex = /^CapPrm:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
    const bits = BigInt(`0x${hex}`);
    daemonCaps = CAPABILITIES.filter((_, i) => (bits >> BigInt(i)) & 1n);
  }
  return daemonCaps;
}

/**
 * Docker's rules (moby TweakCapabilities): add ALL → all but the drops; drop ALL → only the adds;
 * else defaults − drops + adds. A capability added by name that the daemon does not hold is an
 * error (the runtime could not give it), not a silent omission.
 */
export function capabilitySet(sc: SecurityContext | undefined, available: readonly string[] = hostCapabilities(), name = 'the container'): string[] {
  if (sc?.privileged) return CAPABILITIES.filter((c) => available.includes(c));
  const norm = (list: string[] | undefined) => (list ?? []).map((c) => capabilityName(c) ?? c);
  const add = norm(sc?.capabilities?.add);
  const drop = norm(sc?.capabilities?.drop);
  const missing = add.filter((c) => c !== 'ALL' && !available.includes(c));
  if (missing.length) {
    throw new InvalidArgumentError(`${name}: securityContext.capabilities.add: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not held by this host's berth daemon, so no container can have ${missing.length > 1 ? 'them' : 'it'}; remove ${missing.length > 1 ? 'them' : 'it'}`);
  }
  let caps: string[];
  if (add.includes('ALL')) caps = available.filter((c) => !drop.includes(c));
  else if (drop.includes('ALL')) caps = add;
  else caps = [...DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c)), ...add];
  const set = new Set(caps);
  return CAPABILITIES.filter((c) => set.has(c));
}

export function securityPlan(o: {
  name: string;
  sc: SecurityContext | undefined;
  /** The uid the process runs as, inside the container. */
  uid: number;
  networkMode: string;
  host?: SeccompHost;
}): SecurityPlan {
  const { sc } = o;
  const privileged = sc?.privileged === true;
  const caps = capabilitySet(sc, hostCapabilities(), `container "${o.name}"`);
  // A process that is not root loses every capability at exec (no file capabilities, no ambient
  // set): its effective and permitted sets are empty, as under Docker.
  const held = o.uid === 0 ? caps : [];
  const type = sc?.seccompProfile?.type ?? 'RuntimeDefault';
  let seccomp: OciSeccomp | undefined;
  if (!privileged && type !== 'Unconfined') {
    const profile = type === 'Localhost' ? localhostSeccompProfile(sc!.seccompProfile!.localhostProfile!) : defaultSeccompProfile();
    seccomp = ociSeccomp(profile, caps, o.host);
  }
  let sysctl: Record<string, string> | undefined;
  for (const s of sc?.sysctls ?? []) {
    if (s.name.startsWith('net.') && o.networkMode === 'host') {
      throw new InvalidArgumentError(`container "${o.name}": sysctl ${s.name} would change the host's network (the container shares it); give it a network of its own or drop the sysctl`);
    }
    (sysctl ??= {})[s.name] = s.value;
  }
  return {
    privileged,
    capabilities: { bounding: caps, effective: held, permitted: held },
    noNewPrivileges: !privileged && sc?.allowPrivilegeEscalation === false,
    ...(seccomp ? { seccomp } : {}),
    maskedPaths: privileged ? [] : MASKED_PATHS,
    readonlyPaths: privileged ? [] : READONLY_PATHS,
    ...(sysctl ? { sysctl } : {}),
  };
}

export interface OciDevice {
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

/** Directories of /dev a privileged container does not take from the host (its own instances, or not devices). */
const SKIP = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev', 'console']);

/** Every character and block device of the host's /dev, for a privileged container (as Docker gives it). */
export async function hostDevices(dir = '/dev'): Promise<OciDevice[]> {
  const out: OciDevice[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (SKIP.has(e.name) && dir === '/dev') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await hostDevices(p)));
    else if (e.isCharacterDevice() || e.isBlockDevice()) {
      const st = await stat(p).catch(() => undefined);
      if (!st) continue;
      out.push({ path: p, type: e.isBlockDevice() ? 'b' : 'c', major: Math.floor(st.rdev / 256) & 0xfff, minor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00), fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
    }
  }
  return out;
}
