// berth objects as Kubernetes manifests (`berth export --to kubernetes`), pure: a Container or a
// Pod becomes a `v1 Pod`, a Deployment an `apps/v1 Deployment`, a ConfigMap / Secret the v1 kind
// (data at the top), a Volume a `v1 PersistentVolumeClaim`; every published port also gets a
// `v1 Service` of type NodePort that selects the Pod. An Image object's name becomes the registry
// reference a cluster can pull: its ref when berth pushes it (spec.push), the reference given with
// --image NAME=REF otherwise, else an error saying so. What Kubernetes cannot express (Docker's
// --rm, --init, -P, --volumes-from, a pids limit...) is left out with a warning; Pods a Deployment
// made and Containers of a Pod are their owners', not exported on their own.
import { InvalidArgumentError } from '../errdefs.ts';
import { imageIsObjectName, type ContainerSpec } from '../schema.ts';
import { POD_LABEL, type PodContainer, type PodSpec } from '../pod.ts';
import { containerNetworks } from '../networks.ts';
import type { DeploymentSpec } from '../deployment.ts';
import type { ImageSpec } from '../schema.ts';
import type { VolumeSpec } from '../volume.ts';

export interface ExportObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: unknown;
}

export interface ExportOptions {
  /** Image objects by name (from the store or the same files). */
  images: Map<string, ImageSpec>;
  /** Where an Image berth builds was pushed: NAME → registry reference (--image). */
  pushed?: Map<string, string>;
}

export interface ExportResult {
  documents: Array<Record<string, unknown>>;
  warnings: string[];
}

type Doc = Record<string, unknown>;
const SELECT = 'app.kubernetes.io/instance';

