// Kubernetes' `v1 Pod` as berth runs it: the same field names as berth's Pod, so the document is
// checked where it stands (errors and warnings at its own lines). The tables say, field by field,
// what berth runs, what it ignores with a warning, and what it refuses (docs/kubernetes.md lists
// them beside kubelet's and podman kube play's). metadata.namespace: `default` is plain; another
// namespace prefixes the names (its own and those it refers to) and labels the object.
import { z } from 'zod';
import { API_VERSION, labelMap, name } from '../meta.ts';
import { PodSpec, type PodManifest } from '../pod.ts';
import type { Problem } from '../problems.ts';
import { list, object, refuseIf, RUN, triage, warn, type Rules, type Triaged } from './triage.ts';

/** The label that keeps an object's Kubernetes namespace (its name carries it as a prefix). */
export const NAMESPACE_LABEL = 'berth.dev/namespace';

/** The name berth stores for `name` in `namespace`. */
export function namespacedName(namespace: string | undefined, n: string): string {
  return namespace && namespace !== 'default' ? `${namespace}-${n}` : n;
}

const isTrue = (v: unknown) => v === true;
const serverSet = 'set by the API server; berth keeps its own';

export const METADATA_RULES: Rules = {
  name: RUN,
  namespace: RUN,
  labels: RUN,
  annotations: RUN,
  uid: warn(serverSet),
  resourceVersion: warn(serverSet),
  generation: warn(serverSet),
  creationTimestamp: warn(serverSet),
  managedFields: warn(serverSet),
  selfLink: warn(serverSet),
  ownerReferences: warn('berth tracks its own owners (a Deployment\'s Pods, a Pod\'s Containers)'),
  finalizers: warn('berth deletes objects at once'),
  generateName: refuseIf(() => true, 'berth needs metadata.name (generateName names objects on a cluster\'s API server)'),
};

const PROBE: Rules = {
  grpc: refuseIf(() => true, 'berth does not support gRPC probes; use exec, httpGet or tcpSocket'),
  terminationGracePeriodSeconds: warn('the Pod\'s grace period applies'),
};

const CONTAINER: Rules = {
  envFrom: RUN,
  env: RUN,
  startupProbe: warn('no startup probe: the liveness probe starts after its initialDelaySeconds'),
  lifecycle: warn('postStart and preStop hooks are not run'),
  terminationMessagePath: warn('the termination message is the last lines of the log'),
  terminationMessagePolicy: warn('the termination message is the last lines of the log'),
  resizePolicy: warn('resources change by recreating the container'),
  volumeDevices: refuseIf(() => true, 'berth does not support block devices of claims (volumeMode Block); use a filesystem claim'),
  restartPolicy: refuseIf((v) => v !== undefined, 'berth does not support sidecar init containers (restartPolicy: Always); make it one of spec.containers'),
  resources: object({ requests: warn('one host does not schedule: limits are enforced, requests are not'), claims: warn('berth does not support dynamic resource claims') }),
  livenessProbe: object(PROBE),
  readinessProbe: object(PROBE),
};

const VOLUME: Rules = {
  ...Object.fromEntries(
    ['nfs', 'iscsi', 'cephfs', 'rbd', 'glusterfs', 'csi', 'ephemeral', 'downwardAPI', 'projected', 'gitRepo', 'awsElasticBlockStore', 'gcePersistentDisk', 'azureDisk', 'azureFile', 'fc', 'flexVolume', 'flocker', 'image', 'portworxVolume', 'quobyte', 'scaleIO', 'storageos', 'vsphereVolume', 'photonPersistentDisk'].map((k) => [
      k,
      refuseIf(() => true, `berth does not support the volume source "${k}" on one host (its data would be missing); use emptyDir, hostPath, persistentVolumeClaim, configMap or secret`),
    ]),
  ),
};

