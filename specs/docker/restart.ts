// Restart policies in Docker's words and Kubernetes', both ways, and the rule the controllers apply.
//  - Docker `no` = Never; `on-failure[:N]` = OnFailure, at most N restarts; `always` and
//    `unless-stopped` = Always. They differ after a stop by the user: `unless-stopped` stays stopped
//    across a daemon restart, `always` is started again when the daemon starts (Docker's meaning).
//  - A Kubernetes Always written in a manifest behaves as `unless-stopped` (a user's stop holds).
import { InvalidArgumentError } from '../errdefs.ts';

// Here rather than in fields.ts (zod's schemas): the CLI translates --restart without loading zod.
export const DOCKER_RESTART_NAMES = ['no', 'always', 'on-failure', 'unless-stopped'] as const;
export type DockerRestartName = (typeof DOCKER_RESTART_NAMES)[number];

/** Docker's HostConfig.RestartPolicy as `run --restart` / `update --restart` gave it (fields.ts validates it). */
export interface DockerRestartPolicy {
  name: DockerRestartName;
  /** on-failure only: restarts after this many (0: no limit). */
  maximumRetryCount: number;
}

export type KubeRestartPolicy = 'Always' | 'OnFailure' | 'Never';

const KUBE_OF: Record<DockerRestartName, KubeRestartPolicy> = { no: 'Never', always: 'Always', 'on-failure': 'OnFailure', 'unless-stopped': 'Always' };

/** `--restart` text → Docker's policy and the Kubernetes one the controllers act on. */
export function parseDockerRestart(text: string, flag = '--restart'): { dockerRestartPolicy: DockerRestartPolicy; restartPolicy: KubeRestartPolicy } {
  const m = /^([a-z-]+)(?::(.*))?$/.exec(text.trim());
  const name = m?.[1] as DockerRestartName | undefined;
  if (!m || !name || !DOCKER_RESTART_NAMES.includes(name)) {
    throw new InvalidArgumentError(`${flag} "${text}" is not a restart policy; use one of: no, always, on-failure[:max-retries], unless-stopped`);
  }
  let maximumRetryCount = 0;
  if (m[2] !== undefined) {
    if (name !== 'on-failure') throw new InvalidArgumentError(`${flag} "${text}": only on-failure takes a maximum retry count (on-failure:3)`);
    if (!/^\d+$/.test(m[2])) throw new InvalidArgumentError(`${flag} "${text}": the maximum retry count must be a whole number (on-failure:3)`);
    maximumRetryCount = Number(m[2]);
  }
  return { dockerRestartPolicy: { name, maximumRetryCount }, restartPolicy: KUBE_OF[name] };
}

/** The Kubernetes policy a Docker policy stands for (what the spec's restartPolicy must say). */
export function kubeRestartOf(p: DockerRestartPolicy): KubeRestartPolicy {
  return KUBE_OF[p.name];
}

/** What `inspect` shows as HostConfig.RestartPolicy: Docker's policy as given, else the Kubernetes one's behaviour. */
export function dockerRestartOf(spec: { restartPolicy: KubeRestartPolicy; dockerRestartPolicy?: DockerRestartPolicy | undefined }): { Name: string; MaximumRetryCount: number } {
  if (spec.dockerRestartPolicy) return { Name: spec.dockerRestartPolicy.name, MaximumRetryCount: spec.dockerRestartPolicy.maximumRetryCount };
  return { Name: { Always: 'unless-stopped', OnFailure: 'on-failure', Never: 'no' }[spec.restartPolicy], MaximumRetryCount: 0 };
}

/** The rule the controllers apply to a spec. */
export interface RestartRule {
  policy: KubeRestartPolicy;
  /** No restart once this many have been made (on-failure:N). */
  maxRestarts?: number;
  /** A user's stop is forgotten when the daemon starts (Docker's `always`). */
  startAfterDaemonRestart: boolean;
}

export function restartRule(spec: { restartPolicy: KubeRestartPolicy; dockerRestartPolicy?: DockerRestartPolicy | undefined }): RestartRule {
  const d = spec.dockerRestartPolicy;
  return {
    policy: spec.restartPolicy,
    ...(d?.name === 'on-failure' && d.maximumRetryCount > 0 ? { maxRestarts: d.maximumRetryCount } : {}),
    startAfterDaemonRestart: d?.name === 'always',
  };
}
