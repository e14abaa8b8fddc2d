// The Pod kind: containers that share one network namespace (and IPC and UTS), as a Kubernetes Pod —
// `localhost` reaches a sibling, the Pod has one address on its network and publishes its ports
// once, `initContainers` run to completion in order before the others start, and restartPolicy is
// the Pod's. Each container of a Pod becomes a Container object of its own (a member, named
// `<pod>-<container>`, memberSpec() below), so that everything berth does for a Container — its
// lifecycle, probes, logs, exec, stats, metrics — is done for it too; its spec.pod names the Pod
// whose namespaces it joins.
import { z } from 'zod';
import { API_VERSION, name, ObjectMeta } from './meta.ts';
import { ContainerSpec, RestartPolicy, Volume, type Condition, type Status, type StoredMeta } from './schema.ts';
import type { ContainerResource } from './api/containers.ts';
import { HostAlias } from './docker/fields.ts';
import type { PathSegment } from './problems.ts';

const c = ContainerSpec.shape;

const keyRef = z.strictObject({ name, key: z.string().min(1), optional: z.boolean().optional() });
/** The Pod's own fields a container may read (Kubernetes' downward API, as far as one host has them). */
const FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.uid'] as const;

export const PodEnvVar = z
  .strictObject({
    name: z.string().min(1),
    value: z.string().optional(),
    valueFrom: z
      .strictObject({
        configMapKeyRef: keyRef.optional(),
        secretKeyRef: keyRef.optional(),
        fieldRef: z.strictObject({ apiVersion: z.string().optional(), fieldPath: z.enum(FIELD_PATHS) }).optional(),
      })
      .superRefine((v, ctx) => {
        if ([v.configMapKeyRef, v.secretKeyRef, v.fieldRef].filter(Boolean).length !== 1) ctx.addIssue({ code: 'custom', message: 'needs exactly one of configMapKeyRef, secretKeyRef or fieldRef' });
      })
      .optional(),
  })
  .superRefine((e, ctx) => {
    if (e.value !== undefined && e.valueFrom) ctx.addIssue({ code: 'custom', path: ['valueFrom'], message: 'give either value or valueFrom, not both' });
  });

const objRef = z.strictObject({ name, optional: z.boolean().optional() });
export const EnvFromSource = z
  .strictObject({ prefix: z.string().optional(), configMapRef: objRef.optional(), secretRef: objRef.optional() })
  .superRefine((f, ctx) => {
    if (!f.configMapRef === !f.secretRef) ctx.addIssue({ code: 'custom', message: 'needs exactly one of configMapRef or secretRef' });
  });

const projection = { items: z.array(z.strictObject({ key: z.string().min(1), path: z.string().min(1), mode: z.number().int().min(0).max(0o777).optional() })).optional(), defaultMode: z.number().int().min(0).max(0o777).optional(), optional: z.boolean().optional() };

/** A Pod's volume: a Container's sources, or a ConfigMap's or Secret's data as files. */
export const PodVolume = z
  .strictObject({
    name,
    hostPath: Volume.shape.hostPath,
    emptyDir: Volume.shape.emptyDir,
    persistentVolumeClaim: Volume.shape.persistentVolumeClaim,
    configMap: z.strictObject({ name, ...projection }).optional(),
    secret: z.strictObject({ secretName: name, ...projection }).optional(),
  })
  .superRefine((v, ctx) => {
    const n = [v.hostPath, v.emptyDir, v.persistentVolumeClaim, v.configMap, v.secret].filter((x) => x !== undefined).length;
    if (n !== 1) ctx.addIssue({ code: 'custom', message: `volume "${v.name}" must have exactly one of hostPath, emptyDir, persistentVolumeClaim, configMap or secret` });
  });

/** A container of a Pod: Kubernetes' Container fields that berth runs (the Pod-level ones live on the Pod). */
export const PodContainer = z.strictObject({
  name,
  image: c.image,
  imagePullPolicy: c.imagePullPolicy,
  command: c.command,
  args: c.args,
  env: z.array(PodEnvVar).optional(),
  envFrom: z.array(EnvFromSource).optional(),
  workingDir: c.workingDir,
  ports: c.ports,
  volumeMounts: c.volumeMounts,
  resources: c.resources,
  livenessProbe: c.livenessProbe,
  readinessProbe: c.readinessProbe,
  securityContext: c.securityContext,
  tty: c.tty,
  stdin: c.stdin,
  stdinOnce: c.stdinOnce,
});

