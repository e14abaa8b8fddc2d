// MonitoredRuntime: what RuncRuntime and NativeRuntime share — each container started and watched
// by berth's monitor (native/monitor.c), a subreaper that keeps the logs and records the exit, so
// containers outlive the daemon and are re-adopted from disk. A subclass says how a container is
// launched (the monitor's runtime arguments) and how it is signalled, frozen, entered and cleaned up.
//
// State, under stateDir:  containers/<id>/{meta.json, pid, log.json, exit.json, runtime.log} (and
// whatever the subclass keeps beside it), removed/ (deleted containers' directories on their way
// out). A container is known when meta.json exists; it has ended when exit.json does.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, watch } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, UnavailableError } from '../../specs/errdefs.ts';
import { commandErrorText } from '../command-error.ts';
import { readSmallFile } from '../read-small.ts';
import type { ResolvedUser } from '../container-config.ts';
import { extendFileSync, writeFileUnpublished } from '../fs-atomic.ts';
import { makeSpreadEntry } from '../spread-dirs.ts';
import { checkRuntimeContainerId, isRuntimeContainerId } from '../ids.ts';
import { removeCgroup } from './cgroup-teardown.ts';
import { DeferredRemoval } from './deferred-removal.ts';
import { findMonitor, monitorOf, readMeta, type Meta } from './meta-recovery.ts';
import { MonitorStarter } from './monitor-server.ts';
import { readCgroupStats } from './cgroup-stats.ts';
import { readJsonLog } from './json-log.ts';
import type { ContainerState, ExecOptions, ExecResult, ExecSessionOptions, LogOptions, RunOptions, Runtime } from './runtime.ts';
import { attachMonitor, monitorSocket, startExec } from './sessions.ts';
import { execUser } from './exec-user.ts';
import { spawnExec } from './exec-process.ts';

export { signalName } from './exec-process.ts';

export { readInside } from './exec-user.ts';
import type { ExecSession, StdioSession } from './stdio.ts';
import type { OciLimits } from '../bundle.ts';
import type { ExitInfo, LogEntry, Stats } from '../../specs/api/containers.ts';
import { isoTime } from '../../specs/timestamps.ts';

/** How often a wait looks at a container's state besides the watch on its exit file (ms). */
const LIVENESS_MS = 5000;
/** Waits looked at in one go by a liveness sweep before the event loop is let run. */
const SWEEP_SLICE = 64;

/** A wait between two looks: woken by its exit file's watch, its abort, or the liveness sweep. */
interface Waiting {
  exitFile: string;
  /** The container's meta as the wait last read it (it does not change while the container runs). */
  meta: Meta;
  wake(): void;
}

export const run = promisify(execFile);

/** A program of native/build/ in this checkout (from the sources or from dist/). */
export function nativeBinary(name: string): string {
  for (const rel of [`../../native/build/${name}`, `../../../native/build/${name}`]) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new UnavailableError(`native/build/${name} is missing: run \`npm run build\` (it needs make and a C compiler)`);
}

/** The monitor binary: native/build/berth-monitor. */
export function monitorPath(): string {
  return nativeBinary('berth-monitor');
}

export type { Meta } from './meta-recovery.ts';

/** The bundle annotation that keeps a container's stdin open (Kubernetes' `stdin`, Docker's -i). */
export const STDIN_ANNOTATION = 'dev.berth.stdin';

export type ContainerPaths = ReturnType<MonitoredRuntime['paths']>;
/** What the runtime itself says of a live container; undefined: it does not know it (ended). */
export type LiveStatus = 'running' | 'paused' | undefined;

export abstract class MonitoredRuntime implements Runtime {
  abstract readonly name: string;
  protected readonly dir: string;
  readonly #logMax: number;
  readonly #logFiles: number;
  /** Containers this process is starting: their meta.json has no pid yet, and that is no loss. */
  readonly #launching = new Set<string>();
  readonly #monitors: MonitorStarter;
  /** The waits between two looks, and the one timer of their liveness sweep. */
  readonly #waiting = new Set<Waiting>();
  #sweepTimer: ReturnType<typeof setTimeout> | undefined;
  #sweeping = false;
  /** The cgroup of each container whose stats were read (stats()), until it is deleted or run again. */
  readonly #cgroups = new Map<string, string>();
  readonly #removal: DeferredRemoval;

