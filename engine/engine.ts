// The narrow engine interface the controllers drive: a few verbs on images and containers.
// Controllers never touch files or processes; the implementation (berth-engine.ts, BerthEngine)
// turns these verbs into image pulls, overlay snapshots, OCI bundles and Runtime calls.
import type { ContainerSpec, ImageSpec } from '../specs/schema.ts';
import type { ExecOptions, ExecResult, ExecSessionOptions, LogOptions } from './runtime/runtime.ts';
import type { ExecSession, StdioSession } from './runtime/stdio.ts';
import type { Readable } from 'node:stream';
import type { PortMapping } from '../specs/api/common.ts';
import type { ContainerStats, ExitInfo, FileChange, LogEntry, PathStat, ProcessInfo, RuntimeContainer } from '../specs/api/containers.ts';

export type PullPolicy = 'IfNotPresent' | 'Always' | 'Never';

/** An image present in the content store. */
export interface ImageHandle {
  /** The reference it was asked for (normalised, e.g. "127.0.0.1:5000/busybox:latest"). */
  ref: string;
  /** Manifest digest ("sha256:…"). */
  digest: string;
  /** Size of its layers in bytes. */
  size?: number;
}

export interface PullProgress {
  bytes: number;
  total?: number;
}

/** Who a container belongs to: written into its bundle's annotations, read back by list(). */
export interface ContainerOwner {
  /** The Container object's name. */
  name: string;
  uid: string;
  generation: number;
  /** Hash of the spec and the image digest it was created from: differs → recreate. */
  specHash: string;
}

export interface CreateRequest {
  /** Unique container id (64 lowercase hex characters, as Docker's; engine/ids.ts). */
  id: string;
  owner: ContainerOwner;
  spec: ContainerSpec;
  image: ImageHandle;
}

/** A container as the engine sees it: the runtime's view, and who it belongs to. */
export interface EngineContainer extends RuntimeContainer {
  /** Undefined for containers berth did not create (found in the runtime, never touched). */
  owner?: ContainerOwner;
  /** The grace period of its spec (terminationGracePeriodSeconds): a stop without its object waits this long. */
  stopTimeoutSeconds?: number;
}

/**
 * One check of a liveness/readiness probe, its port and host resolved: a command run inside the
 * container (exit code 0 is healthy), an HTTP GET (200–399 is healthy), or a TCP connect.
 */
export type ProbeCheck = { timeoutMs: number } & (
  | { exec: { command: string[] } }
  | { httpGet: { scheme: 'HTTP' | 'HTTPS'; host: string; port: number; path: string; headers: Record<string, string> } }
  | { tcpSocket: { host: string; port: number } }
);

export interface ProbeOutcome {
  ok: boolean;
  /** Why it failed, as kubelet words it (shown in the Unhealthy event). */
  message?: string;
}

export interface ImageEngine {
  /** The local image for ref, pulling it as policy says; NotFoundError for Never and absent. */
  ensureImage(ref: string, policy: PullPolicy, onProgress?: (p: PullProgress) => void): Promise<ImageHandle>;
  /** The local image for ref, if present. */
  resolveImage(ref: string): Promise<ImageHandle | undefined>;
  /** Builds an Image object's spec.build; the result is tagged ref. */
  buildImage?(ref: string, build: NonNullable<ImageSpec['build']>): Promise<ImageHandle>;
  /** Digest of a build context (Dockerfile, files, args): changes → rebuild. */
  buildContextDigest?(build: NonNullable<ImageSpec['build']>): Promise<string>;
  pushImage?(ref: string): Promise<void>;
}

export interface ContainerEngine {
  /** Prepares the rootfs and writes the bundle; does not start the process. */
  create(req: CreateRequest): Promise<EngineContainer>;
  /** Starts (or starts again, after an exit) the container's process. */
  start(id: string): Promise<EngineContainer>;
  /** Sends the stop signal, waits the grace period, then SIGKILL; resolves with the exit. */
  stop(id: string, opts: { signal?: string; timeoutSeconds: number }): Promise<ExitInfo>;
  kill(id: string, signal: string): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /** `ps -s`: bytes of its writable layer's files, and that plus its image's size (Docker's SizeRw, SizeRootFs). */
  size?(id: string): Promise<{ rw: number; rootFs: number }>;
  /** `update`: the spec's limits applied to the container live (and kept for its next start); its owner gets the spec's new hash. */
  update?(id: string, o: { spec: ContainerSpec; specHash: string }): Promise<void>;
  /** `network connect`: one more network for the container (live when it runs), kept in its record with its owner's new spec hash. */
  connectNetwork?(id: string, o: { network: string; aliases?: string[]; spec: ContainerSpec; specHash: string }): Promise<void>;
  /** `network disconnect`: one network fewer (live when it runs), kept likewise. */
  disconnectNetwork?(id: string, o: { network: string; force?: boolean; specHash: string }): Promise<void>;
  /** `rename`: the container's owner gets another name (its process, id and files stay). */
  rename?(id: string, name: string): Promise<void>;
  /** Stops (force) and deletes the container, its bundle and rootfs; NotFound is not an error. */
  remove(id: string, opts?: { force?: boolean }): Promise<void>;
  /** NotFoundError when unknown. */
  inspect(id: string): Promise<EngineContainer>;
  /** Every container, or those of one Container object. */
  list(filter?: { name?: string }): Promise<EngineContainer[]>;
  /** Resolves when the process has ended (at once if it has). */
  wait(id: string, signal?: AbortSignal): Promise<ExitInfo>;
  stats(id: string): Promise<ContainerStats>;
  exec(id: string, opts: ExecOptions): Promise<ExecResult>;
  /** Runs one probe check against the container; a failure is an outcome, never a rejection. */
  probe(id: string, check: ProbeCheck): Promise<ProbeOutcome>;
  logs(id: string, opts?: LogOptions): AsyncIterable<LogEntry>;
  /** The container's processes (as `docker top` shows them). */
  top(id: string): Promise<ProcessInfo[]>;
}