/** Fields of a member's ContainerSpec that come from the Pod (an issue about them points at the Pod's field). */
const POD_LEVEL = new Set(['restartPolicy', 'hostname', 'network', 'volumes', 'hostAliases', 'terminationGracePeriodSeconds', 'pod']);

export const PodSpec = z
  .strictObject({
    initContainers: z.array(PodContainer).optional(),
    containers: z.array(PodContainer).min(1),
    restartPolicy: RestartPolicy.default('Always'),
    /** The Pod's host name (its UTS namespace, shared by its containers); default its name. */
    hostname: c.hostname,
    /** The network the Pod joins (berth's; Kubernetes has one pod network): bridge unless set. */
    network: c.network,
    volumes: z.array(PodVolume).optional(),
    hostAliases: z.array(HostAlias).optional(),
    terminationGracePeriodSeconds: z.number().int().min(0).default(30),
  })
  .superRefine((spec, ctx) => {
    for (const issue of podIssues(spec)) ctx.addIssue({ code: 'custom', ...issue });
  });

export const PodObject = z
  .strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal('Pod'),
    metadata: ObjectMeta,
    spec: PodSpec,
  })
  .superRefine((pod, ctx) => {
    // A member's name is a DNS label too (it is a Container's name).
    for (const list of ['initContainers', 'containers'] as const) {
      pod.spec[list]?.forEach((ct, i) => {
        const member = memberName(pod.metadata.name, ct.name);
        if (member.length > 63) ctx.addIssue({ code: 'custom', path: ['spec', list, i, 'name'], message: `the member "${member}" (Pod name "-" container name) is longer than 63 characters; shorten the Pod's or the container's name` });
      });
    }
  });

export type PodSpec = z.output<typeof PodSpec>;
export type PodContainer = z.output<typeof PodContainer>;
export type PodManifest = z.output<typeof PodObject>;

/** Per container of a Pod, as kubelet reports it (containerStatuses / initContainerStatuses). */
export interface PodContainerStatus {
  name: string;
  /** The member Container object's name. */
  member: string;
  ready: boolean;
  started: boolean;
  restartCount: number;
  image: string;
  imageID?: string;
  containerID?: string;
  state: ContainerResource['status']['state'] & object;
  lastState?: ContainerResource['status']['lastState'];
}

export interface PodStatus {
  observedGeneration: number;
  /** Kubernetes' Pod phase: Pending, Running, Succeeded, Failed. */
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  /** What `kubectl get pods` shows in STATUS: Init:0/2, Init:Error, PodInitializing, Running, CrashLoopBackOff, Completed… */
  reason: string;
  message?: string;
  podIP?: string;
  ports?: Array<{ containerPort: number; hostPort?: number; hostIP?: string; protocol: string }>;
  startTime?: string;
  conditions: Condition[];
  initContainerStatuses: PodContainerStatus[];
  containerStatuses: PodContainerStatus[];
}

export interface PodResource {
  apiVersion: typeof API_VERSION;
  kind: 'Pod';
  metadata: StoredMeta;
  spec: PodSpec;
  status: Status & Partial<PodStatus>;
}

/** The label every member Container carries: the name of its Pod. */
export const POD_LABEL = 'berth.dev/pod';

/** The name of a Pod's member Container object. */
export function memberName(pod: string, container: string): string {
  return `${pod}-${container}`;
}

/** ConfigMaps' and Secrets' data (Secrets' decoded) by name, for a member's env and volumes; undefined: no such object. */
export interface PodDataSource {
  configMap(name: string): Record<string, string> | undefined;
  secret(name: string): Record<string, string> | undefined;
}

/** A reference a member cannot be made without: kubelet's CreateContainerConfigError. */
export class ContainerConfigError extends Error {
  readonly reason = 'CreateContainerConfigError';
}

