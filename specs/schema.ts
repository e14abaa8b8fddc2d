// The object model: one zod definition per kind, from which come the TypeScript types, the
// validation (with unknown-field detection) and the JSON Schema printed by `berth schema`.
import { existsSync } from 'node:fs';
import { z } from 'zod';
import type { VolumeStatus } from './api/volumes.ts';
import { API_VERSION, cpuQuantity, memoryQuantity, name, ObjectMeta, volumeName } from './meta.ts';
import { checkTmpfsOptions } from './tmpfs.ts';
import { parseMemory } from './quantity.ts';
import { VolumeObject, type VolumeSpec } from './volume.ts';
import { dockerContainerFields } from './docker/fields.ts';
import { kubeRestartOf } from './docker/restart.ts';
import { SecurityContext, securityIssues } from './security.ts';
import { firstNetwork, hostName, NetworkAttachmentSpec, networkIssues, networkName } from './networks.ts';

export { API_VERSION, ObjectMeta };

/** JSON Schema for "exactly one of these keys", which zod writes as a refinement JSON Schema cannot carry. */
const exactlyOneOf = (...keys: string[]) => ({ oneOf: keys.map((k) => ({ required: [k] })) });


const port = z.number().int().min(1).max(65535);
const portRef = z.union([port, z.string().min(1)]);

// ---------- Image ----------

export const PullPolicy = z.enum(['IfNotPresent', 'Always', 'Never']);

export const ImageSpec = z
  .strictObject({
    ref: z.string().min(1),
    pull: z.strictObject({ policy: PullPolicy.default('IfNotPresent') }).optional(),
    build: z
      .strictObject({
        context: z.string().min(1),
        dockerfile: z.string().min(1).default('Dockerfile'),
        args: z.record(z.string(), z.string()).optional(),
        target: z.string().min(1).optional(),
      })
      .optional(),
    push: z.boolean().default(false),
  })
  .superRefine((spec, ctx) => {
    if ((spec.pull === undefined) === (spec.build === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'exactly one of "pull" or "build" must be set (pull: {policy: IfNotPresent} fetches ref; build: {context: DIR} builds it)',
      });
    }
  })
  .meta(exactlyOneOf('pull', 'build'));

// ---------- Container ----------

export const EnvVar = z.strictObject({ name: z.string().min(1), value: z.string().default('') });

export const ContainerPort = z.strictObject({
  name: z.string().optional(),
  containerPort: port,
  /** 0: a free host port, picked when the container is created (Docker's `-p 80`). */
  hostPort: z.number().int().min(0).max(65535).optional(),
  hostIP: z.string().optional(),
  protocol: z
    .string()
    .transform((p) => p.toUpperCase())
    .pipe(z.enum(['TCP', 'UDP']))
    .default('TCP'),
});

