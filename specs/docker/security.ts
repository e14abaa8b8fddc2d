// Docker's security flags of `run`/`create` (--cap-add, --cap-drop, --privileged, --read-only,
// --security-opt, --sysctl, --userns, --pids-limit) as Kubernetes' securityContext, hostUsers and
// a pids limit: the daemon validates them (specs/security.ts) as it does a manifest's.
import { resolve } from 'node:path';
import { InvalidArgumentError } from '../errdefs.ts';

export interface DockerSecurityFlags {
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  securityOpt?: string[];
  readOnly?: boolean;
  sysctl?: string[];
  pidsLimit?: string;
  userns?: string;
}

export interface DockerSecurity {
  securityContext?: Record<string, unknown>;
  hostUsers?: false;
  /** resources.limits.pids: -1 for none (Docker's 0 or -1). */
  pids?: number;
}

function securityOpt(opt: string, sc: Record<string, unknown>): void {
  // Docker takes "key=value" and, of old, "key:value".
  const m = /^([a-z-]+)(?:[=:](.*))?$/.exec(opt);
  const [key, value] = [m?.[1], m?.[2]];
  if (key === 'seccomp' && value) {
    // A profile's path is the client's: made absolute here, read by the daemon.
    sc.seccompProfile = value === 'unconfined' ? { type: 'Unconfined' } : value === 'default' || value === 'builtin' ? { type: 'RuntimeDefault' } : { type: 'Localhost', localhostProfile: resolve(value) };
  } else if (key === 'no-new-privileges' && (value === undefined || value === 'true' || value === 'false')) {
    sc.allowPrivilegeEscalation = value === 'false';
  } else {
    throw new InvalidArgumentError(`--security-opt "${opt}": berth takes seccomp=unconfined, seccomp=PROFILE.json and no-new-privileges[=true|false]`);
  }
}

export function dockerSecurity(o: DockerSecurityFlags): DockerSecurity {
  const sc: Record<string, unknown> = {};
  if (o.capAdd?.length || o.capDrop?.length) sc.capabilities = { ...(o.capAdd?.length ? { add: o.capAdd } : {}), ...(o.capDrop?.length ? { drop: o.capDrop } : {}) };
  if (o.privileged) sc.privileged = true;
  if (o.readOnly) sc.readOnlyRootFilesystem = true;
  for (const opt of o.securityOpt ?? []) securityOpt(opt, sc);
  if (o.sysctl?.length) {
    sc.sysctls = o.sysctl.map((kv) => {
      const i = kv.indexOf('=');
      if (i <= 0) throw new InvalidArgumentError(`--sysctl "${kv}": give NAME=VALUE (e.g. net.ipv4.ip_unprivileged_port_start=80)`);
      return { name: kv.slice(0, i), value: kv.slice(i + 1) };
    });
  }
  if (o.userns !== undefined && o.userns !== 'auto' && o.userns !== 'host') throw new InvalidArgumentError(`--userns "${o.userns}": auto or host`);
  let pids: number | undefined;
  if (o.pidsLimit !== undefined) {
    if (!/^-?\d+$/.test(o.pidsLimit)) throw new InvalidArgumentError(`--pids-limit "${o.pidsLimit}" is not a number (-1: unlimited)`);
    pids = Number(o.pidsLimit) <= 0 ? -1 : Number(o.pidsLimit);
  }
  return {
    ...(Object.keys(sc).length ? { securityContext: sc } : {}),
    ...(o.userns === 'auto' ? { hostUsers: false as const } : {}),
    ...(pids !== undefined ? { pids } : {}),
  };
}
