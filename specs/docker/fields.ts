// The ContainerSpec fields that carry what `berth run` says in Docker's words and Kubernetes has no
// field for (or has at the Pod level): Docker's restart policy as given, --init, -P, --rm (-d),
// --add-host, --pull. Each keeps Docker's meaning in the object; specs/docker/run.ts is the one
// place that fills them from Docker's flags, and specs/docker/restart.ts reads the restart rule.
import { z } from 'zod';
import { memoryQuantity } from '../meta.ts';
import { DOCKER_RESTART_NAMES, type DockerRestartPolicy as RestartPolicyShape } from './restart.ts';

/** Docker's HostConfig.RestartPolicy (restart.ts's type, which the CLI uses without loading zod). */
export const DockerRestartPolicy = z.strictObject({
  name: z.enum(DOCKER_RESTART_NAMES),
  maximumRetryCount: z.number().int().min(0).default(0),
}) satisfies z.ZodType<RestartPolicyShape, unknown>;

/** Kubernetes' HostAlias (a Pod field): lines added to the container's /etc/hosts (Docker's --add-host). */
export const HostAlias = z.strictObject({
  ip: z.union([z.ipv4(), z.ipv6()], { message: 'must be an IPv4 or IPv6 address' }),
  hostnames: z.array(z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9_.-]{0,251}[A-Za-z0-9])?$/, 'must be a host name')).min(1),
});

export const dockerContainerFields = {
  /** Kubernetes' imagePullPolicy for a registry reference (default IfNotPresent); Docker's --pull. */
  imagePullPolicy: z.enum(['IfNotPresent', 'Always', 'Never']).optional(),
  hostAliases: z.array(HostAlias).optional(),
  /** Docker's --init: a small init (tini) is PID 1, reaps zombies and forwards signals to the command. */
  init: z.boolean().optional(),
  /** Docker's -P: every port the image EXPOSEs is published on a free host port. */
  publishAllPorts: z.boolean().optional(),
  /** Docker's --rm: the object is deleted once its container has exited (needs restartPolicy Never). */
  autoRemove: z.boolean().optional(),
  /** Docker's --restart as given; when set, restartPolicy must be its Kubernetes equivalent. */
  dockerRestartPolicy: DockerRestartPolicy.optional(),
  /** Docker's --memory-swap: memory plus swap (v1 memsw; -1: unlimited swap); needs resources.limits.memory. */
  memorySwap: z.union([z.literal(-1), memoryQuantity]).optional(),
  /** Docker's --cpu-shares: the CPU weight against other containers (default 1024; v2: cpu.weight, runc's conversion). */
  cpuShares: z.number().int().min(2).max(262144).optional(),
};

export type DockerRestartPolicy = RestartPolicyShape;
export type HostAlias = z.output<typeof HostAlias>;
