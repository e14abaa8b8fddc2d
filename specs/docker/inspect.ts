// A Container object (Kubernetes' words) and its image, as `docker inspect` shows a container
// (Docker's words): the other half of the translation specs/docker/run.ts makes. Pure: the
// service hands in the object, its status, the runtime's view and the image's config.
import type { DockerContainer, DockerContainerConfig, DockerImage, DockerMount, DockerPortBinding } from '../api/docker.ts';
import type { ContainerResource, ContainerStatus, RuntimeContainer } from '../api/containers.ts';
import type { PortMapping } from '../api/common.ts';
import { parseCpu, parseMemory } from '../quantity.ts';
import { dockerEntrypointCmd, unescapeVars } from './command.ts';
import { dockerRestartOf } from './restart.ts';
import { dockerLabels, dockerNameOf } from './docker-name.ts';
import { dockerNetworks } from './inspect-networks.ts';

export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** The part of an image's config (OCI config.config) inspect merges with the container's. */
export interface ImageConfigView {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  OnBuild?: string[] | null;
}

export interface ContainerFacts {
  object: ContainerResource;
  status: Partial<ContainerStatus>;
  runtime: RuntimeContainer | null;
  /** The image's id (config digest) and config, when the image is in the store. */
  image?: { id: string; config: ImageConfigView };
}

const portKey = (p: { containerPort: number; protocol: string }) => `${p.containerPort}/${p.protocol.toLowerCase()}`;

/** Docker's State.Status for a Container's phase. */
export function dockerStateOf(phase: string): DockerContainer['State']['Status'] {
  if (phase === 'Paused') return 'paused';
  if (phase === 'Running' || phase === 'Stopping') return 'running';
  if (phase === 'BackOff' || phase === 'Restarting') return 'restarting';
  if (phase === 'Removing' || phase === 'Removed') return 'removing';
  if (phase === 'Exited' || phase === 'Failed') return 'exited';
  return 'created';
}

function dockerState(f: ContainerFacts): DockerContainer['State'] {
  const st = f.status;
  const phase = st.phase ?? 'Pending';
  const last = st.lastState?.terminated;
  const running = phase === 'Running' || phase === 'Paused' || phase === 'Stopping';
  const status = dockerStateOf(phase);
  const failed = phase === 'Failed' || last?.reason === 'StartError' || (!running && st.reason && /Err|BackOff|NotFound|Invalid/.test(st.reason));
  const probe = f.object.spec.readinessProbe;
  const ready = st.conditions?.find((c) => c.type === 'Ready');
  return {
    Status: status,
    Running: running,
    Paused: phase === 'Paused',
    Restarting: status === 'restarting',
    OOMKilled: last?.reason === 'OOMKilled',
    Dead: false,
    Pid: running ? (st.pid ?? f.runtime?.pid ?? 0) : 0,
    ExitCode: running ? 0 : (last?.exitCode ?? 0),
    Error: failed ? (last?.message ?? st.message ?? st.reason ?? '') : '',
    StartedAt: st.startedAt ?? last?.startedAt ?? f.runtime?.startedAt ?? ZERO_TIME,
    FinishedAt: last?.finishedAt ?? ZERO_TIME,
    ...(probe && running
      ? {
          Health: {
            Status: st.ready ? 'healthy' : ready?.message ? 'unhealthy' : 'starting',
            FailingStreak: st.ready || !ready?.message ? 0 : probe.failureThreshold,
            Log: ready?.message ? [{ Start: ready.lastTransitionTime, End: ready.lastTransitionTime, ExitCode: 1, Output: ready.message }] : [],
          },
        }
      : {}),
  };
}