export const Volume = z
  .strictObject({
    name,
    /**
     * A directory or file of the host, bind-mounted. type (Kubernetes'): unset, the path must exist;
     * DirectoryOrCreate makes a missing directory (Docker's `-v /host:/path`); Directory, File,
     * FileOrCreate, Socket check what is there.
     */
    hostPath: z
      .strictObject({
        path: z.string().startsWith('/', 'must be an absolute path'),
        type: z.enum(['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice']).optional(),
      })
      .optional(),
    /**
     * Scratch space that lives as long as the container; medium Memory makes it a tmpfs of at most
     * sizeLimit, with extra tmpfs mountOptions (berth's; Docker's `--tmpfs /run:exec,mode=755`).
     */
    emptyDir: z
      .strictObject({ medium: z.enum(['', 'Memory']).default(''), sizeLimit: memoryQuantity.optional(), mountOptions: z.array(z.string()).optional() })
      .optional(),
    /** A named volume (a Volume object, or Docker's `-v name:/path`, created on first use), kept until removed. */
    persistentVolumeClaim: z.strictObject({ claimName: volumeName, readOnly: z.boolean().default(false) }).optional(),
    /**
     * Files berth writes and mounts read-only: a ConfigMap's or Secret's data as a Pod mounts it
     * (the Pod controller fills it in; a change of the data recreates the container).
     */
    files: z.strictObject({ items: z.array(z.strictObject({ path: z.string().min(1).refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a relative path inside the volume, without ".."'), content: z.string(), mode: z.number().int().min(0).max(0o777).optional() })) }).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.emptyDir?.mountOptions) {
      if (v.emptyDir.medium !== 'Memory') ctx.addIssue({ code: 'custom', path: ['emptyDir', 'mountOptions'], message: 'mountOptions are tmpfs options: they need medium: Memory' });
      try {
        checkTmpfsOptions(v.emptyDir.mountOptions, 'mountOptions');
      } catch (e) {
        ctx.addIssue({ code: 'custom', path: ['emptyDir', 'mountOptions'], message: (e as Error).message.replace(/^mountOptions: /, '') });
      }
    }
    const n = [v.hostPath, v.emptyDir, v.persistentVolumeClaim, v.files].filter((x) => x !== undefined).length;
    if (n !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `volume "${v.name}" must have exactly one of hostPath, emptyDir or persistentVolumeClaim`,
      });
    }
  })
  .meta(exactlyOneOf('hostPath', 'emptyDir', 'persistentVolumeClaim', 'files'));

export const VolumeMount = z.strictObject({
  name,
  mountPath: z.string().startsWith('/', 'must be an absolute path'),
  readOnly: z.boolean().default(false),
  /** A path inside the volume, mounted instead of its root (made when missing; links never lead out of the volume). */
  subPath: z
    .string()
    .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a relative path inside the volume, without ".."')
    .optional(),
  /** Docker's `nocopy`: an empty volume is not filled with what the image has at mountPath. */
  noCopy: z.boolean().optional(),
});

const probeDefaults = {
  initialDelaySeconds: z.number().int().min(0).default(0),
  periodSeconds: z.number().int().min(1).default(10),
  timeoutSeconds: z.number().int().min(1).default(1),
  successThreshold: z.number().int().min(1).default(1),
  failureThreshold: z.number().int().min(1).default(3),
};

export const Probe = z
  .strictObject({
    exec: z.strictObject({ command: z.array(z.string()).min(1) }).optional(),
    httpGet: z
      .strictObject({
        path: z.string().default('/'),
        port: portRef,
        host: z.string().optional(),
        scheme: z.enum(['HTTP', 'HTTPS']).default('HTTP'),
        httpHeaders: z.array(z.strictObject({ name: z.string(), value: z.string() })).optional(),
      })
      .optional(),
    tcpSocket: z.strictObject({ port: portRef, host: z.string().optional() }).optional(),
    ...probeDefaults,
  })
  .superRefine((p, ctx) => {
    const n = [p.exec, p.httpGet, p.tcpSocket].filter((x) => x !== undefined).length;
    if (n !== 1) ctx.addIssue({ code: 'custom', message: 'a probe needs exactly one of exec, httpGet or tcpSocket' });
  })
  .meta(exactlyOneOf('exec', 'httpGet', 'tcpSocket'));

export const RestartPolicy = z.enum(['Always', 'OnFailure', 'Never']);

export const ContainerSpec = z.strictObject({
  /** An Image object's name (a bare word), or a registry reference (has a "/", ":" or "@"). */
  image: z.string().min(1),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  env: z.array(EnvVar).optional(),
  workingDir: z.string().startsWith('/', 'must be an absolute path').optional(),
  user: z.string().optional(),
  hostname: z.string().optional(),
  ports: z.array(ContainerPort).optional(),
  /**
   * The network to join: `bridge` (the default network `berth`: a network namespace of its own,
   * as Docker's default bridge and Kubernetes' pod network), `host` (the host's network stack,
   * only when asked for), `none` (a namespace with loopback only), or a network made with
   * `berth network create NAME`. Unset: bridge. For several networks, use `networks`.
   */
  network: networkName.optional(),
  /**
   * Other names the container answers to on its network (Docker's --network-alias; docker-compose
   * gives each container its service's name), besides its own name and hostname.
   */
  networkAliases: z.array(hostName).optional(),
  /**
   * The networks to join, each with the container's other names on it (instead of network and
   * networkAliases): an interface each (eth0, eth1, …), an address on each; the first is its way
   * out and where its ports are published. `berth network connect|disconnect` change this list on a
   * live container. An empty list: no network (loopback only).
   */
  networks: z.array(NetworkAttachmentSpec).optional(),
  volumes: z.array(Volume).optional(),
  volumeMounts: z.array(VolumeMount).optional(),
  /**
   * Paths that get an anonymous volume each, as an image's VOLUME does (Docker's `-v /path`): kept
   * when the container goes, removed by `rm -v` or `volume prune`.
   */
  anonymousVolumes: z.array(z.string().startsWith('/', 'must be an absolute path')).optional(),
  /** Docker's `--volumes-from`: the volumes and binds of these Containers, at the same paths (readOnly: all read-only). */
  volumesFrom: z.array(z.strictObject({ name, readOnly: z.boolean().optional() })).optional(),
  resources: z
    .strictObject({
      limits: z
        .strictObject({
          memory: memoryQuantity.optional(),
          cpu: cpuQuantity.optional(),
          /** The most processes (and threads) at once; -1: unlimited. Unset: berth's default, 2048. */
          pids: z.number().int().refine((n) => n === -1 || n >= 1, 'must be at least 1, or -1 for unlimited').optional(),
        })
        .optional(),
    })
    .optional(),
  restartPolicy: RestartPolicy.default('Always'),
  livenessProbe: Probe.optional(),
  readinessProbe: Probe.optional(),
  readOnlyRootFilesystem: z.boolean().default(false),
  /** Capabilities, privileged, the user, no_new_privs, seccomp and sysctls, in Kubernetes' shape. */
  securityContext: SecurityContext.optional(),
  /**
   * false: the container gets a user namespace of its own, its root an unprivileged range of host
   * IDs (from /etc/subuid and /etc/subgid), as a Pod's hostUsers. Default true.
   */
  hostUsers: z.boolean().optional(),
  stopSignal: z.string().optional(),
  terminationGracePeriodSeconds: z.number().int().min(0).default(30),
  /** Kubernetes' `tty`: the process runs on a terminal of its own (Docker's -t); `berth attach` reaches it. */
  tty: z.boolean().optional(),
  /** Kubernetes' `stdin`: the process's stdin stays open for `berth attach` (Docker's -i). */
  stdin: z.boolean().optional(),
  /** Kubernetes' `stdinOnce`: stdin is closed when the first attached client closes it (Docker's `run -i`). */
  stdinOnce: z.boolean().optional(),
  ...dockerContainerFields,
  /**
   * Set by the Pod controller on a Pod's members (never in a Container manifest): the Pod whose
   * network, IPC and UTS namespaces the container joins, and whose ports it is reached on.
   */
  pod: z.strictObject({ name, uid: z.string().min(1) }).optional(),
}).superRefine((spec, ctx) => {
  if (spec.dockerRestartPolicy && kubeRestartOf(spec.dockerRestartPolicy) !== spec.restartPolicy) {
    const want = kubeRestartOf(spec.dockerRestartPolicy);
    ctx.addIssue({ code: 'custom', path: ['restartPolicy'], message: `must be ${want} with dockerRestartPolicy "${spec.dockerRestartPolicy.name}" (set restartPolicy: ${want})` });
  }
  if (spec.memorySwap !== undefined && spec.memorySwap !== -1) {
    const memory = spec.resources?.limits?.memory;
    if (memory === undefined) ctx.addIssue({ code: 'custom', path: ['memorySwap'], message: 'needs a memory limit (resources.limits.memory; Docker\'s --memory with --memory-swap)' });
    else if (parseMemory(spec.memorySwap) < parseMemory(memory)) {
      ctx.addIssue({ code: 'custom', path: ['memorySwap'], message: `memory plus swap (${spec.memorySwap}) must not be below the memory limit (${memory}); use -1 for unlimited swap` });
    }
  }
  if (spec.autoRemove && spec.restartPolicy !== 'Never') {
    ctx.addIssue({ code: 'custom', path: ['autoRemove'], message: 'a container removed when it exits cannot be restarted: set restartPolicy: Never, or drop autoRemove' });
  }
  // References inside one spec: each is checked here so the error points at the reference.
  const volumes = new Set<string>();
  spec.volumes?.forEach((v, i) => {
    if (volumes.has(v.name)) ctx.addIssue({ code: 'custom', path: ['volumes', i, 'name'], message: `duplicate volume name "${v.name}"` });
    volumes.add(v.name);
  });
  spec.volumeMounts?.forEach((m, i) => {
    if (!volumes.has(m.name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['volumeMounts', i, 'name'],
        message: `no volume named "${m.name}" in spec.volumes${volumes.size ? ` (volumes: ${[...volumes].join(', ')})` : ''}`,
      });
    }
  });
  for (const issue of networkIssues(spec)) ctx.addIssue({ code: 'custom', ...issue });
  // With every network disconnected (networks: []) the ports wait for the next one to be connected.
  const first = spec.networks?.length === 0 ? undefined : firstNetwork(spec);
  spec.ports?.forEach((p, i) => {
    if (p.hostPort === undefined) return;
    if (first === 'none') {
      ctx.addIssue({ code: 'custom', path: ['ports', i, 'hostPort'], message: 'network "none" has no way in from the host; drop hostPort or use network: bridge' });
    } else if (first === 'host' && p.hostPort !== p.containerPort) {
      ctx.addIssue({ code: 'custom', path: ['ports', i, 'hostPort'], message: `with network "host" the container listens on the host itself, so hostPort must equal containerPort (${p.containerPort}) or be left out` });
    }
  });
  for (const issue of securityIssues(spec, existsSync)) ctx.addIssue({ code: 'custom', ...issue });
  const portNames = new Set(spec.ports?.map((p) => p.name).filter((n): n is string => !!n));
  for (const probe of ['livenessProbe', 'readinessProbe'] as const) {
    const p = spec[probe];
    for (const via of ['httpGet', 'tcpSocket'] as const) {
      const ref = p?.[via]?.port;
      if (typeof ref === 'string' && !portNames.has(ref)) {
        ctx.addIssue({ code: 'custom', path: [probe, via, 'port'], message: `no port named "${ref}" in spec.ports; use a number or a ports[].name` });
      }
    }
  }
});

// ---------- Status (filled by the controllers) ----------

export const Condition = z.strictObject({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string(),
});

export const Status = z.looseObject({
  observedGeneration: z.number().int().optional(),
  phase: z.string().optional(),
  conditions: z.array(Condition).optional(),
});

// ---------- Kinds ----------

export const ImageObject = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('Image'),
  metadata: ObjectMeta,
  spec: ImageSpec,
});