export const POD_SPEC_RULES: Rules = {
  containers: list(CONTAINER),
  initContainers: list(CONTAINER),
  volumes: list(VOLUME),
  ephemeralContainers: warn('ephemeral containers are added by `kubectl debug`, not by manifests'),
  nodeSelector: warn('one host: every Pod runs on it'),
  nodeName: warn('one host: every Pod runs on it'),
  affinity: warn('one host: every Pod runs on it'),
  tolerations: warn('one host: every Pod runs on it'),
  topologySpreadConstraints: warn('one host: every Pod runs on it'),
  schedulerName: warn('one host: every Pod runs on it'),
  schedulingGates: warn('one host: every Pod runs on it'),
  priority: warn('no preemption on one host'),
  priorityClassName: warn('no preemption on one host'),
  preemptionPolicy: warn('no preemption on one host'),
  runtimeClassName: warn('berth has one runtime per daemon'),
  overhead: warn('berth has one runtime per daemon'),
  serviceAccountName: warn('no service account token is mounted'),
  serviceAccount: warn('no service account token is mounted'),
  automountServiceAccountToken: warn('no service account token is mounted'),
  imagePullSecrets: warn('registry credentials are the daemon\'s (certs.d, berth login)'),
  dnsPolicy: warn('the network\'s /etc/hosts and the host\'s resolvers are used'),
  dnsConfig: warn('the network\'s /etc/hosts and the host\'s resolvers are used'),
  enableServiceLinks: warn('Service environment variables are not set'),
  readinessGates: warn('Ready follows the containers only'),
  subdomain: warn('names on the network are Pod and Service names'),
  setHostnameAsFQDN: warn('the host name is the Pod\'s name'),
  os: warn('Linux only'),
  activeDeadlineSeconds: refuseIf((v) => v !== undefined, 'berth does not support activeDeadlineSeconds (the Pod would run past its deadline); remove it or stop the Pod yourself'),
  // Merged into each container's (prepareKubePod): what a container sets wins, as on a cluster.
  securityContext: object({
    fsGroup: warn('volume ownership is not changed; chown the data or run as its owner'),
    fsGroupChangePolicy: warn('volume ownership is not changed'),
    supplementalGroups: warn('the image\'s groups of the user apply'),
    supplementalGroupsPolicy: warn('the image\'s groups of the user apply'),
    seLinuxOptions: warn('no SELinux labels on this host'),
    seLinuxChangePolicy: warn('no SELinux labels on this host'),
    appArmorProfile: warn('no AppArmor profiles are loaded by berth'),
    windowsOptions: warn('Linux only'),
  }),
  resources: warn('berth does not support Pod-level resources; set each container\'s limits'),
  resourceClaims: warn('berth does not support dynamic resource claims'),
  hostNetwork: RUN,
  hostPID: refuseIf(isTrue, 'berth does not support hostPID: true: the containers would not see the host\'s processes'),
  hostIPC: refuseIf(isTrue, 'berth does not support hostIPC: true: the containers share the Pod\'s IPC namespace, not the host\'s'),
  shareProcessNamespace: refuseIf(isTrue, 'berth does not support shareProcessNamespace: true: each container has its own PID namespace'),
  hostUsers: refuseIf((v) => v === false, 'berth does not support hostUsers: false on a Pod; berth Containers take it one by one'),
};

const KubeMeta = z.strictObject({ name, namespace: name.optional(), labels: labelMap.optional(), annotations: labelMap.optional() });

/** A `v1 Pod` after triage: hostNetwork becomes berth's `network: host`. */
export const KubePodObject = z
  .strictObject({
    apiVersion: z.literal('v1'),
    kind: z.literal('Pod'),
    metadata: KubeMeta,
    spec: PodSpec,
    status: z.unknown().optional(),
  })
  .superRefine((p, ctx) => {
    const n = namespacedName(p.metadata.namespace, p.metadata.name);
    if (n.length > 63) ctx.addIssue({ code: 'custom', path: ['metadata', 'name'], message: `"${n}" (namespace "-" name) is longer than 63 characters` });
  });