/** Validation's stand-in: every object exists and every key has an empty value. */
const anyData: PodDataSource = { configMap: () => new Proxy({}, { get: () => '' }), secret: () => new Proxy({}, { get: () => '' }) };

function lookup(data: PodDataSource, kind: 'configmap' | 'secret', name: string, key: string | undefined, optional: boolean | undefined): string | Record<string, string> | undefined {
  const obj = kind === 'configmap' ? data.configMap(name) : data.secret(name);
  if (!obj) {
    if (optional) return undefined;
    throw new ContainerConfigError(`${kind} "${name}" not found`);
  }
  if (key === undefined) return obj;
  const v = obj[key];
  if (v === undefined && !optional) throw new ContainerConfigError(`couldn't find key ${key} in ${kind === 'configmap' ? 'ConfigMap' : 'Secret'} ${name}`);
  return v;
}

/** A container's environment with envFrom and valueFrom resolved (envFrom first, env overriding, as kubelet does). */
function resolvedEnv(podName: string, uid: string, container: PodContainer, data: PodDataSource): Array<{ name: string; value: string }> | undefined {
  if (!container.env && !container.envFrom) return undefined;
  const env = new Map<string, string>();
  for (const f of container.envFrom ?? []) {
    const ref = f.configMapRef ?? f.secretRef!;
    const obj = lookup(data, f.configMapRef ? 'configmap' : 'secret', ref.name, undefined, ref.optional) as Record<string, string> | undefined;
    for (const [k, v] of Object.entries(obj ?? {})) env.set(`${f.prefix ?? ''}${k}`, v);
  }
  for (const e of container.env ?? []) {
    const from = e.valueFrom;
    if (!from) env.set(e.name, e.value ?? '');
    else if (from.fieldRef) env.set(e.name, from.fieldRef.fieldPath === 'metadata.uid' ? uid : from.fieldRef.fieldPath === 'metadata.name' ? podName : 'default');
    else {
      const ref = from.configMapKeyRef ?? from.secretKeyRef!;
      const v = lookup(data, from.configMapKeyRef ? 'configmap' : 'secret', ref.name, ref.key, ref.optional) as string | undefined;
      if (v !== undefined) env.set(e.name, v);
    }
  }
  return [...env].map(([name, value]) => ({ name, value }));
}

/** A Pod volume as a member mounts it: a ConfigMap or Secret becomes the files of its data. */
function memberVolume(v: PodSpec['volumes'] extends Array<infer T> | undefined ? T : never, data: PodDataSource): z.input<typeof Volume> | undefined {
  const source = v.configMap ? { kind: 'configmap' as const, name: v.configMap.name, p: v.configMap } : v.secret ? { kind: 'secret' as const, name: v.secret.secretName, p: v.secret } : undefined;
  if (!source) {
    const { configMap: _c, secret: _s, ...rest } = v;
    return dropUndefined(rest);
  }
  const obj = lookup(data, source.kind, source.name, undefined, source.p.optional) as Record<string, string> | undefined;
  const items = (source.p.items ?? Object.keys(obj ?? {}).sort().map((key) => ({ key, path: key, mode: undefined }))).flatMap((it) => {
    const value = obj?.[it.key];
    if (value === undefined) {
      if (obj && !source.p.optional) throw new ContainerConfigError(`couldn't find key ${it.key} in ${source.kind === 'configmap' ? 'ConfigMap' : 'Secret'} ${source.name}`);
      return [];
    }
    const mode = it.mode ?? source.p.defaultMode;
    return [{ path: it.path, content: Buffer.from(value).toString('base64'), ...(mode !== undefined ? { mode } : {}) }];
  });
  return { name: v.name, files: { items } };
}

/**
 * A member's ContainerSpec (before defaults): the container's own fields with its environment
 * resolved, and from the Pod its restartPolicy (an init container runs to completion: OnFailure,
 * or Never under Never), host name, network, the volumes it mounts (ConfigMaps and Secrets as
 * files), hostAliases, grace period, and `pod` — the namespaces it joins. A missing ConfigMap or
 * Secret (not optional) throws a ContainerConfigError.
 */
