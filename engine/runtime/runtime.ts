// The Runtime interface: runs OCI runtime bundles (config.json + rootfs). Implemented by
// NativeRuntime (berth's C launcher + monitor, native/) and RuncRuntime (the runc binary), which
// are checked against each other by one shared conformance suite (test/runtime/conformance.ts).
import type { ExitInfo, LogEntry, ProcessState, Stats } from '../../specs/api/containers.ts';
import type { ExecSession, StdioSession } from './stdio.ts';
import type { OciLimits } from '../bundle.ts';

export interface ContainerState {
  id: string;
  status: ProcessState;
  /** Host pid of the container's init process (0 once stopped). */
  pid: number;
  bundle: string;
  createdAt: string;
  startedAt?: string;
  exit?: ExitInfo;
}

export interface RunOptions {
  /** Unique container id: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 characters (OCI's rule, engine/ids.ts). */
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
  /** Its output as it comes (the result's stdout and stderr are then empty): `exec` streamed to its client. */
  output?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /** Aborted: the exec'd process is killed (SIGKILL), as after a timeout. */
  signal?: AbortSignal;
}

/** An exec whose streams are held open (exec -i, -t): on a terminal of its own with tty. */
export interface ExecSessionOptions extends Omit<ExecOptions, 'timeoutMs' | 'output' | 'signal'> {
  tty: boolean;
}

export interface ExecResult {
  exitCode: number;
  signal?: string;
  stdout: Buffer;
  stderr: Buffer;
}

export interface LogOptions {
  follow?: boolean;
  tail?: number;
  signal?: AbortSignal;
  /** With follow: aborted once the process has ended; the follow then reads what is left and ends. */
  ended?: AbortSignal;
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
  /** The running container's streams, from its monitor (replay: its output since it started, once). */
  attach(id: string, opts?: { replay?: boolean }): Promise<StdioSession>;
  /**
   * Where the running container's monitor serves its streams (a unix socket, native/relay.h's
   * frames), for a client on this host that may open it itself; undefined when it does not run.
   */
  attachSocket?(id: string): Promise<string | undefined>;
  /** Starts a process in the running container with its streams held open. */
  execSession(id: string, opts: ExecSessionOptions): Promise<ExecSession>;
  stats(id: string): Promise<Stats>;
  /** New cgroup limits for a running container (applied live; nothing to do for a stopped one). */
  update(id: string, limits: OciLimits): Promise<void>;
  /** Ends what the runtime keeps running for itself (not the containers): the daemon's shutdown. */
  close?(): void;
  /** Resolves when the container's process has ended (at once if it already has). */
  wait(id: string, signal?: AbortSignal): Promise<ExitInfo>;
  /** The container's log: one entry per chunk, both streams in order. */
  logs(id: string, opts?: LogOptions): AsyncIterable<LogEntry>;
  /** Removes a stopped container (force: kills it first) and its cgroup; idempotent for unknown ids when force. */
  delete(id: string, opts?: { force?: boolean }): Promise<void>;
}
