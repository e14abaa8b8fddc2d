// Containers as the API shows them: the typed status the controllers write to the store (kubelet's
// ContainerStatus shapes), what `ps` lists, what `inspect`, `logs`, `stats` and `top` return.
import type { API_VERSION } from '../meta.ts';
import type { Condition, ContainerSpec, Status, StoredMeta } from '../schema.ts';
import type { PortMapping } from './common.ts';

/** Where a Container object is in its lifecycle (status.phase); "Paused" is Running, frozen. */
export type ContainerPhase =
  | 'Pending'
  | 'WaitingForImage'
  | 'Creating'
  /** Made but not started (`berth create`): waits for `berth start`. */
  | 'Created'
  | 'Running'
  | 'Paused'
  | 'Exited'
  | 'BackOff'
  | 'Restarting'
  | 'Stopping'
  | 'Removing'
  | 'Failed'
  | 'Removed';

/** How a process ended, as the runtime reports it. */
export interface ExitInfo {
  /** Exit code; 128+signal when killed by a signal, as a shell reports it. */
  exitCode: number;
  /** Signal name (e.g. "SIGKILL") when the process was killed by a signal. */
  signal?: string;
  /** The cgroup recorded an OOM kill for this container. */
  oomKilled: boolean;
  /** RFC 3339 time the process ended. */
  finishedAt: string;
}

export type TerminatedReason = 'OOMKilled' | 'Error' | 'Completed' | 'StartError';

/** One finished run (kubelet's ContainerStateTerminated). */
export interface TerminatedState {
  exitCode: number;
  signal?: string;
  reason: TerminatedReason;
  message?: string;
  startedAt?: string;
  finishedAt: string;
  containerID?: string;
}

/** Remembered between exits of one container: the CrashLoopBackOff series. */
export interface BackoffState {
  /** The wait the next exit (within the reset window) will get. */
  nextDelayMs: number;
  /** When the previous run ended (ms since epoch). */
  lastExitAt: number;
}

/** The lifecycle facts a restarted daemon continues from (status.lifecycle). */
export interface PersistedLifecycle {
  containerID?: string;
  restartCount?: number;
  lastState?: TerminatedState;
  backoff?: BackoffState;
  userStopped?: boolean;
}

/** kubelet's ContainerState: exactly one of the three. */
export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | { terminated: TerminatedState };

/** A Container object's status: written by its controller, the truth every reader uses. */
export interface ContainerStatus {
  observedGeneration: number;
  phase: ContainerPhase;
  containerID?: string;
  pid?: number;
  startedAt?: string;
  restartCount: number;
  ready: boolean;
  image?: string;
  imageID?: string;
  ipAddress?: string;
  /** The ports as published, free host ports picked (hostPort 0, -P) filled in. */
  ports?: PortMapping[];
  state: ContainerState;
  lastState?: { terminated: TerminatedState };
  conditions: Condition[];
  lifecycle: PersistedLifecycle;
  reason?: string;
  message?: string;
}

/** What `ps` shows per container. */
export interface ContainerSummary {
  name: string;
  id?: string;
  image: string;
  command: string[];
  created: string;
  phase: string;
  ready: boolean;
  restartCount: number;
  exitCode?: number;
  startedAt?: string;
  finishedAt?: string;
  ports: string[];
  /** False for containers found in the runtime that berth did not create. */
  managed: boolean;
  labels?: Record<string, string>;
  /** With a readiness probe (Docker's health check): its state while running. */
  health?: 'starting' | 'healthy' | 'unhealthy';
  /** Docker's State.Status (created, running, paused, restarting, removing, exited). */
  state?: string;
  /** With `ps -s`: bytes of its writable layer's files (Docker's SizeRw), and that plus its image's size (SizeRootFs). */
  sizeRw?: number;
  sizeRootFs?: number;
}