  constructor(o: { stateDir: string; logMaxBytes?: number; logMaxFiles?: number }) {
    this.dir = join(o.stateDir, 'containers');
    this.#removal = new DeferredRemoval(join(o.stateDir, 'removed'));
    this.#monitors = new MonitorStarter(o.stateDir, monitorPath);
    this.#logMax = o.logMaxBytes ?? 10 * 1024 * 1024;
    this.#logFiles = o.logMaxFiles ?? 2;
  }

  /** The monitor's arguments that choose and configure the runtime (e.g. --runc/--runc-root). */
  protected abstract runtimeArgs(meta: Meta): Promise<string[]>;
  /** The runtime's view of a container that has no exit recorded. */
  protected abstract liveStatus(meta: Meta): Promise<LiveStatus>;
  /** Whether the container's process still runs (the wait's liveness sweep); a runtime may know it cheaper than liveStatus. */
  protected async isAlive(meta: Meta): Promise<boolean> {
    return (await this.liveStatus(meta)) !== undefined;
  }
  /** Every live status at once, when the runtime can tell them cheaper than one by one. */
  protected async liveStatuses(): Promise<Map<string, LiveStatus> | undefined> {
    return undefined;
  }
  protected abstract signal(meta: Meta, signal: string): Promise<void>;
  protected abstract freeze(meta: Meta): Promise<void>;
  protected abstract thaw(meta: Meta): Promise<void>;
  /**
   * The command that runs an exec'd process in the container, its stdio being the caller's; with
   * tty, on a terminal of its own sent to @CONSOLE@ (berth-exectty's). `detached`: the command
   * exits once the process runs, its pid in @PIDFILE@.
   */
  protected abstract execCommand(meta: Meta, o: ExecOptions, user: ResolvedUser | undefined, tty?: boolean): Promise<[string, string[], { detached: boolean }?]>;
  /** Writes new limits into the live container's cgroup. */
  protected abstract updateLimits(meta: Meta, limits: OciLimits): Promise<void>;
  /** Removes what the runtime keeps of an ended container (its record, its cgroup). */
  protected abstract remove(meta: Meta): Promise<void>;

  /**
   * Joined by hand, not with path.join: asked at every look at a container (its exit file, its
   * meta.json), and join's normalising of six paths each time was most of that look's garbage (29 MB
   * in an apply of 500). `dir` is normalised once; an id is a runtime id (ids.ts: no '/'), or is
   * refused by meta() before any of these is opened.
   */
  paths(id: string) {
    const d = `${this.dir}/${id}`;
    return { dir: d, meta: `${d}/meta.json`, pid: `${d}/pid`, log: `${d}/log.json`, exit: `${d}/exit.json`, runtimeLog: `${d}/runtime.log` };
  }