/** Sorts a v1 Pod's fields (see triage.ts); hostNetwork: true becomes network: host, the Pod's securityContext its containers' defaults. */
export function prepareKubePod(value: Record<string, unknown>): Triaged {
  const t = triage(value, { metadata: object(METADATA_RULES), spec: object(POD_SPEC_RULES), status: { kind: 'warn', why: 'status is reported by berth' } });
  let spec = (t.value as { spec?: Record<string, unknown> }).spec;
  if (spec && 'hostNetwork' in spec) {
    const { hostNetwork, ...rest } = spec;
    spec = hostNetwork === true ? { ...rest, network: 'host' } : rest;
  }
  if (spec && typeof spec.securityContext === 'object' && spec.securityContext !== null) {
    // A Pod's securityContext is its containers' defaults (runAsUser, runAsNonRoot, seccompProfile, sysctls...).
    const { securityContext: podSc, ...rest } = spec;
    const withPod = (cs: unknown) => (Array.isArray(cs) ? cs.map((c) => (c && typeof c === 'object' ? { ...c, securityContext: { ...(podSc as object), ...((c as { securityContext?: object }).securityContext ?? {}) } } : c)) : cs);
    spec = { ...rest, containers: withPod(rest.containers), ...(rest.initContainers ? { initContainers: withPod(rest.initContainers) } : {}) };
  }
  if (spec) (t.value as { spec: unknown }).spec = spec;
  return t;
}

/** Names in a Pod spec that refer to namespaced objects (claims, ConfigMaps, Secrets), prefixed as the objects are. */
export function namespacedPodSpec(namespace: string | undefined, spec: PodSpec): PodSpec {
  if (!namespace || namespace === 'default') return spec;
  const ref = <T extends { name: string }>(r: T | undefined): T | undefined => r && { ...r, name: namespacedName(namespace, r.name) };
  const containers = (cs: PodSpec['containers'] | undefined) =>
    cs?.map((c) => ({
      ...c,
      ...(c.env ? { env: c.env.map((e) => (e.valueFrom ? { ...e, valueFrom: { ...e.valueFrom, ...(e.valueFrom.configMapKeyRef ? { configMapKeyRef: ref(e.valueFrom.configMapKeyRef)! } : {}), ...(e.valueFrom.secretKeyRef ? { secretKeyRef: ref(e.valueFrom.secretKeyRef)! } : {}) } } : e)) } : {}),
      ...(c.envFrom ? { envFrom: c.envFrom.map((f) => ({ ...f, ...(f.configMapRef ? { configMapRef: ref(f.configMapRef)! } : {}), ...(f.secretRef ? { secretRef: ref(f.secretRef)! } : {}) })) } : {}),
    }));
  return {
    ...spec,
    containers: containers(spec.containers)!,
    ...(spec.initContainers ? { initContainers: containers(spec.initContainers)! } : {}),
    ...(spec.volumes
      ? {
          volumes: spec.volumes.map((v) => ({
            ...v,
            ...(v.persistentVolumeClaim ? { persistentVolumeClaim: { ...v.persistentVolumeClaim, claimName: namespacedName(namespace, v.persistentVolumeClaim.claimName) } } : {}),
            ...(v.configMap ? { configMap: ref(v.configMap)! } : {}),
            ...(v.secret ? { secret: { ...v.secret, secretName: namespacedName(namespace, v.secret.secretName) } } : {}),
          })),
        }
      : {}),
  };
}

/** The metadata berth stores for a namespaced object. */
export function namespacedMeta(m: z.output<typeof KubeMeta>): PodManifest['metadata'] {
  const ns = m.namespace && m.namespace !== 'default' ? m.namespace : undefined;
  return {
    name: namespacedName(ns, m.name),
    ...(m.labels || ns ? { labels: { ...(m.labels ?? {}), ...(ns ? { [NAMESPACE_LABEL]: ns } : {}) } } : {}),
    ...(m.annotations ? { annotations: m.annotations } : {}),
  };
}

export function kubePodToPod(p: z.output<typeof KubePodObject>): PodManifest {
  return { apiVersion: API_VERSION, kind: 'Pod', metadata: namespacedMeta(p.metadata), spec: namespacedPodSpec(p.metadata.namespace, p.spec) };
}

export { KubeMeta };
export type { Problem };