export const ContainerObject = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('Container'),
  metadata: ObjectMeta,
  spec: ContainerSpec,
});


export type ImageSpec = z.output<typeof ImageSpec>;
export type ContainerSpec = z.output<typeof ContainerSpec>;
export type Probe = z.output<typeof Probe>;
export type Volume = z.output<typeof Volume>;
export type VolumeMount = z.output<typeof VolumeMount>;
export type ContainerPort = z.output<typeof ContainerPort>;
export type Condition = z.output<typeof Condition>;
export type Status = z.output<typeof Status>;
export type ObjectMeta = z.output<typeof ObjectMeta>;

/** What the store holds and the API returns: the validated, defaulted object plus bookkeeping. */
export interface StoredMeta extends ObjectMeta {
  generation: number;
  uid: string;
  creationTimestamp: string;
  /**
   * Who applied it: `file:/abs/path` (apply -f), `watch:/abs/path` (a file under a watched directory),
   * or `stdin` (apply -f -). A prune only ever removes objects of the sources it names.
   */
  source: string;
}

export interface ImageResource {
  apiVersion: typeof API_VERSION;
  kind: 'Image';
  metadata: StoredMeta;
  spec: ImageSpec;
  status: Status;
}

export interface VolumeResource {
  apiVersion: typeof API_VERSION;
  kind: 'Volume';
  metadata: StoredMeta;
  spec: VolumeSpec;
  status: Status & Partial<VolumeStatus>;
}

/** A kind whose controller keeps its status as a plain record (Deployment, ConfigMap, Secret). */
export interface GenericResource<M extends { kind: string; spec: unknown }> {
  apiVersion: typeof API_VERSION;
  kind: M['kind'];
  metadata: StoredMeta;
  spec: M['spec'];
  status: Status & Record<string, unknown>;
}

/** A Container's `image` names an Image object when it is a bare word; otherwise it is a registry reference. */
export function imageIsObjectName(image: string): boolean {
  return !/[/:@]/.test(image);
}