/** The streams of running containers and of exec'd processes (attach, run -it, exec -it). */
export interface ContainerStreams {
  /** The running container's streams (replay: its output since it started, once). */
  attach(id: string, opts?: { replay?: boolean }): Promise<StdioSession>;
  /** The running container's monitor socket, for a client on this host (Runtime.attachSocket); undefined: none. */
  attachSocket(id: string): Promise<string | undefined>;
  /** Starts a process in the running container with its streams held open. */
  execSession(id: string, opts: ExecSessionOptions): Promise<ExecSession>;
}


/** The verbs on a container's files and layers (`cp`, `commit`): for the services, not the controllers. */
export interface ContainerFilesEngine {
  /** `cp`: a path inside the container's root (running or not), never resolved on the host. */
  statPath(id: string, path: string): Promise<PathStat>;
  /** `cp` out: the path as a tar stream (done settles when the tar is complete, or failed). */
  archivePath(id: string, path: string): Promise<{ stat: PathStat; tar: Readable; done: Promise<void> }>;
  /** `cp` in: a tar stream extracted into a directory of the container, owned by its root unless keepOwner (`cp -a`). */
  extractArchive(id: string, dir: string, tar: Readable, o?: { keepOwner?: boolean }): Promise<void>;
  /** `commit`: the container's writable layer written as a layer tar to `out` (paused meanwhile when running and asked); its diff id. */
  diffLayer(id: string, o: { out: string; pause?: boolean }): Promise<{ digest: string; size: number }>;
  /** `diff`: the paths the container changed, added or deleted against its image, sorted. */
  changes(id: string): Promise<FileChange[]>;
}

/** What a Pod asks of its sandbox. */
export interface SandboxRequest {
  /** The Pod object's uid: the sandbox belongs to this very object. */
  uid: string;
  /** The Pod's name: its name on the network. */
  name: string;
  hostname: string;
  /** bridge (the default network), host, none, or a network's name. */
  network: string;
  /** Every container's ports: published once, for the group. */
  ports: PortMapping[];
  extraHosts?: Array<{ ip: string; names: string[] }>;
  /** The member Container objects' names: after a delete, whose containers must be gone before it is released. */
  members?: string[];
  /** What the sandbox was made for (a changed Pod gets a new sandbox). */
  specHash: string;
}

export interface Sandbox {
  /** The attachment's id on the network (64 hex, from the uid). */
  id: string;
  request: SandboxRequest;
  createdAt: string;
  ipAddress?: string;
  /** The ports as published (free host ports picked). */
  ports?: PortMapping[];
  netnsPath?: string;
  hostsFile?: string;
  resolvConfFile?: string;
  ipcPath: string;
  utsPath: string;
  /** Names set after it was made (setAliases): a Service's. */
  aliases?: string[];
  /** emptyDir volumes of medium Memory: a tmpfs each under volumes/, mounted again by a repair. */
  tmpfs?: Array<{ name: string; sizeBytes?: number }>;
}

/** The shared namespaces of a Pod's containers (pod-sandbox.ts): for the Pod controller. */
export interface SandboxEngine {
  /** Makes the Pod's sandbox, or repairs it; cheap when it is healthy. */
  ensureSandbox(req: SandboxRequest): Promise<Sandbox>;
  /** Releases it (idempotent): call once no member container is left. */
  removeSandbox(uid: string): Promise<void>;
  listSandboxes(): Promise<Sandbox[]>;
  /** The Pod's names on its network besides its own (the Services that select it). */
  setSandboxAliases(uid: string, aliases: string[]): Promise<void>;
}

export interface Engine extends ImageEngine, ContainerEngine, ContainerStreams, ContainerFilesEngine, SandboxEngine {}

