// NativeRuntime: the Runtime interface over berth's own launcher (berth-run's code, linked into
// berth's monitor: `berth-monitor --builtin-launcher`): one fork + clone per start, no exec besides
// the monitor's and the container's, instead of runc's create/start round trips. Signals, pause/resume and removal need no launcher process: they are
// kill(2) and the container's cgroup files, written here.
//
// State, under stateDir: containers/<id>/ and removed/ (monitored-runtime.ts), seccomp/ (compiled filters),
// monitor.sock (monitor-server.ts) and the exec helper's socket exec.sock while it runs
// (exec-helper.ts) — nothing else; the cgroup path
// comes from the bundle's config (default /berth/<id>, as the launcher chooses).
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { readSmallFile } from '../read-small.ts';
import { constants } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError, UnavailableError } from '../../specs/errdefs.ts';
import type { ResolvedUser } from '../container-config.ts';
import { cgroupVersion } from './cgroup-stats.ts';
import { applyCgroupLimits } from './cgroup-update.ts';
import type { OciLimits } from '../bundle.ts';
import { MonitoredRuntime, nativeBinary, type LiveStatus, type Meta } from './monitored-runtime.ts';
import type { ContainerState, ExecOptions, ExecResult, RunOptions } from './runtime.ts';
import { ExecHelper } from './exec-helper.ts';

const CGROUP_ROOT = '/sys/fs/cgroup';

export interface NativeRuntimeOptions {
  /** Where this runtime keeps its state (e.g. <data root>/runtime). */
  stateDir: string;
  /** Log size at which it is rotated (bytes; default 10 MiB). */
  logMaxBytes?: number;
  /** Log files kept, the current one included (default 2: one rotated file). */
  logMaxFiles?: number;
}

/** `berth-run exec`: a process in the namespaces and cgroup of the container's init, with its config's limits. */
export function launcherExec(meta: Meta, o: ExecOptions, user: ResolvedUser | undefined, tty = false): [string, string[]] {
  // On a terminal of its own, made in the container and sent to @CONSOLE@ (berth-exectty's).
  const args = ['exec', '--pid', String(meta.pid), '--bundle', meta.bundle, ...(tty ? ['--tty', '--console-socket', '@CONSOLE@'] : [])];
  for (const e of o.env ?? []) args.push('--env', e);
  if (o.cwd) args.push('--cwd', o.cwd);
  if (user) args.push('--user', `${user.uid}:${user.gid}`, ...user.additionalGids.flatMap((g) => ['--additional-gid', String(g)]));
  return [nativeBinary('berth-run'), [...args, '--', ...o.args]];
}

export class NativeRuntime extends MonitoredRuntime {
  readonly name = 'native';
  readonly #stateDir: string;
  #execs: ExecHelper | undefined;
  /**
   * Containers last seen thawed. Only this runtime freezes them (pause), so one that was seen thawed
   * stays so until its next pause: the freezer is read once per container and daemon (never for one
   * this process started), not at each look. Why: every reconcile looks at its container (liveStatus), and on cgroup v1 a read of
   * freezer.state takes the kernel's freezer mutex, which the cgroups and task moves of the other
   * containers being started hold — ~1 ms of the event loop per look during an apply of 200.
   * (A freeze made outside berth, of the container's cgroup or of a parent's, is seen by the next
   * daemon, as a pause made by berth is.)
   */
  readonly #thawed = new Set<string>();

  /** The compiled seccomp filters, one per profile, shared by this runtime's containers (native/seccomp-cache.h). */
  readonly #seccompCache: string;

  constructor(o: NativeRuntimeOptions) {
    super(o);
    this.#seccompCache = join(o.stateDir, 'seccomp');
    this.#stateDir = o.stateDir;
  }

  /** Through the exec helper (exec-helper.ts): a fork of a small process instead of a spawn from this one. */
  protected override runExec(_cmd: string, args: string[], o: ExecOptions): Promise<ExecResult> {
    this.#execs ??= new ExecHelper(this.#stateDir, nativeBinary('berth-run'));
    return this.#execs.run(args, o);
  }

  override close(): void {
    super.close();
    this.#execs?.close();
  }

  /** A container this runtime has just started is thawed: its cgroup is new, and nothing froze it. */
  override async run(o: RunOptions): Promise<ContainerState> {
    const state = await super.run(o);
    this.#thawed.add(o.id);
    return state;
  }