/** A Container object as the store holds it and the API returns it. */
export interface ContainerResource {
  apiVersion: typeof API_VERSION;
  kind: 'Container';
  metadata: StoredMeta;
  spec: ContainerSpec;
  /** Empty until its controller first writes it. */
  status: Status & Partial<ContainerStatus>;
}

/** What `inspect` returns for a Container object: the object, its summary, and the runtime's view. */
export type ContainerDetail = ContainerResource & { summary: ContainerSummary; runtime: RuntimeContainer | null };

/** What a wait resolves with: the phase reached, the container's id once it has one, its exit once it ended. */
export interface WaitResult {
  name: string;
  phase: ContainerPhase;
  id?: string;
  exitCode?: number;
  reason?: string;
  /** condition "started": its start failed (the runtime's or the network's error), so it has no process. */
  startError?: string;
}

/**
 * `GET /v1/containers/:name/attach-socket`: what `attach` needs to know of a container, and where its
 * monitor serves its streams (native/relay.h's frames) while it runs, for a client on this host that
 * may open that socket itself (root: it is in the daemon's state directory). Without `socket` (not
 * running, a runtime without one), or when the socket cannot be opened, the client attaches through
 * the daemon (POST /v1/containers/:name/attach), which stays the way for everyone else.
 */
export interface AttachSocket {
  /** The container's name (the reference resolved). */
  name: string;
  tty: boolean;
  stdin: boolean;
  /** The client's end of input closes the process's stdin (Kubernetes' stdinOnce). */
  stdinOnce: boolean;
  socket?: string;
}

/** A one-off command's result in a running container (`exec` without a terminal). */
export interface ExecOutput {
  exitCode: number;
  signal?: string;
  /** base64 */
  stdout: string;
  /** base64 */
  stderr: string;
}

/** The runtime's own view of a container's process (created | running | paused | stopped). */
export type ProcessState = 'created' | 'running' | 'paused' | 'stopped';

/** A container as the engine holds it: `inspect`'s runtime part. */
export interface RuntimeContainer {
  id: string;
  status: ProcessState;
  pid: number;
  createdAt: string;
  startedAt?: string;
  exit?: ExitInfo;
  image?: string;
  imageDigest?: string;
  ipAddress?: string;
  /** Its ports as the network published them (free host ports picked). */
  ports?: PortMapping[];
  /** Every network it is on, its first first (none for the host's network), with its address and names there. */
  networks?: ContainerNetwork[];
}

/** One network of a container: `inspect`'s NetworkSettings.Networks entry. */
export interface ContainerNetwork {
  name: string;
  ipAddress?: string;
  aliases?: string[];
}

/** One line (or chunk) of a container's output. */
export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** RFC 3339 with nanoseconds. */
  time: string;
  log: string;
}

/**
 * `run` in one request (POST /v1/containers/run, NDJSON): `started` once the container has its
 * process, then (unless detached) its output and last `exit` — after the removal --rm asked for.
 */
export type RunEvent =
  | { type: 'started'; name: string; id: string }
  | ({ type: 'log' } & LogEntry)
  | { type: 'exit'; name: string; phase: ContainerPhase; exitCode?: number };

/** A container's network counters: all interfaces together, and per interface (loopback left out). */
export interface NetworkStats {
  rxBytes: number;
  txBytes: number;
  interfaces?: Array<{ interface: string; rxBytes: number; txBytes: number }>;
}

/** Resource use read from the container's cgroup. */
export interface Stats {
  cpuUsageSeconds: number;
  memoryUsageBytes: number;
  memoryWorkingSetBytes: number;
  /** 0 when unlimited. */
  memoryLimitBytes: number;
  pids: number;
  readAt: string;
  /** What the cgroup's files say beyond the above (absent from runtimes that cannot read them). */
  cgroup?: CgroupStats;
}

