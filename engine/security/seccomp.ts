// Seccomp for a container: a profile in Docker's format (berth's default, seccomp-default.json, or
// a Localhost one) resolved — as Docker resolves it — for this host's architecture, this kernel and
// the container's capabilities, into the runtime spec's linux.seccomp. Both runtimes compile that
// same section to BPF (runc, and berth's launcher with libseccomp), so they block the same calls.
import { arch as hostArch, release } from 'node:os';
import defaultProfileJson from './seccomp-default.json' with { type: 'json' };
import { SeccompProfile, readSeccompProfile } from '../../specs/seccomp-profile.ts';
import { InvalidArgumentError } from '../../specs/errdefs.ts';

export interface OciSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: string[];
  flags?: string[];
  syscalls: Array<{ names: string[]; action: string; errnoRet?: number; args?: OciSeccompArg[] }>;
}

let parsedDefault: SeccompProfile | undefined;

/** berth's default profile: the effect of Docker's (an allow-list; calls that need a capability allowed with it). */
export function defaultSeccompProfile(): SeccompProfile {
  parsedDefault ??= SeccompProfile.parse(defaultProfileJson);
  return parsedDefault;
}

/** A Localhost profile (the path was checked at apply; a file changed since is an error here). */
export function localhostSeccompProfile(file: string): SeccompProfile {
  const r = readSeccompProfile(file);
  if ('error' in r) throw new InvalidArgumentError(`${r.error}; fix the profile or choose another (securityContext.seccompProfile)`);
  return r.profile;
}

/** Go's name of Node's architecture, which Docker's profiles use in includes/excludes. */
const GO_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', mips64el: 'mips64le' };
/** libseccomp's name of each architecture, to find this host's in an archMap. */
const SCMP_ARCH: Record<string, string> = {
  amd64: 'SCMP_ARCH_X86_64', '386': 'SCMP_ARCH_X86', arm64: 'SCMP_ARCH_AARCH64', arm: 'SCMP_ARCH_ARM', ppc64le: 'SCMP_ARCH_PPC64LE',
  s390x: 'SCMP_ARCH_S390X', riscv64: 'SCMP_ARCH_RISCV64', mips64le: 'SCMP_ARCH_MIPSEL64',
};

export interface SeccompHost {
  /** Go's architecture name (amd64, arm64…). */
  arch: string;
  /** The kernel's version, major.minor. */
  kernel: [number, number];
}

export function thisHost(): SeccompHost {
  const [major, minor] = release().split('.').map((n) => parseInt(n, 10));
  return { arch: GO_ARCH[hostArch()] ?? hostArch(), kernel: [major ?? 0, minor ?? 0] };
}

function kernelAtLeast(host: SeccompHost, min: string): boolean {
  const [maj, mnr] = min.split('.').map(Number) as [number, number];
  return host.kernel[0] > maj || (host.kernel[0] === maj && host.kernel[1] >= mnr);
}

/**
 * The profile's linux.seccomp for a container whose bounding capabilities are `caps`, on `host`.
 * A rule is kept when none of its excludes match (an arch, any cap held, the kernel at least
 * minKernel) and all of its includes do (the arch among them, every cap held, the kernel new enough).
 */
export function ociSeccomp(profile: SeccompProfile, caps: readonly string[], host: SeccompHost = thisHost()): OciSeccomp {
  const held = new Set(caps);
  let architectures = profile.architectures ?? [];
  const native = SCMP_ARCH[host.arch];
  for (const m of profile.archMap ?? []) {
    if (m.architecture === native) architectures = [m.architecture, ...(m.subArchitectures ?? [])];
  }
  const syscalls: OciSeccomp['syscalls'] = [];
  for (const rule of profile.syscalls ?? []) {
    const ex = rule.excludes;
    if (ex?.arches?.includes(host.arch) || ex?.caps?.some((c) => held.has(c)) || (ex?.minKernel && kernelAtLeast(host, ex.minKernel))) continue;
    const inc = rule.includes;
    if (inc?.arches && !inc.arches.includes(host.arch)) continue;
    if (inc?.caps && !inc.caps.every((c) => held.has(c))) continue;
    if (inc?.minKernel && !kernelAtLeast(host, inc.minKernel)) continue;
    syscalls.push({
      names: rule.names ?? [rule.name!],
      action: rule.action,
      ...(rule.errnoRet !== undefined ? { errnoRet: rule.errnoRet } : {}),
      ...(rule.args?.length ? { args: rule.args.map((a) => ({ index: a.index, value: a.value, ...(a.valueTwo !== undefined ? { valueTwo: a.valueTwo } : {}), op: a.op })) } : {}),
    });
  }
  return {
    defaultAction: profile.defaultAction,
    ...(profile.defaultErrnoRet !== undefined ? { defaultErrnoRet: profile.defaultErrnoRet } : {}),
    architectures,
    ...(profile.flags?.length ? { flags: profile.flags } : {}),
    syscalls,
  };
}