const meta = (m: ExportObject['metadata'], extraLabels: Record<string, string> = {}) => {
  const labels = { ...(m.labels ?? {}), ...extraLabels };
  return { name: m.name, ...(Object.keys(labels).length ? { labels } : {}), ...(m.annotations ? { annotations: m.annotations } : {}) };
};
const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export function exportToKubernetes(objects: ExportObject[], o: ExportOptions): ExportResult {
  const warnings: string[] = [];
  const documents: Doc[] = [];
  const imageRef = (who: string, image: string): string => {
    if (!imageIsObjectName(image)) return image;
    const pushed = o.pushed?.get(image);
    if (pushed) return pushed;
    const img = o.images.get(image);
    if (!img) throw new InvalidArgumentError(`${who}: image "${image}" names an Image object that is not given; export it with its Image (or give --image ${image}=REGISTRY/REPO:TAG)`);
    if (img.build && !img.push) {
      throw new InvalidArgumentError(`${who}: Image "${image}" is built by berth and not pushed, so a cluster cannot pull ${img.ref}; push it (spec.push: true and a registry ref) or say where it was pushed with --image ${image}=REGISTRY/REPO:TAG`);
    }
    return img.ref;
  };
  const drop = (who: string, field: string, why: string) => warnings.push(`${who}: ${field} left out: ${why}`);

  const container = (who: string, name: string, c: PodContainer | (ContainerSpec & { name: string })): Doc => {
    const spec = c as ContainerSpec & { name: string; envFrom?: unknown };
    const sc = { ...(spec.securityContext ?? {}), ...(spec.readOnlyRootFilesystem ? { readOnlyRootFilesystem: true } : {}) };
    const limits = spec.resources?.limits;
    if (limits?.pids !== undefined) drop(who, 'resources.limits.pids', 'Kubernetes sets the pids limit per node');
    const k8sLimits = limits && defined({ memory: limits.memory, cpu: limits.cpu });
    return defined({
      name,
      image: imageRef(who, spec.image),
      imagePullPolicy: spec.imagePullPolicy,
      command: spec.command,
      args: spec.args,
      env: spec.env,
      envFrom: spec.envFrom,
      workingDir: spec.workingDir,
      ports: spec.ports?.map((p) => defined({ name: p.name, containerPort: p.containerPort, hostPort: p.hostPort || undefined, hostIP: p.hostIP, protocol: p.protocol })),
      volumeMounts: spec.volumeMounts?.map((m) => defined({ name: m.name, mountPath: m.mountPath, readOnly: m.readOnly || undefined, subPath: m.subPath })),
      resources: k8sLimits && Object.keys(k8sLimits).length ? { limits: k8sLimits } : undefined,
      livenessProbe: spec.livenessProbe,
      readinessProbe: spec.readinessProbe,
      securityContext: Object.keys(sc).length ? sc : undefined,
      tty: spec.tty,
      stdin: spec.stdin,
      stdinOnce: spec.stdinOnce,
    });
  };
  const volumes = (vs: PodSpec['volumes'] | ContainerSpec['volumes']) =>
    vs?.map((v) => {
      const { emptyDir, ...rest } = v as typeof v & { emptyDir?: { medium: string; sizeLimit?: string | number; mountOptions?: string[] } };
      return defined({ ...rest, emptyDir: emptyDir && defined({ medium: emptyDir.medium || undefined, sizeLimit: emptyDir.sizeLimit }) });
    });
  const services = (who: string, name: string, labels: Record<string, string>, ports: Array<{ name?: string; containerPort: number; hostPort?: number; protocol: string }>) => {
    const published = ports.filter((p) => p.hostPort);
    if (!published.length) return;
    documents.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, labels },
      spec: {
        type: 'NodePort',
        selector: { [SELECT]: name },
        ports: published.map((p, i) => defined({
          name: p.name ?? (published.length > 1 ? `port-${i}` : undefined),
          port: p.containerPort,
          targetPort: p.containerPort,
          protocol: p.protocol,
          // A cluster gives node ports from 30000-32767: the host port is kept when it is one.
          nodePort: p.hostPort! >= 30000 && p.hostPort! <= 32767 ? p.hostPort : undefined,
        })),
      },
    });
    if (published.some((p) => p.hostPort! < 30000 || p.hostPort! > 32767)) warnings.push(`${who}: the Service's nodePort is left to the cluster (host ports outside 30000-32767 are not node ports); the Pod keeps its hostPort`);
  };
  const podSpec = (who: string, s: PodSpec) =>
    defined({
      restartPolicy: s.restartPolicy,
      hostname: s.hostname,
      hostNetwork: s.network === 'host' ? true : undefined,
      terminationGracePeriodSeconds: s.terminationGracePeriodSeconds,
      hostAliases: s.hostAliases,
      initContainers: s.initContainers?.map((c) => container(who, c.name, c)),
      containers: s.containers.map((c) => container(who, c.name, c)),
      volumes: volumes(s.volumes),
    });
  const networkWarning = (who: string, network: string | undefined) => {
    if (network && network !== 'bridge' && network !== 'host') drop(who, 'network', `"${network}" is berth's; a cluster has one pod network`);
  };

  for (const obj of objects) {
    const who = `${obj.kind} "${obj.metadata.name}"`;
    if (obj.metadata.labels?.[POD_LABEL] || obj.metadata.labels?.['berth.dev/deployment']) continue;
    switch (obj.kind) {
      case 'Image':
        continue;
      case 'Container': {
        const s = obj.spec as ContainerSpec;
        for (const f of ['autoRemove', 'init', 'publishAllPorts', 'volumesFrom', 'anonymousVolumes', 'dockerRestartPolicy', 'stopSignal'] as const) {
          if (s[f] !== undefined && s[f] !== false) drop(who, f, 'Docker\'s, Kubernetes has no such field');
        }
        if (s.hostUsers === false) drop(who, 'hostUsers', 'set it on the Pod spec on a cluster that has user namespaces');
        const nets = containerNetworks(s);
        networkWarning(who, nets[0]!.name);
        if (nets.length > 1) drop(who, 'networks', `a cluster pod has one network, its pod network (${nets.slice(1).map((n) => `"${n.name}"`).join(', ')} not kept)`);
        const name = obj.metadata.name;
        const labels = { [SELECT]: name };
        documents.push({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: meta(obj.metadata, labels),
          spec: defined({
            restartPolicy: s.restartPolicy,
            hostname: s.hostname,
            hostNetwork: nets[0]!.name === 'host' ? true : undefined,
            terminationGracePeriodSeconds: s.terminationGracePeriodSeconds,
            hostAliases: s.hostAliases,
            containers: [container(who, name, { ...s, name })],
            volumes: volumes(s.volumes),
          }),
        });
        services(who, name, meta(obj.metadata).labels ?? {}, s.ports ?? []);
        continue;
      }
      case 'Pod': {
        const s = obj.spec as PodSpec;
        networkWarning(who, s.network);
        documents.push({ apiVersion: 'v1', kind: 'Pod', metadata: meta(obj.metadata, { [SELECT]: obj.metadata.name }), spec: podSpec(who, s) });
        services(who, obj.metadata.name, meta(obj.metadata).labels ?? {}, s.containers.flatMap((c) => c.ports ?? []));
        continue;
      }
      case 'Deployment': {
        const s = obj.spec as DeploymentSpec;
        const labels = s.template.metadata.labels ?? {};
        documents.push({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: meta(obj.metadata),
          spec: defined({
            replicas: s.replicas,
            selector: { matchLabels: s.selector?.matchLabels ?? labels },
            strategy: s.strategy,
            template: { metadata: defined({ labels, annotations: s.template.metadata.annotations }), spec: podSpec(who, s.template.spec) },
          }),
        });
        continue;
      }
      case 'ConfigMap': {
        const s = obj.spec as { data: Record<string, string>; binaryData?: Record<string, string>; immutable?: boolean };
        documents.push(defined({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(obj.metadata), data: s.data, binaryData: s.binaryData, immutable: s.immutable }));
        continue;
      }
      case 'Secret': {
        const s = obj.spec as { type: string; data: Record<string, string>; immutable?: boolean };
        documents.push(defined({ apiVersion: 'v1', kind: 'Secret', metadata: meta(obj.metadata), type: s.type, data: s.data, immutable: s.immutable }));
        continue;
      }
      case 'Service': {
        documents.push({ apiVersion: 'v1', kind: 'Service', metadata: meta(obj.metadata), spec: obj.spec });
        continue;
      }
      case 'Volume': {
        const s = obj.spec as VolumeSpec;
        if (s.driverOpts) drop(who, 'spec.driverOpts', 'the local driver\'s options are this host\'s; the cluster\'s storage class provisions the claim');
        documents.push({
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: meta(obj.metadata),
          // A cluster needs a size: the requested one, else 1Gi.
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: s.requests?.storage ?? '1Gi' } } },
        });
        if (!s.requests) warnings.push(`${who}: no size requested; the claim asks for 1Gi`);
        continue;
      }
      default:
        throw new InvalidArgumentError(`${who}: kind ${obj.kind} has no Kubernetes form`);
    }
  }
  return { documents, warnings };
}