function mounts(spec: ContainerResource['spec'], volumesDir: string): DockerMount[] {
  const volumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
  return (spec.volumeMounts ?? []).flatMap((m): DockerMount[] => {
    const v = volumes.get(m.name);
    if (!v) return [];
    const rw = !m.readOnly && !v.persistentVolumeClaim?.readOnly;
    const base = { Destination: m.mountPath, Mode: rw ? '' : 'ro', RW: rw, Propagation: 'rprivate' };
    if (v.hostPath) return [{ Type: 'bind', Source: v.hostPath.path, ...base }];
    if (v.persistentVolumeClaim) return [{ Type: 'volume', Name: v.persistentVolumeClaim.claimName, Source: `${volumesDir}/${v.persistentVolumeClaim.claimName}`, Driver: 'local', ...base, Mode: rw ? 'z' : 'ro', Propagation: '' }];
    if (v.emptyDir?.medium === 'Memory') return [{ Type: 'tmpfs', Source: '', ...base, Propagation: '' }];
    return [{ Type: 'volume', Name: v.name, Source: '', Driver: 'local', ...base, Propagation: '' }];
  });
}

/** `docker inspect CONTAINER`. `volumesDir`: where named volumes live (Mounts' Source). */
export function dockerContainer(f: ContainerFacts, volumesDir = ''): DockerContainer {
  const { object: r, status: st } = f;
  const spec = r.spec;
  const img = f.image?.config ?? {};
  const { Entrypoint, Cmd } = dockerEntrypointCmd(spec, img);
  const argv = [...(Entrypoint ?? []), ...(Cmd ?? [])];
  const env = new Map((img.Env ?? []).map((kv) => [kv.split('=')[0]!, kv]));
  for (const e of spec.env ?? []) env.set(e.name, `${e.name}=${unescapeVars([e.value])[0]}`);
  const exposed: Record<string, Record<string, never>> = {};
  for (const k of Object.keys(img.ExposedPorts ?? {})) exposed[k] = {};
  for (const p of spec.ports ?? []) exposed[portKey(p)] = {};
  const published = new Map<string, DockerPortBinding[]>();
  for (const p of (st.ports ?? []) as PortMapping[]) {
    if (p.hostPort) published.set(portKey(p), [...(published.get(portKey(p)) ?? []), { HostIp: p.hostIP ?? '0.0.0.0', HostPort: String(p.hostPort) }]);
  }
  const ports: Record<string, DockerPortBinding[] | null> = {};
  for (const k of Object.keys(exposed).sort()) ports[k] = published.get(k) ?? null;
  const bindings: Record<string, DockerPortBinding[]> = {};
  for (const p of spec.ports ?? []) {
    if (p.hostPort === undefined) continue;
    bindings[portKey(p)] = [...(bindings[portKey(p)] ?? []), { HostIp: p.hostIP ?? '', HostPort: p.hostPort ? String(p.hostPort) : '' }];
  }
  const { mode, networks } = dockerNetworks(spec, r.metadata.name, st.containerID, f.runtime?.networks);
  const probe = spec.readinessProbe;
  const limits = spec.resources?.limits;
  const config: DockerContainerConfig = {
    Hostname: spec.hostname ?? r.metadata.name,
    Domainname: '',
    User: spec.user ?? img.User ?? '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ...(Object.keys(exposed).length ? { ExposedPorts: exposed } : {}),
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: [...env.values()],
    Cmd,
    ...(probe?.exec
      ? { Healthcheck: { Test: probe.exec.command.length === 3 && probe.exec.command[1] === '-c' ? ['CMD-SHELL', probe.exec.command[2]!] : ['CMD', ...probe.exec.command], Interval: probe.periodSeconds * 1e9, Timeout: probe.timeoutSeconds * 1e9, Retries: probe.failureThreshold } }
      : {}),
    Image: spec.image,
    Volumes: img.Volumes ? Object.fromEntries(Object.keys(img.Volumes).map((k) => [k, {}])) : null,
    WorkingDir: spec.workingDir ?? img.WorkingDir ?? '',
    Entrypoint,
    OnBuild: img.OnBuild ?? null,
    Labels: { ...(img.Labels ?? {}), ...dockerLabels(r.metadata.labels) },
    ...(spec.stopSignal || img.StopSignal ? { StopSignal: spec.stopSignal ?? img.StopSignal } : {}),
    StopTimeout: spec.terminationGracePeriodSeconds,
  };
  return {
    Id: st.containerID ?? '',
    Created: f.runtime?.createdAt ?? r.metadata.creationTimestamp,
    Path: argv[0] ?? '',
    Args: argv.slice(1),
    State: dockerState(f),
    Image: f.image?.id ?? st.imageID ?? '',
    ResolvConfPath: '',
    HostnamePath: '',
    HostsPath: '',
    LogPath: '',
    Name: `/${dockerNameOf(r.metadata.name, r.metadata.labels)}`,
    RestartCount: st.restartCount ?? 0,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: {
      Binds: (() => {
        const b = mounts(spec, volumesDir).filter((m) => m.Type === 'bind').map((m) => `${m.Source}:${m.Destination}${m.RW ? '' : ':ro'}`);
        return b.length ? b : null;
      })(),
      NetworkMode: mode,
      PortBindings: bindings,
      RestartPolicy: dockerRestartOf(spec),
      AutoRemove: spec.autoRemove ?? false,
      ExtraHosts: spec.hostAliases?.length ? spec.hostAliases.flatMap((h) => h.hostnames.map((n) => `${n}:${h.ip}`)) : null,
      PublishAllPorts: spec.publishAllPorts ?? false,
      ReadonlyRootfs: spec.readOnlyRootFilesystem,
      Init: spec.init ?? null,
      Memory: limits?.memory !== undefined ? parseMemory(limits.memory) : 0,
      MemorySwap: spec.memorySwap === undefined ? 0 : spec.memorySwap === -1 ? -1 : parseMemory(spec.memorySwap),
      NanoCpus: limits?.cpu !== undefined ? Math.round(parseCpu(limits.cpu) * 1e9) : 0,
      CpuShares: spec.cpuShares ?? 0,
      PidsLimit: limits?.pids ?? null,
      LogConfig: { Type: 'json-file', Config: {} },
    },
    GraphDriver: { Data: null, Name: 'overlay2' },
    Mounts: mounts(spec, volumesDir),
    Config: config,
    NetworkSettings: {
      Bridge: '',
      SandboxID: '',
      SandboxKey: '',
      Ports: ports,
      Gateway: '',
      IPAddress: st.ipAddress ?? '',
      IPPrefixLen: 0,
      MacAddress: '',
      Networks: networks,
    },
  };
}