  protected async runtimeArgs(meta: Meta): Promise<string[]> {
    // A config without cgroupsPath gets the launcher's default, recorded so that stats, OOM kills
    // (the monitor's --cgroup, which follows) and removal find it.
    meta.cgroup ??= `/berth/${meta.id}`;
    return ['--builtin-launcher', '--seccomp-cache', this.#seccompCache];
  }

  #cgroup(meta: Meta): string {
    return (meta.cgroup ?? `/berth/${meta.id}`).replace(/^\/+/, '');
  }

  /** The container's init, if it is still the monitor's child (a reused pid is not). */
  async #alive(meta: Meta): Promise<boolean> {
    if (!meta.pid || !meta.monitorPid) return false;
    const stat = readSmallFile(`/proc/${meta.pid}/stat`) ?? '';
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] !== 'Z' && Number(fields[1]) === meta.monitorPid;
  }

  /** The init is the monitor's live child: a read of /proc, without the freezer's state. */
  protected override isAlive(meta: Meta): Promise<boolean> {
    return this.#alive(meta);
  }

  protected async liveStatus(meta: Meta): Promise<LiveStatus> {
    if (!(await this.#alive(meta))) return undefined;
    return (await this.#frozen(meta)) ? 'paused' : 'running';
  }

  async #frozen(meta: Meta): Promise<boolean> {
    if (this.#thawed.has(meta.id)) return false;
    const frozen = this.#readFrozen(meta);
    if (!frozen) this.#thawed.add(meta.id);
    return frozen;
  }

  #readFrozen(meta: Meta): boolean {
    const cg = this.#cgroup(meta);
    if (cgroupVersion === 2) return /^frozen 1$/m.test(readSmallFile(join(CGROUP_ROOT, cg, 'cgroup.events')) ?? '');
    return (readSmallFile(join(CGROUP_ROOT, 'freezer', cg, 'freezer.state')) ?? '').trim() !== 'THAWED' &&
      existsSync(join(CGROUP_ROOT, 'freezer', cg));
  }

  protected async signal(meta: Meta, signal: string): Promise<void> {
    const n = /^\d+$/.test(signal) ? Number(signal) : constants.signals[(signal.startsWith('SIG') ? signal : `SIG${signal}`) as NodeJS.Signals];
    if (n === undefined) throw new InvalidArgumentError(`unknown signal "${signal}": give a name (SIGTERM, TERM) or a number`);
    if (!(await this.#alive(meta))) throw new InvalidArgumentError(`container ${meta.id} is not running`);
    process.kill(meta.pid!, n);
  }

  /** Writes the freezer and waits until the kernel reports the state reached. */
  async #setFrozen(meta: Meta, frozen: boolean): Promise<void> {
    const cg = this.#cgroup(meta);
    const [file, value] = cgroupVersion === 2 ? [join(CGROUP_ROOT, cg, 'cgroup.freeze'), frozen ? '1' : '0'] : [join(CGROUP_ROOT, 'freezer', cg, 'freezer.state'), frozen ? 'FROZEN' : 'THAWED'];
    // Read from the kernel from here on; a look that saw it thawed while the freeze was on its way
    // is forgotten once the freeze is done.
    this.#thawed.delete(meta.id);
    for (let i = 0; i < 1000; i++) {
      await writeFile(file, value).catch((err: Error) => {
        throw new UnavailableError(`${frozen ? 'pause' : 'resume'} ${meta.id}: write ${file}: ${err.message}`);
      });
      if (this.#readFrozen(meta) === frozen) {
        if (frozen) this.#thawed.delete(meta.id);
        else this.#thawed.add(meta.id);
        return;
      }
      await sleep(Math.min(1 + i, 20));
    }
    throw new UnavailableError(`${frozen ? 'pause' : 'resume'} ${meta.id}: the cgroup did not reach ${value}; try again`);
  }

  protected async freeze(meta: Meta): Promise<void> {
    await this.#setFrozen(meta, true);
  }

  protected async thaw(meta: Meta): Promise<void> {
    await this.#setFrozen(meta, false);
  }

  protected async execCommand(meta: Meta, o: ExecOptions, user: ResolvedUser | undefined, tty = false): Promise<[string, string[]]> {
    const [cmd, args] = launcherExec(meta, o, user, tty);
    return [cmd, ['exec', '--seccomp-cache', this.#seccompCache, ...args.slice(1)]];
  }

  protected async updateLimits(meta: Meta, limits: OciLimits): Promise<void> {
    await applyCgroupLimits(this.#cgroup(meta), limits);
  }

  /** The launcher keeps no record of its own: what is left is the cgroup (meta.cgroup, always set by
   * runtimeArgs), which MonitoredRuntime removes after this, whatever the runtime; and what this
   * process remembers of its freezer. */
  protected async remove(meta: Meta): Promise<void> {
    this.#thawed.delete(meta.id);
  }
}
