// A Container's securityContext, in Kubernetes' shape (SecurityContext, with the pod-level sysctls
// and seccompProfile, since a berth Container is its own pod): capabilities, privileged, the user
// to run as, no_new_privs, a read-only root, the seccomp profile and namespaced sysctls. Checked
// here, so a bad name is a located error at apply (or at `run`), never a surprise at start.
import { z } from 'zod';
import { closest } from './suggest.ts';
import { firstNetwork } from './networks.ts';

/** Every capability of Linux 5.9+ (capability(7)), as the runtime spec names them. */
export const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/**
 * "NET_ADMIN", "net_admin", "CAP_NET_ADMIN" → "CAP_NET_ADMIN" (Kubernetes writes them without the
 * prefix, Docker takes either, in any case); "ALL" stays "ALL"; undefined for an unknown name.
 */
export function capabilityName(name: string): string | undefined {
  const up = name.trim().toUpperCase();
  if (up === 'ALL') return 'ALL';
  const full = up.startsWith('CAP_') ? up : `CAP_${up}`;
  return (CAPABILITIES as readonly string[]).includes(full) ? full : undefined;
}

const capability = z.string().superRefine((v, ctx) => {
  if (capabilityName(v)) return;
  const near = closest(v.toUpperCase().replace(/^CAP_/, ''), CAPABILITIES.map((c) => c.slice(4)));
  ctx.addIssue({
    code: 'custom',
    message: `unknown capability "${v}"${near ? ` (did you mean "${near}"?)` : ''}; use a name of capabilities(7) such as NET_ADMIN, or ALL`,
  });
});

/** IPC sysctls of the IPC namespace (Docker's list); fs.mqueue.* and net.* are prefixes. */
const IPC_SYSCTLS = ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'];

/**
 * Why a sysctl cannot be set in a container, or undefined when it can: only those of the
 * container's own namespaces (IPC, UTS's domainname, network unless it is the host's), as Docker
 * and runc allow; a net.* name must exist on this kernel (the host's /proc/sys lists every
 * per-namespace one).
 */
export function sysctlProblem(name: string, network: string | undefined, exists: (path: string) => boolean): string | undefined {
  if (!/^[a-z0-9_]+(\.[A-Za-z0-9_-]+)+$/.test(name)) return `"${name}" is not a sysctl name (e.g. net.ipv4.ip_forward)`;
  if (IPC_SYSCTLS.includes(name) || name.startsWith('fs.mqueue.') || name === 'kernel.domainname') return undefined;
  if (name === 'kernel.hostname') return 'set the hostname with spec.hostname, not a sysctl';
  if (name.startsWith('net.')) {
    if (network === 'host') return `"${name}" belongs to the network namespace, and network "host" shares the host's: it would change the host`;
    if (!exists(`/proc/sys/${name.replace(/\./g, '/')}`)) return `unknown sysctl "${name}": this kernel has no /proc/sys/${name.replace(/\./g, '/')}`;
    return undefined;
  }
  return `"${name}" is not a sysctl of the container's namespaces (allowed: ${IPC_SYSCTLS.join(', ')}, kernel.domainname, fs.mqueue.*, net.*)`;
}

export const SeccompProfileType = z.enum(['RuntimeDefault', 'Unconfined', 'Localhost']);

export const SeccompProfileRef = z
  .strictObject({
    type: SeccompProfileType,
    /** A profile in Docker's JSON format: an absolute path, or relative to the manifest's directory. */
    localhostProfile: z.string().min(1).optional(),
  })
  .superRefine((p, ctx) => {
    if (p.type === 'Localhost' && !p.localhostProfile) {
      ctx.addIssue({ code: 'custom', path: ['localhostProfile'], message: 'type Localhost needs localhostProfile: the path of a profile in Docker\'s JSON format' });
    }
    if (p.type !== 'Localhost' && p.localhostProfile) {
      ctx.addIssue({ code: 'custom', path: ['localhostProfile'], message: `localhostProfile is only for type Localhost (this one is ${p.type})` });
    }
  });

export const SecurityContext = z.strictObject({
  capabilities: z.strictObject({ add: z.array(capability).optional(), drop: z.array(capability).optional() }).optional(),
  /** Every capability and device, no seccomp, no masked paths, /sys and /proc/sys writable: root on the host. */
  privileged: z.boolean().optional(),
  runAsUser: z.number().int().min(0).max(4294967294).optional(),
  runAsGroup: z.number().int().min(0).max(4294967294).optional(),
  /** Refuse to start when the process would run as uid 0 (the image's user, or runAsUser). */
  runAsNonRoot: z.boolean().optional(),
  /** false sets no_new_privs: setuid binaries and file capabilities give nothing (unset: not set, as Docker and Kubernetes). */
  allowPrivilegeEscalation: z.boolean().optional(),
  readOnlyRootFilesystem: z.boolean().optional(),
  seccompProfile: SeccompProfileRef.optional(),
  /** Namespaced sysctls only (IPC, fs.mqueue.*, net.* with a network of its own), as a Pod's. */
  sysctls: z.array(z.strictObject({ name: z.string().min(1), value: z.string() })).optional(),
});

export type SecurityContext = z.output<typeof SecurityContext>;
export type SeccompProfileRef = z.output<typeof SeccompProfileRef>;

/** The checks between fields of a spec's securityContext (and hostUsers, network); path is relative to the spec. */
export function securityIssues(
  spec: { securityContext?: SecurityContext | undefined; hostUsers?: boolean | undefined } & Parameters<typeof firstNetwork>[0],
  exists: (path: string) => boolean,
): Array<{ path: Array<string | number>; message: string }> {
  const out: Array<{ path: Array<string | number>; message: string }> = [];
  const sc = spec.securityContext;
  if (!sc) return out;
  const at = (...p: Array<string | number>) => ['securityContext', ...p];
  if (sc.privileged) {
    if (sc.allowPrivilegeEscalation === false) out.push({ path: at('allowPrivilegeEscalation'), message: 'cannot be false with privileged: true (a privileged container can always gain privileges)' });
    if (sc.capabilities?.drop?.length) out.push({ path: at('capabilities', 'drop'), message: 'privileged: true gives every capability; dropping some would be ignored, so it is refused: remove privileged or the drop' });
    if (sc.seccompProfile && sc.seccompProfile.type !== 'Unconfined') out.push({ path: at('seccompProfile', 'type'), message: 'a privileged container runs without seccomp; remove seccompProfile or privileged' });
    if (spec.hostUsers === false) out.push({ path: ['hostUsers'], message: 'a privileged container runs in the host\'s user namespace: hostUsers: false cannot be combined with privileged: true' });
  }
  sc.sysctls?.forEach((s, i) => {
    const problem = sysctlProblem(s.name, firstNetwork(spec), exists);
    if (problem) out.push({ path: at('sysctls', i, 'name'), message: problem });
  });
  const names = new Set<string>();
  sc.sysctls?.forEach((s, i) => {
    if (names.has(s.name)) out.push({ path: at('sysctls', i, 'name'), message: `sysctl "${s.name}" is set twice` });
    names.add(s.name);
  });
  return out;
}