  /** paths(id).exit alone: what each look at a running container asks. */
  #exitFile(id: string): string {
    return `${this.dir}/${id}/exit.json`;
  }

  async run(o: RunOptions): Promise<ContainerState> {
    checkRuntimeContainerId(o.id);
    this.#cgroups.delete(o.id);
    const p = this.paths(o.id);
    // The start's own small files are read and written synchronously: on a loaded host each thread-
    // pool round trip of an async call cost milliseconds, together a fifth of a start.
    let text: string;
    try {
      text = readFileSync(join(o.bundle, 'config.json'), 'utf8');
    } catch (err) {
      throw new InvalidArgumentError(`bundle ${o.bundle}: cannot read config.json: ${(err as Error).message}`);
    }
    const config = JSON.parse(text) as { linux?: { cgroupsPath?: string }; process?: { terminal?: boolean }; annotations?: Record<string, string> };
    const exists = () => new FailedPreconditionError(`container ${o.id} already exists in the runtime; delete it first`);
    if (existsSync(p.dir)) throw exists();
    const tty = config.process?.terminal === true;
    const stdin = config.annotations?.[STDIN_ANNOTATION] === 'true';
    const meta: Meta = {
      id: o.id, bundle: o.bundle, createdAt: isoTime(), ...(config.linux?.cgroupsPath ? { cgroup: config.linux.cgroupsPath } : {}),
      ...(tty ? { tty } : {}), ...(stdin ? { stdin } : {}),
    };
    const runtimeArgs = await this.runtimeArgs(meta);
    // The directory appears with its meta.json in it (made aside, renamed into place): a crash
    // never leaves a container directory without a whole record. Aside, nothing reads it (list()
    // removes what a crash left there): meta.json is written there as it is, not atomically.
    const staging = join(this.dir, `.new-${o.id}-${randomBytes(4).toString('hex')}`);
    const first = JSON.stringify(meta);
    this.#launching.add(o.id);
    try {
      // containers/ made only when it is missing (the first start).
      makeSpreadEntry(this.dir, staging, 0o700);
      writeFileUnpublished(`${staging}/meta.json`, first);
      renameSync(staging, p.dir);
    } catch (err) {
      this.#launching.delete(o.id);
      rmSync(staging, { recursive: true, force: true });
      const code = (err as NodeJS.ErrnoException).code;
      throw code === 'EEXIST' || code === 'ENOTEMPTY' ? exists() : err;
    }
    try {
      const args = [
        '--id', o.id, '--bundle', o.bundle, ...runtimeArgs,
        '--log', p.log, '--exit-file', p.exit, '--pid-file', p.pid, '--runtime-log', p.runtimeLog,
        '--log-max-size', String(this.#logMax), '--log-max-files', String(this.#logFiles), ...(meta.cgroup ? ['--cgroup', meta.cgroup.replace(/^\/+/, '')] : []),
        // The attach socket (and the terminal's console socket) live in the state directory.
        '--socket-dir', p.dir, ...(tty ? ['--terminal'] : []), ...(stdin ? ['--stdin'] : []),
      ];
      const stdout = await this.#monitors.start(args);
      const [pid, monitorPid] = stdout.trim().split(' ').map(Number);
      meta.pid = pid!;
      meta.monitorPid = monitorPid!;
      meta.startedAt = isoTime();
      // The pid, monitor and start time added at its end, in place (fs-atomic.ts extendFileSync): a
      // meta.json cut short by a crash cannot be parsed, and one that cannot be parsed, or has no
      // pid, is recovered from the pid file and the monitor (meta-recovery.ts readMeta).
      extendFileSync(p.meta, first, JSON.stringify(meta));
      return await this.#stateOf(meta, 'running');
    } catch (err) {
      // Nothing is left behind by a start that failed: the runtime's record, the cgroup, our directory.
      await this.remove(meta).catch(() => undefined);
      if (meta.cgroup) await removeCgroup(meta.cgroup).catch(() => undefined);
      this.#removal.remove(p.dir);
      if (err instanceof UnavailableError) throw err;
      throw new InvalidArgumentError(`container ${o.id}: ${commandErrorText(err)}`);
    } finally {
      this.#launching.delete(o.id);
    }
  }

  /** The container's meta.json, with what it lacks recovered (meta-recovery.ts). */
  protected async meta(id: string): Promise<Meta> {
    if (!isRuntimeContainerId(id)) throw new NotFoundError(`container "${id}" not found in the runtime`);
    const meta = await readMeta(id, this.paths(id), this.#launching.has(id));
    if (!meta) throw new NotFoundError(`container ${id} not found in the runtime`);
    return meta;
  }

  async #exit(id: string): Promise<ExitInfo | undefined> {
    const file = this.#exitFile(id);
    // Mostly absent (the container runs): looked at without a read that fails, whose error (a stack
    // made and thrown, twice per look of every wait's 5 s round) was most of an idle daemon's CPU.
    if (!existsSync(file)) return undefined;
    try {
      const text = readSmallFile(file);
      return text === undefined ? undefined : (JSON.parse(text) as ExitInfo);
    } catch {
      return undefined;
    }
  }

  async state(id: string): Promise<ContainerState> {
    return this.#stateOf(await this.meta(id));
  }

  /** hint: the live status when already known (list); null: known to be unknown to the runtime. */
  async #stateOf(meta: Meta, hint?: LiveStatus | null): Promise<ContainerState> {
    const exit = await this.#exit(meta.id);
    const base = { id: meta.id, bundle: meta.bundle, createdAt: meta.createdAt, ...(meta.startedAt ? { startedAt: meta.startedAt } : {}) };
    if (exit) return { ...base, status: 'stopped', pid: 0, exit };
    const status = hint === null ? undefined : (hint ?? (await this.liveStatus(meta)));
    if (status) return { ...base, status, pid: meta.pid ?? 0 };
    const exitFile = this.#exitFile(meta.id);
    if (!meta.pid) {
      // Being started: by this process, or by a monitor whose daemon died meanwhile.
      if (this.#launching.has(meta.id) || (await findMonitor(exitFile))) return { ...base, status: 'created', pid: 0 };
      // Nothing is starting it and it never got a process: the launch died with the daemon.
      return { ...base, status: 'stopped', pid: 0, exit: { exitCode: 255, oomKilled: false, finishedAt: meta.createdAt } };
    }
    // Ended, and its monitor is writing the exit file: still running for a moment.
    if (meta.monitorPid && (await monitorOf(meta.monitorPid, exitFile))) return { ...base, status: 'running', pid: meta.pid };
    // The monitor may have written the exit file and ended since it was first looked for.
    const late = await this.#exit(meta.id);
    if (late) return { ...base, status: 'stopped', pid: 0, exit: late };
    // Gone from the runtime and no exit recorded: the monitor died with it (e.g. the host rebooted).
    return { ...base, status: 'stopped', pid: 0, exit: { exitCode: 255, oomKilled: false, finishedAt: isoTime() } };
  }

  async list(): Promise<ContainerState[]> {
    const ids = await readdir(this.dir).catch(() => [] as string[]);
    const statuses = await this.liveStatuses();
    const out: ContainerState[] = [];
    for (const id of ids) {
      // A start that died before its directory was in place (run): nothing ran from it.
      const staged = /^\.new-(.+)-[0-9a-f]{8}$/.exec(id);
      if (staged && !this.#launching.has(staged[1]!)) {
        this.#removal.remove(join(this.dir, id));
        continue;
      }
      const meta = await this.meta(id).catch(() => undefined);
      if (meta) out.push(await this.#stateOf(meta, statuses ? (statuses.get(id) ?? null) : undefined));
      // A directory comes into place with its meta.json (run), which is never removed from it,
      // and leaves it whole (into removed/): one without it is what an older berth's removal in place left.
      else if (isRuntimeContainerId(id) && !this.#launching.has(id) && !existsSync(this.paths(id).meta)) this.#removal.remove(join(this.dir, id));
    }
    return out;
  }

  async kill(id: string, signal: string): Promise<void> {
    const meta = await this.meta(id);
    const s = await this.#stateOf(meta);
    if (s.status === 'stopped') throw new FailedPreconditionError(`container ${id} is not running`);
    try {
      await this.signal(meta, signal);
    } catch (err) {
      if (await this.#exit(id)) return; // it ended meanwhile
      throw new InvalidArgumentError(`kill ${id} ${signal}: ${commandErrorText(err)}`);
    }
  }

  async stop(id: string, opts: { signal?: string; timeoutSeconds?: number } = {}): Promise<ExitInfo> {
    const s = await this.state(id);
    if (s.exit) return s.exit;
    if (s.status === 'paused') await this.resume(id).catch(() => undefined);
    await this.kill(id, opts.signal ?? 'SIGTERM').catch(() => undefined);
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), (opts.timeoutSeconds ?? 10) * 1000);
    try {
      return await this.wait(id, ac.signal);
    } catch {
      await this.kill(id, 'SIGKILL').catch(() => undefined);
      return this.wait(id);
    } finally {
      clearTimeout(timer);
    }
  }

  async pause(id: string): Promise<void> {
    const meta = await this.meta(id);
    const s = await this.#stateOf(meta);
    if (s.status !== 'running') throw new FailedPreconditionError(`container ${id} is ${s.status}, not running`);
    await this.freeze(meta);
  }

  async resume(id: string): Promise<void> {
    const meta = await this.meta(id);
    const s = await this.#stateOf(meta);
    if (s.status !== 'paused') throw new FailedPreconditionError(`container ${id} is ${s.status}, not paused`);
    await this.thaw(meta);
  }

  async exec(id: string, o: ExecOptions): Promise<ExecResult> {
    const meta = await this.meta(id);
    const s = await this.#stateOf(meta);
    if (s.status !== 'running') throw new FailedPreconditionError(`container ${id} is ${s.status}; exec needs it running`);
    const [cmd, args] = await this.execCommand(meta, o, await execUser(meta.bundle, o.user));
    return this.runExec(cmd, args, o);
  }

  /** Stops this runtime's helper processes (its containers and their monitors go on). */
  close(): void {
    this.#monitors.close();
  }

  /** Runs the exec's command to its end: a process of its own (a runtime may have a faster way). */
  protected runExec(cmd: string, args: string[], o: ExecOptions): Promise<ExecResult> {
    return spawnExec(cmd, args, o);
  }

  async attach(id: string, o: { replay?: boolean } = {}): Promise<StdioSession> {
    const meta = await this.meta(id);
    if ((await this.#stateOf(meta)).status === 'stopped') throw new FailedPreconditionError(`container ${id} is not running; attach needs it running`);
    return attachMonitor(id, this.paths(id).dir, { tty: meta.tty === true, ...(o.replay ? { replay: true } : {}) });
  }

  async attachSocket(id: string): Promise<string | undefined> {
    const meta = await this.meta(id);
    if ((await this.#stateOf(meta)).status === 'stopped') return undefined;
    return monitorSocket(this.paths(id).dir);
  }

  async execSession(id: string, o: ExecSessionOptions): Promise<ExecSession> {
    const meta = await this.meta(id);
    const s = await this.#stateOf(meta);
    if (s.status !== 'running') throw new FailedPreconditionError(`container ${id} is ${s.status}; exec needs it running`);
    const [cmd, args, how] = await this.execCommand(meta, o, await execUser(meta.bundle, o.user), o.tty);
    return startExec({ cmd, args, tty: o.tty, detached: how?.detached ?? false, dir: this.paths(id).dir, exectty: nativeBinary('berth-exectty') });
  }

  /** `update`: new limits into a running (or paused) container's cgroup; a stopped one has none (its next start reads the bundle). */
  async update(id: string, limits: OciLimits): Promise<void> {
    const meta = await this.meta(id);
    const s = await this.#stateOf(meta);
    if (s.status === 'running' || s.status === 'paused') await this.updateLimits(meta, limits);
  }

  async stats(id: string): Promise<Stats> {
    // The cgroup as the container's meta said once it ran: /metrics reads every container's stats
    // each round, and meta.json need not be read and parsed again for it (its cgroup never changes).
    let cgroup = this.#cgroups.get(id);
    if (cgroup === undefined || !existsSync(this.paths(id).meta)) {
      const meta = await this.meta(id);
      if (!meta.cgroup) throw new FailedPreconditionError(`container ${id} has no cgroupsPath in its config; its stats cannot be read`);
      cgroup = meta.cgroup;
      if (meta.pid) this.#cgroups.set(id, cgroup);
    }
    return readCgroupStats(cgroup);
  }

  async wait(id: string, signal?: AbortSignal): Promise<ExitInfo> {
    const p = this.paths(id);
    let meta = await this.meta(id);
    // The monitor renames exit.json into the directory: one watch for the whole wait wakes us at
    // once. Every LIVENESS_MS one sweep looks at all the waits' containers too (#sweep), for a watch
    // that missed it or a monitor that died without writing it. (A timer per wait that read the
    // container's meta.json and state every 5 s was most of the waits' work with 500 of them: 100
    // looks a second, each reading and parsing two files.)
    let wake: (() => void) | undefined;
    let w: ReturnType<typeof watch> | undefined;
    try {
      w = watch(p.dir, (_e, f) => f === 'exit.json' && wake?.());
      w.on('error', () => wake?.());
    } catch {
      // The directory went away: the first look reports it.
    }
    const onAbort = () => wake?.();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        const exit = await this.#exit(id);
        if (exit) return exit;
        const s = await this.#stateOf(meta);
        if (s.exit) return s.exit;
        if (signal?.aborted) throw signal.reason ?? new Error('aborted');
        await new Promise<void>((resolve) => {
          const waiting: Waiting = {
            exitFile: p.exit,
            meta,
            wake: () => {
              this.#unwait(waiting);
              if (wake === waiting.wake) wake = undefined;
              resolve();
            },
          };
          wake = waiting.wake;
          this.#waiting.add(waiting);
          this.#scheduleSweep();
          // Written between the last look and now: the watch has already spoken.
          if (existsSync(p.exit) || signal?.aborted) waiting.wake();
        });
        // Woken: looked at afresh.
        meta = await this.meta(id);
      }
    } finally {
      w?.close();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  #unwait(waiting: Waiting): void {
    this.#waiting.delete(waiting);
    // No wait left: no timer keeps the process up (as a wait's own timer did not once it ended).
    if (this.#waiting.size === 0 && this.#sweepTimer !== undefined) {
      clearTimeout(this.#sweepTimer);
      this.#sweepTimer = undefined;
    }
  }

  #scheduleSweep(): void {
    if (this.#sweepTimer !== undefined || this.#sweeping || this.#waiting.size === 0) return;
    this.#sweepTimer = setTimeout(() => {
      this.#sweepTimer = undefined;
      this.#sweeping = true;
      void this.#sweep().finally(() => {
        this.#sweeping = false;
        this.#scheduleSweep();
      });
    }, LIVENESS_MS);
  }

  /**
   * The waits' liveness look, all of them in one go: a wait whose container has an exit file or
   * whose process no longer runs is woken, and looks at its state afresh (#stateOf: an exit being
   * recorded, or none ever to be). The others cost a look at their process each (/proc, for the
   * native runtime) and nothing read from their state directory.
   */
  async #sweep(): Promise<void> {
    let n = 0;
    for (const waiting of [...this.#waiting]) {
      if (!this.#waiting.has(waiting)) continue; // woken meanwhile
      const alive = !existsSync(waiting.exitFile) && (await this.isAlive(waiting.meta).catch(() => false));
      if (!alive) waiting.wake();
      if (++n % SWEEP_SLICE === 0) await new Promise((r) => setImmediate(r));
    }
  }

  async *logs(id: string, opts: LogOptions = {}): AsyncIterable<LogEntry> {
    await this.meta(id);
    const p = this.paths(id);
    // Ended: the exit is recorded, or the container is gone (removed while its log was read).
    yield* readJsonLog(p.log, { ...opts, done: async () => existsSync(p.exit) || !existsSync(p.dir) });
  }

  /**
   * Removes the container: its process (with force), whatever else still runs in its cgroups
   * (killed: cgroup-teardown.ts), its cgroups, its monitor, its record.
   */
  async delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    let meta: Meta;
    try {
      meta = await this.meta(id);
    } catch (err) {
      if (err instanceof NotFoundError && opts.force) return;
      throw err;
    }
    this.#cgroups.delete(id);
    let s = await this.#stateOf(meta);
    // Being started by a monitor whose daemon died: let the launch end, then it is like any other.
    for (let i = 0; s.status === 'created' && !this.#launching.has(id) && i < 100; i++) {
      await sleep(100);
      meta = await this.meta(id);
      s = await this.#stateOf(meta);
    }
    if (s.status !== 'stopped' && s.status !== 'created') {
      if (!opts.force) throw new FailedPreconditionError(`container ${id} is ${s.status}; stop it first or delete with force`);
      if (s.status === 'paused') await this.thaw(meta).catch(() => undefined);
      await this.signal(meta, 'SIGKILL').catch(() => undefined);
      const ac = new AbortController();
      const t = setTimeout(() => ac.abort(), 10_000);
      await this.wait(id, ac.signal).catch(() => undefined);
      clearTimeout(t);
    }
    await this.remove(meta);
    if (meta.cgroup) await removeCgroup(meta.cgroup);
    await this.#monitorGone(meta);
    // The directory leaves its place at once (renamed into removed/), then its files are removed in
    // the background (deferred-removal.ts): a daemon killed in the middle of the removal never leaves
    // a directory under the container's id without its meta.json, which nothing would list or remove.
    this.#removal.remove(this.paths(id).dir);
  }

  /** Waits for the container's monitor to end (it does once the exit is recorded); kills it after 2 s. */
  async #monitorGone(meta: Meta): Promise<void> {
    if (!meta.monitorPid) return;
    const exitFile = this.paths(meta.id).exit;
    // It ends a moment after the exit file is written: looked at again soon, then less often.
    for (let i = 0, waited = 0; waited < 2000 && (await monitorOf(meta.monitorPid, exitFile)); i++) {
      const ms = Math.min(20, 1 << i);
      await sleep(ms);
      waited += ms;
    }
    if (await monitorOf(meta.monitorPid, exitFile)) {
      try {
        process.kill(meta.monitorPid, 'SIGKILL');
      } catch {
        // Ended meanwhile.
      }
    }
  }
}