export function memberSpec(podName: string, uid: string, spec: PodSpec, container: PodContainer, init: boolean, data: PodDataSource = anyData): z.input<typeof ContainerSpec> {
  const { name: _name, env: _env, envFrom: _envFrom, ...own } = container;
  const env = resolvedEnv(podName, uid, container, data);
  const mounted = new Set(container.volumeMounts?.map((m) => m.name));
  const volumes = spec.volumes?.filter((v) => mounted.has(v.name)).map((v) => memberVolume(v, data)).filter((v) => v !== undefined);
  return {
    ...dropUndefined(own),
    ...(env ? { env } : {}),
    restartPolicy: init ? (spec.restartPolicy === 'Never' ? 'Never' : 'OnFailure') : spec.restartPolicy,
    hostname: spec.hostname ?? podName,
    ...(spec.network !== undefined ? { network: spec.network } : {}),
    ...(volumes?.length ? { volumes } : {}),
    ...(spec.hostAliases?.length ? { hostAliases: spec.hostAliases } : {}),
    terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
    pod: { name: podName, uid },
  };
}

/** The ports the Pod publishes: every container's, once. */
export function podPorts(spec: PodSpec): NonNullable<ContainerResource['spec']['ports']> {
  return spec.containers.flatMap((ct) => ct.ports ?? []);
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * What is wrong with a Pod beyond each field's own type: names (unique, and a member's name a DNS
 * label), two containers on one port (they share a network namespace), probes on init containers,
 * and every member's ContainerSpec checks (volume mounts, probe ports, security), pointed at the
 * Pod's field they come from.
 */
export function podIssues(spec: PodSpec, podName = 'p'): Array<{ path: PathSegment[]; message: string }> {
  const out: Array<{ path: PathSegment[]; message: string }> = [];
  const seen = new Map<string, string>();
  const lists = [['initContainers', spec.initContainers ?? []], ['containers', spec.containers]] as const;
  for (const [list, items] of lists) {
    items.forEach((ct, i) => {
      const first = seen.get(ct.name);
      if (first) out.push({ path: [list, i, 'name'], message: `duplicate container name "${ct.name}" (already used at spec.${first}); the containers of a Pod need names of their own` });
      else seen.set(ct.name, `${list}[${i}]`);
      if (list === 'initContainers') {
        for (const probe of ['livenessProbe', 'readinessProbe'] as const) {
          if (ct[probe]) out.push({ path: [list, i, probe], message: 'an init container runs to completion: it takes no probes (move the container to spec.containers)' });
        }
      }
    });
  }
  const used = new Map<string, string>();
  spec.containers.forEach((ct, i) =>
    ct.ports?.forEach((p, j) => {
      const key = `${p.containerPort}/${p.protocol}`;
      const other = used.get(key);
      if (other !== undefined && other !== ct.name) {
        out.push({ path: ['containers', i, 'ports', j, 'containerPort'], message: `port ${key} is already used by container "${other}" of this Pod; its containers share one network namespace, so each port can be used once` });
      } else used.set(key, ct.name);
    }),
  );
  spec.volumes?.forEach((v, i) => {
    if (v.emptyDir?.mountOptions) out.push({ path: ['volumes', i, 'emptyDir', 'mountOptions'], message: 'a Pod\'s emptyDir is shared by its containers: its tmpfs takes sizeLimit only (leave mountOptions out)' });
  });
  const volumes = new Set(spec.volumes?.map((v) => v.name));
  for (const [list, items] of lists) {
    items.forEach((ct, i) => {
      ct.volumeMounts?.forEach((m, j) => {
        if (!volumes.has(m.name)) out.push({ path: [list, i, 'volumeMounts', j, 'name'], message: `no volume named "${m.name}" in the Pod's spec.volumes${volumes.size ? ` (volumes: ${[...volumes].join(', ')})` : ''}` });
      });
      const r = ContainerSpec.safeParse(memberSpec(podName, 'uid', spec, ct, list === 'initContainers'));
      if (r.success) return;
      for (const issue of r.error.issues) {
        const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
        if (path[0] === 'volumeMounts' && path[2] === 'name') continue; // reported above, against the Pod's volumes
        out.push({ path: POD_LEVEL.has(String(path[0])) ? path : [list, i, ...path], message: issue.message });
      }
    });
  }
  return out;
}
