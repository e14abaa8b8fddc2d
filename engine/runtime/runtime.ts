// The Runtime interface: runs OCI runtime bundles (config.json + rootfs). Implemented by
// NativeRuntime (berth's C launcher + monitor, native/) and RuncRuntime (the runc binary), which
// are checked against each other by one shared conformance suite (test/runtime/conformance.ts).

export type ContainerStatus = 'created' | 'running' | 'paused' | 'stopped';

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

export interface ContainerState {
  id: string;
  status: ContainerStatus;
  /** Host pid of the container's init process (0 once stopped). */
  pid: number;
  bundle: string;
  createdAt: string;
  startedAt?: string;
  exit?: ExitInfo;
}

export interface RunOptions {
  /** Unique container id: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 characters. */
  id: string;
  /** Absolute path of an OCI bundle: config.json and the rootfs it names. */
  bundle: string;
}

export interface ExecOptions {
  args: string[];
  env?: string[];
  cwd?: string;
  /** "uid", "uid:gid"; names are resolved in the container's /etc/passwd. */
  user?: string;
  /** Gives up (SIGKILL to the exec'd process) after this many ms. */
  timeoutMs?: number;
}

export interface ExecResult {
  exitCode: number;
  signal?: string;
  stdout: Buffer;
  stderr: Buffer;
}

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

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** RFC 3339 with nanoseconds. */
  time: string;
  log: string;
}

export interface LogOptions {
  follow?: boolean;
  tail?: number;
  signal?: AbortSignal;
}

export interface Runtime {
  readonly name: string;
  /** Creates and starts the container; resolves once its process is running. */
  run(opts: RunOptions): Promise<ContainerState>;
  /** Current state; NotFoundError if the id is unknown. */
  state(id: string): Promise<ContainerState>;
  /** Every container this runtime has under its root, running or not (used to re-adopt after a restart). */
  list(): Promise<ContainerState[]>;
  kill(id: string, signal: string): Promise<void>;
  /** Sends `signal` (default SIGTERM), waits up to `timeoutSeconds`, then SIGKILL; resolves with the exit. */
  stop(id: string, opts?: { signal?: string; timeoutSeconds?: number }): Promise<ExitInfo>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  exec(id: string, opts: ExecOptions): Promise<ExecResult>;
  stats(id: string): Promise<Stats>;
  /** Resolves when the container's process has ended (at once if it already has). */
  wait(id: string, signal?: AbortSignal): Promise<ExitInfo>;
  /** The container's log: one entry per chunk, both streams in order. */
  logs(id: string, opts?: LogOptions): AsyncIterable<LogEntry>;
  /** Removes a stopped container (force: kills it first) and its cgroup; idempotent for unknown ids when force. */
  delete(id: string, opts?: { force?: boolean }): Promise<void>;
}