/** A container's cgroup as cAdvisor reports it; cgroup v1 and v2 files give the same fields. */
export interface CgroupStats {
  /** The cgroup's path under the hierarchy root, e.g. "/berth/<id>" (cAdvisor's `id` label). */
  path: string;
  cpu: {
    userSeconds: number;
    systemSeconds: number;
    /** CFS enforcement: elapsed periods, those throttled, and the time throttled. */
    periods: number;
    throttledPeriods: number;
    throttledSeconds: number;
  };
  /** The limits set on the cgroup; a field is absent when its controller is not enabled. */
  spec: {
    cpuPeriodUs?: number;
    /** 0 when unlimited (as cAdvisor reports it). */
    cpuQuotaUs?: number;
    /** cpu.shares (v1), or cpu.weight converted back to shares as cAdvisor does (v2). */
    cpuShares?: number;
  };
  memory: {
    rssBytes: number;
    cacheBytes: number;
    swapBytes: number;
    mappedFileBytes: number;
    /** Processes the kernel's OOM killer killed in this cgroup. */
    oomKills: number;
  };
  /** Processes (not threads) in the cgroup. */
  processes: number;
  /** Block I/O per device as the io (v2) or blkio (v1) controller counts it. */
  io: Array<{ device: string; readBytes: number; writeBytes: number; reads: number; writes: number }>;
}

/** What a container's writable layer takes of the filesystem holding it (cAdvisor's container_fs_*). */
export interface FsUsage {
  /** The filesystem's mount source ("/dev/vda"). */
  device: string;
  usageBytes: number;
  limitBytes: number;
  inodesFree: number;
}

export interface ContainerStats extends Stats {
  /** Present when the container has its own network namespace. */
  network?: NetworkStats;
  /** The writable layer (its rootfs's upper directory) and the filesystem holding it. */
  filesystem?: FsUsage;
}

/** One process of a container (as `docker top` shows it). */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** User name or uid on the host. */
  user: string;
  /** CPU time used, in seconds. */
  cpuSeconds: number;
  /** Command line. */
  cmd: string;
  /** When it started (RFC 3339). */
  startedAt?: string;
  /** Its terminal ("pts/0"), or "?" for none, as ps shows it. */
  tty?: string;
}

/** A path in a container as `cp` sees it (Docker's X-Docker-Container-Path-Stat): lstat's answer. */
export interface PathStat {
  /** The base name. */
  name: string;
  size: number;
  /** st_mode: file type and permission bits. */
  mode: number;
  /** RFC 3339. */
  mtime: string;
  /** A symlink's target, else "". */
  linkTarget: string;
}

/** A path of a container's filesystem changed since its image (Docker's `diff`: C, A, D). */
export interface FileChange {
  /** Absolute, inside the container. */
  path: string;
  kind: 'modified' | 'added' | 'deleted';
}

/** `berth create`'s annotation (value "manual"): the container is made, and started only by `berth start`. */
export const HOLD_START = 'berth.dev/start';

/**
 * `update` (Docker's POST /containers/{id}/update, UpdateConfig's fields in camelCase): what to
 * change of a container's limits and restart policy, applied live without recreating it. A field
 * left out is kept.
 */
export interface ContainerUpdate {
  /** Memory limit in bytes (Docker's Memory; at least 6 MiB). */
  memory?: number;
  /** Memory plus swap in bytes (Docker's MemorySwap); -1: unlimited swap. Needs a memory limit. */
  memorySwap?: number;
  /** CPUs in billionths (Docker's NanoCpus); 0: no limit. */
  nanoCpus?: number;
  /** Relative CPU weight (Docker's CpuShares, 2..262144); 0: the default. */
  cpuShares?: number;
  /** Most processes at once (Docker's PidsLimit); 0 or -1: unlimited. */
  pidsLimit?: number;
  /** Docker's RestartPolicy: no, always, on-failure (with a maximum retry count), unless-stopped. */
  restartPolicy?: { name: string; maximumRetryCount?: number };
}

/** What `update` answers (Docker's {"Warnings": [...]}). */
export interface ContainerUpdateResult {
  name: string;
  warnings: string[];
}