/** What `docker inspect IMAGE` shows, from the store's record of it. */
export interface ImageFacts {
  id: string;
  /** Familiar names of every tag of the image (busybox:latest). */
  repoTags: string[];
  repoDigests: string[];
  config: {
    created?: string;
    author?: string;
    architecture: string;
    os: string;
    variant?: string;
    config?: ImageConfigView;
    rootfs: { diff_ids: string[] };
    history?: Array<{ comment?: string }>;
  };
  size: number;
}

export function dockerImage(f: ImageFacts): DockerImage {
  const c = f.config.config ?? {};
  return {
    Id: f.id,
    RepoTags: f.repoTags,
    RepoDigests: f.repoDigests,
    Parent: '',
    Comment: f.config.history?.at(-1)?.comment ?? '',
    Created: f.config.created ?? ZERO_TIME,
    DockerVersion: '',
    Author: f.config.author ?? '',
    Config: {
      Hostname: '', Domainname: '', User: c.User ?? '', AttachStdin: false, AttachStdout: false, AttachStderr: false,
      ...(c.ExposedPorts ? { ExposedPorts: Object.fromEntries(Object.keys(c.ExposedPorts).map((k) => [k, {}])) } : {}),
      Tty: false, OpenStdin: false, StdinOnce: false, Env: c.Env ?? [], Cmd: c.Cmd ?? null, Image: '',
      Volumes: c.Volumes ? Object.fromEntries(Object.keys(c.Volumes).map((k) => [k, {}])) : null,
      WorkingDir: c.WorkingDir ?? '', Entrypoint: c.Entrypoint ?? null, OnBuild: c.OnBuild ?? null, Labels: c.Labels ?? {},
      ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
    },
    Architecture: f.config.architecture,
    ...(f.config.variant ? { Variant: f.config.variant } : {}),
    Os: f.config.os,
    Size: f.size,
    GraphDriver: { Data: null, Name: 'overlay2' },
    RootFS: { Type: 'layers', Layers: f.config.rootfs.diff_ids },
    Metadata: { LastTagTime: ZERO_TIME },
  };
}
